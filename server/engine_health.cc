// EngineHealth (engine_health.h): the engine's ping on a thread of its own,
// for /readyz.

#include "server/engine_health.h"

#include <spdlog/spdlog.h>

#include "engine/engine_wait.h"

namespace tender {

EngineHealth::EngineHealth(DockerEngine& engine, Clock& clock, std::string host)
    : engine_(engine), clock_(clock), host_(std::move(host)) {}

EngineHealth::~EngineHealth() { stop(); }

void EngineHealth::start() {
  std::lock_guard<std::mutex> l(mu_);
  if (stop_ || thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void EngineHealth::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status EngineHealth::readiness() const {
  std::lock_guard<std::mutex> l(mu_);
  return status_;
}

nlohmann::json EngineHealth::versionInfo() const {
  std::lock_guard<std::mutex> l(mu_);
  return version_;
}

void EngineHealth::run() {
  bool wasOk = false;
  bool first = true;
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    l.unlock();
    Status s = engine_.ping();
    nlohmann::json v = nlohmann::json::object();
    if (s.ok() && first) {
      auto ver = engine_.version();
      if (ver.ok())
        v = {{"engine", {{"version", ver->version}, {"apiVersion", engine_.apiVersion()}}}};
    }
    l.lock();
    // The first answer (or its absence) is the start-up wait's to report.
    if (s.ok()) {
      if (!wasOk && !first)
        spdlog::info("the Docker engine at {} answers again (API {})", host_, engine_.apiVersion());
      status_ = Status::Ok();
      if (!v.empty()) {
        version_ = v;
        first = false;
      }
    } else {
      const std::string why = explainEngineProblem(host_, s);
      if (wasOk) spdlog::warn("the Docker engine at {} stopped answering: {}", host_, why);
      first = false;
      status_ = Status::Unavailable(why);
    }
    wasOk = s.ok();
    clock_.waitFor(l, cv_, std::chrono::seconds(2), [&] { return stop_; });
  }
}

}  // namespace tender

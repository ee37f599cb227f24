// Waiting for the Docker engine at start-up and explaining why it does not
// answer (engine/engine_wait.h).
#include "engine/engine_wait.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tender {

namespace {

std::string seconds(std::chrono::milliseconds d) {
  return std::to_string((d.count() + 500) / 1000) + "s";
}

}  // namespace

std::string explainEngineProblem(const std::string& host, const Status& pingError) {
  const std::string kUnix = "unix://";
  if (host.rfind(kUnix, 0) == 0) {
    const std::string path = host.substr(kUnix.size());
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) {
        return "the socket " + path + " does not exist: the Docker engine is not running (or not installed)";
      }
      return "cannot look at the socket " + path + ": " + std::strerror(errno);
    }
    if (!S_ISSOCK(st.st_mode)) return path + " exists but is not a socket";
    if (::access(path.c_str(), R_OK | W_OK) != 0) {
      return "the socket " + path + " exists but this user may not use it (" + std::strerror(errno) +
             "): run tender as root or as a member of the socket's group";
    }
    if (pingError.IsTimeout()) return "the engine on " + path + " accepts connections but does not answer";
    return "nothing answers on the socket " + path + " (" + pingError.message() +
           "): it was left by an engine that is no longer running";
  }
  if (pingError.IsTimeout()) return "the engine at " + host + " does not answer in time";
  return "the engine at " + host + " cannot be reached: " + pingError.message();
}

Status waitForEngine(DockerEngine& engine, const EngineWaitOptions& o,
                     const std::function<bool()>& stopRequested,
                     const std::function<void(std::chrono::milliseconds)>& sleep) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto nextProgress = start;
  bool deadlinePassed = false;
  std::string lastProblem;
  while (!stopRequested()) {
    Status s = engine.ping();
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    if (s.ok()) {
      if (!lastProblem.empty()) {
        spdlog::info("the Docker engine at {} answered after {} (API {})", o.host, seconds(waited),
                     engine.apiVersion());
      } else {
        spdlog::info("the Docker engine at {} answered (API {})", o.host, engine.apiVersion());
      }
      return Status::Ok();
    }
    std::string problem = explainEngineProblem(o.host, s);
    const auto now = Clock::now();
    if (!deadlinePassed && waited >= o.deadline) {
      deadlinePassed = true;
      spdlog::error(
          "the Docker engine at {} has not answered for {}: {}. Start it (systemctl start docker, or dockerd), "
          "or point --engine (or DOCKER_HOST) at a running one. tender serves its API meanwhile (/readyz says "
          "why it is not ready) and starts reconciling as soon as the engine answers.",
          o.host, seconds(waited), problem);
      nextProgress = now + 12 * o.progressEvery;
    } else if (problem != lastProblem || now >= nextProgress) {
      spdlog::warn("waiting for the Docker engine at {} ({} so far): {}", o.host, seconds(waited), problem);
      nextProgress = now + (deadlinePassed ? 12 : 1) * o.progressEvery;
    }
    lastProblem = problem;
    sleep(o.retryEvery);
  }
  return Status::Unavailable("stopped while waiting for the Docker engine at " + o.host);
}

}  // namespace tender

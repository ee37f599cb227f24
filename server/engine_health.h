// EngineHealth: pings the engine every two seconds on a thread of its own,
// so /readyz answers from memory and says why the engine is not answering;
// logs when the engine stops and starts answering.
#pragma once

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/status.h"
#include "engine/docker_engine.h"

namespace tender {

class EngineHealth {
 public:
  // `host` is how logs name the engine. Both references must outlive this.
  EngineHealth(DockerEngine& engine, Clock& clock, std::string host);
  ~EngineHealth();
  EngineHealth(const EngineHealth&) = delete;
  EngineHealth& operator=(const EngineHealth&) = delete;

  void start();
  // Stops pinging (before the engine's event loop stops: a ping needs it).
  // The last answer stays readable. Idempotent.
  void stop();
  // Ok once the engine answers; Unavailable saying why while it does not.
  Status readiness() const;
  // {"engine": {"version", "apiVersion"}} once known, else {}.
  nlohmann::json versionInfo() const;

 private:
  void run();

  DockerEngine& engine_;
  Clock& clock_;
  const std::string host_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  Status status_ = Status::Unavailable("the engine has not been reached yet");
  nlohmann::json version_ = nlohmann::json::object();
  std::thread thread_;
};

}  // namespace tender

// Waiting for the Docker engine before the first reconcile, and saying why
// it does not answer: the socket is missing, nothing listens on it, it is
// not ours to open, or the engine answers too slowly.
//
// tender never hangs silently on a missing engine: the wait logs its
// progress, logs an error that says what to do once the deadline passes,
// and goes on waiting, so an engine started later is picked up without a
// restart of tender.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "engine/docker_engine.h"

namespace tender {

// What a failed ping means, for a person: names the socket or address and
// what is wrong with it. `host` as resolved ("unix:///var/run/docker.sock",
// "tcp://10.0.0.2:2375").
std::string explainEngineProblem(const std::string& host, const Status& pingError);

struct EngineWaitOptions {
  std::string host;                             // for messages
  std::chrono::milliseconds deadline{60000};    // after this, an error says what to do
  std::chrono::milliseconds retryEvery{1000};
  std::chrono::milliseconds progressEvery{5000};  // a progress line in the log this often
};

// Pings until the engine answers (Ok) or `stopRequested` returns true
// (Unavailable, "stopped while waiting"). `sleep(d)` waits up to d and returns early when stopping.
Status waitForEngine(DockerEngine& engine, const EngineWaitOptions& options,
                     const std::function<bool()>& stopRequested,
                     const std::function<void(std::chrono::milliseconds)>& sleep);

}  // namespace tender

// Helpers for tests that talk to a real Docker engine: the test image, names
// no other test run uses, a client that says clearly when no engine answers,
// and a guard that removes what a test created even when the test fails.
//
// The engine is shared with other tests and people: label and name
// everything with uniqueName() and remove only what you created.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "engine/docker_engine_beast.h"

namespace tender {
namespace testenv {

// Built by scripts/build-test-image from busybox-static; nothing is pulled.
inline constexpr const char* kTestImage = "tender-busybox:latest";

// "tender-test-<what>-<pid>-<n>": lowercase, a valid container, network,
// volume and image name, and unique across concurrent test processes.
inline std::string uniqueName(const std::string& what) {
  static std::atomic<int> counter{0};
  return "tender-test-" + what + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1));
}

// A client for $DOCKER_HOST (or the default socket) with its own event loop.
// When no engine answers, or the test image is missing, it records a test
// failure saying what to do and returns null:
//   auto engine = testenv::connectTestEngine();
//   ASSERT_NE(engine, nullptr);
inline std::unique_ptr<DockerEngine> connectTestEngine(EngineOptions options = {}) {
  auto engine = makeStandaloneBeastDockerEngine(options);
  Status ping = engine->ping();
  if (!ping.ok()) {
    ADD_FAILURE() << "no Docker engine answers at " << resolvedEngineHost(options) << ": "
                  << ping.ToString()
                  << "\nStart one (scripts/start-engine) or point DOCKER_HOST at one.";
    return nullptr;
  }
  auto image = engine->inspectImage(kTestImage);
  if (!image.ok()) {
    ADD_FAILURE() << "the test image " << kTestImage << " is missing (" << image.status().ToString()
                  << ")\nBuild it with scripts/build-test-image.";
    return nullptr;
  }
  return engine;
}

// Removes, when it goes out of scope, the containers, networks and volumes
// handed to it, in that order (containers first, so networks and volumes are
// free). Errors are ignored: the object may already be gone.
class EngineCleanup {
 public:
  explicit EngineCleanup(DockerEngine* engine = nullptr) : engine_(engine) {}
  EngineCleanup(const EngineCleanup&) = delete;
  EngineCleanup& operator=(const EngineCleanup&) = delete;
  ~EngineCleanup() { run(); }

  void setEngine(DockerEngine* engine) { engine_ = engine; }
  void container(const std::string& idOrName) { containers_.push_back(idOrName); }
  void network(const std::string& idOrName) { networks_.push_back(idOrName); }
  void volume(const std::string& name) { volumes_.push_back(name); }

  void run() {
    if (!engine_) return;
    for (const auto& c : containers_)
      engine_->removeContainer(c, /*force=*/true, /*removeVolumes=*/true);
    for (const auto& n : networks_) engine_->removeNetwork(n);
    for (const auto& v : volumes_) engine_->removeVolume(v, /*force=*/true);
    containers_.clear();
    networks_.clear();
    volumes_.clear();
  }

 private:
  DockerEngine* engine_;
  std::vector<std::string> containers_, networks_, volumes_;
};

}  // namespace testenv
}  // namespace tender

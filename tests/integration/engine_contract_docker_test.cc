// The engine contract (tests/support/engine_contract.h) against a real Docker
// engine: $DOCKER_HOST or the default socket, with the test image built by
// scripts/build-test-image. The containers run the contract's programs; the
// backend's hooks only wait for what the engine does by itself.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/engine_contract.h"
#include "tests/support/engine_env.h"

namespace tender {
namespace {

class DockerBackend : public contract::EngineBackend {
 public:
  explicit DockerBackend(std::unique_ptr<DockerEngine> engine) : engine_(std::move(engine)) {}

  DockerEngine& engine() override { return *engine_; }
  void created(const std::string&, contract::Program) override {}
  void started(const std::string&, contract::Program) override {}
  bool healthCheckPasses(const std::string& id) override {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      auto c = engine_->inspectContainer(id);
      if (c.ok() && c->state.health == "healthy") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  // Long enough for a signal to end a container that would end.
  void settle() override { std::this_thread::sleep_for(std::chrono::milliseconds(1500)); }

 private:
  std::unique_ptr<DockerEngine> engine_;
};

std::unique_ptr<contract::EngineBackend> makeDockerBackend() {
  auto engine = testenv::connectTestEngine();
  if (!engine) return nullptr;
  return std::make_unique<DockerBackend>(std::move(engine));
}

}  // namespace

namespace contract {
INSTANTIATE_TEST_SUITE_P(Docker, EngineContractTest,
                         ::testing::Values(EngineTarget{"Docker", makeDockerBackend}),
                         EngineTargetName());
}  // namespace contract

}  // namespace tender

// The engine contract (tests/support/engine_contract.h) against
// FakeDockerEngine. The same suite runs against a real engine in
// integration/engine_contract_docker_test.cc; the fake is told what each
// container's program does with a signal, and when it exits or turns healthy.
#include <memory>
#include <string>

#include "tests/support/engine_contract.h"
#include "tests/support/fake_docker_engine.h"

namespace tender {
namespace {

class FakeBackend : public contract::EngineBackend {
 public:
  FakeBackend() { fake_.addImage(testenv::kTestImage); }

  DockerEngine& engine() override { return fake_; }
  void created(const std::string& id, contract::Program program) override {
    switch (program) {
      case contract::Program::kTrapsTerm:
        EXPECT_TRUE(fake_.setSignalExit(id, "SIGTERM", 0).ok());
        break;
      case contract::Program::kIgnoresTerm:
        EXPECT_TRUE(fake_.setSignalExit(id, "SIGTERM", std::nullopt).ok());
        break;
      case contract::Program::kExits3:
        break;
    }
  }
  void started(const std::string& id, contract::Program program) override {
    if (program == contract::Program::kExits3) {
      EXPECT_TRUE(fake_.crash(id, 3).ok());
    }
  }
  bool healthCheckPasses(const std::string& id) override {
    return fake_.setHealth(id, "healthy").ok();
  }
  void settle() override {}  // the fake acts within the call

 private:
  FakeDockerEngine fake_;
};

}  // namespace

namespace contract {
INSTANTIATE_TEST_SUITE_P(Fake, EngineContractTest,
                         ::testing::Values(EngineTarget{
                             "Fake",
                             [] { return std::unique_ptr<EngineBackend>(new FakeBackend()); }}),
                         EngineTargetName());
}  // namespace contract

}  // namespace tender

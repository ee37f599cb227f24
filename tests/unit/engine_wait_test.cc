// Waiting for the engine at start: what the log and /readyz say when it is
// missing, and that the wait ends as soon as the engine answers.
#include "engine/engine_wait.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "tests/support/fake_docker_engine.h"

namespace tender {
namespace {

namespace fs = std::filesystem;

class EngineWaitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tender-wait-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(EngineWaitTest, AMissingSocketIsNamedAsSuch) {
  const std::string path = (dir_ / "docker.sock").string();
  EXPECT_EQ("the socket " + path + " does not exist: the Docker engine is not running (or not installed)",
            explainEngineProblem("unix://" + path, Status::Unavailable("connect: No such file or directory")));
}

TEST_F(EngineWaitTest, AFileThatIsNotASocketIsNamedAsSuch) {
  const std::string path = (dir_ / "plain").string();
  std::ofstream(path) << "x";
  EXPECT_EQ(path + " exists but is not a socket", explainEngineProblem("unix://" + path, Status::Unavailable("x")));
}

TEST_F(EngineWaitTest, ASocketNobodyListensOnIsALeftover) {
  const std::string path = (dir_ / "stale.sock").string();
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  ASSERT_EQ(0, ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a));
  ::close(fd);  // bound, never listened on: what a dead engine leaves
  std::string why = explainEngineProblem("unix://" + path, Status::Unavailable("Connection refused"));
  EXPECT_EQ("nothing answers on the socket " + path +
                " (Connection refused): it was left by an engine that is no longer running",
            why);
}

TEST_F(EngineWaitTest, TcpProblemsNameTheAddress) {
  EXPECT_EQ("the engine at tcp://10.0.0.9:2375 does not answer in time",
            explainEngineProblem("tcp://10.0.0.9:2375", Status::Timeout("deadline")));
  EXPECT_EQ("the engine at tcp://10.0.0.9:2375 cannot be reached: Connection refused",
            explainEngineProblem("tcp://10.0.0.9:2375", Status::Unavailable("Connection refused")));
}

TEST_F(EngineWaitTest, TheWaitEndsWhenTheEngineAnswersAndWhenStopped) {
  FakeDockerEngine engine;
  for (int i = 0; i < 3; ++i) engine.failNext("ping", Status::Unavailable("Connection refused"));
  EngineWaitOptions o;
  o.host = "tcp://127.0.0.1:1";
  o.deadline = std::chrono::milliseconds(0);  // the error line comes at once; the wait goes on
  int sleeps = 0;
  Status s = waitForEngine(engine, o, [] { return false; }, [&](std::chrono::milliseconds) { ++sleeps; });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(3, sleeps);
  EXPECT_EQ(4, engine.callCount("ping"));

  engine.failNext("ping", Status::Unavailable("Connection refused"));
  bool stop = false;
  Status stopped = waitForEngine(engine, o, [&] { return stop; }, [&](std::chrono::milliseconds) { stop = true; });
  EXPECT_TRUE(stopped.IsUnavailable());
  EXPECT_EQ("stopped while waiting for the Docker engine at tcp://127.0.0.1:1", stopped.message());
}

}  // namespace
}  // namespace tender

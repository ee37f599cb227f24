// The Beast client against stand-ins for the engine on a unix socket: one
// that answers from a script, one that never answers, and none at all. Checks
// what needs no real engine: version negotiation, deadlines, error mapping,
// and how the events stream is read.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "engine/docker_engine_beast.h"
#include "tests/support/engine_env.h"

namespace tender {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

int listenOn(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, 16) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

std::string socketPath(const std::string& what) {
  return ::testing::TempDir() + testenv::uniqueName(what) + ".sock";
}

// A stand-in engine: answers the n-th connection with the n-th scripted
// answer (sent in the given pieces, a pause between them, then it closes)
// and records each request line ("GET /_ping HTTP/1.1").
class ScriptedEngine {
 public:
  using Answer = std::vector<std::string>;

  enum class Transport { kUnix, kTcp };

  explicit ScriptedEngine(std::vector<Answer> answers, Transport transport = Transport::kUnix)
      : answers_(std::move(answers)) {
    if (transport == Transport::kUnix) {
      path_ = socketPath("scripted");
      fd_ = listenOn(path_);
      address_ = "unix://" + path_;
    } else {
      fd_ = listenOnLoopback(&address_);
    }
    if (fd_ >= 0) thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedEngine() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  bool ok() const { return fd_ >= 0; }
  std::string address() const { return address_; }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }

 private:
  void serve() {
    for (const Answer& answer : answers_) {
      int conn = acceptOne();
      if (conn < 0) return;
      std::string request = readRequest(conn);
      {
        std::lock_guard<std::mutex> l(mu_);
        requests_.push_back(request.substr(0, request.find("\r\n")));
      }
      for (size_t i = 0; i < answer.size(); i++) {
        if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (::write(conn, answer[i].data(), answer[i].size()) < 0) break;
      }
      ::close(conn);
    }
  }

  int acceptOne() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) return ::accept(fd_, nullptr, nullptr);
    }
    return -1;
  }

  static std::string readRequest(int conn) {
    std::string in;
    char buf[4096];
    size_t headerEnd;
    while ((headerEnd = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::read(conn, buf, sizeof buf);
      if (n <= 0) return in;
      in.append(buf, static_cast<size_t>(n));
    }
    size_t length = 0;
    size_t cl = in.find("Content-Length: ");
    if (cl != std::string::npos && cl < headerEnd)
      length = std::strtoul(in.c_str() + cl + 16, nullptr, 10);
    while (in.size() < headerEnd + 4 + length) {
      ssize_t n = ::read(conn, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    return in;
  }

  // A TCP listener on 127.0.0.1 with a port the kernel picks.
  static int listenOnLoopback(std::string* address) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd, 16) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      if (fd >= 0) ::close(fd);
      return -1;
    }
    *address = "tcp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    return fd;
  }

  std::string path_;     // unix only
  std::string address_;  // as DOCKER_HOST would say it
  std::vector<Answer> answers_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> requests_;
};

ScriptedEngine::Answer pingAnswer(const std::string& apiVersion) {
  return {"HTTP/1.1 200 OK\r\nApi-Version: " + apiVersion +
          "\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK"};
}

ScriptedEngine::Answer jsonAnswer(int code, const std::string& reason, const std::string& body) {
  return {"HTTP/1.1 " + std::to_string(code) + " " + reason +
          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\n\r\n" + body};
}

std::string chunk(const std::string& data) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

std::unique_ptr<DockerEngine> clientFor(
    const std::string& address, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  EngineOptions options;
  options.host = address;
  options.callTimeout = timeout;
  return makeStandaloneBeastDockerEngine(options);
}

// Sets an environment variable for the life of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    const char* old = std::getenv(name);
    if (old) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(BeastEngine, SpeaksOurMaximumToANewerEngine) {
  ScriptedEngine engine({pingAnswer("1.52"), jsonAnswer(200, "OK", R"({"Version":"29.0.0"})")});
  ASSERT_TRUE(engine.ok());
  auto client = clientFor(engine.address());
  auto version = client->version();
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(version->version, "29.0.0");
  EXPECT_EQ(client->apiVersion(), "1.45");
  EXPECT_THAT(engine.requests(), ElementsAre("GET /_ping HTTP/1.1", "GET /v1.45/version HTTP/1.1"));
}

TEST(BeastEngine, SpeaksTheVersionOfAnOlderEngine) {
  ScriptedEngine engine({pingAnswer("1.41"), jsonAnswer(200, "OK", "[]")});
  ASSERT_TRUE(engine.ok());
  auto client = clientFor(engine.address());
  ASSERT_TRUE(client->listContainers({}).ok());
  EXPECT_THAT(engine.requests()[1], StartsWith("GET /v1.41/containers/json?all=1 "));
}

TEST(BeastEngine, SpeaksTcpToo) {
  ScriptedEngine engine({pingAnswer("1.41"), jsonAnswer(200, "OK", R"({"MemTotal":1024})")},
                        ScriptedEngine::Transport::kTcp);
  ASSERT_TRUE(engine.ok());
  auto client = clientFor(engine.address());
  auto info = client->info();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->memTotal, 1024);
}

TEST(BeastEngine, HonoursDockerHostAndDockerApiVersion) {
  ScriptedEngine engine({pingAnswer("1.41"), jsonAnswer(200, "OK", "{}")});
  ASSERT_TRUE(engine.ok());
  ScopedEnv host("DOCKER_HOST", engine.address());
  ScopedEnv version("DOCKER_API_VERSION", "1.40");
  auto client = makeStandaloneBeastDockerEngine();
  ASSERT_TRUE(client->info().ok());
  EXPECT_EQ(client->apiVersion(), "1.40");
  EXPECT_THAT(engine.requests(), ElementsAre("GET /_ping HTTP/1.1", "GET /v1.40/info HTTP/1.1"));
}

TEST(BeastEngine, PassesTheEnginesMessageOn) {
  ScriptedEngine engine(
      {pingAnswer("1.41"), jsonAnswer(409, "Conflict", R"({"message":"name in use"})")});
  ASSERT_TRUE(engine.ok());
  auto client = clientFor(engine.address());
  Status s = client->createContainer("web", {{"Image", "x"}}).status();
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_EQ(s.message(), "name in use");
}

TEST(BeastEngine, AlreadyStartedIsNotModified) {
  ScriptedEngine engine({pingAnswer("1.41"), {"HTTP/1.1 304 Not Modified\r\n\r\n"}});
  ASSERT_TRUE(engine.ok());
  auto client = clientFor(engine.address());
  EXPECT_TRUE(client->startContainer("web").IsNotModified());
}

TEST(BeastEngine, HungEngineTimesOutWithinTheDeadline) {
  std::string path = socketPath("silent");
  int fd = listenOn(path);  // the kernel completes connections; nobody answers
  ASSERT_GE(fd, 0);
  auto client = clientFor("unix://" + path, std::chrono::milliseconds(300));
  auto start = Clock::now();
  Status s = client->ping();
  auto took = Clock::now() - start;
  ::close(fd);
  ::unlink(path.c_str());
  EXPECT_TRUE(s.IsTimeout()) << s.ToString();
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(BeastEngine, MissingSocketIsUnavailableAndSaysWhere) {
  std::string address = "unix://" + socketPath("missing");
  Status s = clientFor(address)->listContainers({}).status();
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr(address));
  EXPECT_THAT(s.message(), HasSubstr("not answering"));
}

TEST(BeastEngine, SynchronousCallFromTheLoopThreadIsRefused) {
  // Callbacks run on the client's loop thread, where a synchronous call would wait for itself.
  auto client = clientFor("unix://" + socketPath("missing"));
  std::promise<Status> fromCallback;
  EventStreamCallbacks cb;
  cb.onEnd = [&](const Status&) { fromCallback.set_value(client->ping()); };
  auto stream = client->streamEvents({}, "", cb);
  auto answer = fromCallback.get_future();
  ASSERT_EQ(answer.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Status s = answer.get();
  EXPECT_EQ(s.code(), Status::Code::kInternal) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("event-loop thread"));
}

// Collects what an events stream delivers.
struct EventLog {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> seen;  // "action id", then "end: <status>"
  EventStreamCallbacks callbacks() {
    EventStreamCallbacks cb;
    cb.onEvent = [this](const EngineEvent& e) { add(e.action + " " + e.id); };
    cb.onEnd = [this](const Status& s) { add("end: " + s.ToString()); };
    return cb;
  }
  void add(std::string s) {
    std::lock_guard<std::mutex> l(mu);
    seen.push_back(std::move(s));
    cv.notify_all();
  }
  std::vector<std::string> waitForEnd() {
    std::unique_lock<std::mutex> l(mu);
    cv.wait_for(l, std::chrono::seconds(10),
                [&] { return !seen.empty() && seen.back().rfind("end: ", 0) == 0; });
    return seen;
  }
};

TEST(BeastEngine, EventLinesAreSplitOnNewlinesNotChunksAndACloseEndsOk) {
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  ScriptedEngine engine({pingAnswer("1.41"),
                         {head + chunk(R"({"Type":"container","Action":"sta)"),
                          chunk(R"(rt","Actor":{"ID":"a1","Attributes":{"name":"web"}}})"
                                "\n"
                                R"({"Type":"container","Action":"die","Actor":{"ID":"a1"}})"
                                "\n"),
                          "0\r\n\r\n"}});
  ASSERT_TRUE(engine.ok());
  auto client = clientFor(engine.address());
  EventLog log;
  auto stream = client->streamEvents({{"type", {"container"}}}, "1700000000.5", log.callbacks());
  EXPECT_THAT(log.waitForEnd(), ElementsAre("start a1", "die a1", "end: OK"));
  EXPECT_THAT(engine.requests()[1],
              StartsWith("GET /v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D"
                         "&since=1700000000.5 "));
}

TEST(BeastEngine, EngineThatDiesMidStreamEndsTheStreamOk) {
  // An engine restart closes the connection in the middle of the chunked body.
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  ScriptedEngine engine(
      {pingAnswer("1.41"),
       {head + chunk(R"({"Type":"container","Action":"start","Actor":{"ID":"a1"}})"
                     "\n")}});
  ASSERT_TRUE(engine.ok());
  auto client = clientFor(engine.address());
  EventLog log;
  auto stream = client->streamEvents({}, "", log.callbacks());
  EXPECT_THAT(log.waitForEnd(), ElementsAre("start a1", "end: OK"));
}

TEST(BeastEngine, EventsStreamToAMissingEngineEndsUnavailableOnce) {
  auto client = clientFor("unix://" + socketPath("missing"));
  EventLog log;
  auto stream = client->streamEvents({}, "", log.callbacks());
  auto seen = log.waitForEnd();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_THAT(seen[0], StartsWith("end: Unavailable: "));
  EXPECT_EQ(log.seen.size(), 1u);
}

TEST(BeastEngine, RefusedEventsStreamEndsWithTheEnginesError) {
  ScriptedEngine engine(
      {pingAnswer("1.41"), jsonAnswer(400, "Bad Request", R"({"message":"invalid filter"})")});
  ASSERT_TRUE(engine.ok());
  auto client = clientFor(engine.address());
  EventLog log;
  auto stream = client->streamEvents({{"bogus", {"x"}}}, "", log.callbacks());
  EXPECT_THAT(log.waitForEnd(), ElementsAre("end: Invalid: invalid filter"));
}

}  // namespace
}  // namespace tender

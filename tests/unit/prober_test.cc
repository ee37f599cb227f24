// The prober's HTTP and TCP checks against servers on loopback, and how
// results turn into health.
#include "reconcilers/prober.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace tender {
namespace {

using namespace std::chrono_literals;

// A loopback server: answers each connection with `status` (an HTTP status
// code), or accepts nothing at all when `silent`.
class LoopbackServer {
 public:
  explicit LoopbackServer(bool silent = false) : silent_(silent) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    if (!silent_) thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  void answer(int status) { status_ = status; }
  int requests() const { return requests_; }

 private:
  void serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[1024];
      ::recv(c, buf, sizeof buf, 0);
      ++requests_;
      std::string reply = "HTTP/1.0 " + std::to_string(status_.load()) + " X\r\nContent-Length: 0\r\n\r\n";
      ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  bool silent_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> status_{200};
  std::atomic<int> requests_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

HealthCheck http(int port, const std::string& path = "/health") {
  HealthCheck c;
  c.kind = HealthCheck::Kind::kHttp;
  c.port = port;
  c.path = path;
  c.intervalMs = 50;
  c.timeoutMs = 300;
  c.retries = 2;
  return c;
}

TEST(ProberCheck, HttpPassesOn2xxAnd3xxAndFailsOtherwise) {
  LoopbackServer server;
  EXPECT_TRUE(Prober::check(http(server.port()), "127.0.0.1", 1s).ok());
  server.answer(302);
  EXPECT_TRUE(Prober::check(http(server.port()), "127.0.0.1", 1s).ok());
  server.answer(503);
  Status s = Prober::check(http(server.port()), "127.0.0.1", 1s);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string::npos, s.message().find("503")) << s.message();
}

TEST(ProberCheck, TcpPassesWhenAConnectionOpens) {
  LoopbackServer server;
  HealthCheck c;
  c.kind = HealthCheck::Kind::kTcp;
  c.port = server.port();
  EXPECT_TRUE(Prober::check(c, "127.0.0.1", 1s).ok());
  {
    LoopbackServer gone;
    c.port = gone.port();
  }
  Status refused = Prober::check(c, "127.0.0.1", 1s);
  EXPECT_FALSE(refused.ok());
}

TEST(ProberCheck, AServerThatNeverAnswersTimesOutInTime) {
  LoopbackServer silent(/*silent=*/true);  // the kernel accepts; nobody reads or answers
  const auto start = std::chrono::steady_clock::now();
  Status s = Prober::check(http(silent.port()), "127.0.0.1", 300ms);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(s.IsTimeout()) << s.ToString();
  EXPECT_LT(took, 2s);
}

TEST(ProberCheck, RefusesAnAddressThatIsNotIpv4) {
  EXPECT_TRUE(Prober::check(http(80), "not-an-ip", 100ms).IsInvalid());
}

TEST(Prober, TurnsHealthyThenUnhealthyAfterRetriesAndSaysSo) {
  LoopbackServer server;
  RealClock clock;
  std::atomic<int> changes{0};
  Prober prober(clock, [&](const Key& k) {
    EXPECT_EQ("web", k.name);
    ++changes;
  });
  Key key{"Service", "shop", "web"};
  prober.watch("c1", key, http(server.port()), "127.0.0.1");
  EXPECT_TRUE(prober.watching("c1"));
  EXPECT_EQ("starting", prober.state("c1")->health);
  for (int i = 0; i < 300 && prober.state("c1")->health != "healthy"; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ("healthy", prober.state("c1")->health);
  EXPECT_EQ(1, changes.load());
  server.answer(500);
  for (int i = 0; i < 300 && prober.state("c1")->health != "unhealthy"; ++i) std::this_thread::sleep_for(10ms);
  ProbeState st = *prober.state("c1");
  EXPECT_EQ("unhealthy", st.health);
  EXPECT_GE(st.failingStreak, 2);
  EXPECT_NE(std::string::npos, st.lastError.find("500")) << st.lastError;
  EXPECT_EQ(2, changes.load());

  prober.forgetExcept(key, {});
  EXPECT_FALSE(prober.watching("c1"));
  const int seen = server.requests();
  std::this_thread::sleep_for(200ms);
  EXPECT_LE(server.requests(), seen + 1) << "a forgotten container is not checked any more";
}

TEST(Prober, FailuresDuringTheStartPeriodDoNotCount) {
  LoopbackServer server;
  server.answer(500);
  RealClock clock;
  Prober prober(clock, nullptr);
  HealthCheck c = http(server.port());
  c.startPeriodMs = 60'000;
  prober.watch("c1", Key{"Service", "shop", "web"}, c, "127.0.0.1");
  for (int i = 0; i < 100 && server.requests() < 4; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_GE(server.requests(), 4);
  EXPECT_EQ("starting", prober.state("c1")->health);
  EXPECT_EQ(0, prober.state("c1")->failingStreak);
}

}  // namespace
}  // namespace tender

// Each token's fair share of a running `tender serve`: alice looping past
// her request budget gets 429 with Retry-After while bob, in the same
// moment, is served; alice past her cap of open watches gets 429, and a
// watch that closes (ended by its client, reset, or its process killed)
// gives its slot back.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <list>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/docker_engine_beast.h"
#include "tests/support/cli_run.h"
#include "tests/support/raw_http.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::RawHttp;
using testing::RawReply;
using testing::TenderProcess;
using testing::uniqueName;

constexpr const char* kAlice = "alice-token-0123456789";
constexpr const char* kBob = "bob-token-0123456789ab";

class FairShareE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    aliceNs_ = uniqueName("fair-alice");
    bobNs_ = uniqueName("fair-bob");
  }
  void TearDown() override {
    if (server_) {
      for (const auto& ns : {aliceNs_, bobNs_}) server_->client().call("DELETE", "/api/v1/namespaces/" + ns, "", "");
      server_->stop();
    }
    if (!tokenFile_.empty()) std::filesystem::remove(tokenFile_);
  }

  // A server with alice's and bob's tokens, each granted a namespace of its
  // own, which the (exempt) admin creates.
  void startServer(std::vector<std::string> flags) {
    tokenFile_ = (std::filesystem::temp_directory_path() / (uniqueName("fair-tokens") + ".txt")).string();
    std::ofstream(tokenFile_) << kAlice << " alice " << aliceNs_ << "\n" << kBob << " bob " << bobNs_ << "\n";
    std::filesystem::permissions(tokenFile_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    flags.push_back("--token-file");
    flags.push_back(tokenFile_);
    server_ = std::make_unique<TenderProcess>(uniqueName("fair"), std::move(flags));
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
    for (const auto& ns : {aliceNs_, bobNs_}) {
      auto put = server_->client().call("PUT", "/api/v1/namespaces/" + ns,
                                        "apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: " + ns + "}\n",
                                        "application/yaml");
      ASSERT_TRUE(put.ok()) << put.status().ToString();
    }
  }

  // One request on a kept-alive connection: its status, headers and body.
  static RawReply get(RawHttp& c, const std::string& path, const std::string& token) {
    EXPECT_TRUE(c.send("GET", path, std::string("Authorization: Bearer ") + token));
    auto r = c.reply();
    EXPECT_TRUE(r) << "no answer to GET " << path;
    return r ? *r : RawReply{};
  }
  std::string services(const std::string& ns) const { return "/api/v1/namespaces/" + ns + "/services"; }
  std::string watchPath(const std::string& ns) const { return "/api/v1/events?watch=true&namespace=" + ns; }

  // A watch of `ns` as `token` on a connection of its own: its answer's head
  // (200 and a stream that stays open, or the refusal with its body).
  RawReply openWatch(RawHttp& c, const std::string& ns, const std::string& token) {
    EXPECT_TRUE(c.connected());
    return get(c, watchPath(ns), token);
  }

  // Tries a new watch every 100 ms until one is accepted (it is kept in
  // *kept) or `within` passes.
  bool watchAcceptedWithin(std::chrono::milliseconds within, std::list<RawHttp>* kept) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      RawHttp c = RawHttp::tcp(server_->port());
      if (openWatch(c, aliceNs_, kAlice).status == 200) {
        kept->push_back(std::move(c));
        return true;
      }
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string aliceNs_, bobNs_;
  std::string tokenFile_;
};

TEST_F(FairShareE2E, AliceLoopingPastHerBudgetGets429WithRetryAfterWhileBobIsStillServed) {
  // A token every two seconds, five at once: a loop runs out at once and
  // stays out for the length of this test's next steps.
  startServer({"--request-rate", "0.5", "--request-burst", "5"});
  RawHttp alice = RawHttp::tcp(server_->port());
  RawReply over;
  int served = 0;
  for (int i = 0; i < 20; ++i) {
    RawReply r = get(alice, services(aliceNs_), kAlice);
    if (r.status == 429) {
      over = r;
      break;
    }
    ASSERT_EQ(200, r.status) << r.body;
    ++served;
  }
  ASSERT_EQ(429, over.status) << "20 requests at once never went over a burst of 5";
  EXPECT_EQ(5, served) << "the burst is served whole, then no more";
  ASSERT_TRUE(over.headers.count("retry-after")) << over.body;
  EXPECT_EQ("2", over.headers["retry-after"]) << "a token every 2 s";
  json body = json::parse(over.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << over.body;
  EXPECT_EQ(429, body["error"]["code"]);
  EXPECT_EQ("TooManyRequests", body["error"]["reason"]);
  EXPECT_EQ("token \"alice\" is over its request budget of 0.5 requests/s (bursts of 5); retry after 2 s",
            body["error"]["message"]);

  // Bob, in the same moment, gets his own whole burst.
  RawHttp bob = RawHttp::tcp(server_->port());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(200, get(bob, services(bobNs_), kBob).status) << "bob's request " << i;
  // The probes are nobody's budget.
  RawHttp probe = RawHttp::tcp(server_->port());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(200, get(probe, "/healthz", "").status);
  // Alice's own command says what happened and when to try again.
  auto cli = testing::runTender("get services -n " + aliceNs_ + " --server " + server_->url() + " --token " + kAlice);
  EXPECT_EQ(1, cli.exitCode) << cli.out;
  EXPECT_NE(std::string::npos, cli.out.find("error: the server is busy for this token: token \"alice\" is over its "
                                            "request budget of 0.5 requests/s (bursts of 5); retry after"))
      << cli.out;

  // After the wait it said, alice is served again.
  std::this_thread::sleep_for(std::chrono::seconds(std::stoi(over.headers["retry-after"])));
  EXPECT_EQ(200, get(alice, services(aliceNs_), kAlice).status);
  // The admin sees who was turned away (the admin itself is exempt).
  auto metrics = server_->client().call("GET", "/metrics", "", "");
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  EXPECT_NE(std::string::npos, metrics->body.find("tender_api_throttled_total{token=\"alice\",limit=\"requests\"} 2\n"))
      << "the loop's 429 and the command's";
  EXPECT_EQ(std::string::npos, metrics->body.find("tender_api_throttled_total{token=\"bob\"")) << metrics->body;
}

TEST_F(FairShareE2E, AWatchPastTheTokensCapIs429AndEveryWayOfClosingOneFreesItsSlot) {
  startServer({"--max-watches-per-token", "2"});
  std::list<RawHttp> open;
  for (int i = 0; i < 2; ++i) {
    RawHttp c = RawHttp::tcp(server_->port());
    RawReply head = openWatch(c, aliceNs_, kAlice);
    ASSERT_EQ(200, head.status) << "watch " << i << ": " << head.body;
    EXPECT_EQ("chunked", head.headers["transfer-encoding"]);
    open.push_back(std::move(c));
  }
  RawHttp third = RawHttp::tcp(server_->port());
  RawReply refused = openWatch(third, aliceNs_, kAlice);
  ASSERT_EQ(429, refused.status);
  json body = json::parse(refused.body, nullptr, false);
  EXPECT_EQ("token \"alice\" already holds 2 open streams, its cap of 2 watches per token; "
            "close one before opening another",
            body["error"].value("message", "")) << refused.body;
  // Bob's watches are not alice's.
  RawHttp bobs = RawHttp::tcp(server_->port());
  EXPECT_EQ(200, openWatch(bobs, bobNs_, kBob).status);

  // A client that ends its watch (FIN): the slot is back.
  open.front().close();
  open.pop_front();
  ASSERT_TRUE(watchAcceptedWithin(5s, &open)) << "closing a watch did not free its slot";
  RawHttp extra = RawHttp::tcp(server_->port());
  EXPECT_EQ(429, openWatch(extra, aliceNs_, kAlice).status) << "back at the cap";

  // A client whose connection is reset.
  open.front().abort();
  open.pop_front();
  ASSERT_TRUE(watchAcceptedWithin(5s, &open)) << "a reset watch did not free its slot";

  // A `tender events --watch` killed with SIGKILL: nobody says goodbye. It
  // takes the slot closed here (trying again after a 429, as it does after
  // any break, should it come before the slot is back).
  open.front().close();
  open.pop_front();
  ASSERT_EQ(1u, open.size());
  const pid_t watcher = ::fork();
  if (watcher == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    const std::string url = server_->url();
    ::execl(TENDER_BINARY, TENDER_BINARY, "events", "--watch", "-n", aliceNs_.c_str(), "--server", url.c_str(),
            "--token", kAlice, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ASSERT_GT(watcher, 0);
  // Its watch (the only one that resumes with since=) is open once the
  // server's log says so; then it holds the second slot.
  bool streaming = false;
  for (int i = 0; i < 100 && !streaming; ++i) {
    std::ifstream log(server_->logPath());
    std::string line;
    while (std::getline(log, line)) {
      if (line.find("watch=true&since=") != std::string::npos && line.find("200 (stream)") != std::string::npos)
        streaming = true;
    }
    if (!streaming) std::this_thread::sleep_for(100ms);
  }
  bool holding = false;
  if (streaming) {
    RawHttp probe = RawHttp::tcp(server_->port());
    holding = openWatch(probe, aliceNs_, kAlice).status == 429;
  }
  ::kill(watcher, SIGKILL);
  ::waitpid(watcher, nullptr, 0);
  ASSERT_TRUE(streaming) << "the command's watch never started; see " << server_->logPath();
  ASSERT_TRUE(holding) << "the command's watch did not hold a slot";
  EXPECT_TRUE(watchAcceptedWithin(5s, &open)) << "a killed client's watch did not free its slot";
}

}  // namespace
}  // namespace tender

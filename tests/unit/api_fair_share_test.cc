// Each token's fair share of the API (api/fair_share.h): the token bucket's
// arithmetic as tables over given times, the per-token budgets and stream
// caps on a simulated clock, and the router's 429s in front of the routes.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/fair_share.h"
#include "api/router.h"
#include "tests/support/simulated_clock.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const MonoTime kStart = MonoTime(std::chrono::hours(1));

// One request of a sequence: when it comes (after the start) and what the
// bucket must say.
struct Step {
  Millis at;
  bool allowed;
  Millis retryAfter{0};  // when refused
};

struct BucketCase {
  const char* name;
  RequestRate rate;
  std::vector<Step> steps;
};

TEST(TokenBucket, FollowsEachSequenceOfRequests) {
  const std::vector<BucketCase> cases = {
      {"a new bucket is full: a burst of 3 passes at once, the 4th waits for 1/2 s",
       {2, 3},
       {{0ms, true}, {0ms, true}, {0ms, true}, {0ms, false, 500ms}}},
      {"the wait shrinks as the bucket refills",
       {2, 1},
       {{0ms, true}, {0ms, false, 500ms}, {200ms, false, 300ms}, {499ms, false, 1ms}, {500ms, true}}},
      {"refilling stops at the burst: idle for 10 s still gives 2, not 20",
       {2, 2},
       {{0ms, true}, {0ms, true}, {10'000ms, true}, {10'000ms, true}, {10'000ms, false, 500ms}}},
      {"a steady 2/s under a rate of 2/s always passes",
       {2, 1},
       {{0ms, true}, {500ms, true}, {1000ms, true}, {1500ms, true}, {2000ms, true}}},
      {"3/s from a burst of 1 under a rate of 2/s: every third is refused",
       {2, 1},
       {{0ms, true}, {333ms, false, 167ms}, {667ms, true}, {1000ms, false, 167ms}, {1333ms, true}}},
      {"a slow rate: 0.1/s makes the next wait 10 s",
       {0.1, 1},
       {{0ms, true}, {0ms, false, 10'000ms}, {9'000ms, false, 1'000ms}, {10'000ms, true}}},
      {"a burst under 1 counts as 1",
       {1, 0},
       {{0ms, true}, {0ms, false, 1000ms}}},
      {"rate 0 is no budget",
       {0, 0},
       {{0ms, true}, {0ms, true}, {0ms, true}, {0ms, true}}},
      {"an earlier time (threads racing on the clock) refills nothing",
       {1, 1},
       {{1000ms, true}, {0ms, false, 1000ms}, {2000ms, true}}},
  };
  for (const BucketCase& c : cases) {
    SCOPED_TRACE(c.name);
    TokenBucket bucket;
    for (size_t i = 0; i < c.steps.size(); ++i) {
      SCOPED_TRACE("request " + std::to_string(i));
      const Step& s = c.steps[i];
      BudgetDecision d = takeToken(bucket, c.rate, kStart + s.at);
      EXPECT_EQ(s.allowed, d.allowed);
      if (!s.allowed) {
        EXPECT_EQ(s.retryAfter.count(), d.retryAfter.count());
      }
    }
  }
}

TEST(TokenBucket, RetryAfterIsWholeSecondsRoundedUpAndAtLeastOne) {
  const std::vector<std::pair<Millis, int64_t>> cases = {
      {0ms, 1}, {1ms, 1}, {50ms, 1}, {999ms, 1}, {1000ms, 1},
      {1001ms, 2}, {1999ms, 2}, {2000ms, 2}, {10'000ms, 10}, {10'001ms, 11},
  };
  for (const auto& [wait, seconds] : cases) {
    EXPECT_EQ(seconds, retryAfterSeconds(wait)) << wait.count() << " ms";
  }
}

FairShareOptions options(RequestRate rate, size_t maxStreams = 2) {
  FairShareOptions o;
  o.rate = rate;
  o.maxStreamsPerToken = maxStreams;
  o.exempt = {"local-admin"};
  return o;
}

TEST(FairShare, AliceExhaustingHerBudgetLeavesBobsWhole) {
  SimulatedClock clock;
  FairShare share(clock, options({20, 5}));
  Millis wait{0};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(share.takeRequest("alice", &wait).ok()) << i;
  Status over = share.takeRequest("alice", &wait);
  ASSERT_TRUE(over.IsTooManyRequests()) << over.ToString();
  EXPECT_EQ(50, wait.count());
  EXPECT_EQ("token \"alice\" is over its request budget of 20 requests/s (bursts of 5); retry after 1 s",
            over.message());
  // Bob, in the same instant, has his whole burst.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(share.takeRequest("bob", &wait).ok()) << i;
  EXPECT_TRUE(share.takeRequest("bob", &wait).IsTooManyRequests());
  // 50 ms later each has one again.
  clock.advance(50ms);
  EXPECT_TRUE(share.takeRequest("alice", &wait).ok());
  EXPECT_TRUE(share.takeRequest("bob", &wait).ok());
}

TEST(FairShare, TheExemptAndTheirOwnRatesAreHonoured) {
  SimulatedClock clock;
  FairShareOptions o = options({1, 1});
  o.rates["ci"] = {100, 3};
  FairShare share(clock, o);
  Millis wait{0};
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(share.takeRequest("local-admin", &wait).ok()) << i;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(share.takeRequest("ci", &wait).ok()) << i;
  Status over = share.takeRequest("ci", &wait);
  EXPECT_NE(std::string::npos, over.message().find("budget of 100 requests/s (bursts of 3)")) << over.message();
  EXPECT_EQ(10, wait.count());
}

TEST(FairShare, ARereadTokenFilesBudgetsTakeOverAndARemovedOneFallsBackToTheFlags) {
  SimulatedClock clock;
  FairShareOptions o = options({1, 1});
  o.rates["ci"] = {100, 3};
  FairShare share(clock, o);
  Millis wait{0};
  ASSERT_TRUE(share.takeRequest("alice", &wait).ok());
  EXPECT_TRUE(share.takeRequest("alice", &wait).IsTooManyRequests());
  share.setRates({{"alice", {100, 10}}});
  clock.advance(10ms);  // one request's worth at the new rate
  EXPECT_TRUE(share.takeRequest("alice", &wait).ok());
  // ci's own budget is gone from the file: the flags' 1/s is its budget now.
  ASSERT_TRUE(share.takeRequest("ci", &wait).ok());
  Status over = share.takeRequest("ci", &wait);
  EXPECT_NE(std::string::npos, over.message().find("budget of 1 requests/s (bursts of 1)"))
      << over.message();
}

TEST(FairShare, AStreamSlotIsFreedWhenItsLeaseGoes) {
  SimulatedClock clock;
  FairShare share(clock, options({0, 0}, 2));
  auto first = share.openStream("alice");
  auto second = share.openStream("alice");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(2u, share.openStreams("alice"));
  auto third = share.openStream("alice");
  ASSERT_FALSE(third.ok());
  EXPECT_TRUE(third.status().IsTooManyRequests());
  EXPECT_EQ("token \"alice\" already holds 2 open streams, its cap of 2 watches per token; "
            "close one before opening another",
            third.status().message());
  // Bob's are his own.
  auto bobs = share.openStream("bob");
  EXPECT_TRUE(bobs.ok());
  first->reset();
  EXPECT_EQ(1u, share.openStreams("alice"));
  EXPECT_TRUE(share.openStream("alice").ok()) << "a slot given back is there to take (and, dropped, back again)";
  auto again = share.openStream("alice");
  EXPECT_TRUE(again.ok());
  // The exempt have no cap; 0 means no cap for anyone.
  std::vector<std::shared_ptr<void>> admin;
  for (int i = 0; i < 20; ++i) {
    auto s = share.openStream("local-admin");
    ASSERT_TRUE(s.ok()) << i;
    admin.push_back(*s);
  }
  FairShare uncapped(clock, options({0, 0}, 0));
  std::vector<std::shared_ptr<void>> many;
  for (int i = 0; i < 20; ++i) {
    auto s = uncapped.openStream("alice");
    ASSERT_TRUE(s.ok()) << i;
    many.push_back(*s);
  }
}

TEST(FairShare, CountsEachTokensRefusalsAndOpenStreamsForTheMetrics) {
  SimulatedClock clock;
  FairShare share(clock, options({1, 1}, 1));
  Millis wait{0};
  EXPECT_TRUE(share.takeRequest("alice", &wait).ok());
  EXPECT_FALSE(share.takeRequest("alice", &wait).ok());
  EXPECT_FALSE(share.takeRequest("alice", &wait).ok());
  auto held = share.openStream("alice");
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(share.openStream("alice").ok());
  EXPECT_TRUE(share.takeRequest("bob", &wait).ok());
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(share.takeRequest("local-admin", &wait).ok());
  auto stats = share.stats();
  EXPECT_EQ(2u, stats["alice"].refusedRequests);
  EXPECT_EQ(1u, stats["alice"].refusedStreams);
  EXPECT_EQ(1u, stats["alice"].openStreams);
  EXPECT_EQ(0u, stats.count("bob")) << "never refused, no stream";
  EXPECT_EQ(0u, stats.count("local-admin"));
}

TEST(FairShare, ALeaseMayOutliveItsFairShare) {
  SimulatedClock clock;
  std::shared_ptr<void> lease;
  {
    FairShare share(clock, options({0, 0}, 1));
    auto s = share.openStream("alice");
    ASSERT_TRUE(s.ok());
    lease = *s;
  }
  lease.reset();  // no crash: the counts live as long as their leases
}

// The router in front of the routes: who is counted, and what a refusal says.
class FairShareRouter : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/api/v1/things", [this](const HttpRequest&) {
      ++handled_;
      return HttpResponse::Json(200, json{{"ok", true}});
    });
    router_.add(
        "GET", "/api/v1/cached", [](const HttpRequest&) { return HttpResponse::Text(200, "slow"); },
        [](const HttpRequest&) -> std::optional<HttpResponse> { return std::nullopt; });
    router_.add("GET", "/api/v1/watch", [](const HttpRequest&) {
      return HttpResponse::Stream(200, "application/x-ndjson", [](std::shared_ptr<StreamSink>) {});
    });
    router_.addPublic("GET", "/healthz", [](const HttpRequest&) { return HttpResponse::Text(200, "ok"); });
    router_.setAuthenticator([](const HttpRequest& req) -> Result<Principal> {
      const std::string who = req.header("authorization");
      if (who.empty()) return Status::Unauthorized("no token");
      Principal p;
      p.name = who;
      p.allNamespaces = true;
      return p;
    });
    router_.setAdmission(&share_);
  }

  HttpResponse get(const std::string& path, const std::string& who) {
    HttpRequest r;
    r.method = "GET";
    r.path = r.target = path;
    if (!who.empty()) r.headers["authorization"] = who;
    if (auto fast = router_.routeFast(r)) return std::move(*fast);
    return router_.route(r);
  }

  static std::string header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  SimulatedClock clock_;
  FairShare share_{clock_, options({2, 3}, 1)};
  Router router_;
  int handled_ = 0;
};

TEST_F(FairShareRouter, PastItsBudgetATokenGets429WithRetryAfterAndTheRouteDoesNotRun) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(200, get("/api/v1/things", "alice").status) << i;
  HttpResponse over = get("/api/v1/things", "alice");
  EXPECT_EQ(429, over.status);
  EXPECT_EQ("1", header(over, "Retry-After"));
  json body = json::parse(over.body);
  EXPECT_EQ(429, body["error"]["code"]);
  EXPECT_EQ("TooManyRequests", body["error"]["reason"]);
  EXPECT_EQ("token \"alice\" is over its request budget of 2 requests/s (bursts of 3); retry after 1 s",
            body["error"]["message"]);
  EXPECT_EQ(3, handled_);
  EXPECT_EQ(200, get("/api/v1/things", "bob").status) << "bob is not alice";
  clock_.advance(500ms);
  EXPECT_EQ(200, get("/api/v1/things", "alice").status);
}

TEST_F(FairShareRouter, ARequestIsCountedOnceThoughTheEventLoopAndAWorkerBothMatchIt) {
  // routeFast declines (nullopt), route() answers: one token, not two.
  for (int i = 0; i < 3; ++i) ASSERT_EQ(200, get("/api/v1/cached", "alice").status) << i;
  EXPECT_EQ(429, get("/api/v1/cached", "alice").status);
}

TEST_F(FairShareRouter, ProbesAndRefusedCredentialsAreNotBudgeted) {
  for (int i = 0; i < 10; ++i) EXPECT_EQ(200, get("/healthz", "").status) << i;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(401, get("/api/v1/things", "").status) << i;
  // Unknown paths cost as much as known ones.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(404, get("/api/v1/nothing", "alice").status) << i;
  EXPECT_EQ(429, get("/api/v1/things", "alice").status);
}

TEST_F(FairShareRouter, AStreamPastTheTokensCapIs429AndItsSlotComesBackWithTheLease) {
  HttpResponse first = get("/api/v1/watch", "alice");
  ASSERT_EQ(200, first.status);
  ASSERT_TRUE(first.stream);
  ASSERT_TRUE(first.lease) << "the connection holds the slot while the stream is open";
  clock_.advance(1s);
  HttpResponse second = get("/api/v1/watch", "alice");
  EXPECT_EQ(429, second.status);
  EXPECT_FALSE(second.stream);
  EXPECT_EQ("", header(second, "Retry-After")) << "waiting does not free a stream; closing one does";
  EXPECT_NE(std::string::npos, json::parse(second.body)["error"]["message"].get<std::string>().find("cap of 1"));
  EXPECT_EQ(200, get("/api/v1/watch", "bob").status);
  first = HttpResponse();  // the connection closed
  clock_.advance(1s);
  EXPECT_EQ(200, get("/api/v1/watch", "alice").status);
}

}  // namespace
}  // namespace tender

// apply --wait's loop against canned GET answers and a SimulatedClock: nothing
// sleeps for real.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/wait.h"
#include "tests/support/simulated_clock.h"

namespace tender {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

json answer(const std::string& phase, int ready, int replicas, int generation = 1, int observed = 1) {
  return {{"metadata", {{"name", "api"}, {"generation", generation}}},
          {"status",
           {{"phase", phase},
            {"readyReplicas", ready},
            {"replicas", replicas},
            {"observedGeneration", observed},
            {"conditions",
             {{{"type", "Ready"}, {"message", std::to_string(ready) + "/" + std::to_string(replicas) + " replicas ready"}}}}}}};
}

// Serves each service's answers in turn, repeating the last one.
class Canned {
 public:
  void add(const std::string& name, Result<json> a) { answers_[name].push_back(std::move(a)); }
  FetchService fetch() {
    return [this](const ServiceRef& s) -> Result<json> {
      ++calls_[s.name];
      auto& q = answers_[s.name];
      if (q.empty()) return Status::NotFound("no such service");
      Result<json> a = q.front();
      if (q.size() > 1) q.pop_front();
      return a;
    };
  }
  int calls(const std::string& name) { return calls_[name]; }

 private:
  std::map<std::string, std::deque<Result<json>>> answers_;
  std::map<std::string, int> calls_;
};

class WaitTest : public ::testing::Test {
 protected:
  int wait(const std::vector<ServiceRef>& refs, WaitOptions o = {}) {
    auto sleep = [this](milliseconds d) {
      slept_ += d;
      clock_.advance(d);
    };
    return waitForServices(refs, canned_.fetch(), clock_, sleep, o, out_, err_);
  }
  SimulatedClock clock_;
  Canned canned_;
  milliseconds slept_{0};
  std::ostringstream out_, err_;
};

TEST_F(WaitTest, PrintsEachChangeAndSucceedsWhenAllAreReady) {
  canned_.add("api", answer("Running", 2, 2, 2, 1));  // the old generation's status
  canned_.add("api", answer("Starting", 0, 2, 2, 2));
  canned_.add("api", answer("Starting", 1, 2, 2, 2));
  canned_.add("api", answer("Starting", 1, 2, 2, 2));
  canned_.add("api", answer("Running", 2, 2, 2, 2));
  canned_.add("web", answer("Running", 1, 1));
  EXPECT_EQ(0, wait({{"shop", "api", "service/api"}, {"shop", "web", "service/web"}}));
  EXPECT_EQ(
      "service/api: Running 2/2 ready (waiting for the controller to take generation 2)\n"
      "service/web: Running 1/1 ready\n"
      "service/api: Starting 0/2 ready\n"
      "service/api: Starting 1/2 ready\n"
      "service/api: Running 2/2 ready\n",
      out_.str());
  EXPECT_EQ("", err_.str());
  EXPECT_EQ(milliseconds(2000), slept_);  // four polls of api after the first, 500 ms apart
  EXPECT_EQ(1, canned_.calls("web"));     // a ready service is not asked again
}

TEST_F(WaitTest, GivesUpAtTheTimeoutAndSaysWhy) {
  json crashing = answer("CrashLoopBackOff", 0, 1);
  crashing["status"]["replicaStatuses"] = json::parse(
      R"([{"replica":0,"container":"shop.api.0","state":"exited","phase":"CrashLoopBackOff","exitCode":1}])");
  canned_.add("api", crashing);
  canned_.add("ok", answer("Completed", 0, 1));
  WaitOptions o;
  o.timeout = seconds(5);
  EXPECT_EQ(1, wait({{"shop", "api", "service/api"}, {"shop", "ok", "service/ok"}}, o));
  EXPECT_EQ(seconds(5), slept_);
  EXPECT_EQ(
      "error: timed out after 5s waiting for 1 service to be ready\n"
      "  service/api is not ready: phase CrashLoopBackOff: 0/1 replicas ready; replica 0 "
      "(shop.api.0): exited, CrashLoopBackOff, exit code 1\n",
      err_.str());
}

TEST_F(WaitTest, StopsAtOnceWhenAServiceFails) {
  canned_.add("api", answer("Starting", 0, 1));
  canned_.add("api", answer("Failed", 0, 1));
  EXPECT_EQ(1, wait({{"shop", "api", "service/api"}}));
  EXPECT_EQ(milliseconds(500), slept_);
  EXPECT_EQ("error: service/api is not ready: phase Failed: 0/1 replicas ready\n", err_.str());
}

TEST_F(WaitTest, KeepsPollingThroughAnUnavailableServerButNotThroughNotFound) {
  canned_.add("api", Status::Unavailable("cannot reach the tender server"));
  canned_.add("api", answer("Running", 1, 1));
  EXPECT_EQ(0, wait({{"shop", "api", "service/api"}}));
  EXPECT_EQ("service/api: Running 1/1 ready\n", out_.str());

  std::ostringstream().swap(out_);
  EXPECT_EQ(1, wait({{"shop", "gone", "service/gone"}}));
  EXPECT_EQ("error: service/gone: no such service\n", err_.str());
}

TEST_F(WaitTest, ReportsAServiceItNeverHeardFrom) {
  canned_.add("api", Status::Unavailable("cannot reach the tender server"));
  WaitOptions o;
  o.timeout = milliseconds(1200);
  EXPECT_EQ(1, wait({{"shop", "api", "shop/service/api"}}, o));
  EXPECT_EQ(milliseconds(1200), slept_);  // 500 + 500 + the 200 left
  EXPECT_NE(std::string::npos,
            err_.str().find("  shop/service/api is not ready: cannot reach the tender server\n"))
      << err_.str();
}

}  // namespace
}  // namespace tender

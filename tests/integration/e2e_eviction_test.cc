// Eviction against the real engine and the real binary: a threshold set
// above the host's MemAvailable stops the lowest-priority service first; set
// below it again, everything comes back.
#include <gtest/gtest.h>

#include <map>

#include <thread>

#include <nlohmann/json.hpp>

#include "base/time_format.h"
#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::TenderProcess;
using testing::uniqueName;

class EvictionE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    ns_ = uniqueName("evict");
    server_ = std::make_unique<TenderProcess>(
        uniqueName("evict"), std::vector<std::string>{"--memory-sample", "1", "--eviction-recovery", "2s"});
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  }
  void TearDown() override {
    server_->client().call("PUT", "/api/v1/eviction", R"({"threshold": ""})", "application/json");
    server_->client().call("DELETE", "/api/v1/namespaces/" + ns_, "", "");
    for (int i = 0; i < 100 && !containers("").empty(); ++i) std::this_thread::sleep_for(200ms);
    server_->stop();
    for (const auto& c : containers("")) engine_->removeContainer(c.id, true, true);
    auto nets = engine_->listNetworks(ownedFilters(server_->instance()));
    if (nets.ok()) {
      for (const auto& n : *nets) engine_->removeNetwork(n.id);
    }
  }
  std::vector<ContainerSummary> containers(const std::string& service) {
    auto r = engine_->listContainers(ownedFilters(server_->instance(), service.empty() ? "" : ns_, service), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  std::string state(const std::string& service) {
    auto cs = containers(service);
    return cs.size() == 1 ? cs[0].state : "missing";
  }
  std::string service(const std::string& name, int priority) {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns_ +
           "}\nspec:\n  image: tender-busybox:latest\n"
           "  command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 1; done\"]\n"
           "  stopGracePeriod: 1s\n  priority: " + std::to_string(priority) + "\n";
  }
  template <typename Pred>
  bool eventually(Pred pred, std::chrono::seconds limit = 30s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return pred();
  }
  std::string phase(const std::string& name) {
    auto r = server_->client().call("GET", "/api/v1/namespaces/" + ns_ + "/services/" + name, "", "");
    return r.ok() ? json::parse(r->body)["status"].value("phase", "") : "";
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string ns_;
};

TEST_F(EvictionE2E, TheLowestPriorityGoesFirstAndEverythingComesBackWhenTheThresholdIsLowered) {
  std::string body = service("batch", 0) + "---\n" + service("api", 10) + "---\n" + service("core", 5000);
  ASSERT_TRUE(server_->client().call("POST", "/api/v1/apply", body, "application/yaml").ok());
  ASSERT_TRUE(eventually([&] {
    return state("batch") == "running" && state("api") == "running" && state("core") == "running";
  }));
  // The evictor chooses among the replicas the memory sampler has seen:
  // until all three are sampled, the order under test is not yet decided.
  ASSERT_TRUE(eventually([&] {
    auto m = server_->client().call("GET", "/metrics", "", "");
    if (!m.ok()) return false;
    for (const char* svc : {"batch", "api", "core"}) {
      if (m->body.find("tender_container_memory_bytes{namespace=\"" + ns_ + "\",service=\"" + svc + "\"") ==
          std::string::npos)
        return false;
    }
    return true;
  })) << "the memory sampler never saw the three services";
  // Let the memory sampler see all three.
  std::this_thread::sleep_for(2s);

  auto bad = server_->client().call("PUT", "/api/v1/eviction", R"({"threshold": "lots", "floor": 1})", "application/json");
  ASSERT_FALSE(bad.ok());
  ASSERT_EQ(2u, bad.status().details().size()) << bad.status().ToString();

  // Far above any host's MemAvailable: the host is "under pressure" now.
  auto set = server_->client().call("PUT", "/api/v1/eviction", R"({"threshold": "100000Gi"})", "application/json");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ASSERT_TRUE(eventually([&] { return state("batch") == "exited"; }, 15s)) << "the lowest priority goes first";
  EXPECT_TRUE(eventually([&] { return phase("batch") == "Evicted"; }, 10s));
  auto deaths = server_->client().call("GET", "/api/v1/namespaces/" + ns_ + "/services/batch/terminations", "", "");
  ASSERT_TRUE(deaths.ok());
  EXPECT_NE(std::string::npos, deaths->body.find("\"reason\":\"Evicted\"")) << deaths->body;
  EXPECT_TRUE(eventually([&] { return state("api") == "exited"; }, 20s)) << "then the next";
  // One at a time: the second eviction waits out the gap after the first
  // (5 s by default), however long the first one's stop took.
  auto events = server_->client().call("GET", "/api/v1/events?namespace=" + ns_ + "&limit=1000", "", "");
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  std::map<std::string, WallTime> evictedAt;
  const nlohmann::json list = nlohmann::json::parse(events->body);
  for (const auto& e : list["items"]) {
    if (e.value("reason", "") != "Evicted") continue;
    auto at = parseRfc3339(e.value("time", ""));
    if (at) evictedAt.emplace(e["involvedObject"].value("name", ""), *at);
  }
  ASSERT_TRUE(evictedAt.count("batch") && evictedAt.count("api")) << events->body;
  EXPECT_GE(evictedAt["api"] - evictedAt["batch"], 4500ms) << "one at a time";
  std::this_thread::sleep_for(6s);
  EXPECT_EQ("running", state("core")) << "at or above the priority floor: never evicted";

  ASSERT_TRUE(server_->client().call("PUT", "/api/v1/eviction", R"({"threshold": "1Mi"})", "application/json").ok());
  EXPECT_TRUE(eventually([&] { return state("batch") == "running" && state("api") == "running"; }, 30s))
      << "batch " << state("batch") << ", api " << state("api");
  EXPECT_TRUE(eventually([&] { return phase("batch") == "Running"; }, 10s));
}

}  // namespace
}  // namespace tender

// dependsOn against the real engine and the real binary: a three-tier stack
// starts in order while the apply returns at once, comes back in order after
// every container is killed, and a cycle is refused at apply.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/docker_engine_beast.h"
#include "base/time_format.h"
#include "engine/labels.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::TenderProcess;
using testing::uniqueName;

class DependsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    ns_ = uniqueName("deps");
    server_ = std::make_unique<TenderProcess>(uniqueName("deps"));
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  }
  void TearDown() override {
    server_->client().call("DELETE", "/api/v1/namespaces/" + ns_, "", "");
    for (int i = 0; i < 100 && !containers().empty(); ++i) std::this_thread::sleep_for(200ms);
    server_->stop();
    for (const auto& c : containers()) engine_->removeContainer(c.id, true, true);
    auto nets = engine_->listNetworks(ownedFilters(server_->instance()));
    if (nets.ok()) {
      for (const auto& n : *nets) engine_->removeNetwork(n.id);
    }
  }
  std::vector<ContainerSummary> containers() {
    auto r = engine_->listContainers(ownedFilters(server_->instance()), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  std::string service(const std::string& name, const std::string& script, const std::string& extra) {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns_ +
           "}\nspec:\n  image: tender-busybox:latest\n  command: [\"sh\", \"-c\", " + json(script).dump() +
           "]\n  stopGracePeriod: 1s\n  backoff: {initial: 0s}\n" + extra;
  }
  // The stack: db becomes healthy 2 s after each start, api needs db
  // healthy, web needs api started.
  std::string stack() {
    return service("db", "rm -f /tmp/ready; trap 'exit 0' TERM; sleep 2; touch /tmp/ready; while true; do sleep 1; done",
                   "  healthcheck: {exec: [\"test\", \"-f\", \"/tmp/ready\"], interval: 1s, timeout: 1s, retries: 30}\n") +
           "---\n" +
           service("api", "trap 'exit 0' TERM; while true; do sleep 1; done", "  dependsOn: {db: {condition: healthy}}\n") +
           "---\n" +
           service("web", "trap 'exit 0' TERM; while true; do sleep 1; done", "  dependsOn: [api]\n");
  }
  // Each service's container's StartedAt, once all three run.
  std::map<std::string, WallTime> startTimes() {
    std::map<std::string, WallTime> out;
    for (const char* name : {"db", "api", "web"}) {
      auto info = engine_->inspectContainer(containerName(ns_, name, 0));
      if (!info.ok() || !info->state.running) return {};
      auto t = parseRfc3339(info->state.startedAt);
      if (!t) return {};
      out[name] = *t;
    }
    return out;
  }
  std::map<std::string, WallTime> waitForAll(const std::map<std::string, WallTime>& newerThan = {}) {
    for (int i = 0; i < 300; ++i) {
      auto t = startTimes();
      bool fresh = t.size() == 3;
      for (const auto& [name, old] : newerThan) fresh = fresh && t[name] > old;
      if (fresh) return t;
      std::this_thread::sleep_for(100ms);
    }
    return {};
  }
  static int64_t ms(WallTime a, WallTime b) { return std::chrono::duration_cast<Millis>(a - b).count(); }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string ns_;
};

TEST_F(DependsE2E, AThreeTierStackStartsInOrderAndComesBackInOrder) {
  const auto before = std::chrono::steady_clock::now();
  auto applied = server_->client().call("POST", "/api/v1/apply", stack(), "application/yaml");
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  const auto applyMs = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - before).count();
  EXPECT_LT(applyMs, 2000) << "the apply returns while the stack converges";
  std::this_thread::sleep_for(500ms);
  auto api = server_->client().call("GET", "/api/v1/namespaces/" + ns_ + "/services/api", "", "");
  ASSERT_TRUE(api.ok());
  json st = json::parse(api->body)["status"];
  EXPECT_EQ("Pending", st.value("phase", "")) << st.dump();
  EXPECT_EQ("waiting for db to be healthy", st["conditions"][0].value("message", "")) << st.dump();

  auto first = waitForAll();
  ASSERT_EQ(3u, first.size()) << "the stack did not come up; see " << server_->logPath();
  EXPECT_GE(ms(first["api"], first["db"]), 1900) << "api started before db was healthy";
  EXPECT_GE(ms(first["web"], first["api"]), 0) << "web started before api";

  // As after a reboot: tender stopped, every container killed, tender
  // started again with its state. The order holds again, not only during
  // an apply, although the stored status still tells of the old run.
  server_->stop();
  for (const auto& c : containers()) engine_->killContainer(c.id, "SIGKILL");
  ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  auto second = waitForAll(first);
  ASSERT_EQ(3u, second.size()) << "the stack did not come back; see " << server_->logPath();
  EXPECT_GE(ms(second["api"], second["db"]), 1900) << "api restarted before db was healthy again";
  EXPECT_GE(ms(second["web"], second["api"]), 0) << "web restarted before api";
}

TEST_F(DependsE2E, ACycleAndAnUnknownDependencyAreRefusedAtApplyAndNothingIsStored) {
  std::string body = service("x", "sleep 1", "  dependsOn: {y: {condition: started}}\n") + "---\n" +
                     service("y", "sleep 1", "  dependsOn: [x, ghost]\n");
  auto r = server_->client().call("POST", "/api/v1/apply", body, "application/yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalid());
  bool cycle = false, unknown = false;
  for (const auto& d : r.status().details()) {
    cycle |= d.field == "[0].spec.dependsOn" && d.message == "dependency cycle: x -> y -> x";
    unknown |= d.field == "[1].spec.dependsOn.ghost" &&
               d.message == "service \"ghost\" does not exist in namespace \"" + ns_ + "\"";
  }
  EXPECT_TRUE(cycle) << r.status().ToString();
  EXPECT_TRUE(unknown) << r.status().ToString();
  auto listed = server_->client().call("GET", "/api/v1/namespaces/" + ns_ + "/services", "", "");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(json::parse(listed->body)["items"].empty());
}

}  // namespace
}  // namespace tender

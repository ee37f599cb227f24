// `kill -9` of tender at random moments while it applies 20 services, and a
// restart after each: the host ends with exactly the desired containers (no
// duplicate, no orphan, none from an earlier spec) and the database passes
// SQLite's integrity check after every kill. And `kill -9` in the middle of
// a requested restart: the next tender finishes it, each replica restarted
// exactly once, its death told as tender's own stop.
//
//   TENDER_FAULT_SEED   the random moments' seed (default 8); printed on failure
//   TENDER_KILL_ROUNDS  kills (default 5; the soak: 20)
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "store/store.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using testing::TenderProcess;
using testing::uniqueName;

constexpr int kServices = 20;

int envInt(const char* name, int def) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : def;
}

bool waitFor(const std::function<bool()>& pred, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(250ms);
  }
  return pred();
}

// 20 services whose env says which round wrote them: each round changes
// every spec, so each round recreates every container.
std::string manifest(const std::string& ns, int round) {
  std::string y;
  for (int i = 0; i < kServices; ++i) {
    y += "apiVersion: tender/v1\nkind: Service\nmetadata: {name: s" + std::to_string(i) + ", namespace: " + ns +
         "}\nspec:\n  image: tender-busybox:latest\n"
         "  command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 1; done\"]\n"
         "  env: {ROUND: \"" + std::to_string(round) + "\"}\n"
         "  resources: {limits: {memory: 16Mi}}\n  stopGracePeriod: 1s\n---\n";
  }
  return y;
}

class KillE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    server_ = std::make_unique<TenderProcess>(uniqueName("kill"));
    ns_ = uniqueName("kill");
  }
  void TearDown() override {
    if (!server_) return;
    if (server_->start(20s)) {
      server_->client().call("DELETE", "/api/v1/namespaces/" + ns_);
      waitFor([&] { return containers().empty(); }, 60s);
      server_->stop();
    }
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
  // The database as the killed server left it. REQUIRES: no server running.
  Status integrity() {
    RealClock clock;
    auto store = Store::open(server_->stateDir() + "/tender.db", clock);
    if (!store.ok()) return store.status();
    return (*store)->integrityCheck();
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string ns_;
};

TEST_F(KillE2E, KilledAtRandomMomentsDuringAnApplyItConvergesToExactlyTheDesiredContainers) {
  const unsigned seed = static_cast<unsigned>(envInt("TENDER_FAULT_SEED", 8));
  const int rounds = envInt("TENDER_KILL_ROUNDS", 5);
  SCOPED_TRACE("TENDER_FAULT_SEED=" + std::to_string(seed) + " TENDER_KILL_ROUNDS=" + std::to_string(rounds));
  std::mt19937 random(seed);
  // From the moment the apply is sent: some kills land while the request
  // is in flight, most while containers are being replaced.
  std::uniform_int_distribution<int> killAfterMs(0, 4000);

  ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const int delay = killAfterMs(random);
    auto applied = std::async(std::launch::async, [&] {
      return server_->client().call("POST", "/api/v1/apply", manifest(ns_, round), "application/yaml");
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    server_->kill9();
    applied.wait();
    Status checked = integrity();
    ASSERT_TRUE(checked.ok()) << "after the kill at " << delay << " ms: " << checked.ToString();
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
    // A killed request may or may not have been stored: the client applies
    // again, as a user whose command failed would.
    auto again = server_->client().call("POST", "/api/v1/apply", manifest(ns_, round), "application/yaml");
    ASSERT_TRUE(again.ok()) << again.status().ToString();
  }

  // Exactly one running container per service, all of the last round's spec.
  const auto converged = [&] {
    auto cs = containers();
    if (cs.size() != kServices) return false;
    std::set<std::string> hashes;
    for (const auto& c : cs) {
      if (c.state != "running") return false;
      hashes.insert(c.labels.count(kLabelSpecHash) ? c.labels.at(kLabelSpecHash) : "");
    }
    return hashes.size() == 1;
  };
  ASSERT_TRUE(waitFor(converged, 120s)) << containers().size() << " containers; see " << server_->logPath();
  std::this_thread::sleep_for(6s);  // past a resync: nothing more appears
  auto cs = containers();
  std::set<std::string> names;
  for (const auto& c : cs) names.insert(c.name);
  std::set<std::string> wanted;
  for (int i = 0; i < kServices; ++i) wanted.insert(containerName(ns_, "s" + std::to_string(i), 0));
  EXPECT_EQ(wanted, names) << "duplicates or orphans";
  EXPECT_TRUE(converged());
  for (int i = 0; i < kServices; ++i) {
    auto r = server_->client().call("GET", "/api/v1/namespaces/" + ns_ + "/services/s" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto s = nlohmann::json::parse(r->body);
    EXPECT_EQ(std::to_string(rounds - 1), s["spec"]["env"]["ROUND"]) << "s" << i;
    EXPECT_EQ(s["metadata"]["generation"], s["status"]["observedGeneration"]) << "s" << i;
  }
  server_->kill9();
  Status checked = integrity();
  EXPECT_TRUE(checked.ok()) << checked.ToString();
}

TEST_F(KillE2E, KilledDuringARequestedRestartTheNextRunRestartsEachReplicaOnce) {
  // Replicas that ignore SIGTERM: each stop takes the whole grace period,
  // so the kill lands while tender waits on the first one.
  const std::string y = "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: " + ns_ +
                        "}\nspec:\n  image: tender-busybox:latest\n  replicas: 2\n"
                        "  command: [\"sh\", \"-c\", \"trap '' TERM; while true; do sleep 1; done\"]\n"
                        "  stopGracePeriod: 3s\n";
  ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  auto applied = server_->client().call("POST", "/api/v1/apply", y, "application/yaml");
  ASSERT_TRUE(applied.ok() && applied->status == 200) << (applied.ok() ? applied->body : applied.status().ToString());
  const auto startedAt = [&](int replica) -> std::string {
    auto info = engine_->inspectContainer(containerName(ns_, "web", replica));
    return info.ok() && info->state.running ? info->state.startedAt : "";
  };
  ASSERT_TRUE(waitFor([&] { return !startedAt(0).empty() && !startedAt(1).empty(); }, 60s))
      << "see " << server_->logPath();
  const std::string before0 = startedAt(0), before1 = startedAt(1);

  auto requested = server_->client().call("POST", "/api/v1/namespaces/" + ns_ + "/services/web/restart");
  ASSERT_TRUE(requested.ok() && requested->status == 202)
      << (requested.ok() ? requested->body : requested.status().ToString());
  std::this_thread::sleep_for(1500ms);  // inside the first stop's grace period
  server_->kill9();
  ASSERT_TRUE(server_->start()) << "see " << server_->logPath();

  const auto restarted = [&] {
    const std::string a = startedAt(0), b = startedAt(1);
    return !a.empty() && !b.empty() && a != before0 && b != before1;
  };
  ASSERT_TRUE(waitFor(restarted, 60s)) << "replica 0 started " << startedAt(0) << ", replica 1 " << startedAt(1)
                                       << "; see " << server_->logPath();
  const std::string after0 = startedAt(0), after1 = startedAt(1);
  std::this_thread::sleep_for(12s);  // past two resyncs and a stop's grace: no second restart
  EXPECT_EQ(after0, startedAt(0)) << "replica 0 was restarted twice";
  EXPECT_EQ(after1, startedAt(1)) << "replica 1 was restarted twice";

  auto deaths = server_->client().call("GET", "/api/v1/namespaces/" + ns_ + "/services/web/terminations");
  ASSERT_TRUE(deaths.ok() && deaths->status == 200);
  std::map<int, int> stopsByTender;
  const nlohmann::json list = nlohmann::json::parse(deaths->body);
  for (const auto& d : list["items"]) {
    EXPECT_EQ("Killed", d.value("reason", "")) << d.dump();
    EXPECT_NE(std::string::npos, d.value("message", "").find("restart requested")) << d.dump();
    ++stopsByTender[d.value("replica", -1)];
  }
  EXPECT_EQ((std::map<int, int>{{0, 1}, {1, 1}}), stopsByTender) << deaths->body;
}

}  // namespace
}  // namespace tender

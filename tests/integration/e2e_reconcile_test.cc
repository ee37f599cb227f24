// End to end, against the real Docker engine and a real SQLite file: the
// tender binary is started as a server, manifests go through its API, and
// the engine is checked directly.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using testing::TenderProcess;
using testing::uniqueName;

constexpr const char* kImage = "tender-busybox:latest";

bool waitFor(const std::function<bool()>& pred, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return pred();
}

std::string serviceYaml(const std::string& ns, const std::string& name,
                        const std::map<std::string, std::string>& env = {}, int replicas = 1) {
  std::string y = "apiVersion: tender/v1\nkind: Service\nmetadata:\n  name: " + name +
                  "\n  namespace: " + ns + "\nspec:\n  image: " + kImage +
                  "\n  command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 1; done\"]\n"
                  "  replicas: " + std::to_string(replicas) +
                  "\n  resources:\n    limits: {memory: 16Mi}\n  stopGracePeriod: 2s\n";
  if (!env.empty()) {
    y += "  env:\n";
    for (const auto& [k, v] : env) y += "    " + k + ": \"" + v + "\"\n";
  }
  return y;
}

class ReconcileE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    Status ping = engine_->ping();
    ASSERT_TRUE(ping.ok()) << "no Docker engine answers (run scripts/setup): " << ping.ToString();
    instance_ = uniqueName("e2e");
    ns_ = uniqueName("ns");
    server_ = std::make_unique<TenderProcess>(instance_);
    ASSERT_TRUE(server_->start()) << "tender serve did not start; see " << server_->logPath();
  }

  void TearDown() override {
    if (server_) {
      server_->client().call("DELETE", "/api/v1/namespaces/" + ns_, "", "");
      waitFor([&] { return containers().empty(); }, 30s);
      server_->stop();
    }
    // Whatever is left of this instance goes, so the shared engine stays clean.
    auto left = engine_->listContainers(ownedFilters(instance_), true);
    if (left.ok()) {
      for (const auto& c : *left) engine_->removeContainer(c.id, true, true);
    }
    auto nets = engine_->listNetworks(ownedFilters(instance_));
    if (nets.ok()) {
      for (const auto& n : *nets) engine_->removeNetwork(n.id);
    }
    auto vols = engine_->listVolumes(ownedFilters(instance_));
    if (vols.ok()) {
      for (const auto& v : *vols) engine_->removeVolume(v.name, true);
    }
    for (const auto& id : foreign_) engine_->removeContainer(id, true, true);
    for (const auto& v : anonymous_) engine_->removeVolume(v, true);
  }

  nlohmann::json apply(const std::string& yaml, int expectStatus = 200) {
    auto r = server_->client().call("POST", "/api/v1/apply", yaml, "application/yaml");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    EXPECT_EQ(r->status, expectStatus) << r->body;
    return nlohmann::json::parse(r->body, nullptr, false);
  }

  std::vector<ContainerSummary> containers(const std::string& service = "") {
    auto r = engine_->listContainers(ownedFilters(instance_, ns_, service), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  int runningCount(const std::string& service = "") {
    int n = 0;
    for (const auto& c : containers(service)) n += c.state == "running";
    return n;
  }
  nlohmann::json getService(const std::string& name) {
    auto r = server_->client().call("GET", "/api/v1/namespaces/" + ns_ + "/services/" + name, "", "");
    if (!r.ok() || r->status != 200) return {};
    return nlohmann::json::parse(r->body, nullptr, false);
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string instance_, ns_;
  std::vector<std::string> foreign_;  // containers the test made behind tender's back
  std::vector<std::string> anonymous_;  // anonymous volumes the test saw
};

TEST_F(ReconcileE2E, AppliedServicesRunWithTendersLabelsAndStatus) {
  apply(serviceYaml(ns_, "a") + "---\n" + serviceYaml(ns_, "b") + "---\n" + serviceYaml(ns_, "c"));
  ASSERT_TRUE(waitFor([&] { return runningCount() == 3; }, 60s)) << "see " << server_->logPath();
  for (const auto& c : containers()) {
    EXPECT_EQ(c.labels.at(kLabelManaged), "true");
    EXPECT_EQ(c.labels.at(kLabelInstance), instance_);
    EXPECT_EQ(c.labels.at(kLabelNamespace), ns_);
    EXPECT_EQ(c.labels.at(kLabelReplica), "0");
    EXPECT_FALSE(c.labels.at(kLabelSpecHash).empty());
    EXPECT_EQ(c.name, containerName(ns_, c.labels.at(kLabelService), 0));
  }
  ASSERT_TRUE(waitFor([&] { return getService("a")["status"].value("phase", "") == "Running"; }, 30s));
  nlohmann::json a = getService("a");
  EXPECT_EQ(a["status"]["readyReplicas"], 1);
  EXPECT_EQ(a["status"]["observedGeneration"], 1);
  EXPECT_EQ(a["metadata"]["generation"], 1);
}

TEST_F(ReconcileE2E, ChangingAnEnvVarRecreatesTheContainer) {
  apply(serviceYaml(ns_, "web", {{"COLOR", "blue"}}));
  ASSERT_TRUE(waitFor([&] { return runningCount("web") == 1; }, 60s));
  std::string before = containers("web").front().id;

  nlohmann::json out = apply(serviceYaml(ns_, "web", {{"COLOR", "green"}}));
  EXPECT_EQ(out["items"][0]["outcome"], "configured");
  ASSERT_TRUE(waitFor([&] {
    auto cs = containers("web");
    return cs.size() == 1 && cs.front().id != before && cs.front().state == "running";
  }, 60s));
  auto info = engine_->inspectContainer(containers("web").front().id);
  ASSERT_TRUE(info.ok());
  auto env = info->raw["Config"]["Env"];
  EXPECT_NE(std::find(env.begin(), env.end(), "COLOR=green"), env.end()) << env.dump();
}

TEST_F(ReconcileE2E, ReapplyingTheSameManifestChangesNothing) {
  apply(serviceYaml(ns_, "same"));
  ASSERT_TRUE(waitFor([&] { return runningCount("same") == 1; }, 60s));
  std::string id = containers("same").front().id;
  nlohmann::json out = apply(serviceYaml(ns_, "same"));
  EXPECT_EQ(out["items"][0]["outcome"], "unchanged");
  std::this_thread::sleep_for(2s);
  ASSERT_EQ(containers("same").size(), 1u);
  EXPECT_EQ(containers("same").front().id, id);
}

TEST_F(ReconcileE2E, DeletingAServiceRemovesItsContainers) {
  apply(serviceYaml(ns_, "gone") + "---\n" + serviceYaml(ns_, "kept"));
  ASSERT_TRUE(waitFor([&] { return runningCount() == 2; }, 60s));
  auto r = server_->client().call("DELETE", "/api/v1/namespaces/" + ns_ + "/services/gone", "", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(waitFor([&] { return containers("gone").empty(); }, 30s));
  EXPECT_EQ(runningCount("kept"), 1);
  ASSERT_TRUE(waitFor([&] {
    auto g = server_->client().call("GET", "/api/v1/namespaces/" + ns_ + "/services/gone", "", "");
    return !g.ok() && g.status().IsNotFound();
  }, 30s));
}

TEST_F(ReconcileE2E, DeclaredNetworkAndVolumeAreCreatedJoinedAndRemovedWithTheNamespace) {
  apply("apiVersion: tender/v1\nkind: Network\nmetadata: {name: backend, namespace: " + ns_ + "}\n---\n" +
        "apiVersion: tender/v1\nkind: Volume\nmetadata: {name: data, namespace: " + ns_ + "}\n---\n" +
        serviceYaml(ns_, "db", {{"V", "1"}}) + "  networks: [backend]\n  volumes: [\"data:/data\", \"/scratch\"]\n");
  ASSERT_TRUE(waitFor([&] { return runningCount("db") == 1; }, 60s)) << "see " << server_->logPath();
  const std::string net = scopedName(ns_, "backend"), vol = scopedName(ns_, "data");
  auto n = engine_->inspectNetwork(net);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_TRUE(ownedBy(n->labels, instance_));
  auto v = engine_->inspectVolume(vol);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(ownedBy(v->labels, instance_));

  auto mounts = [&](const std::string& id) {
    std::map<std::string, std::string> byTarget;  // destination -> volume name
    auto info = engine_->inspectContainer(id);
    if (info.ok()) {
      for (const auto& m : info->raw["Mounts"]) byTarget[m.value("Destination", "")] = m.value("Name", "");
    }
    return byTarget;
  };
  std::string first = containers("db").front().id;
  auto info = engine_->inspectContainer(first);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->networkIps.count(net), 1u);
  auto before = mounts(first);
  EXPECT_EQ(before["/data"], vol);
  ASSERT_FALSE(before["/scratch"].empty());
  anonymous_.push_back(before["/scratch"]);

  // A recreate hands the anonymous volume to the replacement.
  apply(serviceYaml(ns_, "db", {{"V", "2"}}) + "  networks: [backend]\n  volumes: [\"data:/data\", \"/scratch\"]\n");
  ASSERT_TRUE(waitFor([&] {
    auto cs = containers("db");
    return cs.size() == 1 && cs.front().id != first && cs.front().state == "running";
  }, 60s));
  auto after = mounts(containers("db").front().id);
  EXPECT_EQ(after["/scratch"], before["/scratch"]);
  EXPECT_EQ(after["/data"], vol);

  // Deleting the namespace with purge takes the network and the volume along.
  server_->client().call("DELETE", "/api/v1/namespaces/" + ns_ + "?purge=true", "", "");
  EXPECT_TRUE(waitFor([&] {
    return engine_->inspectNetwork(net).status().IsNotFound() && engine_->inspectVolume(vol).status().IsNotFound();
  }, 60s));
  EXPECT_TRUE(waitFor([&] { return engine_->inspectVolume(before["/scratch"]).status().IsNotFound(); }, 30s))
      << "the anonymous volume outlived its service";
}

TEST_F(ReconcileE2E, ContainerRemovedBehindTendersBackIsRecreated) {
  apply(serviceYaml(ns_, "phoenix"));
  ASSERT_TRUE(waitFor([&] { return runningCount("phoenix") == 1; }, 60s));
  std::string id = containers("phoenix").front().id;
  ASSERT_TRUE(engine_->removeContainer(id, true, true).ok());  // docker rm -f
  ASSERT_TRUE(waitFor([&] {
    auto cs = containers("phoenix");
    return cs.size() == 1 && cs.front().id != id && cs.front().state == "running";
  }, 30s));
}

TEST_F(ReconcileE2E, StoppedContainerIsStartedAgain) {
  apply(serviceYaml(ns_, "sleeper"));
  ASSERT_TRUE(waitFor([&] { return runningCount("sleeper") == 1; }, 60s));
  std::string id = containers("sleeper").front().id;
  ASSERT_TRUE(engine_->stopContainer(id, 2).ok());  // exits 0 through its trap
  // Restarted in place (same container) once the crash backoff passes.
  ASSERT_TRUE(waitFor([&] {
    auto cs = containers("sleeper");
    return cs.size() == 1 && cs.front().id == id && cs.front().state == "running";
  }, 40s));
}

TEST_F(ReconcileE2E, ScalingKeepsExistingReplicas) {
  apply(serviceYaml(ns_, "scaled", {}, 1));
  ASSERT_TRUE(waitFor([&] { return runningCount("scaled") == 1; }, 60s));
  std::string first = containers("scaled").front().id;
  apply(serviceYaml(ns_, "scaled", {}, 3));
  ASSERT_TRUE(waitFor([&] { return runningCount("scaled") == 3; }, 60s));
  apply(serviceYaml(ns_, "scaled", {}, 1));
  ASSERT_TRUE(waitFor([&] { return containers("scaled").size() == 1; }, 60s));
  EXPECT_EQ(containers("scaled").front().id, first) << "a change of replicas must not recreate";
}

TEST_F(ReconcileE2E, RestartedServerAdoptsItsContainersWithoutDuplicates) {
  apply(serviceYaml(ns_, "x") + "---\n" + serviceYaml(ns_, "y", {}, 2));
  ASSERT_TRUE(waitFor([&] { return runningCount() == 3; }, 60s));
  std::set<std::string> before;
  for (const auto& c : containers()) before.insert(c.id);
  server_->stop();
  ASSERT_TRUE(server_->start());
  std::this_thread::sleep_for(6s);  // past a resync
  std::set<std::string> after;
  for (const auto& c : containers()) after.insert(c.id);
  EXPECT_EQ(before, after);
}

TEST_F(ReconcileE2E, KillNineDuringAnApplyOf20ConvergesToExactly20) {
  std::string yaml;
  for (int i = 0; i < 20; ++i) yaml += serviceYaml(ns_, "s" + std::to_string(i)) + "---\n";
  apply(yaml);
  // Kill it in the middle of creating containers.
  ASSERT_TRUE(waitFor([&] { return containers().size() >= 3; }, 60s));
  server_->kill9();
  size_t atKill = containers().size();
  ASSERT_TRUE(server_->start());
  ASSERT_TRUE(waitFor([&] { return runningCount() == 20; }, 120s))
      << "killed with " << atKill << " containers; now " << containers().size();
  std::this_thread::sleep_for(6s);  // past a resync: nothing more appears
  auto cs = containers();
  EXPECT_EQ(cs.size(), 20u);
  std::set<std::string> names;
  for (const auto& c : cs) names.insert(c.name);
  EXPECT_EQ(names.size(), 20u);
}

TEST_F(ReconcileE2E, NeverTouchesUnlabelledOrOtherInstancesContainers) {
  // Same namespace and service labels, but another instance; and one with no labels.
  auto mk = [&](const std::string& name, const nlohmann::json& labels) {
    nlohmann::json body = {{"Image", kImage},
                           {"Cmd", {"sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"}},
                           {"Labels", labels}};
    auto id = engine_->createContainer(name, body);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (!id.ok()) return std::string();
    foreign_.push_back(*id);
    EXPECT_TRUE(engine_->startContainer(*id).ok());
    return *id;
  };
  std::string other = mk(uniqueName("other-instance"),
                         {{kLabelManaged, "true"}, {kLabelInstance, instance_ + "-other"},
                          {kLabelNamespace, ns_}, {kLabelService, "svc"}, {kLabelReplica, "0"}});
  std::string plain = mk(uniqueName("unlabelled"), nlohmann::json::object());
  apply(serviceYaml(ns_, "svc"));
  ASSERT_TRUE(waitFor([&] { return runningCount("svc") == 1; }, 60s));
  std::this_thread::sleep_for(7s);  // past a resync
  for (const auto& id : {other, plain}) {
    auto info = engine_->inspectContainer(id);
    ASSERT_TRUE(info.ok()) << "tender removed a container it does not own";
    EXPECT_TRUE(info->state.running);
  }
  // Deleting the namespace takes only this instance's containers.
  server_->client().call("DELETE", "/api/v1/namespaces/" + ns_, "", "");
  ASSERT_TRUE(waitFor([&] { return containers().empty(); }, 30s));
  EXPECT_TRUE(engine_->inspectContainer(other).ok());
  EXPECT_TRUE(engine_->inspectContainer(plain).ok());
}

}  // namespace
}  // namespace tender

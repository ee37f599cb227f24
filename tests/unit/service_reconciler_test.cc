// ServiceReconciler against the in-memory engine and a real SQLite file.
#include "reconcilers/service_reconciler.h"
#include "reconcilers/resource_reconcilers.h"

#include <gtest/gtest.h>

#include <thread>

#include "engine/labels.h"
#include "tests/support/reconciler_fixture.h"

namespace tender {
namespace {

using namespace std::chrono_literals;

class ServiceReconcilerTest : public testing::ReconcilerFixture {
 protected:
  std::string svc(const std::string& extra = "", const std::string& image = "tender-busybox:latest") {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  image: " +
           image + "\n" + extra;
  }
  ReconcileResult reconcile() { return services_->reconcile(Key{"Service", "shop", "web"}); }
  std::vector<ContainerSummary> containers() {
    auto r = engine_.listContainers(ownedFilters("test", "shop", "web"), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  nlohmann::json status() {
    auto r = store_->get("Service", "shop", "web");
    return r.ok() ? r->status : nlohmann::json();
  }
};

TEST_F(ServiceReconcilerTest, CreatesAndStartsEachReplicaWithLabelsAndPredictableNames) {
  apply(svc("  replicas: 2\n  env: {A: \"1\"}\n"));
  ASSERT_TRUE(reconcile().status.ok());
  auto cs = containers();
  ASSERT_EQ(cs.size(), 2u);
  std::set<std::string> names;
  for (const auto& c : cs) {
    names.insert(c.name);
    EXPECT_EQ(c.state, "running");
    EXPECT_EQ(c.labels.at(kLabelInstance), "test");
    EXPECT_EQ(c.labels.at(kLabelNamespace), "shop");
    EXPECT_EQ(c.labels.at(kLabelService), "web");
  }
  EXPECT_EQ(names, (std::set<std::string>{"shop.web.0", "shop.web.1"}));
  EXPECT_EQ(status()["phase"], "Running");
  EXPECT_EQ(status()["readyReplicas"], 2);
  EXPECT_EQ(status()["observedGeneration"], 1);
  // The namespace's default network exists and the container is on it.
  EXPECT_TRUE(engine_.inspectNetwork("shop_default").ok());
}

TEST_F(ServiceReconcilerTest, ContainerCarriesTheSpec) {
  apply(svc("  command: [\"sleep\", \"60\"]\n  env: {A: \"1\"}\n  resources: {limits: {memory: 16Mi}}\n"));
  ASSERT_TRUE(reconcile().status.ok());
  auto info = engine_.inspectContainer("shop.web.0");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->raw["Config"]["Cmd"], nlohmann::json({"sleep", "60"}));
  EXPECT_EQ(info->memoryLimit, 16 << 20);
  auto env = info->raw["Config"]["Env"];
  EXPECT_NE(std::find(env.begin(), env.end(), "A=1"), env.end()) << env.dump();
  EXPECT_EQ(info->raw["HostConfig"]["RestartPolicy"]["Name"], "no");
  EXPECT_EQ(info->raw["HostConfig"]["LogConfig"]["Config"]["max-size"], "10m");
}

TEST_F(ServiceReconcilerTest, EnvChangeRecreatesButReplicaChangeDoesNot) {
  apply(svc("  env: {A: \"1\"}\n"));
  ASSERT_TRUE(reconcile().status.ok());
  std::string first = containers().front().id;
  apply(svc("  env: {A: \"1\"}\n  replicas: 2\n"));
  ASSERT_TRUE(reconcile().status.ok());
  ASSERT_TRUE(engine_.inspectContainer(first).ok()) << "scaling must not recreate replica 0";
  apply(svc("  env: {A: \"2\"}\n  replicas: 2\n"));
  ASSERT_TRUE(reconcile().status.ok());
  EXPECT_FALSE(engine_.inspectContainer(first).ok()) << "an env change must recreate";
  EXPECT_EQ(containers().size(), 2u);
}

TEST_F(ServiceReconcilerTest, DeletedServiceLosesItsContainersAndItsRecord) {
  apply(svc());
  ASSERT_TRUE(reconcile().status.ok());
  ASSERT_TRUE(store_->markDeleted("Service", "shop", "web").ok());
  ASSERT_TRUE(reconcile().status.ok());
  EXPECT_TRUE(containers().empty());
  EXPECT_TRUE(store_->get("Service", "shop", "web").status().IsNotFound());
}

TEST_F(ServiceReconcilerTest, ContainersOfAnUnknownServiceAreRemoved) {
  apply(svc());
  ASSERT_TRUE(reconcile().status.ok());
  // The record vanishes (as if deleted while tender was down).
  auto rec = store_->get("Service", "shop", "web");
  ASSERT_TRUE(store_->purge("Service", "shop", "web", rec->uid).ok());
  ASSERT_TRUE(reconcile().status.ok());
  EXPECT_TRUE(containers().empty());
}

TEST_F(ServiceReconcilerTest, MissingImageFailsWithAClearMessageAndCreatesNothing) {
  apply(svc("", "nothere:1"));
  auto r = reconcile();
  EXPECT_TRUE(r.status.ok());
  EXPECT_TRUE(r.requeueAfter.has_value());
  EXPECT_TRUE(containers().empty());
  EXPECT_EQ(status()["phase"], "Failed");
  EXPECT_EQ(status()["conditions"][0]["reason"], "ImageNotFound");
  EXPECT_NE(status()["message"].get<std::string>().find("nothere:1"), std::string::npos);
}

TEST_F(ServiceReconcilerTest, ReadyKeepsItsTransitionTimeUntilItsStatusChanges) {
  apply(svc());
  ASSERT_TRUE(reconcile().status.ok());
  const nlohmann::json first = status()["conditions"][0];
  ASSERT_EQ("True", first["status"]);
  clock_.advance(30s);
  ASSERT_TRUE(reconcile().status.ok());  // Ready stays True
  EXPECT_EQ(first["lastTransitionTime"], status()["conditions"][0]["lastTransitionTime"]);
  clock_.advance(30s);
  apply(svc("", "nothere:1"));
  ASSERT_TRUE(reconcile().status.ok());
  const nlohmann::json failed = status()["conditions"][0];
  EXPECT_EQ("False", failed["status"]);
  EXPECT_NE(first["lastTransitionTime"], failed["lastTransitionTime"]) << "Ready turned False";
}

TEST_F(ServiceReconcilerTest, AStoredStatusThatDoesNotDecodeIsWrittenAnew) {
  apply(svc());
  ASSERT_TRUE(store_->updateStatus("Service", "shop", "web",
                                   {{"phase", 7}, {"conditions", "x"}, {"future", true}})
                  .ok());
  ASSERT_TRUE(reconcile().status.ok());
  EXPECT_EQ(status()["phase"], "Running");
  EXPECT_EQ(status()["conditions"][0]["type"], "Ready");
  EXPECT_FALSE(status().contains("future"));
}

TEST_F(ServiceReconcilerTest, ForeignContainerWithOurNameIsNeverTouched) {
  auto id = engine_.createContainer("shop.web.0", {{"Image", "tender-busybox:latest"}});
  ASSERT_TRUE(id.ok());
  apply(svc());
  auto r = reconcile();
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("not managed by this tender instance"), std::string::npos)
      << r.status.ToString();
  EXPECT_TRUE(engine_.inspectContainer(*id).ok());
}

TEST_F(ServiceReconcilerTest, CrashedReplicaWaitsForItsBackoffThenRestartsInPlace) {
  apply(svc("  backoff: {initial: 10s, factor: 2, max: 60s}\n"));
  ASSERT_TRUE(reconcile().status.ok());
  std::string id = containers().front().id;
  ASSERT_TRUE(engine_.crash(id, 1).ok());

  auto r = reconcile();
  ASSERT_TRUE(r.status.ok());
  ASSERT_TRUE(r.requeueAfter.has_value());
  EXPECT_LE(*r.requeueAfter, 10s);
  EXPECT_EQ(status()["phase"], "CrashLoopBackOff");
  EXPECT_EQ(containers().front().state, "exited");

  clock_.advance(11s);
  ASSERT_TRUE(reconcile().status.ok());
  EXPECT_EQ(containers().front().id, id);
  EXPECT_EQ(containers().front().state, "running");
  EXPECT_EQ(status()["restartCount"], 1);

  // The second crash waits twice as long.
  ASSERT_TRUE(engine_.crash(id, 1).ok());
  r = reconcile();
  ASSERT_TRUE(r.requeueAfter.has_value());
  EXPECT_GT(*r.requeueAfter, 10s);
  EXPECT_LE(*r.requeueAfter, 20s);
}

TEST_F(ServiceReconcilerTest, NeverPolicyLeavesAFailedContainerStopped) {
  apply(svc("  restartPolicy: Never\n"));
  ASSERT_TRUE(reconcile().status.ok());
  ASSERT_TRUE(engine_.crash(containers().front().id, 3).ok());
  ASSERT_TRUE(reconcile().status.ok());
  EXPECT_EQ(containers().front().state, "exited");
  EXPECT_EQ(status()["phase"], "Failed");
}

TEST_F(ServiceReconcilerTest, EngineErrorsAreReturnedForRetry) {
  apply(svc());
  engine_.failNext("listContainers", Status::Unavailable("engine down"));
  auto r = reconcile();
  EXPECT_TRUE(r.status.IsUnavailable());
  EXPECT_TRUE(reconcile().status.ok());
  EXPECT_EQ(containers().size(), 1u);
}

TEST_F(ServiceReconcilerTest, UndeclaredNetworkIsReported) {
  apply(svc("  networks: [backend]\n"));
  auto r = reconcile();
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(status()["phase"], "Failed");
  EXPECT_NE(status()["message"].get<std::string>().find("backend"), std::string::npos);
}

TEST_F(ServiceReconcilerTest, DeclaredNetworksAreJoinedWithTheServiceAsAlias) {
  apply("apiVersion: tender/v1\nkind: Network\nmetadata: {name: backend, namespace: shop}\n---\n"
        "apiVersion: tender/v1\nkind: Network\nmetadata: {name: front, namespace: shop}\n---\n" +
        svc("  networks: [backend, front]\n"));
  ASSERT_TRUE(reconcile().status.ok());
  auto info = engine_.inspectContainer("shop.web.0");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->networkIps.count("shop_backend"), 1u);
  EXPECT_EQ(info->networkIps.count("shop_front"), 1u);
}

std::vector<EventRecord> eventsOf(Store& store, const std::string& reason) {
  EventQuery q;
  q.name = "web";
  auto all = store.events(q);
  std::vector<EventRecord> out;
  if (!all.ok()) return out;
  for (auto& e : *all) {
    if (e.reason == reason) out.push_back(e);
  }
  return out;
}

TEST_F(ServiceReconcilerTest, ADeathIsRecordedOnceWithItsExitCodeAndOomKill) {
  apply(svc());
  ASSERT_TRUE(reconcile().status.ok());
  ASSERT_TRUE(engine_.crash(containers().front().id, 137, /*oomKilled=*/true).ok());
  reconcile();
  reconcile();
  auto died = eventsOf(*store_, "Died");
  ASSERT_EQ(1u, died.size());
  EXPECT_EQ("Warning", died[0].type);
  EXPECT_EQ(0u, died[0].message.rfind("replica 0 exited with code 137 (SIGKILL): OOMKilled", 0)) << died[0].message;
}

TEST_F(ServiceReconcilerTest, ARequestedRestartRestartsEachRunningReplicaOnceWithoutCountingACrash) {
  apply(svc("  replicas: 2\n"));
  ASSERT_TRUE(reconcile().status.ok());
  std::map<std::string, std::string> startedBefore;
  for (const auto& c : containers()) startedBefore[c.id] = engine_.peekContainer(c.id)->state.startedAt;
  clock_.advance(2s);
  services_->requestRestart(Key{"Service", "shop", "web"});
  clock_.advance(1s);
  ASSERT_TRUE(reconcile().status.ok());
  auto after = containers();
  ASSERT_EQ(2u, after.size());
  for (const auto& c : after) {
    ASSERT_TRUE(startedBefore.count(c.id)) << "the same containers, restarted, not replaced";
    EXPECT_EQ("running", c.state);
    EXPECT_NE(startedBefore[c.id], engine_.peekContainer(c.id)->state.startedAt);
  }
  EXPECT_EQ(2u, eventsOf(*store_, "Restarted").size());
  EXPECT_EQ(0, status()["restartCount"]);
  // Done: the next pass leaves them alone.
  const int stops = engine_.callCount("stopContainer");
  ASSERT_TRUE(reconcile().status.ok());
  EXPECT_EQ(stops, engine_.callCount("stopContainer"));
}

TEST_F(ServiceReconcilerTest, DryRunTellsWhatWouldChangeAndDoesNothing) {
  apply(svc("  replicas: 2\n  env: {A: \"1\"}\n"));
  ASSERT_TRUE(reconcile().status.ok());
  auto changed = parseManifests(svc("  replicas: 3\n  env: {A: \"2\"}\n"));
  ASSERT_TRUE(changed.ok());
  engine_.resetCallCounts();
  auto plan = services_->dryRun(changed->front());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  std::map<std::string, int> actions;
  for (const auto& a : (*plan)["plan"]) {
    actions[a["action"].get<std::string>()]++;
    EXPECT_FALSE(a["reason"].get<std::string>().empty());
    EXPECT_EQ(0u, a["container"].get<std::string>().rfind("shop.web.", 0));
  }
  EXPECT_EQ(2, actions["recreate"]);
  EXPECT_EQ(1, actions["create"]);
  EXPECT_EQ(0, engine_.callCount("createContainer") + engine_.callCount("stopContainer") +
                   engine_.callCount("removeContainer"));

  auto same = parseManifests(svc("  replicas: 2\n  env: {A: \"1\"}\n"));
  auto none = services_->dryRun(same->front());
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE((*none)["plan"].empty()) << none->dump();

  auto missing = parseManifests(svc("", "no-such-image:1"));
  auto warned = services_->dryRun(missing->front());
  ASSERT_TRUE(warned.ok());
  ASSERT_EQ(1u, (*warned)["warnings"].size());
  EXPECT_NE(std::string::npos, (*warned)["warnings"][0].get<std::string>().find("no-such-image:1"));
}

TEST_F(ServiceReconcilerTest, DryRunShowsTheStopsAndRestartsAPassWouldMake) {
  apply(svc("  replicas: 2\n"));
  ASSERT_TRUE(reconcile().status.ok());
  auto same = parseManifests(svc("  replicas: 2\n"));
  ASSERT_TRUE(same.ok());
  auto actionsOf = [&] {
    auto plan = services_->dryRun(same->front());
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    std::vector<std::string> out;
    for (const auto& a : (*plan)["plan"]) {
      out.push_back(a["action"].get<std::string>() + " " + std::to_string(a["replica"].get<int>()) + " " +
                    a["reason"].get<std::string>());
    }
    return out;
  };
  ASSERT_TRUE(actionsOf().empty());

  services_->evict(Key{"Service", "shop", "web"}, 1, "the host is short of memory");
  EXPECT_EQ(actionsOf(), std::vector<std::string>{"stop 1 evicted: the host is short of memory"})
      << "evicted: stopped, and not started again";

  services_->readmitEvicted();
  services_->requestRestart(Key{"Service", "shop", "web"});
  EXPECT_EQ(actionsOf(), (std::vector<std::string>{"stop 0 restart requested", "start 0 restart requested",
                                                   "stop 1 restart requested", "start 1 restart requested"}));
  engine_.resetCallCounts();
  actionsOf();
  EXPECT_EQ(0, engine_.callCount("stopContainer") + engine_.callCount("startContainer")) << "a dry run does nothing";
}

TEST_F(ServiceReconcilerTest, LogsOfEveryReplicaArePrefixedWithIt) {
  apply(svc("  replicas: 2\n"));
  ASSERT_TRUE(reconcile().status.ok());
  ASSERT_TRUE(engine_.appendLogs("shop.web.0", {{LogLine::Stream::kStdout, "zero says hi"}}).ok());
  ASSERT_TRUE(engine_.appendLogs("shop.web.1", {{LogLine::Stream::kStderr, "one complains"},
                                                {LogLine::Stream::kStdout, "one again"}}).ok());
  auto logs = serviceLogs(engine_, "test", Key{"Service", "shop", "web"}, -1);
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  EXPECT_EQ("web.0 | zero says hi\nweb.1 | one complains\nweb.1 | one again\n", *logs);
  auto tail = serviceLogs(engine_, "test", Key{"Service", "shop", "web"}, 1);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ("web.0 | zero says hi\nweb.1 | one again\n", *tail);
  auto none = serviceLogs(engine_, "test", Key{"Service", "shop", "other"}, -1);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ("", *none);
}

template <typename F>
bool eventually(F f) {
  for (int i = 0; i < 300; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return f();
}

TEST_F(ServiceReconcilerTest, EveryDeathGetsAPostMortemWithItsLastLogLines) {
  apply(svc());
  ASSERT_TRUE(reconcile().status.ok());
  const std::string id = containers().front().id;
  ASSERT_TRUE(engine_.appendLogs(id, {{LogLine::Stream::kStdout, "allocating"},
                                      {LogLine::Stream::kStderr, "out of memory soon"}})
                  .ok());
  clock_.advance(3s);
  ASSERT_TRUE(engine_.crash(id, 137, /*oomKilled=*/true).ok());
  reconcile();
  auto deaths = store_->terminations("shop", "web");
  ASSERT_TRUE(deaths.ok());
  ASSERT_EQ(1u, deaths->size());
  const TerminationRecord& t = deaths->front();
  EXPECT_EQ("OOMKilled", t.reason);
  EXPECT_EQ(137, t.exitCode);
  EXPECT_EQ(0, t.replica);
  EXPECT_EQ(id, t.containerId);
  EXPECT_EQ("SIGKILL", t.data["signal"]);
  EXPECT_DOUBLE_EQ(3.0, t.data["ranSeconds"].get<double>());
  // The lines come after the pass, read from the same container.
  ASSERT_TRUE(eventually([&] {
    auto d = store_->terminations("shop", "web");
    return d.ok() && !d->empty() && d->front().data.contains("logs");
  }));
  auto withLogs = store_->terminations("shop", "web");
  EXPECT_EQ((nlohmann::json{"allocating", "out of memory soon"}), withLogs->front().data["logs"]);
  reconcile();
  auto rs = status()["replicaStatuses"][0];
  EXPECT_EQ("OOMKilled", rs["lastTermination"]["reason"]);
  EXPECT_EQ(2u, rs["lastTermination"]["logs"].size());
  EXPECT_EQ("OOMKilled", status()["lastTermination"]["reason"]);
  // Seen again, the same death is not recorded twice.
  reconcile();
  EXPECT_EQ(1u, store_->terminations("shop", "web")->size());
  EXPECT_EQ(1u, eventsOf(*store_, "Died").size());
}

TEST_F(ServiceReconcilerTest, ACompletedRunUnderOnFailureIsRecordedAndNotRestarted) {
  apply(svc("  restartPolicy: OnFailure\n"));
  ASSERT_TRUE(reconcile().status.ok());
  ASSERT_TRUE(engine_.crash(containers().front().id, 0).ok());
  ASSERT_TRUE(reconcile().status.ok());
  EXPECT_EQ("exited", containers().front().state);
  EXPECT_EQ("Completed", status()["phase"]);
  auto deaths = store_->terminations("shop", "web");
  ASSERT_EQ(1u, deaths->size());
  EXPECT_EQ("Completed", deaths->front().reason);
  const int inspects = engine_.callCount("inspectContainer");
  ASSERT_TRUE(reconcile().status.ok());
  EXPECT_EQ(inspects, engine_.callCount("inspectContainer")) << "a recorded death is not inspected again";
}

TEST_F(ServiceReconcilerTest, BackoffAndRestartCountSurviveARestartOfTender) {
  apply(svc("  backoff: {initial: 10s, factor: 2, max: 60s}\n"));
  ASSERT_TRUE(reconcile().status.ok());
  const std::string id = containers().front().id;
  ASSERT_TRUE(engine_.crash(id, 1).ok());
  reconcile();
  clock_.advance(11s);
  reconcile();  // restarted: restartCount 1
  ASSERT_EQ("running", containers().front().state);
  ASSERT_TRUE(engine_.crash(id, 1).ok());
  reconcile();
  const nlohmann::json before = status();
  ASSERT_EQ("CrashLoopBackOff", before["phase"]);
  ASSERT_EQ(1, before["restartCount"]);

  // tender goes away and comes back: a new reconciler over the same store.
  ServiceReconcilerOptions o;
  o.instance = "test";
  services_ = std::make_unique<ServiceReconciler>(*store_, engine_, clock_, gate_, o);
  clock_.advance(5s);
  auto r = reconcile();
  EXPECT_EQ("CrashLoopBackOff", status()["phase"]);
  EXPECT_EQ(before["nextRestartAt"], status()["nextRestartAt"]) << "the second death still waits 20 s";
  EXPECT_EQ(1, status()["restartCount"]);
  ASSERT_TRUE(r.requeueAfter.has_value());
  EXPECT_LE(*r.requeueAfter, 15s);
  EXPECT_GT(*r.requeueAfter, 10s);
  EXPECT_EQ(2u, eventsOf(*store_, "Died").size()) << "no death is told twice";
  clock_.advance(16s);
  reconcile();
  EXPECT_EQ("running", containers().front().state);
  EXPECT_EQ(2, status()["restartCount"]);
}

TEST_F(ServiceReconcilerTest, TooManyDeathsInTheWindowTurnTheServiceFailedQuotingItsLogs) {
  apply(svc("  backoff: {initial: 0s, maxRestarts: 2, window: 1m}\n"));
  ASSERT_TRUE(reconcile().status.ok());
  const std::string id = containers().front().id;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(engine_.appendLogs(id, {{LogLine::Stream::kStderr, "fatal: config missing " + std::to_string(i)}}).ok());
    clock_.advance(1s);
    ASSERT_TRUE(engine_.crash(id, 2).ok());
    reconcile();
    reconcile();
  }
  EXPECT_EQ("exited", containers().front().state) << "given up: not restarted a third time";
  EXPECT_EQ("Failed", status()["phase"]);
  const std::string message = status()["conditions"][0]["message"];
  EXPECT_NE(std::string::npos, message.find("maxRestarts 2")) << message;
  EXPECT_NE(std::string::npos, message.find("fatal: config missing 2")) << message;
  EXPECT_EQ("RestartLimitReached", status()["conditions"][0]["reason"]);
  // A restart request gives it another chance.
  services_->requestRestart(Key{"Service", "shop", "web"});
  reconcile();
  EXPECT_EQ("running", containers().front().state);
}

TEST_F(ServiceReconcilerTest, ARequestedRestartLeavesAPostMortemSayingTenderStoppedIt) {
  apply(svc());
  ASSERT_TRUE(reconcile().status.ok());
  clock_.advance(2s);
  services_->requestRestart(Key{"Service", "shop", "web"});
  clock_.advance(1s);
  ASSERT_TRUE(reconcile().status.ok());
  auto deaths = store_->terminations("shop", "web");
  ASSERT_EQ(1u, deaths->size());
  EXPECT_EQ("Killed", deaths->front().reason);
  EXPECT_EQ("stopped by tender: restart requested", deaths->front().data["message"]);
  EXPECT_EQ(0, status()["restartCount"]);
}

TEST_F(ServiceReconcilerTest, DeathsDuringAnEngineRestartRestartAtOnceWithoutCountingAsCrashes) {
  apply(svc("  backoff: {initial: 10s}\n"));
  ASSERT_TRUE(reconcile().status.ok());
  const std::string id = containers().front().id;
  const WallTime lost = clock_.now() + 1s;
  clock_.advance(1s);
  ASSERT_TRUE(engine_.crash(id, 143).ok());  // stopped by the engine's shutdown
  clock_.advance(2s);
  services_->noteEngineOutage(lost, clock_.now());
  ASSERT_TRUE(reconcile().status.ok());
  EXPECT_EQ("running", containers().front().state) << "no backoff for the engine's own restart";
  auto deaths = store_->terminations("shop", "web");
  ASSERT_EQ(1u, deaths->size());
  EXPECT_EQ("EngineRestart", deaths->front().reason);
  // The next crash of its own still starts the backoff at its initial delay.
  clock_.advance(1s);
  ASSERT_TRUE(engine_.crash(id, 1).ok());
  auto r = reconcile();
  EXPECT_EQ("CrashLoopBackOff", status()["phase"]);
  ASSERT_TRUE(r.requeueAfter.has_value());
  EXPECT_LE(*r.requeueAfter, 10s);
  EXPECT_GT(*r.requeueAfter, 9s);
}

TEST_F(ServiceReconcilerTest, AReplacedContainerLeavesAPostMortemWithItsLastLines) {
  apply(svc("  env: {A: \"1\"}\n"));
  ASSERT_TRUE(reconcile().status.ok());
  const std::string old = containers().front().id;
  ASSERT_TRUE(engine_.appendLogs(old, {{LogLine::Stream::kStdout, "serving v1"}}).ok());
  apply(svc("  env: {A: \"2\"}\n"));
  ASSERT_TRUE(reconcile().status.ok());
  ASSERT_NE(old, containers().front().id);
  auto deaths = store_->terminations("shop", "web");
  ASSERT_EQ(1u, deaths->size());
  EXPECT_EQ("Killed", deaths->front().reason);
  EXPECT_EQ(old, deaths->front().containerId);
  EXPECT_EQ(0u, deaths->front().data["message"].get<std::string>().rfind("stopped by tender: replaced: ", 0))
      << deaths->front().data.dump();
  EXPECT_EQ(nlohmann::json({"serving v1"}), deaths->front().data["logs"]) << "read before the container went";
  EXPECT_EQ(0, status()["restartCount"]);
}

}  // namespace
}  // namespace tender

namespace tender {
namespace {

class DependsOnTest : public testing::ReconcilerFixture {
 protected:
  void SetUp() override {
    ReconcilerFixture::SetUp();
    ServiceReconcilerOptions o;
    o.instance = "test";
    o.enqueue = [this](const Key& k) { enqueued_.push_back(k.name); };
    services_ = std::make_unique<ServiceReconciler>(*store_, engine_, clock_, gate_, o);
  }
  std::string service(const std::string& name, const std::string& extra) {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name +
           ", namespace: shop}\nspec:\n  image: tender-busybox:latest\n" + extra;
  }
  ReconcileResult reconcile(const std::string& name) { return services_->reconcile(Key{"Service", "shop", name}); }
  std::vector<ContainerSummary> containers(const std::string& name) {
    auto r = engine_.listContainers(ownedFilters("test", "shop", name), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  nlohmann::json status(const std::string& name) { return store_->get("Service", "shop", name)->status; }
  std::vector<std::string> enqueued_;
};

constexpr const char* kDbWithCheck =
    "  healthcheck: {exec: [\"true\"], interval: 1s}\n  backoff: {initial: 0s}\n";

TEST_F(DependsOnTest, AServiceWaitsUntilItsDependencyIsHealthyAndSaysSo) {
  apply(service("db", kDbWithCheck));
  apply(service("api", "  dependsOn: {db: {condition: healthy}}\n"));
  ASSERT_TRUE(reconcile("api").status.ok());
  EXPECT_TRUE(containers("api").empty()) << "nothing starts before db is healthy";
  EXPECT_EQ("Pending", status("api")["phase"]);
  EXPECT_EQ("waiting for db to be healthy", status("api")["conditions"][0]["message"]);
  EXPECT_EQ("WaitingForDependencies", status("api")["conditions"][0]["reason"]);
  EXPECT_EQ(false, status("api")["dependencies"]["db"]["met"]);

  enqueued_.clear();
  ASSERT_TRUE(reconcile("db").status.ok());
  ASSERT_EQ(1u, containers("db").size());
  ASSERT_TRUE(reconcile("api").status.ok());
  EXPECT_TRUE(containers("api").empty()) << "db runs but is not healthy yet";
  EXPECT_NE(std::find(enqueued_.begin(), enqueued_.end(), "api"), enqueued_.end())
      << "a change of db's status wakes the services that wait on it";

  ASSERT_TRUE(engine_.setHealth(containers("db")[0].id, "healthy").ok());
  ASSERT_TRUE(reconcile("db").status.ok());
  ASSERT_EQ("Running", status("db")["phase"]);
  ASSERT_TRUE(reconcile("api").status.ok());
  ASSERT_EQ(1u, containers("api").size());
  EXPECT_EQ("running", containers("api")[0].state);
  EXPECT_EQ(true, status("api")["dependencies"]["db"]["met"]);
}

TEST_F(DependsOnTest, ACrashedDependentIsNotRestartedWhileItsDependencyIsDown) {
  apply(service("db", "  backoff: {initial: 0s}\n"));
  apply(service("api", "  dependsOn: {db: {condition: started}}\n  backoff: {initial: 0s}\n"));
  ASSERT_TRUE(reconcile("db").status.ok());
  ASSERT_TRUE(reconcile("api").status.ok());
  ASSERT_EQ("running", containers("api")[0].state);
  // db is stopped for good (replicas 0), then api crashes.
  apply(service("db", "  backoff: {initial: 0s}\n  replicas: 0\n"));
  ASSERT_TRUE(reconcile("db").status.ok());
  ASSERT_TRUE(engine_.crash(containers("api")[0].id, 1).ok());
  ASSERT_TRUE(reconcile("api").status.ok());
  EXPECT_EQ("exited", containers("api")[0].state) << "no restart while db is not started";
  EXPECT_EQ("waiting for db to be started", status("api")["replicaStatuses"][0]["message"]);
  apply(service("db", "  backoff: {initial: 0s}\n"));
  ASSERT_TRUE(reconcile("db").status.ok());
  ASSERT_TRUE(reconcile("api").status.ok());
  EXPECT_EQ("running", containers("api")[0].state);
}

TEST_F(DependsOnTest, ARestartTrueDependentIsRestartedOnceItsDependencyIsBack) {
  apply(service("db", kDbWithCheck));
  apply(service("api", "  dependsOn: {db: {condition: healthy, restart: true}}\n"
                       "  command: [\"sleep\", \"3600\"]\n"));
  ASSERT_TRUE(reconcile("db").status.ok());
  ASSERT_TRUE(engine_.setHealth(containers("db")[0].id, "healthy").ok());
  ASSERT_TRUE(reconcile("db").status.ok());
  ASSERT_TRUE(reconcile("api").status.ok());
  const std::string apiId = containers("api")[0].id;
  const std::string firstStart = engine_.peekContainer(apiId)->state.startedAt;

  // db crashes and is restarted: api keeps running until db is healthy again.
  ASSERT_TRUE(engine_.crash(containers("db")[0].id, 1).ok());
  ASSERT_TRUE(reconcile("db").status.ok());
  ASSERT_EQ("running", containers("db")[0].state);
  clock_.advance(std::chrono::seconds(5));
  ASSERT_TRUE(reconcile("api").status.ok());
  EXPECT_EQ(firstStart, engine_.peekContainer(apiId)->state.startedAt) << "db is not healthy again yet";

  ASSERT_TRUE(engine_.setHealth(containers("db")[0].id, "healthy").ok());
  ASSERT_TRUE(reconcile("db").status.ok());
  ASSERT_TRUE(reconcile("api").status.ok());
  ASSERT_TRUE(reconcile("api").status.ok());
  EXPECT_NE(firstStart, engine_.peekContainer(apiId)->state.startedAt) << "api was restarted after db came back";
  EventQuery q;
  q.name = "api";
  q.limit = 0;
  bool said = false;
  std::string seen;
  auto events = store_->events(q);
  ASSERT_TRUE(events.ok());
  for (const auto& e : *events) {
    said |= e.reason == "DependencyRestarted";
    seen += e.reason + ": " + e.message + "\n";
  }
  EXPECT_TRUE(said) << seen;
  // Once: a further pass restarts nothing.
  const std::string secondStart = engine_.peekContainer(apiId)->state.startedAt;
  clock_.advance(std::chrono::seconds(5));
  ASSERT_TRUE(reconcile("api").status.ok());
  EXPECT_EQ(secondStart, engine_.peekContainer(apiId)->state.startedAt);
}

}  // namespace
}  // namespace tender

namespace tender {
namespace {

class AdmissionTest : public testing::ReconcilerFixture {
 protected:
  void SetUp() override {
    ReconcilerFixture::SetUp();
    AdmissionConfig c;
    c.hostMemoryBytes = 250 << 20;
    c.systemReserveFraction = 0;
    ledger_ = std::make_unique<AdmissionLedger>(c, [] { return std::nullopt; });
    ledger_->setOnFreed([this](const std::string&, const std::string& s) { woken_.push_back(s); });
    ServiceReconcilerOptions o;
    o.instance = "test";
    o.admission = ledger_.get();
    services_ = std::make_unique<ServiceReconciler>(*store_, engine_, clock_, gate_, o);
  }
  std::string service(const std::string& name, const std::string& ns = "shop") {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns +
           "}\nspec:\n  image: tender-busybox:latest\n  resources: {reservations: {memory: 100Mi}}\n";
  }
  ReconcileResult reconcile(const std::string& name, const std::string& ns = "shop") {
    return services_->reconcile(Key{"Service", ns, name});
  }
  size_t running(const std::string& name, const std::string& ns = "shop") {
    auto r = engine_.listContainers(ownedFilters("test", ns, name), false);
    return r.ok() ? r->size() : 0;
  }
  nlohmann::json status(const std::string& name, const std::string& ns = "shop") {
    return store_->get("Service", ns, name)->status;
  }
  std::unique_ptr<AdmissionLedger> ledger_;
  std::vector<std::string> woken_;
};

TEST_F(AdmissionTest, TheServiceThatDoesNotFitIsBlockedWithTheNumbersAndStartsWhenMemoryFrees) {
  for (const char* s : {"db", "api", "web"}) apply(service(s));
  ASSERT_TRUE(reconcile("db").status.ok());
  ASSERT_TRUE(reconcile("api").status.ok());
  auto blocked = reconcile("web");
  ASSERT_TRUE(blocked.status.ok());
  EXPECT_EQ(0u, running("web"));
  EXPECT_EQ("Blocked", status("web")["phase"]);
  EXPECT_EQ("InsufficientMemory", status("web")["conditions"][0]["reason"]);
  EXPECT_EQ("replica 0 of web needs 100.0MiB (its memory reservation): 200.0MiB of the host's 250.0MiB "
            "allocatable is reserved (50.0MiB free; 250.0MiB minus a 0% system reserve)",
            status("web")["conditions"][0]["message"]);
  EXPECT_TRUE(blocked.requeueAfter.has_value()) << "looks again while blocked";
  EventQuery q;
  q.name = "web";
  q.limit = 0;
  auto events = store_->events(q);
  ASSERT_FALSE(events->empty());
  EXPECT_EQ("InsufficientMemory", events->back().reason);

  ASSERT_TRUE(store_->markDeleted("Service", "shop", "db").ok());
  ASSERT_TRUE(reconcile("db").status.ok());
  EXPECT_EQ(std::vector<std::string>{"web"}, woken_) << "the deletion gave memory back and woke web";
  ASSERT_TRUE(reconcile("web").status.ok());
  EXPECT_EQ(1u, running("web"));
  EXPECT_EQ("Running", status("web")["phase"]);
}

TEST_F(AdmissionTest, ANamespaceQuotaBlocksTheServiceThatWouldExceedIt) {
  apply("apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: alice}\nspec: {quota: {services: 1}}\n");
  apply(service("db", "alice"));
  apply(service("api", "alice"));
  ASSERT_TRUE(reconcile("db", "alice").status.ok());
  ASSERT_TRUE(reconcile("api", "alice").status.ok());
  EXPECT_EQ(1u, running("db", "alice"));
  EXPECT_EQ(0u, running("api", "alice"));
  EXPECT_EQ("Blocked", status("api", "alice")["phase"]);
  EXPECT_EQ("QuotaExceeded", status("api", "alice")["conditions"][0]["reason"]);
  EXPECT_EQ("QuotaExceeded", status("api", "alice")["replicaStatuses"][0]["reason"]);
}

TEST_F(AdmissionTest, AServiceThatSetsNoMemoryCountsItsNamespacesDefaultReservation) {
  apply("apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: bob}\nspec: {defaultReservation: {memory: 200Mi}}\n");
  for (const char* name : {"a", "b"}) {
    apply(std::string("apiVersion: tender/v1\nkind: Service\nmetadata: {name: ") + name +
          ", namespace: bob}\nspec: {image: \"tender-busybox:latest\"}\n");
  }
  ASSERT_TRUE(reconcile("a", "bob").status.ok());
  ASSERT_TRUE(reconcile("b", "bob").status.ok());
  EXPECT_EQ(1u, running("a", "bob"));
  EXPECT_EQ("Blocked", status("b", "bob")["phase"]);
  EXPECT_EQ("replica 0 of b needs 200.0MiB (namespace bob's default reservation): 200.0MiB of the host's "
            "250.0MiB allocatable is reserved (50.0MiB free; 250.0MiB minus a 0% system reserve)",
            status("b", "bob")["conditions"][0]["message"]);
}

TEST_F(AdmissionTest, RunningReplicasAreCountedAfterARestartOfTender) {
  apply(service("db"));
  apply(service("api"));
  ASSERT_TRUE(reconcile("db").status.ok());
  ASSERT_TRUE(reconcile("api").status.ok());
  // A new tender: a fresh ledger, primed from what runs.
  AdmissionConfig c;
  c.hostMemoryBytes = 250 << 20;
  c.systemReserveFraction = 0;
  ledger_ = std::make_unique<AdmissionLedger>(c, [] { return std::nullopt; });
  ServiceReconcilerOptions o;
  o.instance = "test";
  o.admission = ledger_.get();
  services_ = std::make_unique<ServiceReconciler>(*store_, engine_, clock_, gate_, o);
  ASSERT_TRUE(services_->primeAdmission().ok());
  EXPECT_EQ(200 << 20, ledger_->reservedBytes());
  apply(service("web"));
  ASSERT_TRUE(reconcile("web").status.ok());
  EXPECT_EQ("Blocked", status("web")["phase"]);
}

}  // namespace
}  // namespace tender

namespace tender {
namespace {

class MemoryPressureTest : public testing::ReconcilerFixture {
 protected:
  void SetUp() override {
    ReconcilerFixture::SetUp();
    sampler_ = std::make_unique<MemorySampler>(engine_, clock_, "test");
    sampler_->setOnPressureChange([this](const std::string&, const std::string& s) { told_.push_back(s); });
    ServiceReconcilerOptions o;
    o.instance = "test";
    o.memory = sampler_.get();
    services_ = std::make_unique<ServiceReconciler>(*store_, engine_, clock_, gate_, o);
  }
  nlohmann::json condition(const std::string& type) {
    const nlohmann::json status = store_->get("Service", "shop", "web")->status;
    for (const auto& c : status["conditions"]) {
      if (c.value("type", "") == type) return c;
    }
    return nullptr;
  }
  std::unique_ptr<MemorySampler> sampler_;
  std::vector<std::string> told_;
};

TEST_F(MemoryPressureTest, AReplicaNearItsLimitGetsAConditionAndAWarningBeforeTheOomKillerActs) {
  apply("apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
        "spec: {image: \"tender-busybox:latest\", resources: {limits: {memory: 100Mi}}}\n");
  const Key key{"Service", "shop", "web"};
  ASSERT_TRUE(services_->reconcile(key).status.ok());
  ASSERT_TRUE(engine_.setMemoryUsage("shop.web.0", 50 << 20).ok());
  sampler_->sampleOnce();
  ASSERT_TRUE(services_->reconcile(key).status.ok());
  EXPECT_EQ("False", condition("MemoryPressure")["status"]);
  EXPECT_TRUE(told_.empty());

  ASSERT_TRUE(engine_.setMemoryUsage("shop.web.0", 95 << 20).ok());
  sampler_->sampleOnce();
  EXPECT_EQ(std::vector<std::string>{"web"}, told_) << "crossing 90% wakes the service";
  ASSERT_TRUE(services_->reconcile(key).status.ok());
  auto c = condition("MemoryPressure");
  EXPECT_EQ("True", c["status"]);
  EXPECT_EQ("replica 0 uses 95.0MiB of its 100.0MiB memory limit (95%): the kernel kills it at the limit", c["message"]);
  EXPECT_EQ("Ready", store_->get("Service", "shop", "web")->status["conditions"][0]["type"]);
  EventQuery q;
  q.name = "web";
  q.limit = 0;
  auto events = store_->events(q);
  int warnings = 0;
  for (const auto& e : *events) warnings += e.reason == "MemoryPressure";
  EXPECT_EQ(1, warnings);
  ASSERT_TRUE(services_->reconcile(key).status.ok());
  events = store_->events(q);
  warnings = 0;
  for (const auto& e : *events) warnings += e.reason == "MemoryPressure";
  EXPECT_EQ(1, warnings) << "warned once per episode";
}

}  // namespace
}  // namespace tender

namespace tender {
namespace {

class SnapshotTest : public testing::ReconcilerFixture {
 protected:
  void SetUp() override {
    ReconcilerFixture::SetUp();
    ServiceReconcilerOptions o;
    o.instance = "test";
    o.snapshot = &snapshot_;
    services_ = std::make_unique<ServiceReconciler>(*store_, engine_, clock_, gate_, o);
  }
  ContainerSnapshot snapshot_;
};

TEST_F(SnapshotTest, AResyncListsOnceAndItsPassesDoNotListAgain) {
  std::vector<Key> keys;
  for (const char* name : {"a", "b", "c"}) {
    apply(std::string("apiVersion: tender/v1\nkind: Service\nmetadata: {name: ") + name +
          ", namespace: shop}\nspec: {image: \"tender-busybox:latest\"}\n");
    keys.push_back(Key{"Service", "shop", name});
    ASSERT_TRUE(services_->reconcile(keys.back()).status.ok());
  }
  ResyncReconciler resync(*store_, engine_, "test", [](const Key&) {}, &snapshot_);
  engine_.resetCallCounts();
  ASSERT_TRUE(resync.reconcile(ResyncReconciler::key()).status.ok());
  for (const Key& k : keys) ASSERT_TRUE(services_->reconcile(k).status.ok());
  EXPECT_EQ(1, engine_.callCount("listContainers")) << "one list for the resync and its three passes";
  EXPECT_EQ(0, engine_.callCount("inspectContainer"));

  // An event about a service retires its entry: its next pass asks the engine.
  ASSERT_TRUE(resync.reconcile(ResyncReconciler::key()).status.ok());
  EngineEvent e;
  e.type = "container";
  e.action = "die";
  e.id = "x";
  e.attributes = {{kLabelNamespace, "shop"}, {kLabelService, "a"}};
  services_->noteEngineEvent(e);
  engine_.resetCallCounts();
  ASSERT_TRUE(services_->reconcile(keys[0]).status.ok());
  EXPECT_EQ(1, engine_.callCount("listContainers"));
  ASSERT_TRUE(services_->reconcile(keys[1]).status.ok());
  EXPECT_EQ(1, engine_.callCount("listContainers")) << "b still used the resync's list";
}

}  // namespace
}  // namespace tender

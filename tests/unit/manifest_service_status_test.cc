// A service's typed status (manifests/service_status.h): every field to JSON
// and back with today's keys, the statuses tender writes unchanged byte for
// byte, each bad field named, and setCondition's transition times.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "manifests/service_status.h"

namespace tender {
namespace {

using nlohmann::json;

// Every field set, in the shapes the reconciler writes.
ServiceStatus everyField() {
  ServiceStatus st;
  st.phase = "CrashLoopBackOff";
  st.observedGeneration = 3;
  st.replicas = 2;
  st.readyReplicas = 1;
  st.runningReplicas = 1;
  st.restartCount = 4;
  st.specHash = "h1";
  st.image = "busybox:1";
  st.imageId = "sha256:abc";
  st.message = "image not found";
  st.nextRestartAt = "2023-11-14T22:13:40Z";
  st.conditions = {
      {"Ready", "False", "ReplicasNotReady", "1/2 replicas ready", "2023-11-14T22:10:00Z"},
      {"MemoryPressure", "True", "NearMemoryLimit", "replica 0 uses 95%", "2023-11-14T22:12:00Z"}};
  ReplicaStatus running;
  running.replica = 0;
  running.container = "shop.api.0";
  running.state = "running";
  running.phase = "Running";
  running.containerId = "c0";
  running.ready = true;
  running.health = "healthy";
  running.restartCount = 0;
  running.memory = ReplicaMemory{950, 1000};
  running.memoryPressure = true;
  ReplicaStatus crashed;
  crashed.replica = 1;
  crashed.container = "shop.api.1";
  crashed.state = "exited";
  crashed.phase = "CrashLoopBackOff";
  crashed.containerId = "c1";
  crashed.ready = false;
  crashed.exitCode = 137;
  crashed.nextRestartAt = "2023-11-14T22:13:40Z";
  crashed.reason = "InsufficientMemory";
  crashed.message = "needs 1Gi";
  crashed.restartCount = 4;
  crashed.lastTermination = json{{"exitCode", 137}, {"reason", "OOMKilled"}};
  st.replicaStatuses = std::vector<ReplicaStatus>{running, crashed};
  DependencyStatus db;
  db.condition = "healthy";
  db.met = true;
  db.startMark = 42;
  DependencyStatus cache;
  cache.condition = "started";
  cache.message = "service \"cache\" does not exist";
  st.dependencies = std::map<std::string, DependencyStatus>{{"db", db}, {"cache", cache}};
  st.lastTermination = json{{"exitCode", 137}, {"reason", "OOMKilled"}};
  return st;
}

TEST(ServiceStatusJson, WritesEveryFieldUnderTodaysKeysInSortedOrder) {
  EXPECT_EQ(R"({"conditions":[)"
            R"({"lastTransitionTime":"2023-11-14T22:10:00Z","message":"1/2 replicas ready",)"
            R"("reason":"ReplicasNotReady","status":"False","type":"Ready"},)"
            R"({"lastTransitionTime":"2023-11-14T22:12:00Z","message":"replica 0 uses 95%",)"
            R"("reason":"NearMemoryLimit","status":"True","type":"MemoryPressure"}],)"
            R"("dependencies":{"cache":{"condition":"started",)"
            R"("message":"service \"cache\" does not exist","met":false},)"
            R"("db":{"condition":"healthy","met":true,"startMark":42}},)"
            R"("image":"busybox:1","imageId":"sha256:abc",)"
            R"("lastTermination":{"exitCode":137,"reason":"OOMKilled"},)"
            R"("message":"image not found","nextRestartAt":"2023-11-14T22:13:40Z",)"
            R"("observedGeneration":3,"phase":"CrashLoopBackOff","readyReplicas":1,)"
            R"("replicaStatuses":[)"
            R"({"container":"shop.api.0","containerId":"c0","health":"healthy",)"
            R"("memory":{"limitBytes":1000,"usageBytes":950},"memoryPressure":true,)"
            R"("phase":"Running","ready":true,"replica":0,"restartCount":0,"state":"running"},)"
            R"({"container":"shop.api.1","containerId":"c1","exitCode":137,)"
            R"("lastTermination":{"exitCode":137,"reason":"OOMKilled"},"message":"needs 1Gi",)"
            R"("nextRestartAt":"2023-11-14T22:13:40Z","phase":"CrashLoopBackOff",)"
            R"("ready":false,"reason":"InsufficientMemory","replica":1,"restartCount":4,)"
            R"("state":"exited"}],)"
            R"("replicas":2,"restartCount":4,"runningReplicas":1,"specHash":"h1"})",
            toJson(everyField()).dump());
}

TEST(ServiceStatusJson, ReadsEveryFieldBack) {
  const json written = toJson(everyField());
  auto read = serviceStatusFromJson(written);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(toJson(*read), written);
  const ServiceStatus& st = *read;
  EXPECT_EQ(st.phase, "CrashLoopBackOff");
  EXPECT_EQ(st.observedGeneration, 3);
  EXPECT_EQ(st.replicas, 2);
  EXPECT_EQ(st.readyReplicas, 1);
  EXPECT_EQ(st.runningReplicas, 1);
  EXPECT_EQ(st.restartCount, 4);
  EXPECT_EQ(st.specHash, "h1");
  EXPECT_EQ(st.image, "busybox:1");
  EXPECT_EQ(st.imageId, "sha256:abc");
  EXPECT_EQ(st.message, "image not found");
  EXPECT_EQ(st.nextRestartAt, "2023-11-14T22:13:40Z");
  ASSERT_EQ(st.conditions.size(), 2u);
  const Condition& ready = st.conditions[0];
  EXPECT_EQ(ready.type, "Ready");
  EXPECT_EQ(ready.status, "False");
  EXPECT_EQ(ready.reason, "ReplicasNotReady");
  EXPECT_EQ(ready.message, "1/2 replicas ready");
  EXPECT_EQ(ready.lastTransitionTime, "2023-11-14T22:10:00Z");
  ASSERT_TRUE(st.replicaStatuses);
  ASSERT_EQ(st.replicaStatuses->size(), 2u);
  const ReplicaStatus& r0 = (*st.replicaStatuses)[0];
  const ReplicaStatus& r1 = (*st.replicaStatuses)[1];
  EXPECT_EQ(r0.replica, 0);
  EXPECT_EQ(r0.container, "shop.api.0");
  EXPECT_EQ(r0.state, "running");
  EXPECT_EQ(r0.phase, "Running");
  EXPECT_EQ(r0.containerId, "c0");
  EXPECT_EQ(r0.ready, true);
  EXPECT_EQ(r0.health, "healthy");
  EXPECT_EQ(r0.restartCount, 0);
  ASSERT_TRUE(r0.memory);
  EXPECT_EQ(r0.memory->usageBytes, 950);
  EXPECT_EQ(r0.memory->limitBytes, 1000);
  EXPECT_EQ(r0.memoryPressure, true);
  EXPECT_FALSE(r0.exitCode);
  EXPECT_EQ(r1.exitCode, 137);
  EXPECT_EQ(r1.ready, false);
  EXPECT_EQ(r1.nextRestartAt, "2023-11-14T22:13:40Z");
  EXPECT_EQ(r1.reason, "InsufficientMemory");
  EXPECT_EQ(r1.message, "needs 1Gi");
  ASSERT_TRUE(r1.lastTermination);
  EXPECT_EQ((*r1.lastTermination)["reason"], "OOMKilled");
  ASSERT_TRUE(st.dependencies);
  EXPECT_EQ(st.dependencies->at("db").condition, "healthy");
  EXPECT_TRUE(st.dependencies->at("db").met);
  EXPECT_EQ(st.dependencies->at("db").startMark, 42);
  EXPECT_FALSE(st.dependencies->at("db").message);
  EXPECT_EQ(st.dependencies->at("cache").message, "service \"cache\" does not exist");
  EXPECT_FALSE(st.dependencies->at("cache").startMark);
  ASSERT_TRUE(st.lastTermination);
  EXPECT_EQ((*st.lastTermination)["exitCode"], 137);
}

// Statuses as tender writes them (and as the API and stored rows hold
// them): read and written again, the bytes do not change.
TEST(ServiceStatusJson, WritesTheStatusesTenderWritesBackUnchanged) {
  const char* rows[] = {
      // a service not reconciled yet
      R"({})",
      // a spec that cannot run
      R"({"conditions":[{"lastTransitionTime":"2023-11-14T22:13:20Z","message":"no such image",)"
      R"("reason":"ImageNotFound","status":"False","type":"Ready"}],"message":"no such image",)"
      R"("observedGeneration":2,"phase":"Failed","readyReplicas":0,"replicas":0,"restartCount":3})",
      // scaled to zero: no replica, an empty list
      R"({"conditions":[{"lastTransitionTime":"2023-11-14T22:13:20Z","message":"0/0 replicas ready",)"
      R"("reason":"AllReplicasReady","status":"True","type":"Ready"}],"image":"busybox:1",)"
      R"("imageId":"","observedGeneration":1,"phase":"Stopped","readyReplicas":0,)"
      R"("replicaStatuses":[],"replicas":0,"restartCount":0,"runningReplicas":0,"specHash":"h"})",
      // held: waiting for a dependency that has no start yet
      R"({"conditions":[{"lastTransitionTime":"2023-11-14T22:13:20Z",)"
      R"("message":"waiting for db to be healthy","reason":"WaitingForDependencies",)"
      R"("status":"False","type":"Ready"}],"dependencies":{"db":{"condition":"healthy",)"
      R"("met":false,"startMark":0}},"image":"busybox:1","imageId":"sha256:1",)"
      R"("observedGeneration":1,"phase":"Pending","readyReplicas":0,"replicaStatuses":[)"
      R"({"container":"shop.api.0","message":"waiting for db to be healthy","phase":"Pending",)"
      R"("reason":"WaitingForDependencies","replica":0,"state":"missing"}],"replicas":1,)"
      R"("restartCount":0,"runningReplicas":0,"specHash":"h"})",
      // the dependencies of a service whose optional ones do not exist
      R"({"dependencies":{},"phase":"Running"})",
  };
  for (const char* row : rows) {
    SCOPED_TRACE(row);
    const json stored = json::parse(row);
    auto read = serviceStatusFromJson(stored);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    EXPECT_EQ(toJson(*read).dump(), stored.dump());
  }
}

TEST(ServiceStatusJson, ReadsAbsentFieldsAsUnsetOrEmpty) {
  // A condition as an older server or a hand-written answer may give it.
  auto read = serviceStatusFromJson(
      json::parse(R"({"conditions":[{"type":"Ready","message":"1/2 replicas ready"}],)"
                  R"("replicaStatuses":[{"phase":"Starting"}],"phase":null})"));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_FALSE(read->phase) << "null reads as absent";
  EXPECT_FALSE(read->replicas);
  EXPECT_FALSE(read->observedGeneration);
  ASSERT_EQ(read->conditions.size(), 1u);
  EXPECT_EQ(read->conditions[0].status, "");
  EXPECT_EQ(read->conditions[0].lastTransitionTime, "");
  ASSERT_EQ(read->replicaStatuses->size(), 1u);
  EXPECT_EQ((*read->replicaStatuses)[0].state, "");
  EXPECT_FALSE((*read->replicaStatuses)[0].ready);
  auto none = serviceStatusFromJson(json());
  ASSERT_TRUE(none.ok()) << "a null status is no status yet: " << none.status().ToString();
  EXPECT_EQ(toJson(*none).dump(), "{}");
}

TEST(ServiceStatusJson, NamesEachUnknownOrIllTypedField) {
  struct Row {
    const char* json;
    const char* field;  // under "status."; "" for the status itself
    const char* message;
  } rows[] = {
      {R"([])", "", "[] is not an object"},
      {R"({"readyReplica":1})", "readyReplica", "unknown field"},
      {R"({"phase":7})", "phase", "7 is not a string"},
      {R"({"replicas":"2"})", "replicas", "\"2\" is not an integer"},
      {R"({"readyReplicas":-1})", "readyReplicas", "-1 must be at least 0"},
      {R"({"runningReplicas":true})", "runningReplicas", "true is not an integer"},
      {R"({"restartCount":1.5})", "restartCount", "1.5 is not an integer"},
      {R"({"observedGeneration":"3"})", "observedGeneration", "\"3\" is not an integer"},
      {R"({"specHash":1})", "specHash", "1 is not a string"},
      {R"({"image":[]})", "image", "[] is not a string"},
      {R"({"imageId":{}})", "imageId", "{} is not a string"},
      {R"({"message":false})", "message", "false is not a string"},
      {R"({"nextRestartAt":0})", "nextRestartAt", "0 is not a string"},
      {R"({"lastTermination":"OOMKilled"})", "lastTermination", "\"OOMKilled\" is not an object"},
      {R"({"conditions":"x"})", "conditions", "\"x\" is not a list"},
      {R"({"conditions":[3]})", "conditions[0]", "3 is not an object"},
      {R"({"conditions":[{"type":"Ready","status":true}]})", "conditions[0].status",
       "true is not a string"},
      {R"({"conditions":[{"type":"Ready"},{"type":7}]})", "conditions[1].type",
       "7 is not a string"},
      {R"({"conditions":[{"type":"Ready"},{"observedGeneration":1}]})",
       "conditions[1].observedGeneration", "unknown field"},
      {R"({"replicaStatuses":{}})", "replicaStatuses", "{} is not a list"},
      {R"({"replicaStatuses":[{"replica":-1}]})", "replicaStatuses[0].replica",
       "-1 must be at least 0"},
      {R"({"replicaStatuses":[{},{"exitCode":"137"}]})", "replicaStatuses[1].exitCode",
       "\"137\" is not an integer"},
      {R"({"replicaStatuses":[{"ready":"yes"}]})", "replicaStatuses[0].ready",
       "\"yes\" is not a boolean (true or false)"},
      {R"({"replicaStatuses":[{"lastTermination":1}]})", "replicaStatuses[0].lastTermination",
       "1 is not an object"},
      {R"({"replicaStatuses":[{"memory":{"usageBytes":-5}}]})",
       "replicaStatuses[0].memory.usageBytes", "-5 must be at least 0"},
      {R"({"replicaStatuses":[{"memory":{"rss":1}}]})", "replicaStatuses[0].memory.rss",
       "unknown field"},
      {R"({"replicaStatuses":[{"memoryPressure":1}]})", "replicaStatuses[0].memoryPressure",
       "1 is not a boolean (true or false)"},
      {R"({"replicaStatuses":[{"pid":1}]})", "replicaStatuses[0].pid", "unknown field"},
      {R"({"dependencies":[]})", "dependencies", "[] is not an object"},
      {R"({"dependencies":{"db":{"met":"no"}}})", "dependencies.db.met",
       "\"no\" is not a boolean (true or false)"},
      {R"({"dependencies":{"db":{"startMark":"1"}}})", "dependencies.db.startMark",
       "\"1\" is not an integer"},
      {R"({"dependencies":{"db":{"since":1}}})", "dependencies.db.since", "unknown field"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.json);
    auto read = serviceStatusFromJson(json::parse(row.json));
    ASSERT_FALSE(read.ok());
    EXPECT_TRUE(read.status().IsInvalid());
    ASSERT_EQ(read.status().details().size(), 1u) << read.status().ToString();
    const std::string field = row.field;
    EXPECT_EQ(read.status().details()[0].field, field.empty() ? "status" : "status." + field);
    EXPECT_EQ(read.status().details()[0].message, row.message);
  }
}

TEST(ServiceStatusJson, ReportsEveryBadFieldAtOnce) {
  auto read = serviceStatusFromJson(json::parse(R"({"phase":1,"replicas":"x","extra":0})"));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().details().size(), 3u) << read.status().ToString();
}

// setCondition, as Kubernetes' meta.SetStatusCondition: `set` carries the
// time of now; the one of its type in `previous` decides whether it stays.
TEST(SetCondition, MovesTheTransitionTimeOnlyWhenTheStatusChanges) {
  const std::string t0 = "2023-11-14T20:00:00Z";
  const std::string now = "2023-11-14T22:13:20Z";
  struct Row {
    const char* what;
    std::vector<Condition> previous;
    Condition set;
    std::string wantTime;
  } rows[] = {
      {"a new type: its own time", {}, {"Ready", "True", "AllReplicasReady", "1/1", now}, now},
      {"the status stays: the earlier time",
       {{"Ready", "True", "AllReplicasReady", "1/1", t0}},
       {"Ready", "True", "AllReplicasReady", "2/2", now},
       t0},
      {"the status changes: its own time",
       {{"Ready", "True", "AllReplicasReady", "1/1", t0}},
       {"Ready", "False", "ReplicasNotReady", "0/1", now},
       now},
      {"the earlier one has no time: its own time",
       {{"Ready", "True", "AllReplicasReady", "1/1", ""}},
       {"Ready", "True", "AllReplicasReady", "1/1", now},
       now},
      {"another type's time is not this one's",
       {{"MemoryPressure", "True", "NearMemoryLimit", "95%", t0}},
       {"Ready", "True", "AllReplicasReady", "1/1", now},
       now},
      {"the status stays, the reason and message change: the earlier time",
       {{"Ready", "False", "ReplicasNotReady", "0/1", t0}},
       {"Ready", "False", "ReconcileError", "engine down", now},
       t0},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    std::vector<Condition> conditions;
    setCondition(conditions, row.set, row.previous);
    ASSERT_EQ(conditions.size(), 1u);
    EXPECT_EQ(conditions[0].type, row.set.type);
    EXPECT_EQ(conditions[0].lastTransitionTime, row.wantTime);
    EXPECT_EQ(conditions[0].status, row.set.status);
    EXPECT_EQ(conditions[0].reason, row.set.reason) << "reason and message always follow";
    EXPECT_EQ(conditions[0].message, row.set.message);
  }
}

TEST(SetCondition, KeepsTheTransitionTimeWhileTheStatusStaysAndReplacesByType) {
  const std::vector<Condition> previous = {{"Ready", "True", "", "", "t0"},
                                           {"MemoryPressure", "False", "", "", "t0"}};
  std::vector<Condition> conditions;
  setCondition(conditions, {"Ready", "True", "", "", "t1"}, previous);
  setCondition(conditions, {"MemoryPressure", "True", "", "", "t1"}, previous);
  setCondition(conditions, {"Ready", "True", "again", "", "t2"}, previous);
  ASSERT_EQ(conditions.size(), 2u) << "one condition per type";
  EXPECT_EQ(conditions[0].lastTransitionTime, "t0") << "Ready stayed True";
  EXPECT_EQ(conditions[0].reason, "again");
  EXPECT_EQ(conditions[1].lastTransitionTime, "t1") << "MemoryPressure turned True";
}

TEST(SetCondition, ReplacesTheConditionOfItsTypeInPlaceAndAddsOthersAtTheEnd) {
  std::vector<Condition> conditions = {{"Ready", "True", "AllReplicasReady", "1/1", "t0"},
                                       {"MemoryPressure", "False", "WithinLimit", "ok", "t0"}};
  setCondition(conditions, {"Ready", "False", "ReconcileError", "engine down", "t1"}, {});
  setCondition(conditions, {"Progressing", "True", "Rolling", "1 of 2", "t1"}, {});
  ASSERT_EQ(conditions.size(), 3u);
  EXPECT_EQ(conditions[0].type, "Ready");
  EXPECT_EQ(conditions[0].reason, "ReconcileError");
  EXPECT_EQ(conditions[0].lastTransitionTime, "t1") << "no previous: its own time";
  EXPECT_EQ(conditions[1].type, "MemoryPressure");
  EXPECT_EQ(conditions[1].lastTransitionTime, "t0") << "untouched";
  EXPECT_EQ(conditions[2].type, "Progressing");
  EXPECT_EQ(findCondition(conditions, "Missing"), nullptr);
}

// As Kubernetes callers do, the list may be its own previous.
TEST(SetCondition, TheListMayBeItsOwnPrevious) {
  std::vector<Condition> conditions = {{"Ready", "True", "AllReplicasReady", "1/1", "t0"}};
  setCondition(conditions, {"Ready", "True", "AllReplicasReady", "2/2", "t1"}, conditions);
  setCondition(conditions, {"MemoryPressure", "False", "WithinLimit", "ok", "t1"}, conditions);
  ASSERT_EQ(conditions.size(), 2u);
  EXPECT_EQ(conditions[0].lastTransitionTime, "t0");
  EXPECT_EQ(conditions[0].message, "2/2");
  EXPECT_EQ(conditions[1].lastTransitionTime, "t1");
  setCondition(conditions, {"Ready", "False", "ReplicasNotReady", "1/2", "t2"}, conditions);
  EXPECT_EQ(conditions[0].lastTransitionTime, "t2");
}

}  // namespace
}  // namespace tender

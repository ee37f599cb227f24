// What the newer commands print, from canned API answers: the wide tables,
// apply's plan lines, the event table and watch rows, describe, and the
// lines of apply --wait.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/output.h"

namespace tender {
namespace {

using nlohmann::json;

// 2023-11-14T22:13:20Z
const WallTime kNow = WallTime(std::chrono::seconds(1'700'000'000));

json api() {
  return json::parse(R"({"kind":"Service","metadata":{"name":"api","namespace":"shop",
      "generation":3,"labels":{"tier":"backend"},"creationTimestamp":"2023-11-14T22:10:20Z"},
    "spec":{"image":"busybox:1","replicas":2,"ports":["127.0.0.1:18080:80","53:53/udp","9000"],
            "command":["sh","-c","echo hi; sleep 1"],"env":{"B":"secret","A":"1"},
            "volumes":[{"type":"volume","source":"data","target":"/data"},
                       {"type":"bind","source":"/srv","target":"/conf","read_only":true}],
            "resources":{"limits":{"memory":268435456,"cpus":"0.5"}},
            "healthcheck":{"exec":["CMD","test","-f","/tmp/ready"],"interval":"5s","retries":3},
            "restartPolicy":"OnFailure","dependsOn":{"db":{"condition":"healthy"}}},
    "status":{"phase":"CrashLoopBackOff","observedGeneration":3,"replicas":2,"readyReplicas":1,
      "runningReplicas":1,"restartCount":4,
      "conditions":[{"type":"Ready","status":"False","reason":"ReplicasNotReady",
                     "message":"1/2 replicas ready"}],
      "replicaStatuses":[
        {"replica":0,"container":"shop.api.0","state":"running","phase":"Running","health":"healthy","ready":true},
        {"replica":1,"container":"shop.api.1","state":"exited","phase":"CrashLoopBackOff","exitCode":137,
         "nextRestartAt":"2023-11-14T22:13:40Z",
         "lastTermination":{"exitCode":137,"reason":"OOMKilled","oomKilled":true,
           "startedAt":"2023-11-14T22:12:00Z","finishedAt":"2023-11-14T22:13:00Z",
           "logs":["allocating","still allocating"]}}]}})");
}

TEST(WideTable, AddsPortsAndMessageToServices) {
  EXPECT_EQ(
      "NAME   PHASE              READY   RESTARTS   AGE   IMAGE       PORTS                    "
      "                               MESSAGE\n"
      "api    CrashLoopBackOff   1/2     4          3m    busybox:1   127.0.0.1:18080->80/tcp, "
      "0.0.0.0:53->53/udp, 9000/tcp   1/2 replicas ready\n",
      renderResourceTable("services", {api()}, false, kNow, true));
}

TEST(WideTable, ShowsWhereABuiltImageComesFrom) {
  json built = json::parse(R"({"metadata":{"name":"app"},"spec":{"build":{"context":"/src/app"}}})");
  std::string t = renderResourceTable("services", {built}, false, kNow, true);
  EXPECT_NE(std::string::npos, t.find("build:/src/app")) << t;
  EXPECT_NE(std::string::npos, t.find("<none>")) << t;  // no ports
}

TEST(WideTable, AddsEngineNameAndFlagsToNetworksAndVolumes) {
  json net = json::parse(R"({"metadata":{"name":"back","namespace":"shop"},"spec":{"internal":true},
      "status":{"phase":"Ready","engineName":"shop_back"}})");
  EXPECT_EQ(
      "NAME   DRIVER   PHASE   AGE         ENGINE-NAME   INTERNAL   EXTERNAL   MESSAGE\n"
      "back   bridge   Ready   <unknown>   shop_back     true       false\n",
      renderResourceTable("networks", {net}, false, kNow, true));
  json vol = json::parse(R"({"metadata":{"name":"data"},"spec":{"driverOpts":{"type":"tmpfs"}},
      "status":{"phase":"Failed","message":"a volume named shop_data exists"}})");
  EXPECT_EQ(
      "NAME   DRIVER   PHASE    AGE         ENGINE-NAME   EXTERNAL   OPTIONS      MESSAGE\n"
      "data   local    Failed   <unknown>   <none>        false      type=tmpfs   a volume named "
      "shop_data exists\n",
      renderResourceTable("volumes", {vol}, false, kNow, true));
}

TEST(FormatPorts, ReadsEveryShortFormAndTheLongOne) {
  EXPECT_EQ("[::1]:8080->80/tcp", formatPorts(json::parse(R"(["[::1]:8080:80"])")));
  EXPECT_EQ("127.0.0.1:*->80/tcp", formatPorts(json::parse(R"(["127.0.0.1::80"])")));
  EXPECT_EQ("0.0.0.0:8000-8002->80-82/tcp", formatPorts(json::parse(R"(["8000-8002:80-82"])")));
  EXPECT_EQ("10.0.0.1:5000->50/sctp",
            formatPorts(json::parse(R"([{"target":50,"published":5000,"host_ip":"10.0.0.1","protocol":"sctp"}])")));
  EXPECT_EQ("", formatPorts(json()));
}

TEST(RenderPlan, PrintsOneIndentedLinePerAction) {
  json item = json::parse(R"({"kind":"Service","plan":[
      {"action":"recreate","replica":0,"container":"shop.api.0","reason":"image changed"},
      {"action":"create","replica":1,"container":"shop.api.1","reason":"missing"},
      {"action":"remove","replica":2}]})");
  EXPECT_EQ(
      "  recreate replica 0 (shop.api.0): image changed\n"
      "  create replica 1 (shop.api.1): missing\n"
      "  remove replica 2\n",
      renderPlan(item));
}

TEST(RenderPlan, PrintsWarningsFirstAndNoReplicaForAStrayContainer) {
  json item = json::parse(R"({"warnings":["image x is not on the engine"],
      "plan":[{"action":"remove","replica":-1,"container":"shop.api.7","reason":"not desired"}]})");
  EXPECT_EQ(
      "  warning: image x is not on the engine\n"
      "  remove (shop.api.7): not desired\n",
      renderPlan(item));
}

TEST(RenderPlan, SaysNoChangesForAnEmptyPlanAndNothingWithoutOne) {
  EXPECT_EQ("  no container changes\n", renderPlan(json::parse(R"({"plan":[]})")));
  EXPECT_EQ("", renderPlan(json::parse(R"({"kind":"Service"})")));
  EXPECT_EQ("", renderPlan(json::parse(R"({"plan":"odd"})")));
}

json svc(const std::string& phase, int ready, int replicas, int generation, int observed) {
  json s = {{"metadata", {{"name", "api"}, {"generation", generation}}},
            {"status",
             {{"phase", phase},
              {"readyReplicas", ready},
              {"replicas", replicas},
              {"observedGeneration", observed}}}};
  return s;
}

TEST(WaitState, IsReadyOnlyWhenTheCurrentGenerationRunsOrIsDone) {
  EXPECT_TRUE(serviceReady(svc("Running", 2, 2, 1, 1)));
  EXPECT_FALSE(serviceReady(svc("Running", 1, 2, 1, 1)));
  EXPECT_FALSE(serviceReady(svc("Running", 2, 2, 2, 1)));  // an old generation's status
  EXPECT_TRUE(serviceReady(svc("Completed", 0, 1, 1, 1)));
  EXPECT_TRUE(serviceReady(svc("Stopped", 0, 0, 1, 1)));
  EXPECT_FALSE(serviceReady(svc("Starting", 0, 1, 1, 1)));
  EXPECT_FALSE(serviceReady(json::parse(R"({"metadata":{"generation":1}})")));
  EXPECT_TRUE(serviceFailed(svc("Failed", 0, 1, 1, 1)));
  EXPECT_FALSE(serviceFailed(svc("Failed", 0, 1, 2, 1)));  // the failure of an older spec
}

TEST(WaitLines, ShowPhaseAndReadyReplicas) {
  EXPECT_EQ("service/api: Starting 1/2 ready",
            waitProgressLine("service/api", svc("Starting", 1, 2, 1, 1)));
  EXPECT_EQ("service/api: Running 1/1 ready (waiting for the controller to take generation 2)",
            waitProgressLine("service/api", svc("Running", 1, 1, 2, 1)));
  EXPECT_EQ("shop/service/api: Pending 0/1 ready (waiting for the controller to take generation 1)",
            waitProgressLine("shop/service/api", json::parse(R"({"metadata":{"generation":1}})")));
}

TEST(WaitLines, SayWhyAServiceIsNotReady) {
  EXPECT_EQ(
      "service/api is not ready: phase CrashLoopBackOff: 1/2 replicas ready; replica 1 "
      "(shop.api.1): exited, CrashLoopBackOff, exit code 137, next restart at 2023-11-14T22:13:40Z",
      waitFailureLine("service/api", api()));
  EXPECT_EQ("service/x is not ready: the controller has not reported on it yet",
            waitFailureLine("service/x", json::parse(R"({"metadata":{"name":"x"}})")));
}

// A status this CLI cannot decode (a server of another version wrote it) is
// shown as unknown, with the field that does not read, never as zeros.
json unreadable() {
  json s = api();
  s["status"]["readyReplicas"] = "one";
  return s;
}

TEST(UnreadableStatus, IsUnknownInTablesWaitLinesAndDescribe) {
  const std::string why = "the status does not decode: status.readyReplicas: \"one\" is not an integer";
  const std::string wide = renderResourceTable("services", {unreadable()}, false, kNow, true);
  EXPECT_NE(std::string::npos, wide.find("api    <unknown>   ?/2     ?          3m")) << wide;
  EXPECT_NE(std::string::npos, wide.find(why)) << wide;
  EXPECT_FALSE(serviceReady(unreadable()));
  EXPECT_FALSE(serviceFailed(unreadable()));
  EXPECT_EQ("service/api: <unknown> (" + why + ")", waitProgressLine("service/api", unreadable()));
  EXPECT_EQ("service/api is not ready: phase <unknown>: " + why,
            waitFailureLine("service/api", unreadable()));
  const std::string text = describeService(unreadable(), json(), kNow);
  EXPECT_NE(std::string::npos, text.find("Phase:          <unknown> (" + why + ")\n")) << text;
  EXPECT_NE(std::string::npos, text.find("Replicas:       2 desired | ? ready | ? running\n")) << text;
  EXPECT_NE(std::string::npos, text.find("Restarts:       ?\n")) << text;
}

json events() {
  return json::parse(R"({"kind":"EventList","items":[
      {"id":1,"time":"2023-11-14T22:10:20Z","type":"Normal","reason":"Created",
       "involvedObject":{"kind":"Service","namespace":"shop","name":"api"},"message":"created container shop.api.0"},
      {"id":2,"time":"2023-11-14T22:13:00Z","type":"Warning","reason":"BackOff",
       "involvedObject":{"kind":"Service","namespace":"shop","name":"api"},"message":"restarting in 20s"}]})");
}

TEST(DescribeService, ShowsSpecStatusReplicasTerminationsAndEvents) {
  EXPECT_EQ(
      "Name:           api\n"
      "Namespace:      shop\n"
      "Labels:         tier=backend\n"
      "Created:        2023-11-14T22:10:20Z (3m ago)\n"
      "Generation:     3 (observed 3)\n"
      "Image:          busybox:1\n"
      "Replicas:       2 desired | 1 ready | 1 running\n"
      "Phase:          CrashLoopBackOff\n"
      "Restarts:       4\n"
      "Command:        sh -c 'echo hi; sleep 1'\n"
      "Environment:    A, B\n"
      "Ports:          127.0.0.1:18080->80/tcp, 0.0.0.0:53->53/udp, 9000/tcp\n"
      "Volumes:        data:/data (volume)\n"
      "                /srv:/conf (bind, read-only)\n"
      "Networks:       default\n"
      "Resources:      limits: cpus=0.5, memory=256Mi\n"
      "Healthcheck:    exec test -f /tmp/ready interval=5s retries=3\n"
      "Restart Policy: OnFailure\n"
      "Depends On:     db (healthy)\n"
      "Conditions:\n"
      "  TYPE    STATUS   REASON             MESSAGE\n"
      "  Ready   False    ReplicasNotReady   1/2 replicas ready\n"
      "Replica Status:\n"
      "  REPLICA   CONTAINER    STATE     PHASE              HEALTH    EXIT CODE\n"
      "  0         shop.api.0   running   Running            healthy   -\n"
      "  1         shop.api.1   exited    CrashLoopBackOff   -         137\n"
      "Last Termination of replica 1 (shop.api.1):\n"
      "  Exit Code:      137\n"
      "  Reason:         OOMKilled\n"
      "  Started:        2023-11-14T22:12:00Z\n"
      "  Finished:       2023-11-14T22:13:00Z\n"
      "  Last Logs:\n"
      "    allocating\n"
      "    still allocating\n"
      "Events:\n"
      "  AGE   TYPE      REASON    MESSAGE\n"
      "  3m    Normal    Created   created container shop.api.0\n"
      "  20s   Warning   BackOff   restarting in 20s\n",
      describeService(api(), events(), kNow));
}

TEST(DescribeService, CopesWithAnAlmostEmptyAnswer) {
  std::string text = describeService(json::parse(R"({"metadata":{"name":"x"}})"), json(), kNow);
  EXPECT_NE(std::string::npos, text.find("Name:           x\n")) << text;
  EXPECT_NE(std::string::npos, text.find("Image:          <none>\n")) << text;
  EXPECT_NE(std::string::npos, text.find("Conditions:     <none>\n")) << text;
  EXPECT_NE(std::string::npos, text.find("Events:         <none>\n")) << text;
  // Junk where objects belong renders too.
  describeService(json::parse(R"({"metadata":7,"spec":[1],"status":{"replicaStatuses":[3,{"lastTermination":1}],
                                 "conditions":"x"}})"), json::parse("[1,2]"), kNow);
}

TEST(DescribeService, ShowsOnlyTheLastTwentyEvents) {
  json items = json::array();
  for (int i = 0; i < 25; ++i) {
    items.push_back({{"id", i}, {"type", "Normal"}, {"reason", "R" + std::to_string(i)}, {"message", "m"}});
  }
  std::string text = describeService(json::parse(R"({"metadata":{"name":"x"}})"), items, kNow);
  EXPECT_EQ(std::string::npos, text.find(" R4 ")) << text;
  EXPECT_NE(std::string::npos, text.find(" R5 ")) << text;
  EXPECT_NE(std::string::npos, text.find(" R24 ")) << text;
}

TEST(DescribeObject, ShowsSpecAndStatusAsYaml) {
  json net = json::parse(R"({"metadata":{"name":"back","namespace":"shop","generation":1},
      "spec":{"driver":"bridge","internal":true},"status":{"phase":"Ready","engineName":"shop_back"}})");
  EXPECT_EQ(
      "Name:           back\n"
      "Namespace:      shop\n"
      "Labels:         <none>\n"
      "Generation:     1\n"
      "Phase:          Ready\n"
      "Spec:\n"
      "  driver: bridge\n"
      "  internal: true\n"
      "Status:\n"
      "  engineName: shop_back\n"
      "  phase: Ready\n"
      "Events:         <none>\n",
      describeObject(net, json::array(), kNow));
}

TEST(EventTable, ShowsAgeTypeReasonObjectAndMessage) {
  auto items = events()["items"];
  EXPECT_EQ(
      "LAST SEEN   TYPE      REASON    OBJECT        MESSAGE\n"
      "3m          Normal    Created   service/api   created container shop.api.0\n"
      "20s         Warning   BackOff   service/api   restarting in 20s\n",
      renderEventTable({items[0], items[1]}, false, kNow));
  EXPECT_EQ(0u, renderEventTable({items[0]}, true, kNow).find("NAMESPACE   LAST SEEN"));
}

TEST(EventWatch, PrintsRowsOfFixedWidths) {
  auto items = events()["items"];
  EXPECT_EQ(
      "LAST SEEN   TYPE      REASON               OBJECT                         MESSAGE\n",
      eventWatchHeader(false));
  EXPECT_EQ(
      "20s         Warning   BackOff              service/api                    restarting in 20s\n",
      eventWatchLine(items[1], false, kNow));
  EXPECT_EQ("namespace/shop", eventObject(json::parse(
                                  R"({"involvedObject":{"kind":"Namespace","name":"shop"}})")));
}

}  // namespace
}  // namespace tender

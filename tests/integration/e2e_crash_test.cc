// Crashes against the real engine and a real `tender serve`: backoff timing
// read back from the post-mortems, OOM kills, restart policies, the log
// tail, and backoff kept across a kill -9 of tender.
#include <gtest/gtest.h>

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

class CrashE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    ns_ = uniqueName("crash");
    server_ = std::make_unique<TenderProcess>(uniqueName("crash"));
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
  void apply(const std::string& name, const std::string& script, const std::string& extra) {
    std::string body = "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns_ +
                       "}\nspec:\n  image: tender-busybox:latest\n  command: [\"sh\", \"-c\", " + json(script).dump() +
                       "]\n  stopGracePeriod: 1s\n" + extra;
    auto r = server_->client().call("POST", "/api/v1/apply", body, "application/yaml");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  json service(const std::string& name) {
    auto r = server_->client().call("GET", "/api/v1/namespaces/" + ns_ + "/services/" + name, "", "");
    return r.ok() ? json::parse(r->body) : json();
  }
  // Newest first.
  json terminations(const std::string& name) {
    auto r = server_->client().call("GET", "/api/v1/namespaces/" + ns_ + "/services/" + name + "/terminations", "", "");
    return r.ok() ? json::parse(r->body)["items"] : json::array();
  }
  template <typename F>
  bool waitFor(F f, std::chrono::seconds within) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      if (f()) return true;
      std::this_thread::sleep_for(200ms);
    }
    return f();
  }
  static double seconds(const json& rfc3339) {
    auto t = parseRfc3339(rfc3339.get<std::string>());
    return t ? std::chrono::duration<double>(t->time_since_epoch()).count() : 0;
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string ns_;
};

TEST_F(CrashE2E, RestartsFollowTheConfiguredBackoff) {
  apply("flaky", "sleep 1; exit 1", "  backoff: {initial: 1s, factor: 2, max: 4s}\n");
  ASSERT_TRUE(waitFor([&] { return terminations("flaky").size() >= 4; }, 40s)) << terminations("flaky").dump();
  json deaths = terminations("flaky");
  // Oldest first: run i died, run i+1 started after the backoff.
  std::vector<json> runs(deaths.rbegin(), deaths.rend());
  const double expected[] = {1, 2, 4};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ("Error", runs[i]["reason"]);
    EXPECT_EQ(1, runs[i]["exitCode"]);
    const double delay = seconds(runs[i + 1]["startedAt"]) - seconds(runs[i]["finishedAt"]);
    EXPECT_GE(delay, expected[i] - 0.05) << "restart " << i + 1;
    EXPECT_LE(delay, expected[i] + 1.5) << "restart " << i + 1;
    EXPECT_NEAR(1.0, runs[i]["ranSeconds"].get<double>(), 0.6);
  }
  json s = service("flaky");
  EXPECT_GE(s["status"]["restartCount"].get<int>(), 3);
}

TEST_F(CrashE2E, AnOomKillIsToldApartFromAnyOther137) {
  apply("hog", "x=0123456789; while true; do x=$x$x; done", "  resources: {limits: {memory: 8Mi}}\n  restartPolicy: Never\n");
  ASSERT_TRUE(waitFor([&] { return !terminations("hog").empty(); }, 60s));
  json t = terminations("hog")[0];
  EXPECT_EQ("OOMKilled", t["reason"]) << t.dump();
  EXPECT_EQ(137, t["exitCode"]);
  EXPECT_EQ("SIGKILL", t["signal"]);
  EXPECT_EQ(true, t["oomKilled"]);
  EXPECT_EQ(8 << 20, t["memoryLimitBytes"]);
  EXPECT_TRUE(t.contains("host")) << t.dump();
  json s = service("hog");
  EXPECT_EQ("Failed", s["status"]["phase"]);
  EXPECT_EQ("OOMKilled", s["status"]["replicaStatuses"][0]["lastTermination"]["reason"]);
}

TEST_F(CrashE2E, OnFailureLeavesASuccessAloneAndNeverRestartsNothing) {
  apply("job", "echo done; exit 0", "  restartPolicy: OnFailure\n");
  apply("once", "exit 3", "  restartPolicy: Never\n");
  ASSERT_TRUE(waitFor([&] { return !terminations("job").empty() && !terminations("once").empty(); }, 30s));
  std::this_thread::sleep_for(3s);  // time enough for a restart that must not come
  EXPECT_EQ(1u, terminations("job").size());
  EXPECT_EQ(1u, terminations("once").size());
  EXPECT_EQ("Completed", terminations("job")[0]["reason"]);
  EXPECT_EQ("Completed", service("job")["status"]["phase"]);
  EXPECT_EQ("Error", terminations("once")[0]["reason"]);
  EXPECT_EQ("Failed", service("once")["status"]["phase"]);
  for (const auto& c : containers()) EXPECT_EQ("exited", c.state) << c.name;
}

TEST_F(CrashE2E, ThePostMortemKeepsTheLastLogLines) {
  apply("talker", "for i in 1 2 3; do echo line $i; done; echo fatal: no config >&2; exit 2",
        "  backoff: {initial: 30s}\n");
  ASSERT_TRUE(waitFor(
      [&] {
        json t = terminations("talker");
        return !t.empty() && t[0].contains("logs") && !t[0]["logs"].empty();
      },
      30s));
  json t = terminations("talker")[0];
  // The engine reads stdout and stderr apart: their lines may interleave
  // either way, each stream's own order is kept.
  std::vector<std::string> lines = t["logs"];
  std::vector<std::string> stdoutLines;
  for (const auto& l : lines) {
    if (l != "fatal: no config") stdoutLines.push_back(l);
  }
  EXPECT_EQ((std::vector<std::string>{"line 1", "line 2", "line 3"}), stdoutLines) << t.dump();
  EXPECT_EQ(4u, lines.size()) << t.dump();
  // describe reads them from the status.
  ASSERT_TRUE(waitFor(
      [&] { return service("talker")["status"]["replicaStatuses"][0]["lastTermination"].contains("logs"); }, 10s));
}

TEST_F(CrashE2E, BackoffSurvivesAKillOfTender) {
  apply("flaky", "sleep 0.5; exit 1", "  backoff: {initial: 1s, factor: 40, max: 60s}\n");
  // First death: restart after 1 s; second death: wait 40 s.
  json before;
  ASSERT_TRUE(waitFor(
      [&] {
        before = service("flaky");
        return before["status"].value("phase", "") == "CrashLoopBackOff" && before["status"].value("restartCount", 0) == 1;
      },
      30s))
      << before.dump();
  const json nextRestart = before["status"]["nextRestartAt"];
  ASSERT_TRUE(nextRestart.is_string());
  server_->kill9();
  ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  json after;
  ASSERT_TRUE(waitFor(
      [&] {
        after = service("flaky");
        return after["status"].value("observedGeneration", 0) == 1 && after["status"].contains("nextRestartAt");
      },
      20s));
  std::this_thread::sleep_for(2s);  // a pass of the new server has run
  after = service("flaky");
  EXPECT_EQ("CrashLoopBackOff", after["status"]["phase"]) << after.dump();
  EXPECT_EQ(1, after["status"]["restartCount"]);
  EXPECT_EQ(nextRestart, after["status"]["nextRestartAt"]);
  EXPECT_EQ(2u, terminations("flaky").size()) << "no death recorded twice";
}

TEST_F(CrashE2E, AServiceThatTurnsUnhealthyIsRestartedAndSaysWhy) {
  // Serves /health for 4 s, then stops serving it: the HTTP check, run by
  // tender from the host against the container's address, starts failing.
  apply("sick",
        "mkdir -p /www; echo ok > /www/health; (sleep 4; rm /www/health) & exec httpd -f -p 8080 -h /www",
        "  healthcheck:\n    http: {port: 8080, path: /health}\n    interval: 500ms\n    timeout: 1s\n"
        "    retries: 2\n    restartWhenUnhealthy: true\n  backoff: {initial: 1s}\n");
  // Ready while the check passes.
  ASSERT_TRUE(waitFor([&] { return service("sick")["status"].value("readyReplicas", 0) == 1; }, 30s))
      << service("sick").dump();
  ASSERT_TRUE(waitFor([&] { return !terminations("sick").empty(); }, 30s)) << service("sick").dump();
  json t = terminations("sick")[0];
  EXPECT_EQ("Unhealthy", t["reason"]) << t.dump();
  EXPECT_NE(std::string::npos, t["message"].get<std::string>().find("health check")) << t.dump();
  // And it runs again (in place, after its backoff).
  ASSERT_TRUE(waitFor(
      [&] {
        json s = service("sick")["status"];
        return s.value("restartCount", 0) >= 1;
      },
      30s))
      << service("sick").dump();
}

TEST_F(CrashE2E, ADockerExecCheckThatFailsRestartsTheServiceToo) {
  apply("sick-exec", "touch /tmp/ok; (sleep 3; rm /tmp/ok) & while true; do sleep 1; done",
        "  healthcheck:\n    exec: [\"test\", \"-f\", \"/tmp/ok\"]\n    interval: 500ms\n    retries: 2\n"
        "    restartWhenUnhealthy: true\n  backoff: {initial: 1s}\n");
  ASSERT_TRUE(waitFor([&] { return !terminations("sick-exec").empty(); }, 40s)) << service("sick-exec").dump();
  EXPECT_EQ("Unhealthy", terminations("sick-exec")[0]["reason"]);
}

}  // namespace
}  // namespace tender

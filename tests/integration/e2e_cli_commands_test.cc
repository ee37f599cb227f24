// The tender command's newer subcommands against a running server and the
// real engine: get -o wide, describe, apply --dry-run/--prune/--wait, logs,
// restart, events (and --watch), with the exit codes a script relies on.
// Each test has its own server (--instance), namespace and containers.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/cli_run.h"
#include "tests/support/owned_objects.h"
#include "tests/support/tender_child.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using testing::TenderProcess;
using testing::uniqueName;

using testing::CliRun;
CliRun run(const std::string& args) { return testing::runTender(args); }

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string readAll(const std::string& path) { return testing::readWholeFile(path); }

using Child = testing::TenderChild;

class CliCommandsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    ns_ = uniqueName("clicmd");
    server_ = std::make_unique<TenderProcess>(uniqueName("clicmd"), serverArgs());
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
    file_ = server_->stateDir() + "-manifest.yaml";
  }
  void TearDown() override {
    run("delete namespace " + ns_ + flags());
    for (int i = 0; i < 150 && !containers().empty(); ++i) std::this_thread::sleep_for(200ms);
    server_->stop();
    testing::removeOwnedObjects(*engine_, server_->instance());
    std::remove(file_.c_str());
  }
  virtual std::vector<std::string> serverArgs() { return {}; }
  void write(const std::string& text) { std::ofstream(file_) << text; }
  std::vector<ContainerSummary> containers(const std::string& service = "") {
    auto r = engine_->listContainers(ownedFilters(server_->instance(), "", service), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  std::string flags() { return " --server " + server_->url() + (token_.empty() ? "" : " --token " + token_); }
  std::string nsFlags() { return " -n " + ns_ + flags(); }
  // A service that runs `script` (sh -c) and stops at once on TERM.
  std::string service(const std::string& name, const std::string& extra = "",
                      const std::string& script = "while true; do sleep 1; done") {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns_ +
           "}\nspec:\n  image: tender-busybox:latest\n"
           "  command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; " + script + "\"]\n"
           "  stopGracePeriod: 1s\n" + extra;
  }
  // Applies with --wait (the wait's own test is below) and checks it worked.
  void applyAndWait(const std::string& manifest) {
    write(manifest);
    CliRun r = run("apply -f " + file_ + " --wait --timeout 90s" + flags());
    ASSERT_EQ(r.exitCode, 0) << r.out << "\nsee " << server_->logPath();
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string ns_, file_;
  std::string token_;  // sent by flags() when set
};

TEST_F(CliCommandsE2E, ApplyWaitPrintsProgressUntilRunning) {
  write(service("api", "  replicas: 2\n"));
  CliRun r = run("apply -f " + file_ + " --wait --timeout 90s" + flags());
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "service/api created")) << r.out;
  EXPECT_TRUE(contains(r.out, "service/api: Running 2/2 ready")) << r.out;
  auto j = nlohmann::json::parse(run("get services api -o json" + nsFlags()).out, nullptr, false);
  EXPECT_EQ(j["status"].value("readyReplicas", 0), 2) << j.dump();
}

TEST_F(CliCommandsE2E, ApplyWaitTimesOutAndNamesTheServiceAndWhy) {
  // Running but never healthy: never ready. (A command that exits is
  // Running for a moment, and a wait may well end in that moment.)
  write(service("unhealthy", "  healthcheck: {exec: [\"false\"], interval: 1s, retries: 1}\n"));
  auto start = std::chrono::steady_clock::now();
  CliRun r = run("apply -f " + file_ + " --wait --timeout 5s" + flags());
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  EXPECT_TRUE(contains(r.out, "timed out after 5s")) << r.out;
  EXPECT_TRUE(contains(r.out, "service/unhealthy is not ready: phase Starting")) << r.out;
  EXPECT_TRUE(contains(r.out, "0/1 replicas ready")) << r.out;
}

TEST_F(CliCommandsE2E, GetWideShowsImagePortsAndTheReadyMessage) {
  const int port = testing::freeLoopbackPort();
  applyAndWait("apiVersion: tender/v1\nkind: Network\nmetadata: {name: back, namespace: " + ns_ +
               "}\nspec: {internal: true}\n---\n" +
               service("web", "  ports: [\"127.0.0.1:" + std::to_string(port) + ":80\"]\n"));
  CliRun r = run("get services -o wide" + nsFlags());
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "PORTS")) << r.out;
  EXPECT_TRUE(contains(r.out, "MESSAGE")) << r.out;
  EXPECT_TRUE(contains(r.out, "tender-busybox:latest")) << r.out;
  EXPECT_TRUE(contains(r.out, "127.0.0.1:" + std::to_string(port) + "->80/tcp")) << r.out;
  EXPECT_TRUE(contains(r.out, "1/1 replicas ready")) << r.out;

  CliRun nets = run("get networks -o wide" + nsFlags());
  EXPECT_EQ(nets.exitCode, 0) << nets.out;
  EXPECT_TRUE(contains(nets.out, "ENGINE-NAME")) << nets.out;
  EXPECT_TRUE(contains(nets.out, ns_ + "_back")) << nets.out;
}

TEST_F(CliCommandsE2E, DescribeShowsSpecReplicasAndEvents) {
  applyAndWait(service("api", "  env: {GREETING: hello}\n  restartPolicy: OnFailure\n"));
  CliRun r;
  // The Created event may be written just after the status says Running.
  for (int i = 0; i < 50; ++i) {
    r = run("describe svc api" + nsFlags());
    if (contains(r.out, "Created")) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "Name:           api\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "Namespace:      " + ns_ + "\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "Image:          tender-busybox:latest\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "Environment:    GREETING\n")) << r.out;
  EXPECT_FALSE(contains(r.out, "hello")) << "env values stay out of describe:\n" << r.out;
  EXPECT_TRUE(contains(r.out, "Restart Policy: OnFailure\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "Phase:          Running\n")) << r.out;
  EXPECT_TRUE(contains(r.out, ns_ + ".api.0   running")) << r.out;
  EXPECT_TRUE(contains(r.out, "Events:\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "Created")) << r.out;

  CliRun ns = run("describe namespace " + ns_ + flags());
  EXPECT_EQ(ns.exitCode, 0) << ns.out;
  EXPECT_TRUE(contains(ns.out, "Name:           " + ns_)) << ns.out;

  CliRun missing = run("describe service nope" + nsFlags());
  EXPECT_EQ(missing.exitCode, 1) << missing.out;
  EXPECT_TRUE(contains(missing.out, "error: ")) << missing.out;
  EXPECT_TRUE(contains(missing.out, "not found")) << missing.out;
}

TEST_F(CliCommandsE2E, DryRunShowsThePlanAndChangesNothing) {
  applyAndWait(service("api"));
  const auto before = containers("api");
  ASSERT_EQ(before.size(), 1u);

  write(service("api", "  env: {CHANGED: \"yes\"}\n"));
  CliRun r = run("apply -f " + file_ + " --dry-run" + flags());
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "service/api configured (dry run)")) << r.out;
  EXPECT_TRUE(contains(r.out, "  recreate replica 0 (" + ns_ + ".api.0)")) << r.out;

  write(service("api"));
  CliRun same = run("apply -f " + file_ + " --dry-run" + flags());
  EXPECT_EQ(same.exitCode, 0) << same.out;
  EXPECT_TRUE(contains(same.out, "service/api unchanged (dry run)")) << same.out;
  EXPECT_TRUE(contains(same.out, "  no container changes")) << same.out;

  std::this_thread::sleep_for(1s);
  const auto after = containers("api");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].id, before[0].id);
  auto j = nlohmann::json::parse(run("get services api -o json" + nsFlags()).out, nullptr, false);
  EXPECT_FALSE(j["spec"].contains("env")) << j.dump();
}

TEST_F(CliCommandsE2E, PruneDeletesWhatTheManifestsNoLongerName) {
  applyAndWait(service("keep") + "---\n" + service("old"));
  ASSERT_EQ(containers("old").size(), 1u);

  write(service("keep"));
  CliRun dry = run("apply -f " + file_ + " --prune --dry-run" + flags());
  EXPECT_EQ(dry.exitCode, 0) << dry.out;
  EXPECT_TRUE(contains(dry.out, "service/old deleted (dry run)")) << dry.out;
  EXPECT_EQ(containers("old").size(), 1u);

  CliRun r = run("apply -f " + file_ + " --prune" + flags());
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "service/keep unchanged")) << r.out;
  EXPECT_TRUE(contains(r.out, "service/old deleted")) << r.out;
  for (int i = 0; i < 150 && !containers("old").empty(); ++i) std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(containers("old").empty());
  EXPECT_EQ(containers("keep").size(), 1u);
  EXPECT_EQ(run("get services old" + nsFlags()).exitCode, 1);
}

TEST_F(CliCommandsE2E, LogsPrintWhatTheReplicasWrote) {
  applyAndWait(service("talker", "", "echo hello-from-$(hostname); while true; do sleep 1; done"));
  CliRun r;
  for (int i = 0; i < 50; ++i) {
    r = run("logs talker --tail 10" + nsFlags());
    if (contains(r.out, "hello-from-")) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "hello-from-")) << r.out;
  EXPECT_TRUE(contains(r.out, "talker.0 | ")) << r.out;

  CliRun missing = run("logs nope" + nsFlags());
  EXPECT_EQ(missing.exitCode, 1) << missing.out;
  EXPECT_TRUE(contains(missing.out, "error: ")) << missing.out;
}

TEST_F(CliCommandsE2E, RestartStartsTheContainersAgain) {
  applyAndWait(service("api"));
  auto startedAt = [&]() -> std::string {
    auto cs = containers("api");
    if (cs.size() != 1) return "";
    auto info = engine_->inspectContainer(cs[0].id);
    return info.ok() ? cs[0].id + "@" + info->state.startedAt : "";
  };
  const std::string before = startedAt();
  ASSERT_FALSE(before.empty());

  CliRun r = run("restart api" + nsFlags());
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "service/api restarted")) << r.out;
  std::string after = before;
  for (int i = 0; i < 150 && (after == before || after.empty()); ++i) {
    std::this_thread::sleep_for(200ms);
    after = startedAt();
  }
  EXPECT_NE(after, before) << "the container was neither restarted nor replaced";
  CliRun events;
  for (int i = 0; i < 50; ++i) {
    events = run("events" + nsFlags());
    if (contains(events.out, "Restart")) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(contains(events.out, "Restart")) << events.out;

  CliRun missing = run("restart nope" + nsFlags());
  EXPECT_EQ(missing.exitCode, 1) << missing.out;
}

TEST_F(CliCommandsE2E, EventsListAndWatch) {
  applyAndWait(service("first"));
  CliRun list;
  for (int i = 0; i < 50; ++i) {
    list = run("events" + nsFlags());
    if (contains(list.out, "service/first")) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(list.exitCode, 0) << list.out;
  EXPECT_TRUE(contains(list.out, "LAST SEEN")) << list.out;
  EXPECT_TRUE(contains(list.out, "service/first")) << list.out;
  EXPECT_TRUE(contains(list.out, "Created")) << list.out;

  const std::string outPath = server_->stateDir() + "-watch.out";
  Child watch({"events", "--watch", "-n", ns_, "--server", server_->url()}, outPath);
  std::this_thread::sleep_for(1s);
  write(service("second"));
  ASSERT_EQ(run("apply -f " + file_ + flags()).exitCode, 0);
  std::string seen;
  for (int i = 0; i < 300 && !contains(seen, "service/second"); ++i) {
    std::this_thread::sleep_for(200ms);
    seen = readAll(outPath);
  }
  EXPECT_TRUE(contains(seen, "service/first")) << seen;  // the list before the stream
  EXPECT_TRUE(contains(seen, "service/second")) << seen;
  EXPECT_FALSE(contains(seen, "Heartbeat")) << seen;
  EXPECT_TRUE(watch.stop()) << "the watch ended by itself:\n" << readAll(outPath);
  std::remove(outPath.c_str());
}

TEST_F(CliCommandsE2E, EventsWatchReconnectsWhenTheServerRestarts) {
  const std::string outPath = server_->stateDir() + "-rewatch.out";
  Child watch({"events", "--watch", "-n", ns_, "--server", server_->url()}, outPath);
  std::this_thread::sleep_for(1s);
  server_->stop();
  ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  write(service("after"));
  ASSERT_EQ(run("apply -f " + file_ + flags()).exitCode, 0);
  std::string seen;
  for (int i = 0; i < 300 && !contains(seen, "service/after"); ++i) {
    std::this_thread::sleep_for(200ms);
    seen = readAll(outPath);
  }
  EXPECT_TRUE(contains(seen, "reconnecting")) << seen;
  EXPECT_TRUE(contains(seen, "service/after")) << seen;
  EXPECT_TRUE(watch.stop());
  std::remove(outPath.c_str());
}

TEST_F(CliCommandsE2E, UsageErrorsExit2AndMissingObjectsExit1) {
  EXPECT_EQ(run("describe" + flags()).exitCode, 2);
  EXPECT_EQ(run("apply --wait" + flags()).exitCode, 2);
  EXPECT_EQ(run("get services -o tall" + flags()).exitCode, 2);
  EXPECT_EQ(run("events --frobnicate" + flags()).exitCode, 2);

  CliRun missing = run("get services nope" + nsFlags());
  EXPECT_EQ(missing.exitCode, 1) << missing.out;
  EXPECT_TRUE(contains(missing.out, "not found")) << missing.out;
  EXPECT_EQ(run("describe volume nope" + nsFlags()).exitCode, 1);
  EXPECT_EQ(run("delete service nope" + nsFlags()).exitCode, 0);  // reported, not a failure
}

TEST_F(CliCommandsE2E, DeleteServiceByName) {
  applyAndWait(service("gone"));
  CliRun r = run("delete service gone" + nsFlags());
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "service/gone deleted")) << r.out;
  for (int i = 0; i < 150 && !containers("gone").empty(); ++i) std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(containers("gone").empty());
}

// A server that checks bearer tokens: every command sends --token (or
// TENDER_TOKEN), and a refusal is printed as the server words it, exit 1.
class CliTokensE2E : public CliCommandsE2E {
 protected:
  std::vector<std::string> serverArgs() override {
    tokenFile_ = std::filesystem::temp_directory_path() / ("tender-tokens-" + uniqueName("t"));
    std::ofstream(tokenFile_) << "admin-token-0123456789 admin *\n"
                              << "alice-token-0123456789 alice " << ns_ << "\n";
    std::filesystem::permissions(tokenFile_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return {"--token-file", tokenFile_.string()};
  }
  void TearDown() override {
    token_ = "admin-token-0123456789";
    CliCommandsE2E::TearDown();
    std::filesystem::remove(tokenFile_);
  }
  std::filesystem::path tokenFile_;
};

TEST_F(CliTokensE2E, EveryCommandSendsTheTokenAndRefusalsAreClear) {
  // A user with no token of their own (nor the state directory's).
  ::unsetenv("TENDER_TOKEN_FILE");
  CliRun none = run("get services" + nsFlags());
  ::setenv("TENDER_TOKEN_FILE", server_->adminTokenPath().c_str(), 1);
  EXPECT_EQ(none.exitCode, 1) << none.out;
  EXPECT_TRUE(contains(none.out, "error: ")) << none.out;
  EXPECT_TRUE(contains(none.out, "token")) << none.out;

  token_ = "alice-token-0123456789";
  CliRun other = run("get services -n someone-else" + flags());
  EXPECT_EQ(other.exitCode, 1) << other.out;
  EXPECT_TRUE(contains(other.out, "error: token \"alice\" may not use namespace \"someone-else\""))
      << other.out;
  CliRun otherEvents = run("events --watch -n someone-else" + flags());
  EXPECT_EQ(otherEvents.exitCode, 1) << otherEvents.out;
  EXPECT_TRUE(contains(otherEvents.out, "may not use namespace")) << otherEvents.out;

  // TENDER_TOKEN works as --token does.
  write(service("api", "", "echo token-works; while true; do sleep 1; done"));
  CliRun applied = run("apply -f " + file_ + " --wait --timeout 90s --server " + server_->url() +
                       " --token alice-token-0123456789");
  ASSERT_EQ(applied.exitCode, 0) << applied.out;
  // Inherited by each `tender` run below and by the watch.
  ::setenv("TENDER_TOKEN", "alice-token-0123456789", 1);
  const std::string plain = " -n " + ns_ + " --server " + server_->url();
  EXPECT_EQ(run("get services -o wide" + plain).exitCode, 0);
  EXPECT_EQ(run("describe service api" + plain).exitCode, 0);
  CliRun logs;
  for (int i = 0; i < 50 && !contains(logs.out, "token-works"); ++i) {
    logs = run("logs api" + plain);
    if (!contains(logs.out, "token-works")) std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(logs.exitCode, 0) << logs.out;
  EXPECT_TRUE(contains(logs.out, "token-works")) << logs.out;
  EXPECT_EQ(run("restart api" + plain).exitCode, 0);
  EXPECT_EQ(run("events" + plain).exitCode, 0);
  const std::string outPath = server_->stateDir() + "-tokwatch.out";
  {
    Child watch({"events", "--watch", "-n", ns_, "--server", server_->url()}, outPath);
    std::string seen;
    for (int i = 0; i < 100 && !contains(seen, "service/api"); ++i) {
      std::this_thread::sleep_for(200ms);
      seen = readAll(outPath);
    }
    EXPECT_TRUE(contains(seen, "service/api")) << seen;
    EXPECT_TRUE(watch.stop()) << seen;
  }
  ::unsetenv("TENDER_TOKEN");
  std::remove(outPath.c_str());
}

}  // namespace
}  // namespace tender

// The commands that reach into a service's containers, against a running
// server and the real engine: logs -f/--since/--timestamps/--previous, exec
// (its output and exit code; -i and -t through the WebSocket: input as it is
// typed, the terminal's size, the end of input), top, get -w/-l/-o name, and a
// tenant's token refused another namespace's logs and exec. Each test has
// its own server (--instance), namespace and containers.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "base/exec_channels.h"
#include "cli/api_client.h"
#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/cli_run.h"
#include "tests/support/owned_objects.h"
#include "tests/support/tender_child.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using testing::CliRun;
using testing::TenderProcess;
using testing::uniqueName;

constexpr const char* kTenant = "tenant-token-0123456789";

CliRun run(const std::string& args) { return testing::runTender(args); }

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

using Child = testing::TenderChild;

// What an exec's WebSocket brought back: output, and the status message.
struct SocketHeard {
  std::mutex mu;
  std::condition_variable cv;
  std::string output;
  std::string status;
  bool closed = false;

  ApiSocketHandlers handlers() {
    ApiSocketHandlers h;
    h.onMessage = [this](std::string m) {
      auto msg = readExecMessage(m);
      if (!msg) return;
      std::lock_guard<std::mutex> l(mu);
      if (msg->channel == ExecChannel::kStatus) {
        status = std::string(msg->data);
      } else {
        output += std::string(msg->data);
      }
      cv.notify_all();
    };
    h.onClose = [this](const Status&) {
      std::lock_guard<std::mutex> l(mu);
      closed = true;
      cv.notify_all();
    };
    return h;
  }
  bool waitForOutput(const std::string& part) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, 30s, [&] { return contains(output, part); });
  }
  // Waits for the status message: the command's exit code, -1 for none.
  int exitCode() {
    std::unique_lock<std::mutex> l(mu);
    if (!cv.wait_for(l, 30s, [&] { return !status.empty(); })) return -1;
    return nlohmann::json::parse(status, nullptr, false).value("exitCode", -1);
  }
  std::string said() {
    std::lock_guard<std::mutex> l(mu);
    return output;
  }
};

class ContainerCommandsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    ns_ = uniqueName("ctr");
    other_ = uniqueName("ctr-other");
    tokenFile_ = std::filesystem::temp_directory_path() / (uniqueName("tokens") + ".txt");
    std::ofstream(tokenFile_) << kTenant << " tenant " << other_ << "\n";
    std::filesystem::permissions(tokenFile_, std::filesystem::perms::owner_read |
                                                 std::filesystem::perms::owner_write);
    server_ = std::make_unique<TenderProcess>(
        uniqueName("ctr"), std::vector<std::string>{"--token-file", tokenFile_.string()});
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
    file_ = server_->stateDir() + "-manifest.yaml";
    out_ = server_->stateDir() + "-child.out";
  }
  void TearDown() override {
    if (!server_) return;
    run("delete namespace " + ns_ + flags());
    for (int i = 0; i < 150 && !containers().empty(); ++i) std::this_thread::sleep_for(200ms);
    server_->stop();
    testing::removeOwnedObjects(*engine_, server_->instance());
    std::remove(file_.c_str());
    std::filesystem::remove(tokenFile_);
  }
  std::vector<ContainerSummary> containers() {
    auto r = engine_->listContainers(ownedFilters(server_->instance()), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  std::string flags() { return " --server " + server_->url(); }
  std::string nsFlags() { return " -n " + ns_ + flags(); }
  std::vector<std::string> childArgs(std::vector<std::string> args) {
    for (const std::string& a : {std::string("-n"), ns_, std::string("--server"), server_->url()})
      args.push_back(a);
    return args;
  }
  // A service that says "early" and then runs until TERM.
  std::string service(const std::string& name, const std::string& extra = "") {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns_ +
           ", labels: {tier: " + name + "}}\nspec:\n  image: tender-busybox:latest\n"
           "  command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo early; while true; do sleep 1; done\"]\n"
           "  stopGracePeriod: 1s\n" + extra;
  }
  // Service web's exec WebSocket, as the admin; `query` after "?command=".
  std::unique_ptr<ApiSocket> openExec(const std::string& query, SocketHeard& heard) {
    ApiClient client = server_->client();
    auto socket = client.openSocket("/api/v1/namespaces/" + ns_ + "/services/web/exec?command=" + query,
                                    kExecSubprotocol, heard.handlers());
    EXPECT_TRUE(socket.ok()) << socket.status().ToString() << "\nsee " << server_->logPath();
    return socket.ok() ? std::move(*socket) : nullptr;
  }
  void applyAndWait(const std::string& manifest) {
    std::ofstream(file_) << manifest;
    CliRun r = run("apply -f " + file_ + " --wait --timeout 90s" + flags());
    ASSERT_EQ(r.exitCode, 0) << r.out << "\nsee " << server_->logPath();
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::filesystem::path tokenFile_;
  std::string ns_, other_, file_, out_;
};

TEST_F(ContainerCommandsE2E, LogsFollowSeesALineWrittenAfterItStarted) {
  applyAndWait(service("web", "  replicas: 2\n"));
  Child follow(childArgs({"logs", "web", "-f"}), out_);
  ASSERT_TRUE(follow.waitFor("web.1 | early")) << follow.output();
  // Written to the container's own stdout, after the follow began.
  CliRun e = run("exec web -r 1" + nsFlags() + " -- sh -c 'echo late-line > /proc/1/fd/1'");
  ASSERT_EQ(e.exitCode, 0) << e.out;
  EXPECT_TRUE(follow.waitFor("web.1 | late-line")) << follow.output();
  EXPECT_TRUE(follow.stop()) << "a follow runs until interrupted:\n" << follow.output();
  // The backlog came once: no line twice.
  const std::string out = follow.output();
  EXPECT_EQ(out.find("web.1 | early"), out.rfind("web.1 | early")) << out;
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST_F(ContainerCommandsE2E, LogsFollowGoesOnAcrossARestartAndARecreationAndEndsWithTheService) {
  const std::string backoff = "  backoff: {initial: 1s}\n";
  applyAndWait(service("web", backoff));
  Child follow(childArgs({"logs", "web", "-f"}), out_);
  ASSERT_TRUE(follow.waitFor("web.0 | early")) << follow.output();
  // The process ends: restarted in place, the same container's next run.
  CliRun e = run("exec web" + nsFlags() + " -- sh -c 'echo last-of-run-1 > /proc/1/fd/1; kill 1'");
  ASSERT_TRUE(follow.waitFor("web.0 | last-of-run-1")) << follow.output();
  for (int i = 0; i < 300 && count(follow.output(), "web.0 | early") < 2; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(count(follow.output(), "web.0 | early"), 2u) << follow.output() << "\nsee " << server_->logPath();
  // A new spec: a new container, followed from its first line.
  applyAndWait(service("web", backoff + "  env: {RUN: two}\n"));
  for (int i = 0; i < 300 && count(follow.output(), "web.0 | early") < 3; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(count(follow.output(), "web.0 | early"), 3u) << follow.output() << "\nsee " << server_->logPath();
  EXPECT_EQ(count(follow.output(), "last-of-run-1"), 1u) << "no line twice:\n" << follow.output();
  // Deleted: the follow ends by itself.
  CliRun del = run("delete service web" + nsFlags());
  ASSERT_EQ(del.exitCode, 0) << del.out;
  EXPECT_TRUE(follow.waitForExit(60s)) << follow.output();
}

TEST_F(ContainerCommandsE2E, LogsSinceAndTimestamps) {
  applyAndWait(service("web"));
  CliRun stamped = run("logs web --timestamps" + nsFlags());
  EXPECT_EQ(stamped.exitCode, 0) << stamped.out;
  EXPECT_TRUE(contains(stamped.out, "Z web.0 | early")) << stamped.out;
  CliRun recent = run("logs web --since 1h" + nsFlags());
  EXPECT_TRUE(contains(recent.out, "web.0 | early")) << recent.out;
  CliRun future = run("logs web --since 2099-01-01T00:00:00Z" + nsFlags());
  EXPECT_EQ(future.exitCode, 0) << future.out;
  EXPECT_FALSE(contains(future.out, "early")) << future.out;
  CliRun bad = run("logs web --since yesterday" + nsFlags());
  EXPECT_EQ(bad.exitCode, 1) << bad.out;
  EXPECT_TRUE(contains(bad.out, "since")) << bad.out;
}

TEST_F(ContainerCommandsE2E, LogsPreviousShowsTheRunThatDied) {
  applyAndWait(service("web"));
  CliRun none = run("logs web --previous" + nsFlags());
  EXPECT_EQ(none.exitCode, 1) << none.out;
  EXPECT_TRUE(contains(none.out, "no terminated run")) << none.out;
  CliRun kill = run("exec web" + nsFlags() + " -- sh -c 'echo last-words > /proc/1/fd/1; kill 1'");
  CliRun prev;
  for (int i = 0; i < 100; ++i) {
    prev = run("logs web --previous" + nsFlags());
    if (contains(prev.out, "last-words")) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(prev.exitCode, 0) << prev.out << "\nsee " << server_->logPath();
  EXPECT_TRUE(contains(prev.out, "web.0 | last-words")) << prev.out;
}

TEST_F(ContainerCommandsE2E, ExecReturnsTheCommandsOutputAndExitCode) {
  applyAndWait(service("web"));
  CliRun r = run("exec web" + nsFlags() + " -- sh -c 'echo to-out; echo to-err >&2; exit 3'");
  EXPECT_EQ(r.exitCode, 3) << r.out;
  EXPECT_TRUE(contains(r.out, "to-out\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "to-err\n")) << r.out;
  CliRun ok = run("exec web" + nsFlags() + " -- true");
  EXPECT_EQ(ok.exitCode, 0) << ok.out;
  CliRun in = testing::runShell("printf 'one\\ntwo\\n' | " + std::string(TENDER_BINARY) +
                                " exec -i web" + nsFlags() + " -- wc -l");
  EXPECT_EQ(in.exitCode, 0) << in.out;
  EXPECT_TRUE(contains(in.out, "2")) << in.out;
  CliRun missing = run("exec web -r 7" + nsFlags() + " -- true");
  EXPECT_EQ(missing.exitCode, 1) << missing.out;
  EXPECT_TRUE(contains(missing.out, "replica 7")) << missing.out;
  CliRun notThere = run("exec web" + nsFlags() + " -- /no/such/command");
  EXPECT_NE(notThere.exitCode, 0) << notThere.out;
}

TEST_F(ContainerCommandsE2E, AnInteractiveExecTakesInputAsItIsTypedInATerminalOfTheAskedSize) {
  applyAndWait(service("web"));
  SocketHeard heard;
  auto socket = openExec("sh&stdin=true&tty=true", heard);
  ASSERT_TRUE(socket);
  ASSERT_TRUE(socket->send(resizeMessage({97, 31})).ok());
  // The second line is typed only once the first one's answer is back: the
  // input goes as it comes, not once it has ended.
  ASSERT_TRUE(socket->send(execMessage(ExecChannel::kStdin, "echo $((6*7))\r")).ok());
  ASSERT_TRUE(heard.waitForOutput("42")) << heard.said();
  ASSERT_TRUE(socket->send(execMessage(ExecChannel::kStdin, "stty size; exit 5\r")).ok());
  EXPECT_EQ(heard.exitCode(), 5) << heard.said();
  EXPECT_TRUE(contains(heard.said(), "31 97")) << heard.said();
}

TEST_F(ContainerCommandsE2E, TheEndOfAnInteractiveInputEndsTheCommandsInput) {
  applyAndWait(service("web"));
  SocketHeard heard;
  auto socket = openExec("sh&command=-c&command=cat%3Becho%20eof&stdin=true", heard);
  ASSERT_TRUE(socket);
  ASSERT_TRUE(socket->send(execMessage(ExecChannel::kStdin, "piped\n")).ok());
  ASSERT_TRUE(heard.waitForOutput("piped\n")) << heard.said();
  ASSERT_TRUE(socket->send(execMessage(ExecChannel::kClose, std::string(1, '\0'))).ok());
  EXPECT_EQ(heard.exitCode(), 0) << heard.said();
  EXPECT_TRUE(contains(heard.said(), "eof")) << heard.said();
}

TEST_F(ContainerCommandsE2E, ExecDashItGivesTheLocalTerminalsSizeAndKeys) {
  applyAndWait(service("web"));
  // script(1) gives the command a terminal of its own, sized by stty.
  // The engine here (API 1.41) sizes a command's terminal only once it
  // runs, so the command looks a moment later; the keys are typed once it
  // asks for them.
  const std::string inner = "stty cols 101 rows 33; " + std::string(TENDER_BINARY) + " exec -it web" + nsFlags() +
                            " -- sh -c 'sleep 0.5; stty size; echo ready; read line; echo \"got:\\$line\"; exit 6'";
  CliRun r = testing::runShell("(sleep 3; printf 'typed\\r'; sleep 2) | script -qec \"" + inner + "\" /dev/null");
  EXPECT_EQ(r.exitCode, 6) << r.out;
  EXPECT_TRUE(contains(r.out, "33 101")) << r.out;
  EXPECT_TRUE(contains(r.out, "got:typed")) << r.out;
}

TEST_F(ContainerCommandsE2E, ATenantTokenOfAnotherNamespaceIsRefusedLogsAndExec) {
  applyAndWait(service("web"));
  const std::string as = " --token " + std::string(kTenant);
  CliRun logs = run("logs web" + nsFlags() + as);
  EXPECT_EQ(logs.exitCode, 1) << logs.out;
  EXPECT_TRUE(contains(logs.out, "may not use namespace \"" + ns_ + "\"")) << logs.out;
  CliRun exec = run("exec web" + nsFlags() + as + " -- true");
  EXPECT_EQ(exec.exitCode, 1) << exec.out;
  EXPECT_TRUE(contains(exec.out, "may not use namespace \"" + ns_ + "\"")) << exec.out;
  CliRun interactive = testing::runShell("echo x | " + std::string(TENDER_BINARY) + " exec -i web" + nsFlags() + as +
                                         " -- cat");
  EXPECT_EQ(interactive.exitCode, 1) << interactive.out;
  EXPECT_TRUE(contains(interactive.out, "may not use namespace \"" + ns_ + "\"")) << interactive.out;
  EXPECT_FALSE(contains(interactive.out, "\nx")) << interactive.out;
  // The HTTP answer itself is 403.
  CliRun raw = testing::runShell("curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer " +
                                 std::string(kTenant) + "' -d '{\"command\":[\"true\"]}' " + server_->url() +
                                 "/api/v1/namespaces/" + ns_ + "/services/web/exec");
  EXPECT_EQ(raw.out, "403") << raw.out;
  // The WebSocket's handshake too.
  CliRun upgrade = testing::runShell(
      "curl -s -o /dev/null -w '%{http_code}' -H 'Connection: Upgrade' -H 'Upgrade: websocket' "
      "-H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Authorization: Bearer " +
      std::string(kTenant) + "' '" + server_->url() + "/api/v1/namespaces/" + ns_ +
      "/services/web/exec?command=true'");
  EXPECT_EQ(upgrade.out, "403") << upgrade.out;
}

TEST_F(ContainerCommandsE2E, TopShowsEachReplicaAgainstItsLimits) {
  applyAndWait(service("web", "  replicas: 2\n  resources: {limits: {memory: 64Mi}}\n"));
  CliRun r = run("top web" + nsFlags());
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "MEMORY LIMIT")) << r.out;
  EXPECT_TRUE(contains(r.out, "web.0")) << r.out;
  EXPECT_TRUE(contains(r.out, "web.1")) << r.out;
  EXPECT_TRUE(contains(r.out, "64")) << r.out;
  CliRun all = run("top" + nsFlags());
  EXPECT_EQ(all.exitCode, 0) << all.out;
  EXPECT_TRUE(contains(all.out, "web.1")) << all.out;
}

TEST_F(ContainerCommandsE2E, GetWatchPrintsAPhaseChange) {
  applyAndWait(service("web"));
  Child watch(childArgs({"get", "services", "-w"}), out_);
  ASSERT_TRUE(watch.waitFor("Running")) << watch.output();
  std::ofstream(file_) << service("web", "  replicas: 0\n");
  CliRun r = run("apply -f " + file_ + flags());
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(watch.waitFor("Stopped")) << watch.output();
  EXPECT_TRUE(watch.stop()) << watch.output();
}

TEST_F(ContainerCommandsE2E, GetSelectsByLabelAndPrintsNames) {
  applyAndWait(service("web") + "---\n" + service("api"));
  CliRun names = run("get services -o name" + nsFlags());
  EXPECT_EQ(names.exitCode, 0) << names.out;
  EXPECT_EQ(names.out, "service/api\nservice/web\n");
  CliRun web = run("get services -l tier=web -o name" + nsFlags());
  EXPECT_EQ(web.out, "service/web\n");
  CliRun notWeb = run("get services -l tier!=web -o name" + nsFlags());
  EXPECT_EQ(notWeb.out, "service/api\n");
  CliRun bad = run("get services -l tier" + nsFlags());
  EXPECT_EQ(bad.exitCode, 1) << bad.out;
  EXPECT_TRUE(contains(bad.out, "labelSelector")) << bad.out;
}

TEST_F(ContainerCommandsE2E, BadInputIsA400NamingTheParameter) {
  applyAndWait(service("web"));
  const std::string base = server_->url() + "/api/v1/namespaces/" + ns_ + "/services/web";
  auto status = [&](const std::string& args) {
    return testing::runShell("curl -s -w ' %{http_code}' -H '" + server_->authHeader() + "' " + args).out;
  };
  for (const char* q : {"?since=soon", "?tail=x", "?replica=-1", "?previous=true&follow=true"}) {
    std::string out = status("'" + base + "/logs" + q + "'");
    EXPECT_TRUE(contains(out, " 400")) << q << ": " << out;
  }
  EXPECT_TRUE(contains(status("'" + base + "/logs?since=soon'"), "\"field\":\"since\"")) << "since";
  std::string noCommand = status("-X POST -d '{\"cmd\":[]}' '" + base + "/exec'");
  EXPECT_TRUE(contains(noCommand, " 400")) << noCommand;
  EXPECT_TRUE(contains(noCommand, "\"field\":\"command\"")) << noCommand;
  EXPECT_TRUE(contains(status("-X POST -d 'not json' '" + base + "/exec'"), " 400"));
  // The WebSocket's parameters, answered before any upgrade.
  for (const char* q : {"?command=sh&width=0&height=20", "?command=sh&width=80", "?command=sh&height=70000&width=80"}) {
    std::string out = status("'" + base + "/exec" + q + "'");
    EXPECT_TRUE(contains(out, " 400")) << q << ": " << out;
    EXPECT_TRUE(contains(out, "\"field\":\"width\"") || contains(out, "\"field\":\"height\"")) << q << ": " << out;
  }
  std::string noArgs = status("'" + base + "/exec'");
  EXPECT_TRUE(contains(noArgs, " 400") && contains(noArgs, "\"field\":\"command\"")) << noArgs;
  std::string notUpgraded = status("'" + base + "/exec?command=true'");
  EXPECT_TRUE(contains(notUpgraded, " 400") && contains(notUpgraded, "WebSocket")) << notUpgraded;
  EXPECT_TRUE(contains(status("'" + base + "/stats?replica=x'"), " 400"));
  EXPECT_TRUE(contains(status("'" + server_->url() + "/api/v1/namespaces/" + ns_ + "/services?watch=maybe'"), " 400"));
  EXPECT_TRUE(contains(status("'" + server_->url() + "/api/v1/namespaces/" + ns_ + "/services/nope/logs'"), " 404"));
}

}  // namespace
}  // namespace tender

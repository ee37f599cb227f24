// Compose files through the real `tender` binary, a real server and the real
// engine: the example stack written as a Compose file runs as it says, and
// what `tender convert` prints is the same thing in native manifests.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/cli_run.h"
#include "tests/support/raw_http.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using testing::TenderProcess;
using testing::uniqueName;

using testing::CliRun;

// Runs `tender ARGS` with `env` ("A=1 B=2") before it, in `dir` when given.
CliRun run(const std::string& args, const std::string& env = "", const std::string& dir = "") {
  return testing::runShell((dir.empty() ? "" : "cd '" + dir + "' && ") + "env " + env + " " +
                           std::string(TENDER_BINARY) + " " + args);
}

std::string httpGet(int port, const std::string& path) {
  for (int i = 0; i < 50; ++i) {
    auto c = testing::RawHttp::tcp(port);
    if (c.connected() && c.send("GET", path, "Connection: close")) {
      auto reply = c.reply(2s);
      if (reply && reply->status == 200) return reply->body;
    }
    std::this_thread::sleep_for(200ms);
  }
  return "";
}

const std::string kExample = std::string(TENDER_SOURCE_DIR) + "/manifests/examples/compose/compose.yaml";

class ComposeE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    ASSERT_TRUE(engine_->inspectImage("tender-busybox:latest").ok()) << "run scripts/build-test-image";
    ns_ = uniqueName("compose");
    server_ = std::make_unique<TenderProcess>(uniqueName("compose"));
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
    dir_ = server_->stateDir() + "-files";
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    run("delete namespaces " + ns_ + flags());
    for (int i = 0; i < 150 && !containers().empty(); ++i) std::this_thread::sleep_for(200ms);
    server_->stop();
    for (const auto& c : containers()) engine_->removeContainer(c.id, true, true);
    if (auto nets = engine_->listNetworks(ownedFilters(server_->instance())); nets.ok()) {
      for (const auto& n : *nets) engine_->removeNetwork(n.id);
    }
    if (auto vols = engine_->listVolumes(ownedFilters(server_->instance())); vols.ok()) {
      for (const auto& v : *vols) engine_->removeVolume(v.name, true);
    }
    std::filesystem::remove_all(dir_);
  }
  std::vector<ContainerSummary> containers() {
    auto r = engine_->listContainers(ownedFilters(server_->instance()), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  std::string flags() { return " --server " + server_->url(); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ + "/" + name) << text; }

  // The container once running (and healthy when it has a check), or nullopt after `wait`.
  std::optional<ContainerInfo> running(const std::string& name, std::chrono::seconds wait = 60s) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      auto c = engine_->inspectContainer(name);
      if (c.ok() && c->raw["State"].value("Running", false)) return *c;
      std::this_thread::sleep_for(250ms);
    }
    return std::nullopt;
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string ns_, dir_;
};

bool hasEnv(const ContainerInfo& c, const std::string& entry) {
  for (const auto& e : c.raw["Config"]["Env"]) {
    if (e == entry) return true;
  }
  return false;
}

TEST_F(ComposeE2E, TheExampleStackRunsAsItsComposeFileSays) {
  const int webPort = testing::freeLoopbackPort();
  const std::string env = "WEB_PORT=" + std::to_string(webPort) + " LOG_LEVEL=debug GREETING=hello-e2e";
  CliRun applied = run("apply -f " + kExample + " -p " + ns_ + flags(), env);
  ASSERT_EQ(applied.exitCode, 0) << applied.out;
  for (const char* line : {"network/backend created", "volume/db-data created", "service/db created",
                           "service/api created", "service/web created"}) {
    EXPECT_NE(applied.out.find(line), std::string::npos) << line << "\n" << applied.out;
  }
  EXPECT_EQ(applied.out.find("warning"), std::string::npos) << applied.out;

  auto db = running(containerName(ns_, "db", 0));
  ASSERT_TRUE(db) << "db never ran; see " << server_->logPath();
  auto api0 = running(containerName(ns_, "api", 0));
  auto api1 = running(containerName(ns_, "api", 1));
  auto web = running(containerName(ns_, "web", 0));
  ASSERT_TRUE(api0 && api1 && web) << "see " << server_->logPath();

  // Labels, environment (interpolated from the client's), memory in Docker units.
  EXPECT_EQ(db->labels["tier"], "data");
  EXPECT_EQ(api0->labels["tier"], "backend");
  EXPECT_TRUE(hasEnv(*api0, "DB_HOST=db"));
  EXPECT_TRUE(hasEnv(*api0, "LOG_LEVEL=debug"));
  EXPECT_EQ(api0->memoryLimit, 32 << 20);
  EXPECT_EQ(db->raw["HostConfig"]["MemoryReservation"], 16 << 20);
  EXPECT_EQ(api0->configImage, "tender-demo-api:latest");

  // The volume and the network are the project's.
  EXPECT_TRUE(engine_->inspectVolume(scopedName(ns_, "db-data")).ok());
  EXPECT_TRUE(api0->networkIps.count(scopedName(ns_, "backend"))) << api0->raw["NetworkSettings"].dump();

  // The db's healthcheck runs; depends_on is kept on the services (this
  // controller does not order starts by it yet, so no order is asserted).
  for (int i = 0; i < 40 && engine_->inspectContainer(db->id)->raw["State"]["Health"].value("Status", "") != "healthy";
       ++i) {
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_EQ(engine_->inspectContainer(db->id)->raw["State"]["Health"].value("Status", ""), "healthy");
  CliRun got = run("get service api -n " + ns_ + " -o json" + flags());
  json apiObject = json::parse(got.out, nullptr, false);
  ASSERT_TRUE(apiObject.is_object()) << got.out;
  EXPECT_EQ(apiObject["spec"]["dependsOn"], json::parse(R"({"db":{"condition":"healthy"}})"));

  // The web answers on the port the environment chose; the api, built with
  // the build argument, on the port the engine picked.
  EXPECT_NE(httpGet(webPort, "/").find("tender demo"), std::string::npos);
  const json& bound = api0->raw["NetworkSettings"]["Ports"]["8080/tcp"];
  ASSERT_TRUE(bound.is_array() && !bound.empty()) << api0->raw["NetworkSettings"].dump();
  EXPECT_EQ(bound[0].value("HostIp", ""), "127.0.0.1");
  EXPECT_EQ(httpGet(std::stoi(bound[0].value("HostPort", "0")), "/health"), "{\"status\":\"hello-e2e\"}\n");

  // `tender convert` prints the same objects: applied as native manifests they change nothing.
  CliRun converted = run("convert -f " + kExample + " -p " + ns_, env);
  ASSERT_EQ(converted.exitCode, 0) << converted.out;
  write("native.yaml", converted.out);
  CliRun again = run("apply -f " + dir_ + "/native.yaml" + flags());
  ASSERT_EQ(again.exitCode, 0) << again.out;
  for (const char* line : {"network/backend unchanged", "volume/db-data unchanged", "service/db unchanged",
                           "service/api unchanged", "service/web unchanged"}) {
    EXPECT_NE(again.out.find(line), std::string::npos) << line << "\n" << again.out << "\n" << converted.out;
  }
}

TEST_F(ComposeE2E, OverridesDotEnvWarningsAndStrict) {
  write("compose.yaml",
        "services:\n"
        "  app:\n"
        "    image: tender-busybox:latest\n"
        "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 1; done\"]\n"
        "    environment: {GREETING: \"${GREETING:?set it in .env}\", FROM_FILE: base}\n"
        "    cgroup_parent: m-executor\n"
        "    stop_grace_period: 1s\n"
        "  debug: {image: tender-busybox:latest, profiles: [debug]}\n");
  write("compose.override.yaml", "services:\n  app:\n    env_file: app.env\n    labels: {overridden: \"yes\"}\n");
  write("app.env", "FROM_FILE=app.env\n");

  // Without .env, the required variable is missing: nothing is applied.
  CliRun missing = run("apply -f compose.yaml -p " + ns_ + flags(), "", dir_);
  EXPECT_EQ(missing.exitCode, 1) << missing.out;
  EXPECT_NE(missing.out.find("services.app.environment.GREETING: required variable GREETING is missing a value: "
                             "set it in .env"),
            std::string::npos)
      << missing.out;

  write(".env", "GREETING=hello from dotenv\n");
  CliRun strict = run("apply -f compose.yaml --strict -p " + ns_ + flags(), "", dir_);
  EXPECT_EQ(strict.exitCode, 1) << strict.out;
  EXPECT_NE(strict.out.find("services.app.cgroup_parent: is not supported by tender"), std::string::npos)
      << strict.out;

  CliRun applied = run("apply -f compose.yaml -p " + ns_ + flags(), "", dir_);
  ASSERT_EQ(applied.exitCode, 0) << applied.out;
  EXPECT_NE(applied.out.find("warning: services.app.cgroup_parent: not supported by tender"), std::string::npos)
      << applied.out;
  EXPECT_NE(applied.out.find("service/app created"), std::string::npos) << applied.out;
  EXPECT_EQ(applied.out.find("service/debug"), std::string::npos) << applied.out;
  auto app = running(containerName(ns_, "app", 0));
  ASSERT_TRUE(app) << "see " << server_->logPath();
  EXPECT_TRUE(hasEnv(*app, "GREETING=hello from dotenv"));
  EXPECT_TRUE(hasEnv(*app, "FROM_FILE=base"));  // environment wins over env_file
  EXPECT_EQ(app->labels["overridden"], "yes");

  CliRun profiled = run("convert -f compose.yaml --profile debug -p " + ns_ + " -o json", "", dir_);
  ASSERT_EQ(profiled.exitCode, 0) << profiled.out;
  EXPECT_NE(profiled.out.find("\"name\": \"debug\""), std::string::npos) << profiled.out;
}

TEST_F(ComposeE2E, TheApiAcceptsAComposeBodyAsItIs) {
  ApiClient client = server_->client();
  const std::string body =
      "services:\n  app:\n    image: tender-busybox:latest\n    cpu_count: 2\n"
      "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 1; done\"]\n"
      "    environment: {MODE: \"${MODE:-server-default}\"}\n    stop_grace_period: 1s\n";
  auto unnamed = client.call("POST", "/api/v1/apply", body, "application/yaml");
  ASSERT_FALSE(unnamed.ok());
  ASSERT_EQ(unnamed.status().details().size(), 1u) << unnamed.status().ToString();
  EXPECT_EQ(unnamed.status().details()[0].field, "project");

  auto applied = client.call("POST", "/api/v1/apply?project=" + ns_, body, "application/yaml");
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  json answer = json::parse(applied->body);
  json kinds = json::object();
  for (const json& item : answer["items"]) kinds[item.value("kind", "")] = item;
  EXPECT_EQ(kinds["Namespace"].value("name", ""), ns_);
  EXPECT_EQ(kinds["Service"].value("name", ""), "app");
  EXPECT_EQ(kinds["Service"].value("namespace", ""), ns_);
  EXPECT_EQ(answer["warnings"], json::array({"services.app.cpu_count: not supported by tender; ignored"}));
  auto app = running(containerName(ns_, "app", 0));
  ASSERT_TRUE(app) << "see " << server_->logPath();
  EXPECT_TRUE(hasEnv(*app, "MODE=server-default"));
}

TEST_F(ComposeE2E, ATerminalAndAnOpenStdinKeepAShellRunningAndItsLogsRead) {
  // The way many compose files keep a bare shell container up.
  write("compose.yaml",
        "services:\n  shell:\n    image: tender-busybox:latest\n    tty: true\n    stdin_open: true\n"
        "    entrypoint: [\"sh\", \"-c\", \"echo started-on-a-tty; [ -t 0 ] && echo stdin-is-a-tty; exec sh\"]\n"
        "    domainname: corp.example\n    mac_address: \"02:42:ac:11:ff:02\"\n    cpu_quota: 50000\n"
        "    stop_grace_period: 1s\n");
  CliRun applied = run("apply -f " + dir_ + "/compose.yaml -p " + ns_ + " --wait --timeout 60s" + flags());
  ASSERT_EQ(applied.exitCode, 0) << applied.out << "\nsee " << server_->logPath();
  EXPECT_EQ(applied.out.find("warn"), std::string::npos) << applied.out;
  auto shell = running(containerName(ns_, "shell", 0));
  ASSERT_TRUE(shell) << "see " << server_->logPath();
  EXPECT_TRUE(shell->raw["Config"].value("Tty", false));
  EXPECT_TRUE(shell->raw["Config"].value("OpenStdin", false));
  EXPECT_EQ(shell->raw["Config"].value("Domainname", ""), "corp.example");
  EXPECT_EQ(shell->raw["HostConfig"].value("NanoCpus", int64_t{0}), 500000000);
  bool macSet = false;
  for (const auto& [net, endpoint] : shell->raw["NetworkSettings"]["Networks"].items())
    macSet = macSet || endpoint.value("MacAddress", "") == "02:42:ac:11:ff:02";
  EXPECT_TRUE(macSet) << shell->raw["NetworkSettings"].dump();
  // Still running a few seconds on: sh waits on its open stdin.
  std::this_thread::sleep_for(3s);
  auto later = engine_->inspectContainer(shell->id);
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later->raw["State"].value("Running", false));
  EXPECT_EQ(later->raw["State"].value("StartedAt", ""), shell->raw["State"].value("StartedAt", ""));
  CliRun logs = run("logs shell -n " + ns_ + flags());
  EXPECT_NE(logs.out.find("shell.0 | started-on-a-tty"), std::string::npos) << logs.out;
  EXPECT_NE(logs.out.find("shell.0 | stdin-is-a-tty"), std::string::npos) << logs.out;
}

}  // namespace
}  // namespace tender

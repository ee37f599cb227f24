// Compose's secrets and configs against the real engine and a real server:
// the tender command reads a secret's file and an environment variable and
// uploads them; each container finds them at their targets with their owner
// and mode; no event, log line or stored spec holds the secret's value; and
// an edited file replaces only the service that uses it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/cli_run.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using testing::CliRun;
using testing::TenderProcess;
using testing::uniqueName;

constexpr const char* kCompose = R"(services:
  db:
    image: tender-busybox:latest
    command: ["sh", "-c", "cat /run/secrets/db_password; echo; stat -c %u:%g:%a /run/secrets/db_password; cat /run/secrets/token; echo; cat /etc/db.conf; echo; sleep 3600"]
    secrets:
      - source: db_password
        uid: "70"
        gid: "70"
        mode: 0400
      - source: api_token
        target: token
    configs:
      - source: db_conf
        target: /etc/db.conf
  web:
    image: tender-busybox:latest
    command: ["sleep", "3600"]
secrets:
  db_password: {file: ./db_password.txt}
  api_token: {environment: API_TOKEN}
configs:
  db_conf: {content: "max_connections=7"}
)";

class ComposeSecretsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    ASSERT_TRUE(engine_->inspectImage("tender-busybox:latest").ok()) << "run scripts/build-test-image";
    ns_ = uniqueName("secrets");
    server_ = std::make_unique<TenderProcess>(uniqueName("secrets"));
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
    dir_ = server_->stateDir() + "-files";
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/docker-compose.yml") << kCompose;
    std::ofstream(dir_ + "/db_password.txt") << "first-Pa55word";
  }
  void TearDown() override {
    tender("delete namespaces " + ns_);
    for (int i = 0; i < 150 && !containers().empty(); ++i) std::this_thread::sleep_for(200ms);
    server_->stop();
    for (const auto& c : containers()) engine_->removeContainer(c.id, true, true);
    if (auto nets = engine_->listNetworks(ownedFilters(server_->instance())); nets.ok()) {
      for (const auto& n : *nets) engine_->removeNetwork(n.id);
    }
    std::filesystem::remove_all(dir_);
  }
  std::vector<ContainerSummary> containers() {
    auto r = engine_->listContainers(ownedFilters(server_->instance()), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  CliRun tender(const std::string& args) {
    return testing::runShell("cd '" + dir_ + "' && API_TOKEN=tok-from-env " + std::string(TENDER_BINARY) + " " +
                             args + " --server " + server_->url());
  }
  // The db container's id and what it printed, once it printed its four lines.
  std::pair<std::string, std::vector<std::string>> dbOutput(const std::string& notId = "") {
    for (int i = 0; i < 240; ++i) {
      auto c = engine_->inspectContainer(containerName(ns_, "db", 0));
      if (c.ok() && c->id != notId) {
        LogOptions lo;
        lo.tail = 10;
        auto logs = engine_->containerLogs(c->id, lo);
        if (logs.ok() && logs->size() >= 4) {
          std::vector<std::string> lines;
          for (const auto& l : *logs) lines.push_back(l.text);
          return {c->id, lines};
        }
      }
      std::this_thread::sleep_for(250ms);
    }
    return {"", {}};
  }
  std::string webId() {
    auto c = engine_->inspectContainer(containerName(ns_, "web", 0));
    return c.ok() ? c->id : "";
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string ns_, dir_;
};

TEST_F(ComposeSecretsE2E, ContainersReadTheirSecretsAndOnlyTheirUsersAreReplacedWhenOneChanges) {
  CliRun applied = tender("apply -f docker-compose.yml -p " + ns_);
  ASSERT_EQ(applied.exitCode, 0) << applied.out;
  auto [dbId, lines] = dbOutput();
  ASSERT_EQ(lines.size(), 4u) << "see " << server_->logPath();
  EXPECT_EQ(lines[0], "first-Pa55word");
  EXPECT_EQ(lines[1], "70:70:400");
  EXPECT_EQ(lines[2], "tok-from-env");
  EXPECT_EQ(lines[3], "max_connections=7");
  for (int i = 0; i < 80 && webId().empty(); ++i) std::this_thread::sleep_for(250ms);
  const std::string web = webId();
  ASSERT_FALSE(web.empty());

  // Neither the stored spec, the events nor the server's log holds a value.
  CliRun described = tender("get services db -n " + ns_ + " -o yaml");
  CliRun events = tender("events -n " + ns_);
  std::ifstream logFile(server_->logPath());
  std::string log((std::istreambuf_iterator<char>(logFile)), std::istreambuf_iterator<char>());
  for (const std::string& text : {described.out, events.out, log}) {
    EXPECT_EQ(text.find("first-Pa55word"), std::string::npos) << text;
    EXPECT_EQ(text.find("tok-from-env"), std::string::npos) << text;
  }
  EXPECT_NE(described.out.find("sha256:"), std::string::npos) << described.out;

  // An edited file: db is replaced with the new value, web is left alone.
  std::ofstream(dir_ + "/db_password.txt") << "second-Pa55word";
  ASSERT_EQ(tender("apply -f docker-compose.yml -p " + ns_).exitCode, 0);
  auto [newDbId, newLines] = dbOutput(dbId);
  ASSERT_FALSE(newDbId.empty()) << "db was not replaced; see " << server_->logPath();
  EXPECT_EQ(newLines.front(), "second-Pa55word");
  EXPECT_EQ(webId(), web);
}

TEST_F(ComposeSecretsE2E, AMissingSecretFileStopsTheApplyNamingIt) {
  std::filesystem::remove(dir_ + "/db_password.txt");
  CliRun applied = tender("apply -f docker-compose.yml -p " + ns_);
  EXPECT_NE(applied.exitCode, 0) << applied.out;
  EXPECT_NE(applied.out.find("secrets.db_password.file"), std::string::npos) << applied.out;
  EXPECT_TRUE(containers().empty());
}

}  // namespace
}  // namespace tender

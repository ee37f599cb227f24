// The projects of tests/compose-corpus/ that run offline (every image
// tender-busybox:latest), applied through the real `tender` binary against
// a real server and engine, each in a namespace of its own: every
// container runs, and what the Compose keys asked for reached the engine.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/cli_run.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using testing::CliRun;
using testing::TenderProcess;
using testing::uniqueName;

const std::string kCorpus = std::string(TENDER_SOURCE_DIR) + "/tests/compose-corpus/";

class ComposeCorpusE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    ASSERT_TRUE(engine_->inspectImage("tender-busybox:latest").ok()) << "run scripts/build-test-image";
    ns_ = uniqueName("corpus");
    server_ = std::make_unique<TenderProcess>(uniqueName("corpus"));
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  }
  void TearDown() override {
    if (server_ == nullptr) return;
    run("delete namespaces " + ns_ + " --purge");
    for (int i = 0; i < 150 && !containers().empty(); ++i) std::this_thread::sleep_for(200ms);
    server_->stop();
    for (const auto& c : containers()) engine_->removeContainer(c.id, true, true);
    if (auto nets = engine_->listNetworks(ownedFilters(server_->instance())); nets.ok()) {
      for (const auto& n : *nets) engine_->removeNetwork(n.id);
    }
    if (auto vols = engine_->listVolumes(ownedFilters(server_->instance())); vols.ok()) {
      for (const auto& v : *vols) engine_->removeVolume(v.name, true);
    }
  }
  CliRun run(const std::string& args, const std::string& dir = "") {
    return testing::runShell((dir.empty() ? "" : "cd '" + dir + "' && ") + std::string(TENDER_BINARY) + " " +
                             args + " --server " + server_->url());
  }
  std::vector<ContainerSummary> containers() {
    auto r = engine_->listContainers(ownedFilters(server_->instance()), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  std::optional<ContainerInfo> running(const std::string& service, int replica = 0) {
    const std::string name = containerName(ns_, service, replica);
    for (auto deadline = std::chrono::steady_clock::now() + 90s; std::chrono::steady_clock::now() < deadline;) {
      auto c = engine_->inspectContainer(name);
      if (c.ok() && c->raw["State"].value("Running", false)) return *c;
      std::this_thread::sleep_for(250ms);
    }
    ADD_FAILURE() << name << " never ran; see " << server_->logPath();
    return std::nullopt;
  }
  // Applies the folder's files as `tender apply -f ...` in that folder.
  void apply(const std::string& folder, const std::string& files) {
    CliRun applied = run("apply " + files + " -p " + ns_, kCorpus + folder);
    ASSERT_EQ(applied.exitCode, 0) << applied.out;
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string ns_;
};

bool hasEnv(const ContainerInfo& c, const std::string& entry) {
  for (const auto& e : c.raw["Config"]["Env"]) {
    if (e == entry) return true;
  }
  return false;
}

TEST_F(ComposeCorpusE2E, ExtendsChainRunsWithWhatEachLevelSet) {
  apply("extends-chain", "-f compose.yaml");
  auto api = running("api");
  auto mailer = running("mailer");
  auto reports = running("reports");
  ASSERT_TRUE(api && mailer && reports);
  EXPECT_TRUE(hasEnv(*reports, "QUEUE=reports"));
  EXPECT_TRUE(hasEnv(*reports, "LOG_FORMAT=json"));
  EXPECT_EQ(reports->labels["com.example.team"], "data");
  EXPECT_EQ(mailer->memoryLimit, 32 << 20);
}

TEST_F(ComposeCorpusE2E, IncludedProjectsRunWithTheirOwnDotEnv) {
  apply("include-stack", "-f compose.yaml");
  auto app = running("app");
  auto db = running("database");
  auto cache = running("cache");
  ASSERT_TRUE(app && db && cache);
  EXPECT_TRUE(hasEnv(*db, "DB_NAME=orders"));
  EXPECT_TRUE(hasEnv(*db, "DB_USER=orders"));
  EXPECT_TRUE(hasEnv(*cache, "CACHE_MB=64"));
  EXPECT_EQ(cache->memoryLimit, 48 << 20);
}

TEST_F(ComposeCorpusE2E, MultiFileOverridesAndProfilesRun) {
  apply("multi-env", "-f base.yml -f prod.yml --profile debug");
  auto front0 = running("frontend", 0);
  auto front1 = running("frontend", 1);
  auto backend = running("backend");
  auto shell = running("debug-shell");
  ASSERT_TRUE(front0 && front1 && backend && shell);
  EXPECT_EQ(front0->memoryLimit, 24 << 20);
  EXPECT_TRUE(hasEnv(*backend, "MODE=production"));
  EXPECT_EQ(backend->raw["HostConfig"]["PidsLimit"], 64);
}

TEST_F(ComposeCorpusE2E, TheShopsNewKeysReachTheEngine) {
  apply("busybox-shop", "-f compose.yaml");
  auto db = running("db");
  auto web = running("web");
  auto backup = running("backup");
  ASSERT_TRUE(db && web && backup);
  const json& dbHost = db->raw["HostConfig"];
  EXPECT_EQ(dbHost["IpcMode"], "shareable");
  EXPECT_EQ(dbHost["ShmSize"], 64 << 20);
  const json& webHost = web->raw["HostConfig"];
  EXPECT_EQ(webHost["Sysctls"], json::parse(R"({"net.ipv4.ip_unprivileged_port_start":"0"})"));
  EXPECT_EQ(webHost["PidsLimit"], 100);
  EXPECT_EQ(webHost["CpuShares"], 512);
  EXPECT_EQ(webHost["GroupAdd"], json::array({"1001"}));
  EXPECT_EQ(webHost["DnsSearch"], json::array({"shop.internal"}));
  EXPECT_EQ(webHost["DnsOptions"], json::array({"ndots:1"}));
  const json& backupHost = backup->raw["HostConfig"];
  EXPECT_EQ(backupHost["VolumesFrom"], json::array({containerName(ns_, "db", 0) + ":ro"}));
  EXPECT_EQ(backupHost["IpcMode"], "container:" + db->id);  // the engine keeps the id it resolved
  EXPECT_EQ(backupHost["OomScoreAdj"], 200);
  // The db's volume, mounted read-only through volumes_from.
  bool mounted = false;
  for (const json& m : backup->raw["Mounts"]) {
    mounted = mounted || (m.value("Destination", "") == "/data" && m.value("RW", true) == false);
  }
  EXPECT_TRUE(mounted) << backup->raw["Mounts"].dump();
  // container_name is an alias on the project's network.
  bool alias = false;
  for (const auto& [net, endpoint] : web->raw["NetworkSettings"]["Networks"].items()) {
    for (const json& a : endpoint["Aliases"]) alias = alias || a == "shop_web";
  }
  EXPECT_TRUE(alias) << web->raw["NetworkSettings"].dump();
}

TEST_F(ComposeCorpusE2E, AnchorsAndMergeKeysRun) {
  apply("anchors-profiles", "-f compose.yaml");
  auto queue = running("queue");
  auto w0 = running("worker", 0);
  auto w1 = running("worker", 1);
  ASSERT_TRUE(queue && w0 && w1);
  EXPECT_TRUE(hasEnv(*w1, "ROLE=worker"));
  EXPECT_TRUE(hasEnv(*w1, "TZ=UTC"));
  EXPECT_EQ(w0->memoryLimit, 16 << 20);
  EXPECT_FALSE(engine_->inspectContainer(containerName(ns_, "profiler", 0)).ok());
}

}  // namespace
}  // namespace tender

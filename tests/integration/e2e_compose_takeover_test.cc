// Taking over a project that Debian's docker-compose ran before, against the
// real engine and a real server: its named volume's data is what tender's
// container reads, adopting is an admin's act, the project's running
// containers stop the apply until --replace-compose asks, and the adopted
// volume outlives the namespace unless deleted with --purge.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/compose_project.h"
#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/cli_run.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using testing::TenderProcess;
using testing::uniqueName;

constexpr const char* kTenant = "tenant-token-0123456789";
constexpr const char* kAdmin = "admin-token-01234567890";

using Shell = testing::CliRun;
Shell shell(const std::string& cmd) { return testing::runShell(cmd); }

// The same file for both tools: the first writer of /data/marker names
// itself, and every run prints what the volume holds.
const char kComposeFile[] = R"(version: "3.8"
services:
  db:
    image: tender-busybox:latest
    command: ["sh", "-c", "[ -f /data/marker ] || echo written-by-${WRITER} > /data/marker; cat /data/marker; sleep 3600"]
    volumes: [db_data:/data]
volumes:
  db_data: {}
)";

class ComposeTakeoverE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    ASSERT_TRUE(engine_->inspectImage("tender-busybox:latest").ok()) << "run scripts/build-test-image";
    ASSERT_EQ(shell("docker-compose version").exitCode, 0) << "docker-compose is missing (run scripts/setup)";
    // A project name as Compose users write them, with an underscore.
    project_ = uniqueName("tk");
    std::replace(project_.begin(), project_.end(), '-', '_');
    dir_ = std::filesystem::temp_directory_path() / (project_ + "-files");
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "docker-compose.yml") << kComposeFile;
    tokenFile_ = dir_ / "tokens.txt";
    std::ofstream(tokenFile_) << kTenant << " tenant " << project_ << "\n" << kAdmin << " admin *\n";
    std::filesystem::permissions(tokenFile_, std::filesystem::perms::owner_read |
                                                 std::filesystem::perms::owner_write);
    server_ = std::make_unique<TenderProcess>(
        uniqueName("takeover"), std::vector<std::string>{"--token-file", tokenFile_.string()});
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  }
  void TearDown() override {
    tender("delete namespaces " + project_ + " --purge", kAdmin);
    for (int i = 0; i < 150 && !owned().empty(); ++i) std::this_thread::sleep_for(200ms);
    server_->stop();
    compose("down -v -t 1");
    for (const auto& c : owned()) engine_->removeContainer(c.id, true, true);
    for (const auto& f : {ownedFilters(server_->instance()), projectFilter()}) {
      if (auto nets = engine_->listNetworks(f); nets.ok())
        for (const auto& n : *nets) engine_->removeNetwork(n.id);
      if (auto vols = engine_->listVolumes(f); vols.ok())
        for (const auto& v : *vols) engine_->removeVolume(v.name, true);
    }
    std::filesystem::remove_all(dir_);
  }

  Filters projectFilter() { return Filters{{"label", {std::string(kComposeProjectLabel) + "=" + project_}}}; }
  std::vector<ContainerSummary> owned() {
    auto r = engine_->listContainers(ownedFilters(server_->instance()), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  Shell compose(const std::string& args) {
    return shell("cd '" + dir_.string() + "' && WRITER=compose docker-compose -p " + project_ + " " + args);
  }
  Shell tender(const std::string& args, const std::string& token) {
    return shell("cd '" + dir_.string() + "' && WRITER=tender " + std::string(TENDER_BINARY) + " " + args +
                 " --server " + server_->url() + " --token " + token);
  }
  Shell applyAs(const std::string& token, const std::string& extra = "") {
    return tender("apply -f docker-compose.yml -p " + project_ + extra, token);
  }
  // What tender's db container printed once running, or "" after a minute.
  std::string tenderDbOutput() {
    for (int i = 0; i < 240; ++i) {
      LogOptions lo;
      lo.tail = 10;
      auto logs = engine_->containerLogs(containerName(project_, "db", 0), lo);
      if (logs.ok() && !logs->empty()) return logs->front().text;
      std::this_thread::sleep_for(250ms);
    }
    return "";
  }
  bool composeContainerRunning() {
    auto r = engine_->listContainers(projectFilter(), false);
    return r.ok() && !r->empty();
  }
  // Compose ran the project and wrote the marker into its volume.
  void composeRanTheProject() {
    Shell up = compose("up -d");
    ASSERT_EQ(up.exitCode, 0) << up.out;
    for (int i = 0; i < 80; ++i) {
      if (compose("logs db").out.find("written-by-compose") != std::string::npos) return;
      std::this_thread::sleep_for(250ms);
    }
    FAIL() << "compose's db never wrote its marker: " << compose("logs db").out;
  }
  bool volumeExists() { return engine_->inspectVolume(project_ + "_db_data").ok(); }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string project_;
  std::filesystem::path dir_, tokenFile_;
};

TEST_F(ComposeTakeoverE2E, TendersContainerReadsTheDataComposeWroteAndTheVolumeOutlivesTheNamespace) {
  composeRanTheProject();
  ASSERT_EQ(compose("down -t 1").exitCode, 0);  // volumes kept, as docker compose down does
  ASSERT_TRUE(volumeExists());

  // A tenant granted the namespace still may not take the project's data.
  Shell tenant = applyAs(kTenant);
  EXPECT_NE(tenant.exitCode, 0) << tenant.out;
  EXPECT_NE(tenant.out.find("admin"), std::string::npos) << tenant.out;
  EXPECT_NE(tenant.out.find(project_ + "_db_data"), std::string::npos) << tenant.out;

  Shell admin = applyAs(kAdmin);
  ASSERT_EQ(admin.exitCode, 0) << admin.out;
  EXPECT_NE(admin.out.find("took over docker compose's volume " + project_ + "_db_data"), std::string::npos)
      << admin.out;
  EXPECT_EQ(tenderDbOutput(), "written-by-compose") << "see " << server_->logPath();
  Shell described = tender("describe volume db_data -n " + project_, kAdmin);
  EXPECT_NE(described.out.find("adoptedFrom: docker compose project " + project_), std::string::npos)
      << described.out;

  // Deleting the namespace, then pruning volumes, keeps docker compose's data.
  ASSERT_EQ(tender("delete namespaces " + project_, kAdmin).exitCode, 0);
  for (int i = 0; i < 150 && !owned().empty(); ++i) std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(owned().empty());
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(tender("prune --volumes", kAdmin).exitCode, 0);
  EXPECT_TRUE(volumeExists()) << "the adopted volume went without --purge";

  // Only a deletion that purges removes it.
  ASSERT_EQ(applyAs(kAdmin).exitCode, 0);
  EXPECT_EQ(tenderDbOutput(), "written-by-compose");
  ASSERT_EQ(tender("delete namespaces " + project_ + " --purge", kAdmin).exitCode, 0);
  bool gone = false;
  for (int i = 0; i < 240 && !gone; ++i) {
    gone = !volumeExists();
    if (!gone) std::this_thread::sleep_for(250ms);
  }
  EXPECT_TRUE(gone) << "the purge kept the adopted volume; see " << server_->logPath();
}

TEST_F(ComposeTakeoverE2E, RunningComposeContainersAreReplacedOnlyWhenAsked) {
  composeRanTheProject();

  Shell refused = applyAs(kAdmin);
  EXPECT_NE(refused.exitCode, 0) << refused.out;
  EXPECT_NE(refused.out.find(project_ + "_db_1"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("--replace-compose"), std::string::npos) << refused.out;
  EXPECT_TRUE(composeContainerRunning()) << "an apply stopped compose's container unasked";

  Shell tenant = applyAs(kTenant, " --replace-compose");
  EXPECT_NE(tenant.exitCode, 0) << tenant.out;
  EXPECT_NE(tenant.out.find("token \"tenant\" may not"), std::string::npos) << tenant.out;
  EXPECT_TRUE(composeContainerRunning());

  Shell replaced = applyAs(kAdmin, " --replace-compose");
  ASSERT_EQ(replaced.exitCode, 0) << replaced.out;
  EXPECT_NE(replaced.out.find("removed docker compose's containers of project " + project_), std::string::npos)
      << replaced.out;
  EXPECT_FALSE(composeContainerRunning());
  EXPECT_EQ(tenderDbOutput(), "written-by-compose") << "see " << server_->logPath();
}

}  // namespace
}  // namespace tender

// An upgrade touches no container: the store and the engine objects an
// earlier release made (tests/fixtures/upgrade-0.1.0) are taken over by
// this build, which migrates the store forward, recreates nothing and keeps
// every service; a change of spec after the upgrade still recreates. The
// fixture's names are fixed (its instance, namespace and objects), so the
// test first removes what a broken earlier run may have left of them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/cli_run.h"
#include "tests/support/owned_objects.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kFixture = std::string(TENDER_SOURCE_DIR) + "/tests/fixtures/upgrade-0.1.0";

Labels labelsOf(const json& j) {
  Labels out;
  for (const auto& [k, v] : j.items()) out[k] = v.get<std::string>();
  return out;
}

class UpgradeE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    std::ifstream in(kFixture + "/engine-objects.json");
    fixture_ = json::parse(in, nullptr, false);
    ASSERT_TRUE(fixture_.is_object()) << kFixture;
    instance_ = fixture_["instance"].get<std::string>();
    removeFixtureObjects();
    server_ = std::make_unique<testing::TenderProcess>(instance_);
    std::filesystem::create_directories(server_->stateDir());
    std::filesystem::copy_file(kFixture + "/tender.db", server_->stateDir() + "/tender.db");
    std::filesystem::permissions(server_->stateDir(), std::filesystem::perms::owner_all);
    // The engine objects as the earlier release made them: its names and labels.
    for (const json& n : fixture_["networks"])
      ASSERT_TRUE(engine_->createNetwork(n["name"], {{"Labels", n["labels"]}}).ok()) << n.dump();
    for (const json& v : fixture_["volumes"])
      ASSERT_TRUE(engine_->createVolume(v["name"], "local", labelsOf(v["labels"]), {}).ok()) << v.dump();
    for (const json& c : fixture_["containers"]) {
      json body = {{"Image", c["image"]},
                   {"Cmd", {"sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"}},
                   {"Labels", c["labels"]},
                   {"StopTimeout", 1}};
      if (!c["networks"].empty()) body["HostConfig"] = {{"NetworkMode", c["networks"][0]}};
      auto id = engine_->createContainer(c["name"], body);
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      ASSERT_TRUE(engine_->startContainer(*id).ok());
      before_[c["name"].get<std::string>()] = *id;
    }
  }
  void TearDown() override {
    if (server_) server_->stop();
    removeFixtureObjects();
  }
  void removeFixtureObjects() {
    if (auto cs = engine_->listContainers(ownedFilters(instance_), true); cs.ok())
      for (const auto& c : *cs) engine_->removeContainer(c.id, true, true);
    for (const json& c : fixture_["containers"]) engine_->removeContainer(c["name"], true, true);
    for (const json& n : fixture_["networks"]) engine_->removeNetwork(n["name"]);
    for (const json& v : fixture_["volumes"]) engine_->removeVolume(v["name"], true);
  }
  std::map<std::string, std::string> containerIds() {
    std::map<std::string, std::string> out;
    if (auto cs = engine_->listContainers(ownedFilters(instance_), true); cs.ok())
      for (const auto& c : *cs) out[c.name] = c.id;
    return out;
  }
  std::string flags() { return " --server " + server_->url(); }

  std::unique_ptr<DockerEngine> engine_;
  json fixture_;
  std::string instance_;
  std::unique_ptr<testing::TenderProcess> server_;
  std::map<std::string, std::string> before_;  // name -> id, as the earlier release left them
};

TEST_F(UpgradeE2E, ThisBuildTakesOverAnEarlierReleasesStateAndRecreatesNothing) {
  ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  // Several passes over every service (the server resyncs every 5 s).
  for (int i = 0; i < 60 && testing::runTender("get services -n tender-upgrade" + flags()).out.find("web") ==
                                std::string::npos;
       ++i)
    std::this_thread::sleep_for(200ms);
  std::this_thread::sleep_for(12s);
  EXPECT_EQ(containerIds(), before_) << "see " << server_->logPath();
  testing::CliRun events = testing::runTender("events -n tender-upgrade" + flags());
  EXPECT_EQ(events.out.find("Recreated"), std::string::npos) << events.out;
  testing::CliRun get = testing::runTender("get services -n tender-upgrade" + flags());
  EXPECT_NE(get.out.find("db"), std::string::npos) << get.out;
  EXPECT_NE(get.out.find("web"), std::string::npos) << get.out;

  // A spec changed after the upgrade is still a change.
  std::ifstream in(kFixture + "/manifests.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string changed = text.str();
  const std::string from = "env: {MODE: primary, SIZE: \"3\"}";
  ASSERT_NE(changed.find(from), std::string::npos);
  changed.replace(changed.find(from), from.size(), "env: {MODE: primary, SIZE: \"4\"}");
  const std::string file = server_->stateDir() + "-changed.yaml";
  std::ofstream(file) << changed;
  testing::CliRun applied = testing::runTender("apply -f " + file + flags());
  std::remove(file.c_str());
  ASSERT_EQ(applied.exitCode, 0) << applied.out;
  std::map<std::string, std::string> after;
  for (int i = 0; i < 150; ++i) {
    after = containerIds();
    if (after.count("tender-upgrade.db.0") && after["tender-upgrade.db.0"] != before_["tender-upgrade.db.0"]) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_NE(after["tender-upgrade.db.0"], before_["tender-upgrade.db.0"]) << "see " << server_->logPath();
  EXPECT_EQ(after["tender-upgrade.web.0"], before_["tender-upgrade.web.0"]);
}

}  // namespace
}  // namespace tender

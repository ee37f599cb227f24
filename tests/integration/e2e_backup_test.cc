// Desired state backed up, against the real binary and real SQLite files:
// `tender backup` taken while 50 clients apply, restored into a fresh state
// directory with every object acknowledged before it began; a token for
// some namespaces refused; `tender restore` refused while the server runs;
// `tender export` applied back; a damaged store set aside at start and the
// newest backup of --backup-dir taken in its place.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "engine/docker_engine_beast.h"
#include "store/store.h"
#include "store/store_file.h"
#include "tests/support/cli_run.h"
#include "tests/support/owned_objects.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::runTender;
using testing::TenderProcess;
using testing::uniqueName;
namespace fs = std::filesystem;

constexpr const char* kAlice = "alice-token-0123456789";

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Services with no replicas: the store is what is tested, not the engine.
std::string service(const std::string& ns, const std::string& name) {
  return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns +
         ", labels: {made-by: backup-test}}\nspec:\n  image: tender-busybox:latest\n  replicas: 0\n"
         "  env: {WHO: \"" + name + "\"}\n";
}

std::set<std::string> serviceNames(const std::string& dbPath, const std::string& ns) {
  RealClock clock;
  std::set<std::string> names;
  auto store = Store::open(dbPath, clock);
  if (!store.ok()) return names;
  auto list = (*store)->list("Service", ns);
  if (list.ok()) {
    for (const auto& r : *list) names.insert(r.name);
  }
  return names;
}

// Overwrites every page after the first with garbage.
void garblePages(const std::string& path) {
  const auto size = fs::file_size(path);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(4096);
  for (auto i = 4096u; i < size; ++i) f.put(static_cast<char>((i * 131) & 0xff));
}

class BackupE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    ns_ = uniqueName("backup");
    work_ = fs::temp_directory_path() / uniqueName("tender-backup-e2e");
    fs::create_directories(work_ / "backups");
    tokenFile_ = (work_ / "tokens.txt").string();
    std::ofstream(tokenFile_) << kAlice << " alice " << ns_ << "\n";
    fs::permissions(tokenFile_, fs::perms::owner_read | fs::perms::owner_write);
    server_ = std::make_unique<TenderProcess>(
        uniqueName("backup"), std::vector<std::string>{"--token-file", tokenFile_, "--backup-dir",
                                                       (work_ / "backups").string()});
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  }
  void TearDown() override {
    if (server_) {
      server_->client().call("DELETE", "/api/v1/namespaces/" + ns_ + "?purge=true", "", "");
      std::this_thread::sleep_for(500ms);
      server_->stop();
      testing::removeOwnedObjects(*engine_, server_->instance());
    }
    std::error_code ec;
    fs::remove_all(work_, ec);
  }

  Status apply(const std::string& body) {
    auto r = server_->client().call("POST", "/api/v1/apply", body, "application/yaml");
    return r.status();
  }
  std::string cli(const std::string& args) const {
    return args + " --server " + server_->url();
  }

  std::unique_ptr<DockerEngine> engine_;
  std::string ns_;
  fs::path work_;
  std::string tokenFile_;
  std::unique_ptr<TenderProcess> server_;
};

TEST_F(BackupE2E, ABackupTakenDuring50ConcurrentAppliesRestoresWhole) {
  ASSERT_TRUE(apply(service(ns_, "first")).ok());
  std::mutex mu;
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> acknowledged;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 50; ++t) {
    clients.emplace_back([&, t] {
      ApiClient client = server_->client();
      for (int k = 0; !stop; ++k) {
        const std::string name = "c" + std::to_string(t) + "-" + std::to_string(k);
        auto r = client.call("POST", "/api/v1/apply", service(ns_, name), "application/yaml");
        const auto at = std::chrono::steady_clock::now();
        if (!r.ok()) {
          ++failures;
          continue;
        }
        std::lock_guard<std::mutex> l(mu);
        acknowledged.emplace_back(at, name);
      }
    });
  }
  std::this_thread::sleep_for(2s);  // the applies in full flow
  const std::string file = (work_ / "during.db").string();
  const auto began = std::chrono::steady_clock::now();
  auto backup = runTender(cli("backup " + file));
  std::this_thread::sleep_for(500ms);  // applies go on after it too
  stop = true;
  for (auto& c : clients) c.join();
  ASSERT_EQ(backup.exitCode, 0) << backup.out;
  EXPECT_EQ(failures.load(), 0);

  std::set<std::string> before;
  size_t after = 0;
  for (const auto& [at, name] : acknowledged) {
    if (at < began) {
      before.insert(name);
    } else {
      ++after;
    }
  }
  ASSERT_GT(before.size(), 50u) << "the applies were flowing";
  std::cout << before.size() << " applies acknowledged before the backup began, " << after
            << " after\n";
  EXPECT_TRUE(checkStoreFile(file, /*quick=*/false).ok()) << checkStoreFile(file, false).ToString();

  // Restored into a fresh state directory (no server on it).
  const std::string fresh = (work_ / "fresh").string();
  auto restored = runTender("restore " + file + " --state-dir " + fresh);
  ASSERT_EQ(restored.exitCode, 0) << restored.out;
  const std::string db = fresh + "/tender.db";
  EXPECT_TRUE(checkStoreFile(db, false).ok()) << checkStoreFile(db, false).ToString();
  std::set<std::string> names = serviceNames(db, ns_);
  EXPECT_TRUE(names.count("first"));
  size_t missing = 0;
  for (const std::string& n : before) {
    if (!names.count(n)) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << before.size() << " acknowledged before the backup";
}

TEST_F(BackupE2E, OnlyATokenForAllNamespacesMayTakeOne) {
  auto r = server_->client(kAlice).call("GET", "/api/v1/backup", "", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kForbidden);
  EXPECT_NE(r.status().message().find("token \"alice\" may not take a backup of the store"),
            std::string::npos)
      << r.status().message();
}

TEST_F(BackupE2E, RestoreIsRefusedWhileTheServerRuns) {
  ASSERT_TRUE(apply(service(ns_, "kept")).ok());
  const std::string file = (work_ / "b.db").string();
  ASSERT_EQ(runTender(cli("backup " + file)).exitCode, 0);
  auto r = runTender("restore " + file + " --state-dir " + server_->stateDir());
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_NE(r.out.find("in use by another tender server"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stop it first"), std::string::npos) << r.out;
}

TEST_F(BackupE2E, ExportedManifestsApplyBack) {
  std::string stack = "apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: " + ns_ +
                      ", labels: {team: store}}\n";
  for (const char* name : {"web", "api", "worker"}) stack += "---\n" + service(ns_, name);
  ASSERT_TRUE(apply(stack).ok());
  const std::string file = (work_ / "export.yaml").string();
  auto exported = runTender(cli("export " + file));
  ASSERT_EQ(exported.exitCode, 0) << exported.out;
  const std::string first = readAll(file);
  EXPECT_NE(first.find("name: " + ns_), std::string::npos) << first;

  // Gone, then applied back from the export alone.
  ASSERT_TRUE(server_->client().call("DELETE", "/api/v1/namespaces/" + ns_ + "?purge=true", "", "").ok());
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    auto r = server_->client().call("GET", "/api/v1/namespaces/" + ns_, "", "");
    gone = !r.ok() && r.status().IsNotFound();
    if (!gone) std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(gone) << "namespace " << ns_ << " still there";
  auto applied = runTender(cli("apply -f " + file));
  ASSERT_EQ(applied.exitCode, 0) << applied.out;
  auto again = runTender(cli("export " + file + ".2"));
  ASSERT_EQ(again.exitCode, 0) << again.out;
  // Other namespaces of the engine's other tests are this server's too only
  // if it made them: this server holds only the test's.
  EXPECT_EQ(readAll(file + ".2"), first);
}

TEST_F(BackupE2E, ADamagedStoreIsSetAsideAtStartAndTheNewestBackupTaken) {
  ASSERT_TRUE(apply(service(ns_, "in-backup")).ok());
  ASSERT_EQ(runTender(cli("backup " + (work_ / "backups" / "tender-1.db").string())).exitCode, 0);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(apply(service(ns_, "late-" + std::to_string(i))).ok());
  server_->stop();

  const std::string db = server_->stateDir() + "/tender.db";
  garblePages(db);
  ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  const std::string log = readAll(server_->logPath());
  EXPECT_NE(log.find("THE STORE IS DAMAGED"), std::string::npos) << log;
  EXPECT_NE(log.find("replaced by the newest good backup"), std::string::npos);
  bool aside = false;
  for (const auto& e : fs::directory_iterator(server_->stateDir())) {
    if (e.path().filename().string().rfind("tender.db.damaged-", 0) == 0) aside = true;
  }
  EXPECT_TRUE(aside) << "the damaged file is kept";
  auto r = server_->client().call("GET", "/api/v1/namespaces/" + ns_ + "/services/in-backup", "", "");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  auto late = server_->client().call("GET", "/api/v1/namespaces/" + ns_ + "/services/late-0", "", "");
  EXPECT_TRUE(!late.ok() && late.status().IsNotFound()) << "written after the backup";
}

}  // namespace
}  // namespace tender

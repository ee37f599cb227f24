// A store file seen from outside a running Store: the online backup, the
// checks of a file (pure verdicts, then real files: garbage, a page
// overwritten, another SQLite file, a newer schema), setting a damaged one
// aside at start and taking the newest good backup, and `tender restore`.
#include "store/store_file.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "server/store_recovery.h"
#include "store/store.h"
#include "tests/support/simulated_clock.h"
#include "tests/support/temp_dir.h"
#include "tests/support/raw_sqlite.h"

namespace tender {
namespace {

using testing::TempDir;
using testing::rawSql;

namespace fs = std::filesystem;
using nlohmann::json;

// A store at `path` holding `services` services in namespace "a" and some
// events, closed.
void makeStore(const std::string& path, int services) {
  fs::create_directories(fs::path(path).parent_path());
  SimulatedClock clock;
  auto store = Store::open(path, clock);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int i = 0; i < services; ++i) {
    ASSERT_TRUE((*store)->upsert("Service", "a", "s" + std::to_string(i), json::object(),
                                 {{"image", "busybox"}}).ok());
    EventRecord e;
    e.reason = "Applied";
    e.kind = "Service";
    e.namespace_ = "a";
    e.name = "s" + std::to_string(i);
    ASSERT_TRUE((*store)->appendEvent(e).ok());
  }
}

size_t servicesIn(const std::string& path) {
  SimulatedClock clock;
  auto store = Store::open(path, clock);
  if (!store.ok()) return 0;
  auto list = (*store)->list("Service", std::nullopt);
  return list.ok() ? list->size() : 0;
}

// Overwrites every page after the first with garbage: the schema stays
// readable, the tables do not.
void garblePages(const std::string& path) {
  const auto size = fs::file_size(path);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(4096);
  for (auto i = 4096u; i < size; ++i) f.put(static_cast<char>((i * 131) & 0xff));
}

TEST(StoreFileVerdict, SaysWhatIsWrongInOrderOfGravity) {
  StoreFileFacts good;
  good.hasResources = true;
  good.schemaVersion = 3;
  EXPECT_EQ(judgeStoreFile(good, 3, "f").verdict, StoreFileVerdict::kGood);
  EXPECT_EQ(judgeStoreFile(good, 4, "f").verdict, StoreFileVerdict::kGood) << "an older schema migrates";

  StoreFileFacts unreadable = good;
  unreadable.unreadable = "file is not a database";
  auto c = judgeStoreFile(unreadable, 3, "/s/tender.db");
  EXPECT_EQ(c.verdict, StoreFileVerdict::kDamaged);
  EXPECT_EQ(c.message, "/s/tender.db is damaged: SQLite cannot read it (file is not a database)");

  StoreFileFacts problems = good;
  problems.problems = {"Page 7: btreeInitPage() returns error code 11", "row 3 missing from index"};
  c = judgeStoreFile(problems, 3, "f");
  EXPECT_EQ(c.verdict, StoreFileVerdict::kDamaged);
  EXPECT_EQ(c.message,
            "f is damaged: Page 7: btreeInitPage() returns error code 11; row 3 missing from index");

  StoreFileFacts newer = good;
  newer.schemaVersion = 9;
  c = judgeStoreFile(newer, 3, "f");
  EXPECT_EQ(c.verdict, StoreFileVerdict::kNewer);
  EXPECT_NE(c.message.find("schema version 9, newer than the 3"), std::string::npos) << c.message;

  StoreFileFacts other;
  EXPECT_EQ(judgeStoreFile(other, 3, "f").verdict, StoreFileVerdict::kNotATenderStore);
}

TEST(StoreFileNames, AsideNamesCarryTheTimeAndBackupsSortNewestFirst) {
  // 2026-12-08 02:15:00 UTC.
  EXPECT_EQ(asideName("/var/lib/tender/tender.db", "damaged", 1796696100000LL),
            "/var/lib/tender/tender.db.damaged-20261208T021500Z");
  auto sorted = newestFirst({{"b-1", 10}, {"b-3", 30}, {"b-2", 30}, {"b-0", 5}});
  ASSERT_EQ(sorted.size(), 4u);
  EXPECT_EQ(sorted[0].path, "b-3");
  EXPECT_EQ(sorted[1].path, "b-2");
  EXPECT_EQ(sorted[2].path, "b-1");
  EXPECT_EQ(sorted[3].path, "b-0");
}

TEST(StoreBackup, IsOneWholeFileHoldingEveryCommit) {
  TempDir dir;
  makeStore(dir.file("tender.db"), 20);
  SimulatedClock clock;
  auto store = Store::open(dir.file("tender.db"), clock);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->backupTo(dir.file("copy.db")).ok());
  EXPECT_FALSE(fs::exists(dir.file("copy.db-wal"))) << "the copy is one file";
  EXPECT_TRUE(checkStoreFile(dir.file("copy.db"), /*quick=*/false).ok());
  EXPECT_EQ(servicesIn(dir.file("copy.db")), 20u);
}

TEST(StoreBackup, TakenWhileAWriterWritesIsWholeAndHoldsWhatCameBefore) {
  TempDir dir;
  SimulatedClock clock;
  auto store = Store::open(dir.file("tender.db"), clock);
  ASSERT_TRUE(store.ok());
  std::atomic<int> acknowledged{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      if ((*store)->upsert("Service", "a", "w" + std::to_string(i), json::object(),
                           {{"image", "busybox"}}).ok()) {
        acknowledged = i + 1;
      }
    }
  });
  while (acknowledged < 50) std::this_thread::yield();
  const int before = acknowledged;
  Status s = (*store)->backupTo(dir.file("copy.db"));
  stop = true;
  writer.join();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(checkStoreFile(dir.file("copy.db"), false).ok());
  EXPECT_GE(servicesIn(dir.file("copy.db")), static_cast<size_t>(before));
}

TEST(StoreFileCheck, FindsGarbageAndOverwrittenPages) {
  TempDir dir;
  {
    std::ofstream f(dir.file("garbage.db"), std::ios::binary);
    for (int i = 0; i < 8192; ++i) f.put(static_cast<char>(i * 7));
  }
  auto facts = inspectStoreFile(dir.file("garbage.db"), true);
  ASSERT_TRUE(facts.ok()) << facts.status().ToString();
  EXPECT_EQ(judgeStoreFile(*facts, storeSchemaVersion(), "g").verdict, StoreFileVerdict::kDamaged);

  makeStore(dir.file("tender.db"), 200);
  EXPECT_TRUE(checkStoreFile(dir.file("tender.db"), true).ok());
  garblePages(dir.file("tender.db"));
  facts = inspectStoreFile(dir.file("tender.db"), true);
  ASSERT_TRUE(facts.ok()) << facts.status().ToString();
  EXPECT_EQ(judgeStoreFile(*facts, storeSchemaVersion(), "t").verdict, StoreFileVerdict::kDamaged);

  EXPECT_EQ(inspectStoreFile(dir.file("missing.db"), true).status().code(),
            Status::Code::kNotFound);
}

TEST(StoreRecovery, ADamagedStoreIsSetAsideAndTheNewestGoodBackupTaken) {
  TempDir dir;
  fs::create_directories(dir.file("backups"));
  makeStore(dir.file("backups/old.db"), 3);
  makeStore(dir.file("backups/new.db"), 5);
  {
    std::ofstream f(dir.file("backups/newest-but-broken.db"), std::ios::binary);
    f << "not a database at all, and long enough to be read as a header........";
  }
  const auto t = fs::file_time_type::clock::now();
  fs::last_write_time(dir.file("backups/old.db"), t - std::chrono::hours(2));
  fs::last_write_time(dir.file("backups/new.db"), t - std::chrono::hours(1));
  fs::last_write_time(dir.file("backups/newest-but-broken.db"), t);

  makeStore(dir.file("tender.db"), 200);
  garblePages(dir.file("tender.db"));
  auto r = recoverStoreAtStart(dir.file("tender.db"), dir.file("backups"), 1796696100000LL);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->damaged);
  EXPECT_EQ(r->setAside, dir.file("tender.db.damaged-20261208T021500Z"));
  EXPECT_TRUE(fs::exists(r->setAside));
  EXPECT_EQ(r->restoredFrom, dir.file("backups/new.db"));
  EXPECT_EQ(servicesIn(dir.file("tender.db")), 5u);
  EXPECT_TRUE(fs::exists(dir.file("backups/new.db"))) << "the backup stays";

  // Without a backup directory: an empty store.
  garblePages(dir.file("tender.db"));
  r = recoverStoreAtStart(dir.file("tender.db"), "", 1796696160000LL);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->damaged);
  EXPECT_EQ(r->restoredFrom, "");
  EXPECT_FALSE(fs::exists(dir.file("tender.db")));

  // A good store is left alone.
  makeStore(dir.file("tender.db"), 2);
  r = recoverStoreAtStart(dir.file("tender.db"), dir.file("backups"), 1796696220000LL);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->damaged);
  EXPECT_EQ(servicesIn(dir.file("tender.db")), 2u);
}

TEST(StoreRecovery, BackupCopiesADeadServerLeftAreRemoved) {
  TempDir dir;
  std::ofstream(dir.file("backup-a1B2c3.tmp")) << "half a copy";
  std::ofstream(dir.file("backup-notes.txt")) << "kept";
  makeStore(dir.file("tender.db"), 1);
  EXPECT_EQ(removeStaleBackupCopies(dir.path()), 1);
  EXPECT_FALSE(fs::exists(dir.file("backup-a1B2c3.tmp")));
  EXPECT_TRUE(fs::exists(dir.file("backup-notes.txt")));
  EXPECT_TRUE(fs::exists(dir.file("tender.db")));
}

TEST(StoreRestore, RefusesWhileAServerHoldsTheStateDirectory) {
  TempDir dir;
  makeStore(dir.file("backup.db"), 4);
  fs::create_directories(dir.file("state"));
  auto lock = StateDirLock::acquire(dir.file("state"));
  ASSERT_TRUE(lock.ok());
  auto r = restoreStore(dir.file("backup.db"), dir.file("state"), 0);
  EXPECT_EQ(r.status().code(), Status::Code::kConflict);
  EXPECT_NE(r.status().message().find("stop it first"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(dir.file("state/tender.db")));
}

TEST(StoreRestore, PutsAGoodBackupInPlaceAndKeepsTheOldStoreAside) {
  TempDir dir;
  makeStore(dir.file("backup.db"), 4);
  makeStore(dir.file("state/tender.db"), 9);
  auto r = restoreStore(dir.file("backup.db"), dir.file("state"), 1796696100000LL);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, dir.file("state/tender.db.before-restore-20261208T021500Z"));
  EXPECT_EQ(servicesIn(dir.file("state/tender.db")), 4u);
  EXPECT_EQ(servicesIn(*r), 9u);
  EXPECT_EQ(fs::status(dir.file("state/tender.db")).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  // Into a fresh state directory.
  r = restoreStore(dir.file("backup.db"), dir.file("fresh"), 0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "");
  EXPECT_EQ(servicesIn(dir.file("fresh/tender.db")), 4u);
}

TEST(StoreRestore, RefusesWhatIsNotAGoodTenderStore) {
  TempDir dir;
  rawSql(dir.file("other.db"), "CREATE TABLE t (x)");
  auto r = restoreStore(dir.file("other.db"), dir.file("state"), 0);
  EXPECT_EQ(r.status().code(), Status::Code::kInvalid);
  EXPECT_NE(r.status().message().find("not a tender store"), std::string::npos);

  makeStore(dir.file("newer.db"), 1);
  rawSql(dir.file("newer.db"), "PRAGMA user_version = 9999");
  r = restoreStore(dir.file("newer.db"), dir.file("state"), 0);
  EXPECT_EQ(r.status().code(), Status::Code::kConflict);
  EXPECT_NE(r.status().message().find("newer than"), std::string::npos);

  makeStore(dir.file("broken.db"), 200);
  garblePages(dir.file("broken.db"));
  r = restoreStore(dir.file("broken.db"), dir.file("state"), 0);
  EXPECT_EQ(r.status().code(), Status::Code::kInvalid);
  EXPECT_NE(r.status().message().find("damaged"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(dir.file("state/tender.db")));
}

}  // namespace
}  // namespace tender

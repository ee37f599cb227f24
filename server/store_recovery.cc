// A damaged store at start, and `tender restore` (store_recovery.h).

#include "server/store_recovery.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <ostream>
#include <system_error>

#include "base/clock.h"
#include "server/serve.h"
#include "store/store.h"
#include "store/store_file.h"

namespace tender {
namespace {

namespace fs = std::filesystem;

const char kStoreFile[] = "tender.db";

bool emptyOrMissing(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return true;
  return fs::file_size(path, ec) == 0 && !ec;
}

}  // namespace

Result<StoreRecovery> recoverStoreAtStart(const std::string& dbPath, const std::string& backupDir,
                                          int64_t nowWallMs) {
  StoreRecovery r;
  if (emptyOrMissing(dbPath)) return r;
  auto facts = inspectStoreFile(dbPath, /*quick=*/true);
  if (!facts.ok()) return facts.status().WithContext("check the store");
  StoreFileCheck check = judgeStoreFile(*facts, storeSchemaVersion(), dbPath);
  // A newer schema is Store::open's to refuse; a file without tables yet is
  // a store whose creation was cut short, which the migrations finish.
  if (check.verdict != StoreFileVerdict::kDamaged) return r;

  r.damaged = true;
  r.damage = check.message;
  spdlog::error("THE STORE IS DAMAGED: {}", check.message);
  auto aside = moveStoreAside(dbPath, "damaged", nowWallMs);
  if (!aside.ok()) return aside.status();
  r.setAside = *aside;
  spdlog::error("the damaged store is kept at {} (for a look with sqlite3 .recover)", *aside);

  if (backupDir.empty()) {
    spdlog::error("no backupDir is configured: starting from an EMPTY store; restore a backup "
                  "with `tender restore FILE` (server stopped) or apply the manifests again");
    return r;
  }
  auto backups = listBackups(backupDir);
  if (!backups.ok()) {
    spdlog::error("cannot read the backup directory {}: {}; starting from an EMPTY store",
                  backupDir, backups.status().message());
    return r;
  }
  for (const BackupFile& b : *backups) {
    Status good = checkStoreFile(b.path, /*quick=*/false);
    if (!good.ok()) {
      spdlog::error("backup {} is not taken: {}", b.path, good.message());
      continue;
    }
    Status put = installStoreFile(b.path, dbPath);
    if (!put.ok()) return put;
    r.restoredFrom = b.path;
    spdlog::error("the store was replaced by the newest good backup, {}: what changed since it "
                  "was taken is lost; apply it again",
                  b.path);
    return r;
  }
  spdlog::error("no good backup in {}: starting from an EMPTY store", backupDir);
  return r;
}

int removeStaleBackupCopies(const std::string& stateDir) {
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(stateDir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("backup-", 0) != 0 || name.size() < 11 ||
        name.compare(name.size() - 4, 4, ".tmp") != 0) {
      continue;
    }
    std::error_code rec;
    if (fs::remove(it->path(), rec)) ++removed;
  }
  return removed;
}

Result<std::string> restoreStore(const std::string& file, const std::string& stateDir,
                                 int64_t nowWallMs) {
  auto lock = StateDirLock::acquire(stateDir);
  if (!lock.ok()) {
    if (lock.status().code() == Status::Code::kConflict) {
      return Status::Conflict(lock.status().message() +
                              ": stop it first (systemctl stop tender), then restore");
    }
    return lock.status();
  }
  Status good = checkStoreFile(file, /*quick=*/false);
  if (!good.ok()) return good;
  const std::string dbPath = stateDir + "/" + kStoreFile;
  std::string aside;
  std::error_code ec;
  if (fs::exists(dbPath, ec)) {
    auto moved = moveStoreAside(dbPath, "before-restore", nowWallMs);
    if (!moved.ok()) return moved.status();
    aside = *moved;
  } else {
    // A WAL without its store is no part of the restored one.
    fs::remove(dbPath + "-wal", ec);
    fs::remove(dbPath + "-shm", ec);
  }
  Status put = installStoreFile(file, dbPath);
  if (!put.ok()) return put;
  return aside;
}

int runRestore(const std::string& file, const std::string& stateDir, std::ostream& out,
               std::ostream& err) {
  RealClock clock;
  const int64_t nowMs =
      std::chrono::duration_cast<Millis>(clock.now().time_since_epoch()).count();
  auto aside = restoreStore(file, stateDir, nowMs);
  if (!aside.ok()) {
    err << "error: " << aside.status().message() << "\n";
    return 1;
  }
  out << "restored " << file << " into " << stateDir << "/" << kStoreFile;
  if (!aside->empty()) out << "; the previous store is kept at " << *aside;
  out << "\n";
  return 0;
}

}  // namespace tender

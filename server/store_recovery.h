// The store file before the server opens it, and `tender restore`: a store
// found damaged at start is set aside (renamed with a timestamp) and the
// newest good backup of the backup directory, if one is configured, put in
// its place; else the server starts from an empty store.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace tender {

// What recoverStoreAtStart did.
struct StoreRecovery {
  bool damaged = false;     // the store was damaged and is set aside
  std::string damage;       // what the check said
  std::string setAside;     // where it went
  std::string restoredFrom; // the backup put in its place; "" = an empty store
};

// Checks `dbPath` (PRAGMA quick_check; a missing or empty file is fine: a
// new store) and, when it is damaged, sets it aside and installs the newest
// backup of `backupDir` ("" = none) that passes integrity_check, logging
// each step at error level. An error Status only when the file cannot be
// read at all or a rename fails: the server must not start then.
// REQUIRES: the state directory's lock held, no store open on dbPath.
Result<StoreRecovery> recoverStoreAtStart(const std::string& dbPath, const std::string& backupDir,
                                          int64_t nowWallMs);

// Removes the temporary copies GET /api/v1/backup leaves in `stateDir`
// (backup-*.tmp) when a server dies while it sends one; the number removed.
// REQUIRES: the state directory's lock held.
int removeStaleBackupCopies(const std::string& stateDir);

// `tender restore`'s work: Conflict while a server holds the state
// directory; Invalid (or Conflict for a newer schema) when `file` is not a
// good tender store. On success, where the old store went ("" when there
// was none).
Result<std::string> restoreStore(const std::string& file, const std::string& stateDir,
                                 int64_t nowWallMs);

}  // namespace tender

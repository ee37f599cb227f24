// A store file on disk, looked at from outside a running Store: what it is
// (a readable SQLite file, whole, a tender store of a schema this build
// knows), moving a damaged one aside, and putting a checked copy in place.
// Used by `tender serve` at start (a damaged store is set aside, the newest
// good backup taken) and by `tender restore`.
//
// The judgements (judgeStoreFile, asideName, newestFirst) are pure; the
// rest reads or renames files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace tender {

// What SQLite says of a file (inspectStoreFile).
struct StoreFileFacts {
  // SQLite could not read it as a database at all ("file is not a
  // database", a malformed schema): the reason; "" when it could.
  std::string unreadable;
  // integrity_check's (or quick_check's) lines other than "ok", at most 10.
  std::vector<std::string> problems;
  bool hasResources = false;  // the resources table exists: tender made it
  int64_t schemaVersion = 0;  // PRAGMA user_version
};

enum class StoreFileVerdict {
  kGood,            // whole, tender's, a schema this build reads
  kDamaged,         // unreadable, or the check found problems
  kNotATenderStore, // a whole SQLite file without tender's tables
  kNewer,           // a schema newer than this build knows
};

struct StoreFileCheck {
  StoreFileVerdict verdict = StoreFileVerdict::kGood;
  std::string message;  // what is wrong and what to do; "" when good
};

// The schema version this build writes and reads.
int64_t storeSchemaVersion();

// Pure: the verdict on `facts` of the file at `path` (for the message).
StoreFileCheck judgeStoreFile(const StoreFileFacts& facts, int64_t latestSchema,
                              const std::string& path);

// Opens `path` without changing it (query-only; read-only when it may not
// be written) and runs PRAGMA quick_check (`quick`) or integrity_check.
// A file SQLite cannot read as a database comes back as facts
// (`unreadable`); an error Status only when the file cannot be opened at
// all (missing, no permission): nothing is known of its contents then.
Result<StoreFileFacts> inspectStoreFile(const std::string& path, bool quick);

// inspectStoreFile then judgeStoreFile: ok only for a good store.
Status checkStoreFile(const std::string& path, bool quick);

// Pure: the name a store is set aside under, in its folder:
// "tender.db.corrupt-20261208T021500Z" for ("/d/tender.db", "corrupt", ms).
std::string asideName(const std::string& path, const std::string& why, int64_t wallMs);

// Renames the store at `path` and its -wal and -shm files (those that
// exist) to asideName(...) and the same with -wal and -shm: the WAL holds
// committed writes of the file beside it. Returns the new name of the store.
Result<std::string> moveStoreAside(const std::string& path, const std::string& why,
                                   int64_t wallMs);

// Copies `source` next to `path` (a temporary name, synced), then renames
// it to `path`. REQUIRES: no store is open on `path` and none is there
// (moveStoreAside first), so no stale -wal or -shm is left beside it.
Status installStoreFile(const std::string& source, const std::string& path);

// A file of a backup directory.
struct BackupFile {
  std::string path;
  int64_t modifiedMs = 0;
};

// Pure: the files newest first (by modification time, then by name, the
// greater first: timestamped names sort in time).
std::vector<BackupFile> newestFirst(std::vector<BackupFile> files);

// The regular files of `dir`, newest first; empty when `dir` does not exist.
Result<std::vector<BackupFile>> listBackups(const std::string& dir);

}  // namespace tender

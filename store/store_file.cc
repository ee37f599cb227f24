// A store file looked at from outside a running Store (store_file.h).

#include "store/store_file.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <system_error>

#include "store/sqlite_store.h"

namespace tender {
namespace {

namespace fs = std::filesystem;

// Codes that say the bytes are not a sound database, as opposed to a file
// that cannot be reached.
bool isDamage(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB || primary == SQLITE_FORMAT;
}

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close_v2(db); }
};

// Runs `sql`, calling `row` with each row's first column as text. The
// SQLite result code.
template <typename F>
int eachRow(sqlite3* db, const char* sql, F&& row) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
  if (rc != SQLITE_OK) return rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(st, 0);
    row(text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text)));
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

Status fileError(const std::string& what, const std::string& path, const std::error_code& ec) {
  return Status::Unavailable("cannot " + what + " " + path + ": " + ec.message());
}

// Writes and syncs `path`'s folder entry changes (a rename into it).
void syncFolderOf(const std::string& path) {
  const std::string dir = fs::path(path).parent_path().string();
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

int64_t storeSchemaVersion() { return store_internal::latestSchemaVersion(); }

StoreFileCheck judgeStoreFile(const StoreFileFacts& facts, int64_t latestSchema,
                              const std::string& path) {
  StoreFileCheck c;
  if (!facts.unreadable.empty()) {
    c.verdict = StoreFileVerdict::kDamaged;
    c.message = path + " is damaged: SQLite cannot read it (" + facts.unreadable + ")";
    return c;
  }
  if (!facts.problems.empty()) {
    c.verdict = StoreFileVerdict::kDamaged;
    c.message = path + " is damaged:";
    for (const std::string& p : facts.problems) c.message += " " + p + ";";
    c.message.pop_back();
    return c;
  }
  if (facts.schemaVersion > latestSchema) {
    c.verdict = StoreFileVerdict::kNewer;
    c.message = path + " has schema version " + std::to_string(facts.schemaVersion) +
                ", newer than the " + std::to_string(latestSchema) +
                " this build of tender knows: use the tender that wrote it";
    return c;
  }
  if (!facts.hasResources || facts.schemaVersion <= 0) {
    c.verdict = StoreFileVerdict::kNotATenderStore;
    c.message = path + " is an SQLite file but not a tender store (no resources table, schema " +
                std::to_string(facts.schemaVersion) + ")";
    return c;
  }
  return c;
}

Result<StoreFileFacts> inspectStoreFile(const std::string& path, bool quick) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return Status::NotFound(path + " is not a file" + (ec ? ": " + ec.message() : std::string()));
  }
  {
    // Opening with SQLite says nothing of a file it may not read: ask first.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::Unavailable("cannot read " + path + ": " + std::strerror(errno));
    ::close(fd);
  }
  Db d;
  // Read-write without create, query-only: a WAL file beside it is read
  // (which needs the -shm); read-only when the file may not be written.
  int rc = sqlite3_open_v2(path.c_str(), &d.db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close_v2(d.db);
    d.db = nullptr;
    rc = sqlite3_open_v2(path.c_str(), &d.db, SQLITE_OPEN_READONLY, nullptr);
  }
  if (rc != SQLITE_OK) {
    Status s = store_internal::sqliteError(d.db, rc);
    return s.WithContext("open " + path);
  }
  sqlite3_exec(d.db, "PRAGMA query_only = ON", nullptr, nullptr, nullptr);

  StoreFileFacts facts;
  auto damaged = [&](int code) {
    facts.unreadable = sqlite3_errmsg(d.db);
    if (facts.unreadable.empty()) facts.unreadable = sqlite3_errstr(code);
    return facts;
  };
  rc = eachRow(d.db, quick ? "PRAGMA quick_check" : "PRAGMA integrity_check",
               [&](const std::string& line) {
                 if (line != "ok" && facts.problems.size() < 10) facts.problems.push_back(line);
               });
  if (rc != SQLITE_OK) {
    if (isDamage(rc)) return damaged(rc);
    return store_internal::sqliteError(d.db, rc).WithContext("check " + path);
  }
  rc = eachRow(d.db, "PRAGMA user_version", [&](const std::string& v) {
    facts.schemaVersion = std::strtoll(v.c_str(), nullptr, 10);
  });
  if (rc != SQLITE_OK) {
    if (isDamage(rc)) return damaged(rc);
    return store_internal::sqliteError(d.db, rc).WithContext("check " + path);
  }
  rc = eachRow(d.db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'resources'",
               [&](const std::string&) { facts.hasResources = true; });
  if (rc != SQLITE_OK) {
    if (isDamage(rc)) return damaged(rc);
    return store_internal::sqliteError(d.db, rc).WithContext("check " + path);
  }
  return facts;
}

Status checkStoreFile(const std::string& path, bool quick) {
  Result<StoreFileFacts> facts = inspectStoreFile(path, quick);
  if (!facts.ok()) return facts.status();
  StoreFileCheck c = judgeStoreFile(*facts, storeSchemaVersion(), path);
  switch (c.verdict) {
    case StoreFileVerdict::kGood:
      return Status::Ok();
    case StoreFileVerdict::kNewer:
      return Status::Conflict(c.message);
    default:
      return Status::Invalid(c.message);
  }
}

std::string asideName(const std::string& path, const std::string& why, int64_t wallMs) {
  const std::time_t secs = static_cast<std::time_t>(wallMs / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
  return path + "." + why + "-" + stamp;
}

Result<std::string> moveStoreAside(const std::string& path, const std::string& why,
                                   int64_t wallMs) {
  std::string target = asideName(path, why, wallMs);
  std::error_code ec;
  // Two in one second (a restart loop): the next free name.
  for (int n = 1; fs::exists(target, ec) && n < 1000; ++n) {
    target = asideName(path, why, wallMs) + "." + std::to_string(n);
  }
  fs::rename(path, target, ec);
  if (ec) return fileError("move aside", path, ec);
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string side = path + suffix;
    if (!fs::exists(side, ec)) continue;
    fs::rename(side, target + suffix, ec);
    if (ec) return fileError("move aside", side, ec);
  }
  syncFolderOf(path);
  return target;
}

Status installStoreFile(const std::string& source, const std::string& path) {
  const std::string temp = path + ".installing";
  std::error_code ec;
  fs::remove(temp, ec);
  fs::copy_file(source, temp, fs::copy_options::overwrite_existing, ec);
  if (ec) return fileError("copy " + source + " to", temp, ec);
  int fd = ::open(temp.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Status::Unavailable("cannot open " + temp + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  const int synced = ::fsync(fd);
  ::close(fd);
  if (synced != 0) return Status::Unavailable("cannot sync " + temp + ": " + std::strerror(errno));
  fs::rename(temp, path, ec);
  if (ec) return fileError("rename " + temp + " to", path, ec);
  syncFolderOf(path);
  return Status::Ok();
}

std::vector<BackupFile> newestFirst(std::vector<BackupFile> files) {
  std::sort(files.begin(), files.end(), [](const BackupFile& a, const BackupFile& b) {
    if (a.modifiedMs != b.modifiedMs) return a.modifiedMs > b.modifiedMs;
    return a.path > b.path;
  });
  return files;
}

Result<std::vector<BackupFile>> listBackups(const std::string& dir) {
  std::vector<BackupFile> files;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return files;
  fs::directory_iterator it(dir, ec);
  if (ec) return fileError("list", dir, ec);
  for (const fs::directory_entry& e : it) {
    std::error_code fec;
    if (!e.is_regular_file(fec)) continue;
    const std::string name = e.path().filename().string();
    // SQLite's side files are not backups of their own.
    auto endsWith = [&](const std::string& s) {
      return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
    };
    if (endsWith("-wal") || endsWith("-shm") || endsWith("-journal")) continue;
    auto written = fs::last_write_time(e.path(), fec);
    if (fec) continue;
    const auto sys = std::chrono::time_point_cast<std::chrono::milliseconds>(
        written - fs::file_time_type::clock::now() + std::chrono::system_clock::now());
    files.push_back({e.path().string(), sys.time_since_epoch().count()});
  }
  return newestFirst(std::move(files));
}

}  // namespace tender

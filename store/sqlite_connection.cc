// The thin layer over the SQLite C API: statements, connections, and the
// Status of a failed call.

#include <sqlite3.h>

#include <memory>
#include <string>

#include "store/sqlite_store.h"

namespace tender {
namespace store_internal {

Status sqliteError(sqlite3* db, int rc) {
  // The connection's message is more precise ("no such table: x") but only
  // describes `rc` if it was the connection's last error.
  std::string msg = (db != nullptr && (sqlite3_errcode(db) & 0xff) == (rc & 0xff))
                        ? sqlite3_errmsg(db)
                        : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOLFS:
    case SQLITE_PROTOCOL:
      return Status::Unavailable(msg);
    default:
      return Status::Internal(msg);
  }
}

Statement::Statement(Statement&& o) noexcept
    : stmt_(o.stmt_), inUse_(o.inUse_), bindRc_(o.bindRc_) {
  o.stmt_ = nullptr;
  o.inUse_ = nullptr;
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (inUse_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *inUse_ = false;
  } else {
    sqlite3_finalize(stmt_);
  }
}

Statement& Statement::bind(int i, int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK && bindRc_ == SQLITE_OK) bindRc_ = rc;
  return *this;
}

Statement& Statement::bind(int i, const std::string& v) {
  int rc = sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bindRc_ == SQLITE_OK) bindRc_ = rc;
  return *this;
}

Statement& Statement::bindNull(int i) {
  int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK && bindRc_ == SQLITE_OK) bindRc_ = rc;
  return *this;
}

Result<bool> Statement::step() {
  sqlite3* db = sqlite3_db_handle(stmt_);
  if (bindRc_ != SQLITE_OK) return sqliteError(db, bindRc_);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqliteError(db, rc);
}

Status Statement::run() {
  while (true) {
    Result<bool> row = step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

int64_t Statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}

bool Statement::isNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, Mode mode,
                                                     int busyTimeoutMs) {
  // NOMUTEX: the Store never lets two threads use one connection at once.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (mode == Mode::kWriter) flags |= SQLITE_OPEN_CREATE;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = sqliteError(db, rc);
    sqlite3_close_v2(db);
    return s;
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_busy_timeout(db, busyTimeoutMs);
  Status s = conn->exec("PRAGMA foreign_keys = ON");
  if (s.ok() && mode == Mode::kReader) s = conn->exec("PRAGMA query_only = ON");
  if (!s.ok()) return s;
  return conn;
}

Connection::~Connection() {
  for (auto& entry : cache_) sqlite3_finalize(entry.second.stmt);
  sqlite3_close_v2(db_);
}

Status Connection::exec(const std::string& sql) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : sqliteError(db_, rc);
}

Result<Statement> Connection::prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second.inUse) {
    it->second.inUse = true;
    return Statement(it->second.stmt, &it->second.inUse);
  }
  const bool cache = it == cache_.end();
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              cache ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK) return sqliteError(db_, rc);
  if (stmt == nullptr) return Status::Internal("empty SQL statement");
  if (!cache) return Statement(stmt, nullptr);
  CachedStatement& slot = cache_[sql];
  slot.stmt = stmt;
  slot.inUse = true;
  return Statement(stmt, &slot.inUse);
}

Result<int64_t> Connection::pragmaInt(const std::string& pragma) {
  Result<Statement> st = prepare("PRAGMA " + pragma);
  if (!st.ok()) return st.status();
  Result<bool> row = st->step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Internal("PRAGMA " + pragma + " returned no row");
  return st->int64(0);
}

Result<std::string> Connection::pragmaText(const std::string& pragma) {
  Result<Statement> st = prepare("PRAGMA " + pragma);
  if (!st.ok()) return st.status();
  Result<bool> row = st->step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Internal("PRAGMA " + pragma + " returned no row");
  return st->text(0);
}

int64_t Connection::lastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

Status Connection::copyTo(const std::string& destPath) {
  sqlite3* out = nullptr;
  int rc = sqlite3_open_v2(destPath.c_str(), &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                           nullptr);
  if (rc != SQLITE_OK) {
    Status s = sqliteError(out, rc);
    sqlite3_close_v2(out);
    return s.WithContext("open " + destPath);
  }
  sqlite3_backup* backup = sqlite3_backup_init(out, "main", db_, "main");
  if (backup == nullptr) {
    Status s = sqliteError(out, sqlite3_errcode(out));
    sqlite3_close_v2(out);
    return s.WithContext("back up into " + destPath);
  }
  // -1: every page in one step, so the copy is one snapshot of the source.
  // A busy source (a checkpoint) is tried again.
  do {
    rc = sqlite3_backup_step(backup, -1);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(5);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    Status s = sqliteError(out, rc);
    sqlite3_close_v2(out);
    return s.WithContext("back up into " + destPath);
  }
  rc = sqlite3_exec(out, "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr);
  Status s = rc == SQLITE_OK ? Status::Ok() : sqliteError(out, rc).WithContext(destPath);
  rc = sqlite3_close_v2(out);
  if (s.ok() && rc != SQLITE_OK) s = sqliteError(nullptr, rc).WithContext("close " + destPath);
  return s;
}

}  // namespace store_internal
}  // namespace tender

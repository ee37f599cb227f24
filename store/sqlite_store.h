// Internal to the store: a thin layer over the SQLite C API (one connection,
// its cached prepared statements) and the schema migrations. Nothing outside
// store/ includes this; the public interface is store/store.h.
//
// Thread-safety: a Connection and its Statements belong to one thread at a
// time; the Store decides which (a mutex for the writer, one per thread for
// readers).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tender {
namespace store_internal {

// The Status for a failed SQLite call: the connection's own message, with a
// code a caller can act on (busy/locked/full/unreadable -> Unavailable).
Status sqliteError(sqlite3* db, int rc);

// A prepared statement borrowed from a Connection; reset (bindings cleared)
// when it goes out of scope, so a reader never keeps a snapshot open and a
// COMMIT never finds a statement still running. Binding errors are remembered
// and reported by the next step().
class Statement {
 public:
  Statement(Statement&& o) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Parameters are numbered from 1, as in SQL.
  Statement& bind(int i, int64_t v);
  Statement& bind(int i, const std::string& v);
  Statement& bindNull(int i);

  // Ok(true) when a row is available, Ok(false) when done.
  Result<bool> step();
  // Runs to completion, ignoring any rows.
  Status run();

  // Columns are numbered from 0. REQUIRES: the last step() gave a row.
  int64_t int64(int col) const;
  std::string text(int col) const;
  bool isNull(int col) const;

 private:
  friend class Connection;
  // `inUse` is the cache slot's flag, cleared on destruction; nullptr for an
  // uncached statement, which is finalized instead.
  Statement(sqlite3_stmt* stmt, bool* inUse) : stmt_(stmt), inUse_(inUse) {}
  sqlite3_stmt* stmt_;
  bool* inUse_;
  int bindRc_ = 0;  // the first failing bind's code; 0 (SQLITE_OK) when none
};

class Connection {
 public:
  enum class Mode { kWriter, kReader };
  // A writer creates the file if missing; a reader requires it and is
  // query-only. Both get `busyTimeoutMs` and foreign keys on.
  static Result<std::unique_ptr<Connection>> open(const std::string& path, Mode mode,
                                                  int busyTimeoutMs);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Statements without parameters: pragmas, DDL, BEGIN/COMMIT.
  Status exec(const std::string& sql);
  // A prepared statement, from the cache when its slot is free (a statement
  // already borrowed gets a fresh, uncached copy).
  Result<Statement> prepare(const std::string& sql);
  // The first column of the first row of a pragma (user_version, journal_mode).
  Result<int64_t> pragmaInt(const std::string& pragma);
  Result<std::string> pragmaText(const std::string& pragma);
  int64_t lastInsertRowid() const;
  // Copies the whole database into the file at `destPath` (SQLite's
  // online backup, every page in one step: one read transaction here),
  // then turns the copy's journal mode to DELETE so it is one file.
  Status copyTo(const std::string& destPath);

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool inUse = false;
  };
  sqlite3* db_;
  // Node-based: a slot's address (held by a borrowed Statement) stays valid.
  std::unordered_map<std::string, CachedStatement> cache_;
};

// Runs `body` inside one BEGIN IMMEDIATE transaction on `conn`: committed
// when it returns ok, rolled back otherwise (or when COMMIT fails).
template <typename T, typename F>
Result<T> inWriteTransaction(Connection& conn, F&& body) {
  Status s = conn.exec("BEGIN IMMEDIATE");
  if (!s.ok()) return s;
  Result<T> r = body();
  if (r.ok()) {
    s = conn.exec("COMMIT");
    if (s.ok()) return r;
    r = s;
  }
  conn.exec("ROLLBACK");  // a failure here leaves nothing more to undo
  return r;
}

// The schema version this build writes and understands.
int latestSchemaVersion();

// Checks the schema version of a freshly opened writer connection before
// anything else touches the file: a version newer than this build knows is
// refused (nothing is changed). On a new file it applies the settings that
// only take effect before the first write (auto_vacuum), so it must run
// before the journal mode is switched to WAL.
Status checkSchemaVersion(Connection& conn, const std::string& path);

// Applies every migration newer than the file's user_version, each in its
// own transaction (safe against another process migrating at the same time).
Status applyMigrations(Connection& conn);

}  // namespace store_internal
}  // namespace tender

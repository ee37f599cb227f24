// Store on SQLite: one writer connection behind a mutex, one reader
// connection per calling thread (WAL lets readers run beside the writer).

#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <utility>

#include "store/store.h"

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

}  // namespace store_internal

namespace {

using store_internal::Connection;
using store_internal::Statement;

constexpr int kBusyTimeoutMs = 5000;

const char kResourceColumns[] =
    "kind, namespace, name, uid, generation, resource_version, labels, spec, status, "
    "created_at, updated_at, deleted_at, purge_data";

// "Service/default/web", or "Namespace/alice" for namespaces: for messages
// about what the store was doing.
std::string keyOf(const std::string& kind, const std::string& ns, const std::string& name) {
  return ns.empty() ? kind + "/" + name : kind + "/" + ns + "/" + name;
}

// For messages a user reads in an API answer.
std::string describe(const std::string& kind, const std::string& ns, const std::string& name) {
  std::string s = kind + " \"" + name + "\"";
  if (!ns.empty()) s += " in namespace \"" + ns + "\"";
  return s;
}

Status notFound(const std::string& kind, const std::string& ns, const std::string& name) {
  return Status::NotFound(describe(kind, ns, name) + " not found");
}

// The stored form of a JSON value: dump() of nlohmann's sorted objects, so
// equal values give equal text. null stands for "none given": {}.
Result<std::string> canonical(const nlohmann::json& value, const char* field) {
  if (value.is_null()) return std::string("{}");
  try {
    return value.dump();
  } catch (const nlohmann::json::exception& e) {
    // e.what() is "[json.exception.type_error.316] invalid UTF-8 byte ...".
    std::string why = e.what();
    auto end = why.find("] ");
    if (end != std::string::npos) why = why.substr(end + 2);
    return Status::Invalid(std::string(field) + " cannot be stored: " + why,
                           {FieldError{field, why}});
  }
}

Result<nlohmann::json> parseColumn(const std::string& text, const char* column) {
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return Status::Internal(std::string("column ") + column + " holds invalid JSON");
  }
  return value;
}

// Reads a row selected with kResourceColumns.
Result<ResourceRecord> recordFromRow(const Statement& st) {
  ResourceRecord r;
  r.kind = st.text(0);
  r.namespace_ = st.text(1);
  r.name = st.text(2);
  r.uid = st.text(3);
  r.generation = st.int64(4);
  r.resourceVersion = st.int64(5);
  Result<nlohmann::json> labels = parseColumn(st.text(6), "labels");
  if (!labels.ok()) return labels.status();
  r.labels = std::move(*labels);
  Result<nlohmann::json> spec = parseColumn(st.text(7), "spec");
  if (!spec.ok()) return spec.status();
  r.spec = std::move(*spec);
  Result<nlohmann::json> status = parseColumn(st.text(8), "status");
  if (!status.ok()) return status.status();
  r.status = std::move(*status);
  r.createdAt = st.int64(9);
  r.updatedAt = st.int64(10);
  if (!st.isNull(11)) r.deletedAt = st.int64(11);
  r.purgeData = st.int64(12) != 0;
  return r;
}

Result<std::optional<ResourceRecord>> loadRecord(Connection& c, const std::string& kind,
                                                 const std::string& ns, const std::string& name) {
  Result<Statement> st = c.prepare(std::string("SELECT ") + kResourceColumns +
                                   " FROM resources WHERE kind = ?1 AND namespace = ?2"
                                   " AND name = ?3");
  if (!st.ok()) return st.status();
  st->bind(1, kind).bind(2, ns).bind(3, name);
  Result<bool> row = st->step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<ResourceRecord>();
  Result<ResourceRecord> r = recordFromRow(*st);
  if (!r.ok()) return r.status();
  return std::optional<ResourceRecord>(std::move(*r));
}

// Advances the store-wide counter; the new value is the written row's
// resourceVersion. REQUIRES: inside a write transaction.
Result<int64_t> nextResourceVersion(Connection& c) {
  Result<Statement> st = c.prepare(
      "UPDATE counters SET resource_version = resource_version + 1 WHERE id = 1"
      " RETURNING resource_version");
  if (!st.ok()) return st.status();
  Result<bool> row = st->step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Internal("the counters table has no row");
  int64_t version = st->int64(0);
  Status done = st->run();
  if (!done.ok()) return done;
  return version;
}

// Errors the store phrases for the caller (NotFound, Conflict, Invalid) go
// out as they are; database failures get what was being done in front.
Status withContext(const Status& s, const std::string& what) {
  if (s.code() == Status::Code::kUnavailable || s.code() == Status::Code::kInternal) {
    return s.WithContext("store: " + what);
  }
  return s;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, bool inMemory, Clock& clock, std::unique_ptr<Connection> writer)
      : path_(std::move(path)), inMemory_(inMemory), clock_(clock), writer_(std::move(writer)) {}

  ~SqliteStore() override {
    // Readers first: the last connection to close checkpoints the WAL and
    // removes it, and that should be the writer.
    readers_.clear();
    writer_.reset();
  }

  Result<UpsertResult> upsert(const std::string& kind, const std::string& ns,
                              const std::string& name, const nlohmann::json& labels,
                              const nlohmann::json& spec,
                              std::optional<int64_t> expectedResourceVersion) override {
    return write<UpsertResult>("upsert " + keyOf(kind, ns, name), [&](Connection& c) {
      return upsertIn(c, kind, ns, name, labels, spec, expectedResourceVersion);
    });
  }

  Result<std::vector<WriteResult>> commit(const std::vector<ResourceWrite>& writes) override {
    using Results = std::vector<WriteResult>;
    const std::string what = "a write of " + std::to_string(writes.size()) + " objects";
    return write<Results>(what, [&](Connection& c) -> Result<Results> {
      Results out;
      for (const ResourceWrite& w : writes) {
        Result<WriteResult> r = writeIn(c, w);
        if (!r.ok()) return r.status().WithContext(w.kind + " \"" + w.name + "\"");
        out.push_back(std::move(*r));
      }
      return out;
    });
  }

  Result<ResourceRecord> get(const std::string& kind, const std::string& ns,
                             const std::string& name) override {
    return read<ResourceRecord>("get " + keyOf(kind, ns, name),
                                [&](Connection& c) -> Result<ResourceRecord> {
                                  auto r = loadRecord(c, kind, ns, name);
                                  if (!r.ok()) return r.status();
                                  if (!*r) return notFound(kind, ns, name);
                                  return std::move(**r);
                                });
  }

  Result<std::vector<ResourceRecord>> list(const std::string& kind,
                                           const std::optional<std::string>& ns) override {
    using Records = std::vector<ResourceRecord>;
    const std::string what = "list " + kind + (ns ? " in namespace " + *ns : std::string());
    return read<Records>(what, [&](Connection& c) -> Result<Records> {
      std::string sql =
          std::string("SELECT ") + kResourceColumns + " FROM resources WHERE kind = ?1";
      if (ns) sql += " AND namespace = ?2";
      sql += " ORDER BY namespace, name";
      Result<Statement> st = c.prepare(sql);
      if (!st.ok()) return st.status();
      st->bind(1, kind);
      if (ns) st->bind(2, *ns);
      Records out;
      while (true) {
        Result<bool> row = st->step();
        if (!row.ok()) return row.status();
        if (!*row) return out;
        Result<ResourceRecord> r = recordFromRow(*st);
        if (!r.ok()) return r.status();
        out.push_back(std::move(*r));
      }
    });
  }

  Status markDeleted(const std::string& kind, const std::string& ns, const std::string& name,
                     bool purgeData) override {
    Result<bool> done = write<bool>("delete " + keyOf(kind, ns, name), [&](Connection& c) {
      return markDeletedIn(c, kind, ns, name, purgeData);
    });
    return done.status();
  }

  Status purge(const std::string& kind, const std::string& ns, const std::string& name,
               const std::string& uid) override {
    Result<bool> done =
        write<bool>("purge " + keyOf(kind, ns, name), [&](Connection& c) -> Result<bool> {
          // A revived object has a new uid: the condition leaves it alone.
          Result<Statement> st = c.prepare(
              "DELETE FROM resources WHERE kind = ?1 AND namespace = ?2 AND name = ?3"
              " AND uid = ?4");
          if (!st.ok()) return st.status();
          st->bind(1, kind).bind(2, ns).bind(3, name).bind(4, uid);
          Status s = st->run();
          if (!s.ok()) return s;
          Result<Statement> changed = c.prepare("SELECT changes()");
          if (!changed.ok()) return changed.status();
          Result<bool> row = changed->step();
          if (!row.ok()) return row.status();
          if (!*row || changed->int64(0) == 0) return false;  // nothing (of this uid) to purge
          Result<Statement> tomb = c.prepare(
              "INSERT INTO tombstones (kind, namespace, name, purged_at) VALUES (?1, ?2, ?3, ?4)"
              " ON CONFLICT (kind, namespace, name) DO UPDATE SET purged_at = excluded.purged_at");
          if (!tomb.ok()) return tomb.status();
          tomb->bind(1, kind).bind(2, ns).bind(3, name).bind(4, clock_.nowMillis());
          Status t = tomb->run();
          if (!t.ok()) return t;
          return true;
        });
    return done.status();
  }

  Status updateStatus(const std::string& kind, const std::string& ns, const std::string& name,
                      const nlohmann::json& status) override {
    Result<bool> done = write<bool>(
        "update status of " + keyOf(kind, ns, name), [&](Connection& c) -> Result<bool> {
          Result<std::string> text = canonical(status, "status");
          if (!text.ok()) return text.status();
          Result<Statement> find = c.prepare(
              "SELECT status FROM resources WHERE kind = ?1 AND namespace = ?2"
              " AND name = ?3");
          if (!find.ok()) return find.status();
          find->bind(1, kind).bind(2, ns).bind(3, name);
          Result<bool> row = find->step();
          if (!row.ok()) return row.status();
          if (!*row) return notFound(kind, ns, name);
          // Reconcilers rewrite status on every pass; an unchanged one
          // would only wake watchers and grow the WAL.
          if (find->text(0) == *text) return false;

          Result<int64_t> version = nextResourceVersion(c);
          if (!version.ok()) return version.status();
          Result<Statement> st = c.prepare(
              "UPDATE resources SET status = ?1, resource_version = ?2, updated_at = ?3"
              " WHERE kind = ?4 AND namespace = ?5 AND name = ?6");
          if (!st.ok()) return st.status();
          st->bind(1, *text).bind(2, *version).bind(3, clock_.nowMillis());
          st->bind(4, kind).bind(5, ns).bind(6, name);
          Status s = st->run();
          if (!s.ok()) return s;
          return true;
        });
    return done.status();
  }

  Result<int64_t> appendEvent(const EventRecord& event) override {
    const std::string what =
        "append event " + event.reason + " for " + keyOf(event.kind, event.namespace_, event.name);
    Result<int64_t> id = write<int64_t>(what, [&](Connection& c) -> Result<int64_t> {
      Result<std::string> data = canonical(event.data, "data");
      if (!data.ok()) return data.status();
      Result<Statement> st = c.prepare(
          "INSERT INTO events (time, type, reason, kind, namespace, name, message, data)"
          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
      if (!st.ok()) return st.status();
      // A caller may know when something happened (a container's death);
      // otherwise the event happens now.
      const int64_t time = event.time != 0 ? event.time : clock_.nowMillis();
      st->bind(1, time).bind(2, event.type).bind(3, event.reason).bind(4, event.kind);
      st->bind(5, event.namespace_).bind(6, event.name).bind(7, event.message).bind(8, *data);
      Status s = st->run();
      if (!s.ok()) return s;
      return c.lastInsertRowid();
    }, /*ofResources=*/false);
    if (id.ok()) {
      std::function<void(int64_t)> observer;
      {
        std::lock_guard<std::mutex> l(observerMu_);
        observer = eventObserver_;
      }
      if (observer) observer(*id);
    }
    return id;
  }

  Result<int64_t> recordTermination(const TerminationRecord& t, bool* created) override {
    bool inserted = false;
    Result<int64_t> id = write<int64_t>(
        "record the death of " + t.containerId.substr(0, 12),
        [&](Connection& c) -> Result<int64_t> {
          Result<Statement> find =
              c.prepare("SELECT id FROM terminations WHERE container_id = ?1 AND finished_at = ?2");
          if (!find.ok()) return find.status();
          find->bind(1, t.containerId).bind(2, t.finishedAt);
          Result<bool> row = find->step();
          if (!row.ok()) return row.status();
          if (*row) return find->int64(0);
          Result<std::string> data = canonical(t.data, "data");
          if (!data.ok()) return data.status();
          Result<Statement> st = c.prepare(
              "INSERT INTO terminations (namespace, service, replica, container_id, started_at,"
              " finished_at, exit_code, reason, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
          if (!st.ok()) return st.status();
          st->bind(1, t.namespace_).bind(2, t.service).bind(3, static_cast<int64_t>(t.replica));
          st->bind(4, t.containerId).bind(5, t.startedAt).bind(6, t.finishedAt);
          st->bind(7, static_cast<int64_t>(t.exitCode)).bind(8, t.reason).bind(9, *data);
          Status s = st->run();
          if (!s.ok()) return s;
          inserted = true;
          return c.lastInsertRowid();
        },
        /*ofResources=*/false);
    if (created) *created = id.ok() && inserted;
    return id;
  }

  Status updateTerminationData(int64_t id, const nlohmann::json& data) override {
    return write<bool>(
               "update post-mortem " + std::to_string(id),
               [&](Connection& c) -> Result<bool> {
                 Result<std::string> text = canonical(data, "data");
                 if (!text.ok()) return text.status();
                 Result<Statement> st = c.prepare("UPDATE terminations SET data = ?1 WHERE id = ?2");
                 if (!st.ok()) return st.status();
                 st->bind(1, *text).bind(2, id);
                 Status s = st->run();
                 if (!s.ok()) return s;
                 return true;
               },
               /*ofResources=*/false)
        .status();
  }

  Result<std::vector<TerminationRecord>> terminations(const std::string& ns, const std::string& service,
                                                      int replica, int limit) override {
    using Out = std::vector<TerminationRecord>;
    return read<Out>("list post-mortems of " + ns + "/" + service, [&](Connection& c) -> Result<Out> {
      std::string sql =
          "SELECT id, replica, container_id, started_at, finished_at, exit_code, reason, data"
          " FROM terminations WHERE namespace = ?1 AND service = ?2";
      if (replica >= 0) sql += " AND replica = ?3";
      sql += " ORDER BY id DESC LIMIT ?4";
      Result<Statement> st = c.prepare(sql);
      if (!st.ok()) return st.status();
      st->bind(1, ns).bind(2, service);
      if (replica >= 0) st->bind(3, static_cast<int64_t>(replica));
      st->bind(4, static_cast<int64_t>(limit > 0 ? limit : -1));
      Out out;
      while (true) {
        Result<bool> row = st->step();
        if (!row.ok()) return row.status();
        if (!*row) return out;
        TerminationRecord t;
        t.id = st->int64(0);
        t.namespace_ = ns;
        t.service = service;
        t.replica = static_cast<int>(st->int64(1));
        t.containerId = st->text(2);
        t.startedAt = st->int64(3);
        t.finishedAt = st->int64(4);
        t.exitCode = static_cast<int>(st->int64(5));
        t.reason = st->text(6);
        Result<nlohmann::json> data = parseColumn(st->text(7), "data");
        if (!data.ok()) return data.status();
        t.data = std::move(*data);
        out.push_back(std::move(t));
      }
    });
  }

  Status forgetService(const std::string& ns, const std::string& service) override {
    return write<bool>(
               "forget " + ns + "/" + service,
               [&](Connection& c) -> Result<bool> {
                 for (const char* sql : {"DELETE FROM replica_state WHERE namespace = ?1 AND service = ?2"}) {
                   Result<Statement> st = c.prepare(sql);
                   if (!st.ok()) return st.status();
                   st->bind(1, ns).bind(2, service);
                   Status s = st->run();
                   if (!s.ok()) return s;
                 }
                 return true;
               },
               /*ofResources=*/false)
        .status();
  }

  Result<std::map<int, nlohmann::json>> replicaStates(const std::string& ns, const std::string& service) override {
    using Out = std::map<int, nlohmann::json>;
    return read<Out>("read restart state of " + ns + "/" + service, [&](Connection& c) -> Result<Out> {
      Result<Statement> st =
          c.prepare("SELECT replica, data FROM replica_state WHERE namespace = ?1 AND service = ?2");
      if (!st.ok()) return st.status();
      st->bind(1, ns).bind(2, service);
      Out out;
      while (true) {
        Result<bool> row = st->step();
        if (!row.ok()) return row.status();
        if (!*row) return out;
        Result<nlohmann::json> data = parseColumn(st->text(1), "data");
        if (!data.ok()) return data.status();
        out[static_cast<int>(st->int64(0))] = std::move(*data);
      }
    });
  }

  Status putReplicaState(const std::string& ns, const std::string& service, int replica,
                         const nlohmann::json& data) override {
    return write<bool>(
               "write restart state of " + ns + "/" + service,
               [&](Connection& c) -> Result<bool> {
                 Result<std::string> text = canonical(data, "data");
                 if (!text.ok()) return text.status();
                 Result<Statement> st = c.prepare(
                     "INSERT INTO replica_state (namespace, service, replica, data) VALUES (?1, ?2, ?3, ?4)"
                     " ON CONFLICT (namespace, service, replica) DO UPDATE SET data = excluded.data");
                 if (!st.ok()) return st.status();
                 st->bind(1, ns).bind(2, service).bind(3, static_cast<int64_t>(replica)).bind(4, *text);
                 Status s = st->run();
                 if (!s.ok()) return s;
                 return true;
               },
               /*ofResources=*/false)
        .status();
  }

  int64_t resourceWrites() const override { return resourceWrites_.load(std::memory_order_acquire); }

  void setEventObserver(std::function<void(int64_t)> observer) override {
    std::lock_guard<std::mutex> l(observerMu_);
    eventObserver_ = std::move(observer);
  }

  Result<std::vector<EventRecord>> events(const EventQuery& query) override {
    using Events = std::vector<EventRecord>;
    return read<Events>("list events", [&](Connection& c) -> Result<Events> {
      // Only the shape of the SQL varies (so the namespace index serves);
      // every value is bound.
      std::string sql =
          "SELECT id, time, type, reason, kind, namespace, name, message, data FROM events"
          " WHERE id > ?1";
      if (query.namespace_) sql += " AND namespace = ?2";
      if (query.kind) sql += " AND kind = ?3";
      if (query.name) sql += " AND name = ?4";
      sql += query.latest ? " ORDER BY id DESC LIMIT ?5" : " ORDER BY id LIMIT ?5";
      Result<Statement> st = c.prepare(sql);
      if (!st.ok()) return st.status();
      st->bind(1, query.sinceId);
      if (query.namespace_) st->bind(2, *query.namespace_);
      if (query.kind) st->bind(3, *query.kind);
      if (query.name) st->bind(4, *query.name);
      st->bind(5, static_cast<int64_t>(query.limit > 0 ? query.limit : -1));  // -1: no limit
      Events out;
      while (true) {
        Result<bool> row = st->step();
        if (!row.ok()) return row.status();
        if (!*row) {
          if (query.latest) std::reverse(out.begin(), out.end());
          return out;
        }
        EventRecord e;
        e.id = st->int64(0);
        e.time = st->int64(1);
        e.type = st->text(2);
        e.reason = st->text(3);
        e.kind = st->text(4);
        e.namespace_ = st->text(5);
        e.name = st->text(6);
        e.message = st->text(7);
        Result<nlohmann::json> data = parseColumn(st->text(8), "data");
        if (!data.ok()) return data.status();
        e.data = std::move(*data);
        out.push_back(std::move(e));
      }
    });
  }

  Result<PruneResult> pruneHistory(const Retention& r) override {
    PruneResult out;
    auto deleted = [](Connection& c) -> Result<int64_t> {
      Result<Statement> st = c.prepare("SELECT changes()");
      if (!st.ok()) return st.status();
      Result<bool> row = st->step();
      if (!row.ok()) return row.status();
      return *row ? st->int64(0) : 0;
    };
    const int64_t now = clock_.nowMillis();
    Result<bool> done = write<bool>(
        "prune history",
        [&](Connection& c) -> Result<bool> {
          struct Step {
            const char* sql;
            int64_t first;
            int64_t* count;
          };
          // Window functions keep the newest N of each object.
          const Step steps[] = {
              {"DELETE FROM events WHERE time < ?1", now - r.maxEventAgeMs, &out.events},
              {"DELETE FROM events WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER ("
               "PARTITION BY kind, namespace, name ORDER BY id DESC) AS n FROM events) WHERE n > ?1)",
               r.eventsPerObject, &out.events},
              {"DELETE FROM terminations WHERE finished_at < ?1", now - r.maxTerminationAgeMs, &out.terminations},
              {"DELETE FROM terminations WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER ("
               "PARTITION BY namespace, service, replica ORDER BY id DESC) AS n FROM terminations) WHERE n > ?1)",
               r.terminationsPerReplica, &out.terminations},
              // Objects purged more than the grace period ago, and not
              // created again since, take their history along.
              {"DELETE FROM events WHERE EXISTS (SELECT 1 FROM tombstones t WHERE t.purged_at < ?1"
               " AND t.kind = events.kind AND t.namespace = events.namespace AND t.name = events.name"
               " AND NOT EXISTS (SELECT 1 FROM resources r WHERE r.kind = t.kind"
               " AND r.namespace = t.namespace AND r.name = t.name))",
               now - r.deletedGraceMs, &out.events},
              {"DELETE FROM terminations WHERE EXISTS (SELECT 1 FROM tombstones t WHERE t.purged_at < ?1"
               " AND t.kind = 'Service' AND t.namespace = terminations.namespace AND t.name = terminations.service"
               " AND NOT EXISTS (SELECT 1 FROM resources r WHERE r.kind = 'Service'"
               " AND r.namespace = t.namespace AND r.name = t.name))",
               now - r.deletedGraceMs, &out.terminations},
              {"DELETE FROM tombstones WHERE purged_at < ?1", now - r.deletedGraceMs, &out.deletedObjects},
          };
          for (const Step& s : steps) {
            Result<Statement> st = c.prepare(s.sql);
            if (!st.ok()) return st.status();
            st->bind(1, s.first);
            Status run = st->run();
            if (!run.ok()) return run;
            Result<int64_t> n = deleted(c);
            if (!n.ok()) return n.status();
            *s.count += *n;
          }
          return true;
        },
        /*ofResources=*/false);
    if (!done.ok()) return done.status();
    if (inMemory_) return out;
    try {
      std::lock_guard<std::mutex> lock(writeMu_);
      Result<int64_t> before = writer_->pragmaInt("freelist_count");
      Status s = writer_->exec("PRAGMA incremental_vacuum");
      if (!s.ok()) return s.WithContext("store: incremental vacuum");
      Result<int64_t> after = writer_->pragmaInt("freelist_count");
      if (before.ok() && after.ok()) out.freedPages = *before - *after;
    } catch (const std::exception& e) {
      return Status::Internal(std::string("store: incremental vacuum: ") + e.what());
    }
    return out;
  }

  Status integrityCheck() override {
    Result<bool> done = read<bool>("integrity check", [&](Connection& c) -> Result<bool> {
      Result<Statement> st = c.prepare("PRAGMA integrity_check");
      if (!st.ok()) return st.status();
      std::vector<std::string> problems;
      while (true) {
        Result<bool> row = st->step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        std::string line = st->text(0);
        if (line != "ok" && problems.size() < 10) problems.push_back(line);
      }
      if (problems.empty()) return true;
      std::string msg = path_ + " is damaged:";
      for (const std::string& p : problems) msg += " " + p + ";";
      return Status::Internal(msg);
    });
    return done.status();
  }

 private:
  // upsert() inside the caller's write transaction.
  Result<UpsertResult> upsertIn(Connection& c, const std::string& kind, const std::string& ns,
                                const std::string& name, const nlohmann::json& labels, const nlohmann::json& spec,
                                std::optional<int64_t> expectedResourceVersion) {
    Result<std::string> labelsText = canonical(labels, "metadata.labels");
    if (!labelsText.ok()) return labelsText.status();
    Result<std::string> specText = canonical(spec, "spec");
    if (!specText.ok()) return specText.status();

    Result<std::optional<ResourceRecord>> loaded = loadRecord(c, kind, ns, name);
    if (!loaded.ok()) return loaded.status();
    std::optional<ResourceRecord>& current = *loaded;
    if (expectedResourceVersion) {
      const std::string given = std::to_string(*expectedResourceVersion);
      if (!current) {
        return Status::Conflict(describe(kind, ns, name) +
                                " does not exist, but resourceVersion " + given + " was given");
      }
      if (current->resourceVersion != *expectedResourceVersion) {
        return Status::Conflict(describe(kind, ns, name) + " has resourceVersion " +
                                std::to_string(current->resourceVersion) + ", but " + given +
                                " was given: it was changed since it was read");
      }
    }
    const int64_t now = clock_.nowMillis();

    if (current && !current->deletedAt) {
      if (current->labels.dump() == *labelsText && current->spec.dump() == *specText) {
        return UpsertResult{UpsertOutcome::kUnchanged, std::move(*current)};
      }
      Result<int64_t> version = nextResourceVersion(c);
      if (!version.ok()) return version.status();
      ResourceRecord r = std::move(*current);
      r.generation += 1;
      r.resourceVersion = *version;
      r.labels = nlohmann::json::parse(*labelsText);
      r.spec = nlohmann::json::parse(*specText);
      r.updatedAt = now;
      Result<Statement> st = c.prepare(
          "UPDATE resources SET generation = ?1, resource_version = ?2, labels = ?3, spec = ?4,"
          " updated_at = ?5 WHERE kind = ?6 AND namespace = ?7 AND name = ?8");
      if (!st.ok()) return st.status();
      st->bind(1, r.generation).bind(2, r.resourceVersion).bind(3, *labelsText);
      st->bind(4, *specText).bind(5, now).bind(6, kind).bind(7, ns).bind(8, name);
      Status s = st->run();
      if (!s.ok()) return s;
      return UpsertResult{UpsertOutcome::kConfigured, std::move(r)};
    }

    // New, or revived after markDeleted: either way a new object.
    Result<int64_t> version = nextResourceVersion(c);
    if (!version.ok()) return version.status();
    ResourceRecord r;
    r.kind = kind;
    r.namespace_ = ns;
    r.name = name;
    r.uid = newUid();
    r.generation = 1;
    r.resourceVersion = *version;
    r.labels = nlohmann::json::parse(*labelsText);
    r.spec = nlohmann::json::parse(*specText);
    r.createdAt = now;
    r.updatedAt = now;
    Result<Statement> st = c.prepare(
        "INSERT INTO resources (kind, namespace, name, uid, generation, resource_version,"
        " labels, spec, status, created_at, updated_at, deleted_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, '{}', ?9, ?9, NULL)"
        " ON CONFLICT (kind, namespace, name) DO UPDATE SET uid = excluded.uid,"
        " generation = excluded.generation, resource_version = excluded.resource_version,"
        " labels = excluded.labels, spec = excluded.spec, status = excluded.status,"
        " created_at = excluded.created_at, updated_at = excluded.updated_at,"
        " deleted_at = NULL, purge_data = 0");
    if (!st.ok()) return st.status();
    st->bind(1, kind).bind(2, ns).bind(3, name).bind(4, r.uid).bind(5, r.generation);
    st->bind(6, r.resourceVersion).bind(7, *labelsText).bind(8, *specText).bind(9, now);
    Status s = st->run();
    if (!s.ok()) return s;
    return UpsertResult{UpsertOutcome::kCreated, std::move(r)};
  }

  // markDeleted() inside the caller's write transaction: true when it marked
  // (or added the purge), false when the record was already marked.
  Result<bool> markDeletedIn(Connection& c, const std::string& kind, const std::string& ns,
                             const std::string& name, bool purgeData) {
    Result<Statement> find = c.prepare(
        "SELECT deleted_at, purge_data FROM resources WHERE kind = ?1 AND namespace = ?2"
        " AND name = ?3");
    if (!find.ok()) return find.status();
    find->bind(1, kind).bind(2, ns).bind(3, name);
    Result<bool> row = find->step();
    if (!row.ok()) return row.status();
    if (!*row) return notFound(kind, ns, name);
    // Already marked: the first deletedAt stands; only a purge may be added.
    const bool marked = !find->isNull(0);
    if (marked && (find->int64(1) != 0 || !purgeData)) return false;

    Result<int64_t> version = nextResourceVersion(c);
    if (!version.ok()) return version.status();
    const int64_t now = clock_.nowMillis();
    Result<Statement> st = c.prepare(
        "UPDATE resources SET deleted_at = COALESCE(deleted_at, ?1), updated_at = ?1,"
        " resource_version = ?2, purge_data = MAX(purge_data, ?6)"
        " WHERE kind = ?3 AND namespace = ?4 AND name = ?5");
    if (!st.ok()) return st.status();
    st->bind(1, now).bind(2, *version).bind(3, kind).bind(4, ns).bind(5, name);
    st->bind(6, int64_t{purgeData ? 1 : 0});
    Status s = st->run();
    if (!s.ok()) return s;
    return true;
  }

  // One write of a batch, inside the caller's transaction.
  Result<WriteResult> writeIn(Connection& c, const ResourceWrite& w) {
    WriteResult r;
    switch (w.op) {
      case ResourceWrite::Op::kCreateIfAbsent: {
        Result<std::optional<ResourceRecord>> current = loadRecord(c, w.kind, w.ns, w.name);
        if (!current.ok()) return current.status();
        if (*current && !(*current)->deletedAt) return r;
        [[fallthrough]];
      }
      case ResourceWrite::Op::kUpsert: {
        Result<UpsertResult> up = upsertIn(c, w.kind, w.ns, w.name, w.labels, w.spec, w.expectedResourceVersion);
        if (!up.ok()) return up.status();
        r.applied = true;
        r.upsert = std::move(*up);
        return r;
      }
      case ResourceWrite::Op::kMarkDeleted: {
        Result<bool> marked = markDeletedIn(c, w.kind, w.ns, w.name, false);
        if (!marked.ok() && marked.status().IsNotFound()) return r;
        if (!marked.ok()) return marked.status();
        r.applied = *marked;
        return r;
      }
    }
    return Status::Internal("unknown write");
  }

  // One BEGIN IMMEDIATE transaction on the writer; `body` gets the writer
  // connection. Rolled back on any error, exceptions included.
  // A committed write of resources advances resourceWrites_ (events do not).
  template <typename T, typename F>
  Result<T> write(const std::string& what, F&& body, bool ofResources = true) {
    try {
      std::lock_guard<std::mutex> lock(writeMu_);
      Result<T> r = store_internal::inWriteTransaction<T>(*writer_, [&]() -> Result<T> {
        try {
          return body(*writer_);
        } catch (const std::exception& e) {
          return Status::Internal(e.what());
        }
      });
      if (!r.ok()) return withContext(r.status(), what);
      if (ofResources) resourceWrites_.fetch_add(1, std::memory_order_release);
      return r;
    } catch (const std::exception& e) {
      return withContext(Status::Internal(e.what()), what);
    }
  }

  // `body` gets this thread's reader connection (the writer, under its lock,
  // for an in-memory database).
  template <typename T, typename F>
  Result<T> read(const std::string& what, F&& body) {
    try {
      Result<T> r = Status::Internal("unreachable");
      if (inMemory_) {
        std::lock_guard<std::mutex> lock(writeMu_);
        r = body(*writer_);
      } else {
        Result<Connection*> c = reader();
        if (!c.ok()) return withContext(c.status(), what);
        r = body(**c);
      }
      if (!r.ok()) return withContext(r.status(), what);
      return r;
    } catch (const std::exception& e) {
      return withContext(Status::Internal(e.what()), what);
    }
  }

  Result<Connection*> reader() {
    std::lock_guard<std::mutex> lock(readersMu_);
    // A thread id is reused only after its thread ended, so a connection
    // never serves two live threads.
    std::unique_ptr<Connection>& slot = readers_[std::this_thread::get_id()];
    if (!slot) {
      Result<std::unique_ptr<Connection>> c =
          Connection::open(path_, Connection::Mode::kReader, kBusyTimeoutMs);
      if (!c.ok()) {
        readers_.erase(std::this_thread::get_id());
        return c.status().WithContext("open a reader on " + path_);
      }
      slot = std::move(*c);
    }
    return slot.get();
  }

  // A random (version 4) UUID. REQUIRES: writeMu_ held (random_ is shared).
  std::string newUid() {
    std::array<unsigned char, 16> b{};
    for (size_t i = 0; i < b.size(); i += 4) {
      uint32_t w = random_();
      for (size_t j = 0; j < 4; ++j) b[i + j] = static_cast<unsigned char>(w >> (8 * j));
    }
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    char out[37];
    std::snprintf(out, sizeof(out),
                  "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                  b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                  b[14], b[15]);
    return out;
  }

  const std::string path_;
  const bool inMemory_;
  Clock& clock_;
  std::mutex writeMu_;  // guards writer_ and random_
  std::unique_ptr<Connection> writer_;
  std::random_device random_;
  std::atomic<int64_t> resourceWrites_{0};
  std::mutex observerMu_;
  std::function<void(int64_t)> eventObserver_;  // guarded by observerMu_
  std::mutex readersMu_;  // guards readers_ (not the connections in it)
  std::unordered_map<std::thread::id, std::unique_ptr<Connection>> readers_;
};

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& path, Clock& clock) {
  try {
    if (path.empty()) return Status::Invalid("store: the database path is empty");
    const bool inMemory = path == ":memory:";
    std::string file = path;
    if (!inMemory) {
      // Readers open the file later, perhaps after a chdir.
      std::error_code ec;
      std::filesystem::path abs = std::filesystem::absolute(path, ec);
      if (!ec) file = abs.string();
    }
    const std::string what = "open " + path;
    Result<std::unique_ptr<Connection>> opened =
        Connection::open(file, Connection::Mode::kWriter, kBusyTimeoutMs);
    if (!opened.ok()) return withContext(opened.status(), what);
    Connection& c = **opened;

    Status s = store_internal::checkSchemaVersion(c, path);
    if (!s.ok()) return s;
    if (!inMemory) {
      Result<std::string> mode = c.pragmaText("journal_mode = WAL");
      if (!mode.ok()) return withContext(mode.status(), what);
      if (*mode != "wal") {
        return Status::Unavailable("store: " + what + ": cannot use WAL journal mode (got " +
                                   *mode + "); is the file on a network file system?");
      }
    }
    s = c.exec("PRAGMA synchronous = NORMAL");
    if (!s.ok()) return withContext(s, what);
    s = store_internal::applyMigrations(c);
    if (!s.ok()) return s;
    return std::unique_ptr<Store>(
        new SqliteStore(std::move(file), inMemory, clock, std::move(*opened)));
  } catch (const std::exception& e) {
    return Status::Internal("store: open " + path + ": " + e.what());
  }
}

}  // namespace tender

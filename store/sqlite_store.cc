// Store on SQLite: one writer connection behind a mutex, one reader
// connection per calling thread (WAL lets readers run beside the writer).
// This file opens the store and holds what the others share: the row
// helpers, the reader connections, uids, the integrity check.

#include <array>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>

#include "store/sqlite_store_impl.h"

namespace tender {
namespace store_internal {

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

Result<int64_t> changedRows(Connection& c) {
  Result<Statement> st = c.prepare("SELECT changes()");
  if (!st.ok()) return st.status();
  Result<bool> row = st->step();
  if (!row.ok()) return row.status();
  return *row ? st->int64(0) : 0;
}

SqliteStore::~SqliteStore() {
  // Readers first: the last connection to close checkpoints the WAL and
  // removes it, and that should be the writer.
  readers_.clear();
  writer_.reset();
}

int64_t SqliteStore::resourceWrites() const {
  return resourceWrites_.load(std::memory_order_acquire);
}

void SqliteStore::setEventObserver(std::function<void(int64_t)> observer) {
  std::lock_guard<std::mutex> l(observerMu_);
  eventObserver_ = std::move(observer);
}

Status SqliteStore::integrityCheck() {
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

Status SqliteStore::backupTo(const std::string& dest) {
  try {
    if (inMemory_) {
      std::lock_guard<std::mutex> lock(writeMu_);
      return withContext(writer_->copyTo(dest), "back up");
    }
    // A connection of its own: the copy's read transaction must not share a
    // thread's reader with a statement in progress.
    Result<std::unique_ptr<Connection>> source =
        Connection::open(path_, Connection::Mode::kReader, kBusyTimeoutMs);
    if (!source.ok()) return withContext(source.status(), "back up: open " + path_);
    return withContext((*source)->copyTo(dest), "back up");
  } catch (const std::exception& e) {
    return withContext(Status::Internal(e.what()), "back up");
  }
}

Result<Connection*> SqliteStore::reader() {
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

std::string SqliteStore::newUid() {
  std::array<unsigned char, 16> b{};
  for (size_t i = 0; i < b.size(); i += 4) {
    uint32_t w = random_();
    for (size_t j = 0; j < 4; ++j) b[i + j] = static_cast<unsigned char>(w >> (8 * j));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

}  // namespace store_internal

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
    Result<std::unique_ptr<store_internal::Connection>> opened = store_internal::Connection::open(
        file, store_internal::Connection::Mode::kWriter, store_internal::kBusyTimeoutMs);
    if (!opened.ok()) return store_internal::withContext(opened.status(), what);
    store_internal::Connection& c = **opened;

    Status s = store_internal::checkSchemaVersion(c, path);
    if (!s.ok()) return s;
    if (!inMemory) {
      Result<std::string> mode = c.pragmaText("journal_mode = WAL");
      if (!mode.ok()) return store_internal::withContext(mode.status(), what);
      if (*mode != "wal") {
        return Status::Unavailable("store: " + what + ": cannot use WAL journal mode (got " +
                                   *mode + "); is the file on a network file system?");
      }
    }
    s = c.exec("PRAGMA synchronous = NORMAL");
    if (!s.ok()) return store_internal::withContext(s, what);
    s = store_internal::applyMigrations(c);
    if (!s.ok()) return s;
    return std::unique_ptr<Store>(
        new store_internal::SqliteStore(std::move(file), inMemory, clock, std::move(*opened)));
  } catch (const std::exception& e) {
    return Status::Internal("store: open " + path + ": " + e.what());
  }
}

}  // namespace tender

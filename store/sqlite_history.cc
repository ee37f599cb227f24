// The store's history: events (with their watch notification), the
// post-mortems of container deaths, and pruning both to the retention.

#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite_store_impl.h"

namespace tender {
namespace store_internal {

Result<int64_t> SqliteStore::appendEvent(const EventRecord& event) {
  const std::string what =
      "append event " + event.reason + " for " + keyOf(event.kind, event.namespace_, event.name);
  Result<int64_t> id = write<int64_t>(
      what,
      [&](Connection& c) -> Result<int64_t> {
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
      },
      /*ofResources=*/false);
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

Result<std::vector<EventRecord>> SqliteStore::events(const EventQuery& query) {
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

Result<int64_t> SqliteStore::recordTermination(const TerminationRecord& t, bool* created) {
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

Status SqliteStore::updateTerminationData(int64_t id, const nlohmann::json& data) {
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

Result<std::vector<TerminationRecord>> SqliteStore::terminations(const std::string& ns,
                                                                 const std::string& service,
                                                                 int replica, int limit) {
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

Result<PruneResult> SqliteStore::pruneHistory(const Retention& r) {
  PruneResult out;
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
            {"DELETE FROM terminations WHERE finished_at < ?1", now - r.maxTerminationAgeMs,
             &out.terminations},
            {"DELETE FROM terminations WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER ("
             "PARTITION BY namespace, service, replica ORDER BY id DESC) AS n FROM terminations) "
             "WHERE n > ?1)",
             r.terminationsPerReplica, &out.terminations},
            // Objects purged more than the grace period ago, and not
            // created again since, take their history along.
            {"DELETE FROM events WHERE EXISTS (SELECT 1 FROM tombstones t WHERE t.purged_at < ?1"
             " AND t.kind = events.kind AND t.namespace = events.namespace AND t.name = events.name"
             " AND NOT EXISTS (SELECT 1 FROM resources r WHERE r.kind = t.kind"
             " AND r.namespace = t.namespace AND r.name = t.name))",
             now - r.deletedGraceMs, &out.events},
            {"DELETE FROM terminations WHERE EXISTS (SELECT 1 FROM tombstones t WHERE t.purged_at "
             "< ?1"
             " AND t.kind = 'Service' AND t.namespace = terminations.namespace AND t.name = "
             "terminations.service"
             " AND NOT EXISTS (SELECT 1 FROM resources r WHERE r.kind = 'Service'"
             " AND r.namespace = t.namespace AND r.name = t.name))",
             now - r.deletedGraceMs, &out.terminations},
            {"DELETE FROM tombstones WHERE purged_at < ?1", now - r.deletedGraceMs,
             &out.deletedObjects},
            // Facts of a run whose death was never recorded (tender was
            // away, the container went with its engine).
            {"DELETE FROM container_facts WHERE updated_at < ?1", now - r.maxTerminationAgeMs,
             &out.containerFacts},
        };
        for (const Step& s : steps) {
          Result<Statement> st = c.prepare(s.sql);
          if (!st.ok()) return st.status();
          st->bind(1, s.first);
          Status run = st->run();
          if (!run.ok()) return run;
          Result<int64_t> n = changedRows(c);
          if (!n.ok()) return n.status();
          *s.count += *n;
        }
        return true;
      },
      /*ofResources=*/false);
  if (!done.ok()) return done.status();
  if (inMemory_) return out;
  Result<int64_t> freed = vacuum();
  if (!freed.ok()) return freed.status();
  out.freedPages = *freed;
  return out;
}

Result<int64_t> SqliteStore::vacuum() {
  try {
    std::lock_guard<std::mutex> lock(writeMu_);
    Result<int64_t> before = writer_->pragmaInt("freelist_count");
    Status s = writer_->exec("PRAGMA incremental_vacuum");
    if (!s.ok()) return s.WithContext("store: incremental vacuum");
    Result<int64_t> after = writer_->pragmaInt("freelist_count");
    if (before.ok() && after.ok()) return *before - *after;
    return int64_t{0};
  } catch (const std::exception& e) {
    return Status::Internal(std::string("store: incremental vacuum: ") + e.what());
  }
}

}  // namespace store_internal
}  // namespace tender

// The store's resources: upsert, the batched commit of an apply, reads,
// deletion (mark, then purge) and status writes.

#include <optional>
#include <string>
#include <vector>

#include "store/sqlite_store_impl.h"

namespace tender {
namespace store_internal {

Result<UpsertResult> SqliteStore::upsert(const std::string& kind, const std::string& ns,
                                         const std::string& name, const nlohmann::json& labels,
                                         const nlohmann::json& spec,
                                         std::optional<int64_t> expectedResourceVersion) {
  return write<UpsertResult>("upsert " + keyOf(kind, ns, name), [&](Connection& c) {
    return upsertIn(c, kind, ns, name, labels, spec, expectedResourceVersion);
  });
}

Result<std::vector<WriteResult>> SqliteStore::commit(const std::vector<ResourceWrite>& writes) {
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

Result<ResourceRecord> SqliteStore::get(const std::string& kind, const std::string& ns,
                                        const std::string& name) {
  return read<ResourceRecord>("get " + keyOf(kind, ns, name),
                              [&](Connection& c) -> Result<ResourceRecord> {
                                auto r = loadRecord(c, kind, ns, name);
                                if (!r.ok()) return r.status();
                                if (!*r) return notFound(kind, ns, name);
                                return std::move(**r);
                              });
}

Result<std::vector<ResourceRecord>> SqliteStore::list(const std::string& kind,
                                                      const std::optional<std::string>& ns) {
  using Records = std::vector<ResourceRecord>;
  const std::string what = "list " + kind + (ns ? " in namespace " + *ns : std::string());
  return read<Records>(what, [&](Connection& c) -> Result<Records> {
    std::string sql = std::string("SELECT ") + kResourceColumns + " FROM resources WHERE kind = ?1";
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

Status SqliteStore::markDeleted(const std::string& kind, const std::string& ns,
                                const std::string& name, bool purgeData) {
  Result<bool> done = write<bool>("delete " + keyOf(kind, ns, name), [&](Connection& c) {
    return markDeletedIn(c, kind, ns, name, purgeData);
  });
  return done.status();
}

Status SqliteStore::purge(const std::string& kind, const std::string& ns, const std::string& name,
                          const std::string& uid) {
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
        Status forgot = forgetAdoptionsIn(c, kind, ns, name);
        if (!forgot.ok()) return forgot;
        return true;
      });
  return done.status();
}

Status SqliteStore::updateStatus(const std::string& kind, const std::string& ns,
                                 const std::string& name, const nlohmann::json& status) {
  Result<bool> done =
      write<bool>("update status of " + keyOf(kind, ns, name), [&](Connection& c) -> Result<bool> {
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

Result<UpsertResult> SqliteStore::upsertIn(Connection& c, const std::string& kind,
                                           const std::string& ns, const std::string& name,
                                           const nlohmann::json& labels, const nlohmann::json& spec,
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
      return Status::Conflict(describe(kind, ns, name) + " does not exist, but resourceVersion " +
                              given + " was given");
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

Result<bool> SqliteStore::markDeletedIn(Connection& c, const std::string& kind,
                                        const std::string& ns, const std::string& name,
                                        bool purgeData) {
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

Result<WriteResult> SqliteStore::writeIn(Connection& c, const ResourceWrite& w) {
  WriteResult r;
  switch (w.op) {
    case ResourceWrite::Op::kCreateIfAbsent: {
      Result<std::optional<ResourceRecord>> current = loadRecord(c, w.kind, w.ns, w.name);
      if (!current.ok()) return current.status();
      if (*current && !(*current)->deletedAt) return r;
      [[fallthrough]];
    }
    case ResourceWrite::Op::kUpsert: {
      Result<UpsertResult> up =
          upsertIn(c, w.kind, w.ns, w.name, w.labels, w.spec, w.expectedResourceVersion);
      if (!up.ok()) return up.status();
      if (w.adoption) {
        Adoption a = *w.adoption;
        if (a.at == 0) a.at = clock_.nowMillis();
        Status s = recordAdoptionIn(c, a);
        if (!s.ok()) return s;
      }
      r.applied = true;
      r.upsert = std::move(*up);
      return r;
    }
    case ResourceWrite::Op::kAdopt: {
      if (!w.adoption) return Status::Internal("an adoption write without an adoption");
      Adoption a = *w.adoption;
      if (a.at == 0) a.at = clock_.nowMillis();
      Status s = recordAdoptionIn(c, a);
      if (!s.ok()) return s;
      r.applied = true;
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

}  // namespace store_internal
}  // namespace tender

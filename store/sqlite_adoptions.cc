// The store's adoptions: engine objects docker compose created that tender
// uses as its own resources' (store.h, Adoption).
#include <optional>
#include <string>

#include "store/sqlite_store_impl.h"

namespace tender {
namespace store_internal {

Status SqliteStore::recordAdoptionIn(Connection& c, const Adoption& a) {
  Result<Statement> st = c.prepare(
      "INSERT INTO adoptions (kind, namespace, name, engine_name, project, adopted_by, adopted_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
      " ON CONFLICT (kind, namespace, name) DO UPDATE SET engine_name = excluded.engine_name,"
      " project = excluded.project, adopted_by = excluded.adopted_by,"
      " adopted_at = excluded.adopted_at");
  if (!st.ok()) return st.status();
  st->bind(1, a.kind).bind(2, a.namespace_).bind(3, a.name).bind(4, a.engineName);
  st->bind(5, a.project).bind(6, a.by).bind(7, a.at);
  return st->run();
}

Status SqliteStore::forgetAdoptionsIn(Connection& c, const std::string& kind,
                                      const std::string& ns, const std::string& name) {
  const bool wholeNamespace = kind == "Namespace";
  Result<Statement> st =
      c.prepare(wholeNamespace
                    ? "DELETE FROM adoptions WHERE namespace = ?1"
                    : "DELETE FROM adoptions WHERE namespace = ?1 AND kind = ?2 AND name = ?3");
  if (!st.ok()) return st.status();
  st->bind(1, wholeNamespace ? name : ns);
  if (!wholeNamespace) st->bind(2, kind).bind(3, name);
  return st->run();
}

Result<std::optional<Adoption>> SqliteStore::adoption(const std::string& kind,
                                                      const std::string& ns,
                                                      const std::string& name) {
  using Found = std::optional<Adoption>;
  return read<Found>("read the adoption of " + keyOf(kind, ns, name),
                     [&](Connection& c) -> Result<Found> {
                       Result<Statement> st = c.prepare(
                           "SELECT engine_name, project, adopted_by, adopted_at FROM adoptions"
                           " WHERE kind = ?1 AND namespace = ?2 AND name = ?3");
                       if (!st.ok()) return st.status();
                       st->bind(1, kind).bind(2, ns).bind(3, name);
                       Result<bool> row = st->step();
                       if (!row.ok()) return row.status();
                       if (!*row) return Found();
                       Adoption a;
                       a.kind = kind;
                       a.namespace_ = ns;
                       a.name = name;
                       a.engineName = st->text(0);
                       a.project = st->text(1);
                       a.by = st->text(2);
                       a.at = st->int64(3);
                       return Found(std::move(a));
                     });
}

}  // namespace store_internal
}  // namespace tender

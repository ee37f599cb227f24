// What reconcilers keep across restarts of tender: each replica's restart
// state, the requests still to carry out (restarts, evictions), and the
// facts behind a container's death that the engine does not keep.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "store/sqlite_store_impl.h"

namespace tender {
namespace store_internal {

Status SqliteStore::forgetService(const std::string& ns, const std::string& service) {
  return write<bool>(
             "forget " + ns + "/" + service,
             [&](Connection& c) -> Result<bool> {
               for (const char* sql :
                    {"DELETE FROM replica_state WHERE namespace = ?1 AND service = ?2",
                     "DELETE FROM service_requests WHERE namespace = ?1 AND service = ?2",
                     "DELETE FROM container_facts WHERE namespace = ?1 AND service = ?2"}) {
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

Result<std::map<int, nlohmann::json>> SqliteStore::replicaStates(const std::string& ns,
                                                                 const std::string& service) {
  using Out = std::map<int, nlohmann::json>;
  return read<Out>(
      "read restart state of " + ns + "/" + service, [&](Connection& c) -> Result<Out> {
        Result<Statement> st = c.prepare(
            "SELECT replica, data FROM replica_state WHERE namespace = ?1 AND service = ?2");
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

Status SqliteStore::putReplicaState(const std::string& ns, const std::string& service, int replica,
                                    const nlohmann::json& data) {
  return write<bool>(
             "write restart state of " + ns + "/" + service,
             [&](Connection& c) -> Result<bool> {
               Result<std::string> text = canonical(data, "data");
               if (!text.ok()) return text.status();
               Result<Statement> st = c.prepare(
                   "INSERT INTO replica_state (namespace, service, replica, data) VALUES (?1, ?2, "
                   "?3, ?4)"
                   " ON CONFLICT (namespace, service, replica) DO UPDATE SET data = excluded.data");
               if (!st.ok()) return st.status();
               st->bind(1, ns)
                   .bind(2, service)
                   .bind(3, static_cast<int64_t>(replica))
                   .bind(4, *text);
               Status s = st->run();
               if (!s.ok()) return s;
               return true;
             },
             /*ofResources=*/false)
      .status();
}

Result<bool> SqliteStore::putRequest(const ServiceRequest& q, bool replace) {
  if (q.kind.empty()) return Status::Invalid("store: a request needs a kind");
  return write<bool>(
      q.kind + " request for " + q.namespace_ + "/" + q.service,
      [&](Connection& c) -> Result<bool> {
        Result<Statement> st = c.prepare(
            replace
                ? "INSERT INTO service_requests (namespace, service, kind, replica, requested_at, "
                  "reason)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (namespace, service, kind, replica)"
                  " DO UPDATE SET requested_at = excluded.requested_at, reason = excluded.reason"
                : "INSERT INTO service_requests (namespace, service, kind, replica, requested_at, "
                  "reason)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (namespace, service, kind, replica)"
                  " DO NOTHING");
        if (!st.ok()) return st.status();
        st->bind(1, q.namespace_)
            .bind(2, q.service)
            .bind(3, q.kind)
            .bind(4, static_cast<int64_t>(q.replica))
            .bind(5, q.requestedAt)
            .bind(6, q.reason);
        Status s = st->run();
        if (!s.ok()) return s;
        Result<int64_t> n = changedRows(c);
        if (!n.ok()) return n.status();
        return *n > 0;
      },
      /*ofResources=*/false);
}

Result<std::vector<ServiceRequest>> SqliteStore::requests(const std::string& kind,
                                                          const std::string& ns,
                                                          const std::string& service) {
  using Out = std::vector<ServiceRequest>;
  return read<Out>(
      "read " + (kind.empty() ? std::string("all") : kind) + " requests",
      [&](Connection& c) -> Result<Out> {
        Result<Statement> st = c.prepare(
            "SELECT namespace, service, kind, replica, requested_at, reason FROM service_requests"
            " WHERE (?1 = '' OR kind = ?1) AND (?2 = '' OR namespace = ?2) AND (?3 = '' OR service "
            "= ?3)"
            " ORDER BY requested_at, namespace, service, replica");
        if (!st.ok()) return st.status();
        st->bind(1, kind).bind(2, ns).bind(3, service);
        Out out;
        while (true) {
          Result<bool> row = st->step();
          if (!row.ok()) return row.status();
          if (!*row) return out;
          ServiceRequest q;
          q.namespace_ = st->text(0);
          q.service = st->text(1);
          q.kind = st->text(2);
          q.replica = static_cast<int>(st->int64(3));
          q.requestedAt = st->int64(4);
          q.reason = st->text(5);
          out.push_back(std::move(q));
        }
      });
}

Status SqliteStore::removeRequests(const std::vector<ServiceRequest>& done) {
  if (done.empty()) return Status::Ok();
  return write<bool>(
             "remove " + std::to_string(done.size()) + " carried-out requests",
             [&](Connection& c) -> Result<bool> {
               for (const ServiceRequest& q : done) {
                 Result<Statement> st = c.prepare(
                     "DELETE FROM service_requests WHERE namespace = ?1 AND service = ?2 AND kind "
                     "= ?3"
                     " AND replica = ?4 AND requested_at = ?5");
                 if (!st.ok()) return st.status();
                 st->bind(1, q.namespace_)
                     .bind(2, q.service)
                     .bind(3, q.kind)
                     .bind(4, static_cast<int64_t>(q.replica))
                     .bind(5, q.requestedAt);
                 Status s = st->run();
                 if (!s.ok()) return s;
               }
               return true;
             },
             /*ofResources=*/false)
      .status();
}

namespace {

Result<nlohmann::json> readFacts(Connection& c, const std::string& containerId) {
  Result<Statement> st = c.prepare("SELECT data FROM container_facts WHERE container_id = ?1");
  if (!st.ok()) return st.status();
  st->bind(1, containerId);
  Result<bool> row = st->step();
  if (!row.ok()) return row.status();
  if (!*row) return nlohmann::json::object();
  return parseColumn(st->text(0), "data");
}

}  // namespace

Status SqliteStore::mergeContainerFacts(const std::string& containerId, const std::string& ns,
                                        const std::string& service, const nlohmann::json& patch) {
  if (containerId.empty()) return Status::Invalid("store: container facts need a container id");
  if (!patch.is_object())
    return Status::Invalid("store: container facts: the patch is not an object");
  const int64_t now = clock_.nowMillis();
  return write<bool>(
             "record facts of container " + containerId.substr(0, 12),
             [&](Connection& c) -> Result<bool> {
               Result<nlohmann::json> facts = readFacts(c, containerId);
               if (!facts.ok()) return facts.status();
               facts->merge_patch(patch);  // RFC 7396: null members go
               Result<std::string> text = canonical(*facts, "data");
               if (!text.ok()) return text.status();
               Result<Statement> st = c.prepare(
                   "INSERT INTO container_facts (container_id, namespace, service, data, "
                   "updated_at)"
                   " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (container_id) DO UPDATE SET"
                   " data = excluded.data, updated_at = excluded.updated_at");
               if (!st.ok()) return st.status();
               st->bind(1, containerId).bind(2, ns).bind(3, service).bind(4, *text).bind(5, now);
               Status s = st->run();
               if (!s.ok()) return s;
               return true;
             },
             /*ofResources=*/false)
      .status();
}

Result<nlohmann::json> SqliteStore::containerFacts(const std::string& containerId) {
  return read<nlohmann::json>("read facts of container " + containerId.substr(0, 12),
                              [&](Connection& c) { return readFacts(c, containerId); });
}

Status SqliteStore::forgetContainerFacts(const std::string& containerId) {
  return write<bool>(
             "forget facts of container " + containerId.substr(0, 12),
             [&](Connection& c) -> Result<bool> {
               Result<Statement> st =
                   c.prepare("DELETE FROM container_facts WHERE container_id = ?1");
               if (!st.ok()) return st.status();
               st->bind(1, containerId);
               Status s = st->run();
               if (!s.ok()) return s;
               return true;
             },
             /*ofResources=*/false)
      .status();
}

}  // namespace store_internal
}  // namespace tender

// Internal to the store: the SQLite implementation of Store, declared once
// and defined by topic — sqlite_store.cc (opening, connections per thread,
// the shared row helpers), sqlite_resources.cc (resources and their
// writes), sqlite_history.cc (events, post-mortems, pruning) and
// sqlite_runtime.cc (what reconcilers keep across restarts: restart state,
// requests, container facts). Nothing outside store/ includes this.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>

#include "store/sqlite_store.h"
#include "store/store.h"

namespace tender {
namespace store_internal {

inline constexpr int kBusyTimeoutMs = 5000;

// The columns a resource row is read with (recordFromRow).
extern const char kResourceColumns[];

// "Service/default/web", or "Namespace/alice" for namespaces: for messages
// about what the store was doing.
std::string keyOf(const std::string& kind, const std::string& ns, const std::string& name);
// For messages a user reads in an API answer: `Service "web" in namespace "x"`.
std::string describe(const std::string& kind, const std::string& ns, const std::string& name);
Status notFound(const std::string& kind, const std::string& ns, const std::string& name);
// The stored form of a JSON value: dump() of nlohmann's sorted objects, so
// equal values give equal text. null stands for "none given": {}.
Result<std::string> canonical(const nlohmann::json& value, const char* field);
Result<nlohmann::json> parseColumn(const std::string& text, const char* column);
// Reads a row selected with kResourceColumns.
Result<ResourceRecord> recordFromRow(const Statement& st);
Result<std::optional<ResourceRecord>> loadRecord(Connection& c, const std::string& kind,
                                                 const std::string& ns, const std::string& name);
// Advances the store-wide counter; the new value is the written row's
// resourceVersion. REQUIRES: inside a write transaction.
Result<int64_t> nextResourceVersion(Connection& c);
// The rows the last statement on `c` changed (SELECT changes()).
Result<int64_t> changedRows(Connection& c);
// Errors the store phrases for the caller (NotFound, Conflict, Invalid) go
// out as they are; database failures get what was being done in front.
Status withContext(const Status& s, const std::string& what);

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, bool inMemory, Clock& clock, std::unique_ptr<Connection> writer)
      : path_(std::move(path)), inMemory_(inMemory), clock_(clock), writer_(std::move(writer)) {}
  ~SqliteStore() override;

  // Resources (sqlite_resources.cc).
  Result<UpsertResult> upsert(const std::string& kind, const std::string& ns,
                              const std::string& name, const nlohmann::json& labels,
                              const nlohmann::json& spec,
                              std::optional<int64_t> expectedResourceVersion) override;
  Result<std::vector<WriteResult>> commit(const std::vector<ResourceWrite>& writes) override;
  Result<ResourceRecord> get(const std::string& kind, const std::string& ns,
                             const std::string& name) override;
  Result<std::vector<ResourceRecord>> list(const std::string& kind,
                                           const std::optional<std::string>& ns) override;
  Status markDeleted(const std::string& kind, const std::string& ns, const std::string& name,
                     bool purgeData) override;
  Status purge(const std::string& kind, const std::string& ns, const std::string& name,
               const std::string& uid) override;
  Status updateStatus(const std::string& kind, const std::string& ns, const std::string& name,
                      const nlohmann::json& status) override;
  Result<std::optional<Adoption>> adoption(const std::string& kind, const std::string& ns,
                                           const std::string& name) override;

  // History (sqlite_history.cc).
  Result<int64_t> appendEvent(const EventRecord& event) override;
  Result<std::vector<EventRecord>> events(const EventQuery& query) override;
  Result<int64_t> recordTermination(const TerminationRecord& t, bool* created) override;
  Status updateTerminationData(int64_t id, const nlohmann::json& data) override;
  Result<std::vector<TerminationRecord>> terminations(const std::string& ns,
                                                      const std::string& service, int replica,
                                                      int limit) override;
  Result<PruneResult> pruneHistory(const Retention& retention) override;

  // What reconcilers keep across restarts (sqlite_runtime.cc).
  Status forgetService(const std::string& ns, const std::string& service) override;
  Result<std::map<int, nlohmann::json>> replicaStates(const std::string& ns,
                                                      const std::string& service) override;
  Status putReplicaState(const std::string& ns, const std::string& service, int replica,
                         const nlohmann::json& data) override;
  Result<bool> putRequest(const ServiceRequest& request, bool replace) override;
  Result<std::vector<ServiceRequest>> requests(const std::string& kind, const std::string& ns,
                                               const std::string& service) override;
  Status removeRequests(const std::vector<ServiceRequest>& done) override;
  Status mergeContainerFacts(const std::string& containerId, const std::string& ns,
                             const std::string& service, const nlohmann::json& patch) override;
  Result<nlohmann::json> containerFacts(const std::string& containerId) override;
  Status forgetContainerFacts(const std::string& containerId) override;

  // The rest (sqlite_store.cc).
  int64_t resourceWrites() const override;
  void setEventObserver(std::function<void(int64_t)> observer) override;
  Status integrityCheck() override;
  Status backupTo(const std::string& path) override;

 private:
  // upsert() inside the caller's write transaction.
  Result<UpsertResult> upsertIn(Connection& c, const std::string& kind, const std::string& ns,
                                const std::string& name, const nlohmann::json& labels,
                                const nlohmann::json& spec,
                                std::optional<int64_t> expectedResourceVersion);
  // markDeleted() inside the caller's write transaction: true when it marked
  // (or added the purge), false when the record was already marked.
  Result<bool> markDeletedIn(Connection& c, const std::string& kind, const std::string& ns,
                             const std::string& name, bool purgeData);
  // Records (or replaces) an adoption inside the caller's transaction.
  Status recordAdoptionIn(Connection& c, const Adoption& a);
  // Forgets the adoptions of an object (and, for a Namespace, of everything
  // in it) inside the caller's transaction.
  Status forgetAdoptionsIn(Connection& c, const std::string& kind, const std::string& ns,
                           const std::string& name);
  // One write of a batch, inside the caller's transaction.
  Result<WriteResult> writeIn(Connection& c, const ResourceWrite& w);
  // Gives freed pages back after a prune; the number given back.
  Result<int64_t> vacuum();

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

  // This thread's reader connection, opened on first use.
  Result<Connection*> reader();
  // A random (version 4) UUID. REQUIRES: writeMu_ held (random_ is shared).
  std::string newUid();

  const std::string path_;
  const bool inMemory_;
  Clock& clock_;
  std::mutex writeMu_;  // guards writer_ and random_
  std::unique_ptr<Connection> writer_;
  std::random_device random_;
  std::atomic<int64_t> resourceWrites_{0};
  std::mutex observerMu_;
  std::function<void(int64_t)> eventObserver_;  // guarded by observerMu_
  std::mutex readersMu_;                        // guards readers_ (not the connections in it)
  std::unordered_map<std::thread::id, std::unique_ptr<Connection>> readers_;
};

}  // namespace store_internal
}  // namespace tender

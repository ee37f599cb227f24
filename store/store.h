// Store: tender's durable state in one SQLite file — the desired resources,
// their observed status, and the events table.
//
// Layout: WAL mode, numbered migrations (schema_version in PRAGMA
// user_version), auto_vacuum=INCREMENTAL set by the first migration. One
// writer connection (every write is one BEGIN IMMEDIATE transaction, with a
// busy timeout) and one reader connection per calling thread. Nothing in SQL
// reads the clock: every time comes from the injected Clock. The file
// survives kill -9 at any moment (SQLite's WAL guarantees it; synchronous=NORMAL
// may lose the last commits on power loss, never the file).
//
// Thread-safety: every method may be called from any thread at once, but
// never from the API's event-loop thread (calls block on disk I/O).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"

namespace tender {

// One stored resource. Namespaces themselves are stored with kind
// "Namespace", namespace_ "" and name the namespace's name.
struct ResourceRecord {
  std::string kind;        // "Service" | "Network" | "Volume" | "Namespace"
  std::string namespace_;  // "" for Namespace
  std::string name;
  std::string uid;         // assigned at creation, never reused
  int64_t generation = 0;  // bumped when spec or labels change
  int64_t resourceVersion = 0;  // store-wide counter, bumped by every write of this row
  nlohmann::json labels = nlohmann::json::object();  // metadata.labels
  nlohmann::json spec = nlohmann::json::object();    // the normalized spec
  nlohmann::json status = nlohmann::json::object();  // written by reconcilers
  int64_t createdAt = 0;   // wall ms
  int64_t updatedAt = 0;   // wall ms
  std::optional<int64_t> deletedAt;  // set by markDeleted: the reconciler still has to clean up
  bool purgeData = false;  // the deletion removes the data too (volumes)
};

enum class UpsertOutcome { kCreated, kConfigured, kUnchanged };

struct UpsertResult {
  UpsertOutcome outcome = UpsertOutcome::kUnchanged;
  ResourceRecord record;  // as stored after the write
};

// An engine volume or network that docker compose created for a project and
// tender uses as the resource kind/namespace_/name (engineName is
// "{namespace}_{name}"). Recorded by the apply of an admin; it cannot be a
// label, because the engine cannot relabel an object.
struct Adoption {
  std::string kind;  // "Volume" | "Network"
  std::string namespace_;
  std::string name;
  std::string engineName;
  std::string project;  // the Compose project (its com.docker.compose.project label)
  std::string by;       // the token that applied it
  int64_t at = 0;       // wall ms
};

// One write of a batch (Store::commit).
struct ResourceWrite {
  enum class Op {
    kUpsert,          // as upsert()
    kCreateIfAbsent,  // upsert() only when no live record exists (an implicit namespace)
    kMarkDeleted,     // as markDeleted(); one already gone is skipped
    kAdopt,           // records `adoption` alone (an object with no record: a default network)
  };
  Op op = Op::kUpsert;
  std::string kind;
  std::string ns;
  std::string name;
  nlohmann::json labels = nlohmann::json::object();
  nlohmann::json spec = nlohmann::json::object();
  std::optional<int64_t> expectedResourceVersion;
  // kUpsert: also records this adoption (replacing one of the same object).
  std::optional<Adoption> adoption;
};

// What one write of a batch did. `applied` false: a kCreateIfAbsent found a
// live record, or a kMarkDeleted found none (or one already marked).
struct WriteResult {
  bool applied = false;
  UpsertResult upsert;  // kUpsert and an applied kCreateIfAbsent
};

struct EventRecord {
  int64_t id = 0;          // assigned by appendEvent, increasing
  int64_t time = 0;        // wall ms
  std::string type = "Normal";  // Normal | Warning
  std::string reason;      // "Created", "Recreated", "Died", ...
  std::string kind, namespace_, name;  // the object it is about
  std::string message;
  nlohmann::json data = nlohmann::json::object();
};

// How one container run ended: the post-mortem of a death.
struct TerminationRecord {
  int64_t id = 0;  // assigned by recordTermination
  std::string namespace_, service;
  int replica = -1;
  std::string containerId;
  int64_t startedAt = 0;   // wall ms
  int64_t finishedAt = 0;  // wall ms
  int exitCode = 0;
  std::string reason;  // OOMKilled | Error | Completed | Killed | Unhealthy | EngineRestart
  // signal, oomKilled, ranSeconds, message, logs [...], memory {...}, host {...}
  nlohmann::json data = nlohmann::json::object();
};

// Something asked of a service that tender has still to carry out, kept
// in the store so that a restart of tender (even kill -9) carries it out
// all the same: a requested restart, an eviction under memory pressure.
struct ServiceRequest {
  std::string kind;  // kRestartRequest | kEvictRequest
  std::string namespace_, service;
  int replica = -1;         // -1: the whole service
  int64_t requestedAt = 0;  // wall ms
  std::string reason;       // why (an eviction's pressure)
};
inline constexpr const char kRestartRequest[] = "restart";
inline constexpr const char kEvictRequest[] = "evict";

// How much history the store keeps (Store::pruneHistory).
struct Retention {
  int eventsPerObject = 1000;        // newest events of each object
  int64_t maxEventAgeMs = 7LL * 24 * 3600 * 1000;
  int terminationsPerReplica = 20;   // newest post-mortems of each replica
  int64_t maxTerminationAgeMs = 7LL * 24 * 3600 * 1000;
  // The history of a deleted object (its events, a service's post-mortems)
  // is kept this long after the object is purged, then goes.
  int64_t deletedGraceMs = 3600LL * 1000;
};

struct PruneResult {
  int64_t events = 0;        // rows deleted
  int64_t terminations = 0;
  int64_t containerFacts = 0;  // facts of runs that never ended while they were kept
  int64_t deletedObjects = 0;  // deleted objects whose history went after the grace period
  int64_t freedPages = 0;    // pages given back to the file system
};

struct EventQuery {
  std::optional<std::string> namespace_;
  std::optional<std::string> kind;
  std::optional<std::string> name;
  int64_t sinceId = 0;  // events with id > sinceId
  int limit = 1000;
  // The newest `limit` matching events (still returned oldest first)
  // instead of the oldest.
  bool latest = false;
};

class Store {
 public:
  // Opens (creating if needed) the database at `path` and runs migrations.
  // ":memory:" gives a private in-memory database on one shared connection.
  static Result<std::unique_ptr<Store>> open(const std::string& path, Clock& clock);
  virtual ~Store() = default;

  // Creates or updates a resource's labels and spec. Generation is bumped
  // (and resourceVersion advanced) only when labels or spec differ from what
  // is stored; an unchanged apply writes nothing. A resource marked deleted
  // is revived as a new object (new uid, generation 1).
  // If `expectedResourceVersion` is set and differs from the stored one (or
  // the resource does not exist), returns Conflict and writes nothing.
  virtual Result<UpsertResult> upsert(const std::string& kind, const std::string& ns,
                                      const std::string& name, const nlohmann::json& labels,
                                      const nlohmann::json& spec,
                                      std::optional<int64_t> expectedResourceVersion = {}) = 0;

  // Every write in order, in one transaction: all of them, or none when one
  // fails (the error names it: "Service \"web\": ..."). One result per write.
  virtual Result<std::vector<WriteResult>> commit(const std::vector<ResourceWrite>& writes) = 0;

  // NotFound when absent. Records marked deleted are returned (deletedAt set)
  // until purged.
  virtual Result<ResourceRecord> get(const std::string& kind, const std::string& ns,
                                     const std::string& name) = 0;
  // All resources of a kind, in one namespace or all (nullopt), ordered by
  // namespace then name; includes those marked deleted.
  virtual Result<std::vector<ResourceRecord>> list(const std::string& kind,
                                                   const std::optional<std::string>& ns) = 0;

  // Sets deletedAt (idempotent: the first deletedAt stands). The reconciler
  // cleans up, then purges. `purgeData`: the cleanup removes the object's data
  // too (a volume; a namespace's volumes); a later call may turn it on, never off.
  virtual Status markDeleted(const std::string& kind, const std::string& ns,
                             const std::string& name, bool purgeData = false) = 0;
  // Removes the row for good and leaves a tombstone: the object's history
  // goes when the deleted grace period of pruneHistory has passed. `uid`
  // guards against purging a revived object.
  virtual Status purge(const std::string& kind, const std::string& ns, const std::string& name,
                       const std::string& uid) = 0;

  // The adoption recorded for an object (a Volume or Network, a namespace's
  // implicit "default" network included), if any. purge() of the object's
  // record forgets it, as does the purge of its Namespace.
  virtual Result<std::optional<Adoption>> adoption(const std::string& kind, const std::string& ns,
                                                   const std::string& name) = 0;

  // Replaces the status of a resource (not its generation). NotFound when absent.
  virtual Status updateStatus(const std::string& kind, const std::string& ns,
                              const std::string& name, const nlohmann::json& status) = 0;

  // Appends an event; returns its id.
  virtual Result<int64_t> appendEvent(const EventRecord& event) = 0;
  // Events matching the query, oldest first.
  virtual Result<std::vector<EventRecord>> events(const EventQuery& query) = 0;
  // Advances after every committed write of resources (not of events): a
  // cache built after reading N is current while this still says N.
  virtual int64_t resourceWrites() const = 0;
  // Called with the new event's id after each appendEvent commits, on the
  // appending thread (watchers use it to wake). Must not call back into the
  // store's writers. Replaces any earlier observer; an empty one clears it.
  virtual void setEventObserver(std::function<void(int64_t)> observer) = 0;

  // Post-mortems. recordTermination stores one unless the same death
  // (container id and finish time) is already stored; either way it returns
  // the stored row's id, and *created says which.
  virtual Result<int64_t> recordTermination(const TerminationRecord& t, bool* created = nullptr) = 0;
  // Replaces a post-mortem's data (logs collected later).
  virtual Status updateTerminationData(int64_t id, const nlohmann::json& data) = 0;
  // A service's post-mortems, newest first; replica -1 for all replicas.
  virtual Result<std::vector<TerminationRecord>> terminations(const std::string& ns, const std::string& service,
                                                              int replica = -1, int limit = 20) = 0;
  // Removes a service's restart state, requests and container facts (it was
  // deleted). Its post-mortems stay for the deleted grace period
  // (pruneHistory), for a look at how it died.
  virtual Status forgetService(const std::string& ns, const std::string& service) = 0;

  // What a reconciler keeps about each replica across restarts of tender
  // (crash backoff): replica -> data.
  virtual Result<std::map<int, nlohmann::json>> replicaStates(const std::string& ns, const std::string& service) = 0;
  virtual Status putReplicaState(const std::string& ns, const std::string& service, int replica,
                                 const nlohmann::json& data) = 0;

  // Requests (ServiceRequest). putRequest stores one; when one of the same
  // kind, service and replica is stored already, `replace` decides whether
  // the new one takes its place. Returns whether it was stored.
  virtual Result<bool> putRequest(const ServiceRequest& request, bool replace) = 0;
  // The stored requests of a kind ("" for every kind), of one service or
  // (empty ns and service) of all, oldest first.
  virtual Result<std::vector<ServiceRequest>> requests(const std::string& kind, const std::string& ns = "",
                                                       const std::string& service = "") = 0;
  // Removes the given requests in one transaction, each only while it is
  // still the one requested at its requestedAt: a newer request stays.
  virtual Status removeRequests(const std::vector<ServiceRequest>& done) = 0;

  // What tender knows of one container's run that the engine does not keep
  // (an `oom` event heard, a stop tender made and why), read when the run's
  // death is recorded. mergeContainerFacts applies `patch` to the stored
  // object as an RFC 7396 merge patch (a null member removes that member).
  virtual Status mergeContainerFacts(const std::string& containerId, const std::string& ns,
                                     const std::string& service, const nlohmann::json& patch) = 0;
  // The container's facts; {} when none are stored.
  virtual Result<nlohmann::json> containerFacts(const std::string& containerId) = 0;
  virtual Status forgetContainerFacts(const std::string& containerId) = 0;

  // Deletes history beyond `retention` (by count per object, by age, and of
  // objects purged longer than the grace period ago, as of the store's
  // clock; container facts older than maxTerminationAgeMs), then gives
  // freed pages back (incremental vacuum), so the file stays bounded
  // however long tender runs.
  virtual Result<PruneResult> pruneHistory(const Retention& retention) = 0;

  // PRAGMA integrity_check: ok() when "ok".
  virtual Status integrityCheck() = 0;

  // Writes a consistent copy of the whole store to `path` (a new or empty
  // file) with SQLite's online backup API: one read transaction on a
  // connection of its own, so writers go on meanwhile and the copy holds
  // exactly the commits made before it began. The copy is one file
  // (rollback journal, no -wal), mode as created by the caller.
  virtual Status backupTo(const std::string& path) = 0;
};

// Holds a state directory for one server at a time: an flock() on
// DIR/lock, released when the holder exits (even by kill -9).
class StateDirLock {
 public:
  // Creates DIR if needed. Conflict (naming the holder's pid when known)
  // when another process holds it.
  static Result<std::unique_ptr<StateDirLock>> acquire(const std::string& dir);
  ~StateDirLock();
  StateDirLock(const StateDirLock&) = delete;
  StateDirLock& operator=(const StateDirLock&) = delete;

 private:
  explicit StateDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace tender

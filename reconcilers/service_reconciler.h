// ServiceReconciler: keeps the containers of one Service equal to its spec.
//
// Reads the desired service from the store, the service's containers from the
// engine (one list call, filtered at the engine by this instance's labels) and
// tender's runtime state (crash backoff), asks planService what to do, does
// it, and writes the status back. A deleted service's containers are removed
// and then its record purged.
//
// Thread-safety: reconcile() may run on several workers at once for different
// keys (the work queue never gives one key to two workers).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "engine/docker_engine.h"
#include "controller/reconciler.h"
#include "reconcilers/admission.h"
#include "reconcilers/container_snapshot.h"
#include "reconcilers/container_spec.h"
#include "reconcilers/host_monitor.h"
#include "reconcilers/memory_sampler.h"
#include "reconcilers/post_mortem.h"
#include "reconcilers/prober.h"
#include "reconcilers/service_plan.h"
#include "reconcilers/service_status.h"
#include "reconcilers/start_gate.h"
#include "store/upload_store.h"
#include "store/store.h"

namespace tender {

struct ServiceReconcilerOptions {
  std::string instance = "default";
  // For post-mortems (each optional): the last memory sample of a container,
  // the host's memory and its OOM kills.
  MemorySampler* memory = nullptr;
  HostMonitor* host = nullptr;
  // Runs HTTP and TCP health checks; without it those checks are not run
  // (and the replicas count as ready once running).
  Prober* prober = nullptr;
  // Log lines kept with a post-mortem.
  int logTailLines = 50;
  // Puts the key back on the queue (the status shows log lines collected
  // after the pass).
  std::function<void(const Key&)> enqueue;
  LogRotation logs;
  // Memory admission (admission.h): every replica passes it before it
  // starts. Null: no admission.
  AdmissionLedger* admission = nullptr;
  // A resync's container list (container_snapshot.h): a pass takes its
  // service's containers from it instead of listing. Null: always list.
  ContainerSnapshot* snapshot = nullptr;
  // Where services with spec.build find their uploaded contexts. Null: no
  // image is built (the service fails with BuildContextMissing).
  const UploadStore* buildContexts = nullptr;
  // Where services' secrets and configs find their uploaded files. Null:
  // a service with any fails with SecretMissing.
  const UploadStore* files = nullptr;
  // How often a converging service is looked at again while replicas start.
  Millis pollWhileStarting{2000};
  // How long a resolved image ID is trusted before it is looked up again.
  Millis imageCacheTtl{2000};
};

class ServiceReconciler : public Reconciler {
 public:
  ServiceReconciler(Store& store, DockerEngine& engine, Clock& clock, StartGate& gate,
                    ServiceReconcilerOptions options);
  ~ServiceReconciler() override;
  ReconcileResult reconcile(const Key& key) override;

  // Hears the engine's events (the informer's onEvent): an `oom` is
  // written down (Store::mergeContainerFacts), for the post-mortem of the
  // death that follows.
  void noteEngineEvent(const EngineEvent& event);
  // Hears that the engine was unreachable from `lost` to `back` (the
  // informer's onOutage): deaths around then are the engine's restart, and
  // restart at once without counting as crashes.
  void noteEngineOutage(WallTime lost, WallTime back);

  // What a pass would do to the containers of `resource` (as a dry-run apply
  // would store it), without doing it: {"plan":[{"action","replica",
  // "container","reason"}], "warnings":[...]}, every stop (unhealthy,
  // evicted, a requested restart's stop and start) before the plan's
  // creates, starts, recreates and removes. Builds nothing, creates
  // nothing; an image still to be built is assumed to change.
  Result<nlohmann::json> dryRun(const Resource& resource);

  // Asks for every replica of the service to be restarted: running
  // containers are stopped (with their grace period) and started again one
  // at a time, stopped ones are started without waiting out their crash
  // backoff. Done by the next pass (enqueue the key); a requested restart is
  // not counted as a crash. Kept in the store until done, so that a restart
  // of tender midway still restarts each replica once.
  Status requestRestart(const Key& key);

  // Evicts a replica under memory pressure: the next pass stops its
  // container (with its grace period) and records the death with reason
  // Evicted; it is not started again until readmitEvicted(), across
  // restarts of tender too (the eviction is kept in the store). Records a
  // warning event saying why.
  void evict(const Key& key, int replica, const std::string& why);
  // Lets every evicted replica start again (admission still applies);
  // returns their services, to enqueue.
  std::vector<Key> readmitEvicted();
  bool evicted(const Key& key, int replica) const;
  // The service's evicted replicas, with why.
  std::map<int, std::string> evictions(const Key& key) const;

  // Before the first pass: the reservations of the replicas that already
  // run (one list call), so admission starts from what the host holds.
  Status primeAdmission();

 private:
  // Kept in the store (replica_state), so a restart of tender keeps the
  // backoff where it was.
  struct ReplicaRuntime {
    int restarts = 0;          // restarts since the last reset: the backoff's exponent
    int totalRestarts = 0;     // ever, for the status
    std::string lastFinishedAt;  // the death last counted
    bool lastDeathFree = false;  // that death was not the service's own: restart at once
    std::string specHash;      // the spec these counts are about
    std::vector<int64_t> deathsMs;  // counted deaths within the window (maxRestarts)
    bool gaveUp = false;       // died more than maxRestarts times: not restarted
    std::string gaveUpMessage;
  };
  struct LogJob {
    int64_t id;
    std::string containerId;
    int64_t finishedAtMs;
    nlohmann::json data;
    Key key;
    std::chrono::steady_clock::time_point readAt;  // not before
  };
  using ServiceRuntime = std::map<int, ReplicaRuntime>;

  // Where the service's dependencies stand, from their stored status.
  struct DependencyState {
    std::string waitingFor;  // "db to be healthy, cache to be started"; "" when all are met
    std::map<std::string, DependencyStatus> status;  // by dependency, for the status
    std::vector<std::string> restartedDeps;  // `restart: true` ones (re)started since last seen
  };
  DependencyState dependencies(const Key& key, const ServiceSpec& spec, const ServiceStatus& old);
  // Enqueues the services of the namespace that depend on this one (its status changed).
  void enqueueDependents(const Key& key);
  // What one replica of the service counts in the admission ledger.
  AdmissionRequest admissionRequest(const Key& key, const ServiceSpec& spec);
  // Holds running replicas' reservations, admits the ones about to start
  // (holding back, with the reason, those that do not fit) and gives back
  // what stopped or went. Returns the reason of a new refusal for an event.
  void admitReplicas(const Key& key, const ServiceSpec& spec, const DesiredService& desired,
                     const std::vector<ObservedContainer>& observed, RuntimeState& runtime);

  // The service's spec with what the engine resolved for it.
  struct Resolved {
    Resource resource;
    ResolvedService service;
    int64_t graceMs = kDefaultStopGraceMs;
    // When resolve() fails for a reason the user must fix: the status
    // condition's reason (ImageNotFound, BuildFailed, NetworkNotFound, InvalidSpec).
    const char* failureReason = "InvalidSpec";
  };

  // What a pass sees of its service, from one step (observe): its
  // containers as the engine holds them now (state, exit code, health), and
  // the containers whose announced deaths were inspected, with the answer.
  struct Observation {
    std::vector<ObservedContainer> containers;
    std::map<std::string, ContainerInfo> inspected;
    bool probed = false;  // health came from the prober (HTTP and TCP checks)
  };

  // One pass (service_pass.cc): observe, decide, act, write the status.
  struct Pass;
  ReconcileResult reconcileOnce(const Key& key);
  std::vector<Action> dryRunSteps(const Key& key, const ServiceSpec& spec, const DesiredService& desired,
                                  std::vector<ObservedContainer>& observed);
  Result<Observation> observe(const Key& key, const ServiceSpec& spec);
  // The service's containers, from the resync's snapshot or one list call.
  Result<std::vector<ObservedContainer>> observeContainers(const Key& key);
  ReconcileResult removeService(const Key& key, const Result<ResourceRecord>& record,
                                const std::vector<ObservedContainer>& observed, WallTime now);
  void writeStatus(const Pass& p, ServiceStatus status);
  void writeFailedStatus(const Pass& p, const std::string& reason, const std::string& message);
  void inspectAnnouncedDeaths(Observation& seen);
  void observeHealth(const Key& key, const ServiceSpec& spec, Observation& seen);
  bool stopReplica(Pass& p, ObservedContainer& c, const char* why);
  void stopBeforePlanning(Pass& p);
  void countDeaths(Pass& p);
  void holdReplicas(Pass& p);
  Status carryOutRestartRequest(Pass& p);
  Status act(Pass& p, const ServicePlan& plan);
  Status runAction(Pass& p, const Action& a, std::string* newId);
  Status startReplica(Pass& p, const Action& a);
  void noteDone(Pass& p, const Action& a, const std::string& newId);
  ServiceStatus statusAfterPass(Pass& p, const Status& first);
  void addMemoryPressure(const Pass& p, ServiceStatus& st);
  void warnOnNewHold(const Pass& p, const ServiceStatus& st);
  // Refuses a bind whose host path, read now, is not one the namespace's
  // level allows (see policy/security_policy.h).
  Status checkHostPathsNow(const std::string& ns, const ServiceSpec& spec);
  Status resolve(const ResourceRecord& record, const Resource& resource, Resolved& out);
  // The image's ID (cached for imageCacheTtl) into out.imageRef / out.imageId.
  Status resolveImage(const std::string& ref, ResolvedService& out);
  Status ensureNetwork(const std::string& engineName, const std::string& ns,
                       const std::string& resourceName);
  Status ensureVolume(const std::string& engineName, const std::string& ns,
                      const std::string& resourceName);
  // Sets *createdId to the new container's id (empty when an existing one was adopted).
  Status createAndStart(const ResolvedService& svc, int replica, const nlohmann::json* oldMounts,
                        std::string* createdId);
  Status startContainer(const std::string& id);
  // Stops (with the grace period), then removes; already gone is success.
  // `onStopped` hears the container's state when the stop ended a run.
  Status removeContainer(const std::string& id, int64_t graceMs, bool removeVolumes,
                         const std::function<void(const ContainerInfo&)>& onStopped = nullptr);
  // Writes down, before the engine is asked, that tender stops the
  // container and why (post_mortem.h: kStopKilled, kStopUnhealthy,
  // kStopEvicted); takeBackStop when the engine refused.
  void noteStop(const Key& key, const std::string& containerId, const std::string& by, const std::string& why);
  void takeBackStop(const Key& key, const std::string& containerId);
  // Records the death of a container tender stopped (removeContainer's onStopped).
  std::function<void(const ContainerInfo&)> deathRecorder(const Key& key, int replica, const ServiceSpec& spec);
  // The service's pending restart request, if any.
  std::optional<ServiceRequest> restartRequest(const Key& key) const;
  void recordEvent(const Key& key, const std::string& type, const std::string& reason,
                   const std::string& message);
  // Reads the service's restart state from the store, once per process.
  void loadRuntime(const Key& key);
  // REQUIRES: mu_ held.
  void saveRuntimeLocked(const Key& key, int replica, const ReplicaRuntime& rr);
  // Stores the post-mortem of a death noticed now. The record's id is 0 when
  // it was on record already; nullopt when it could not be stored.
  std::optional<TerminationRecord> recordDeath(const Key& key, int replica, const ContainerInfo& info,
                                               const ServiceSpec& spec);
  // A new death of a restartable replica: backoff and maxRestarts. REQUIRES: mu_ held.
  void countDeath(const Key& key, const ServiceSpec& spec, const std::string& specHash,
                  const TerminationRecord& t, ReplicaRuntime& rr);
  // The last lines of the run that ended at `finishedAtMs`.
  std::vector<std::string> deathLogs(const std::string& containerId, int64_t finishedAtMs);
  void collectLogs();  // the log thread
  // Carries out a restart requested at `requestedAt` on the observed containers.
  Status restartReplicas(const Key& key, const ServiceSpec& spec, std::vector<ObservedContainer>& observed,
                         WallTime requestedAt,
                         int64_t graceMs, RuntimeState& runtime);

  Store& store_;
  DockerEngine& engine_;
  Clock& clock_;
  StartGate& gate_;
  ServiceReconcilerOptions options_;

  // What is desired (restart requests, evictions) and the facts behind a
  // death's reason live in the store. What is kept here only makes a pass
  // cheaper or quicker, and is rebuilt after a restart: the runtime as read
  // from the store, which deaths were recorded (the store's unique index
  // refuses a second record anyway), `die` events heard (a pass would see
  // the death on its next list) and the engine's recent outages (a restart
  // of tender learns of the next one).
  mutable std::mutex mu_;
  std::map<std::string, ServiceRuntime> runtime_;  // by key
  std::set<std::string> loaded_;                       // keys whose runtime was read from the store
  std::map<std::string, std::string> recordedDeaths_;  // container id -> finishedAt of its recorded death
  std::map<std::string, WallTime> diedRecently_;       // container id -> its `die`, not yet seen by a pass
  std::vector<std::pair<WallTime, WallTime>> outages_;  // the engine's last few, oldest first

  // Log lines of post-mortems, read after the restart.
  std::mutex logMu_;
  std::condition_variable logCv_;
  std::deque<LogJob> logJobs_;
  bool logStop_ = false;
  std::thread logThread_;

  // Engine lookups that every pass would otherwise repeat: an image's ID
  // (trusted for imageCacheTtl, so a rebuild under the same tag is seen
  // within that time) and the networks known to exist (forgotten when a
  // container create says its network is gone).
  struct CachedImage {
    std::string id;
    MonoTime at;
  };
  std::mutex cacheMu_;
  std::map<std::string, CachedImage> images_;
  std::map<std::string, bool> knownNetworks_;
};

// The log lines of every container of a service (`tail` per container, -1
// for all), merged in time order, each prefixed with "<service>.<replica> | "
// (containers of an older spec too, as they still run). Empty when the
// service has no container.
Result<std::string> serviceLogs(DockerEngine& engine, const std::string& instance, const Key& key, int tail);

}  // namespace tender

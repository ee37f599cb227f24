// One pass of the service reconciler: observe (the stored record, the
// service's containers and their health, deaths not yet counted), decide
// (service_decisions.h, service_plan.h: who is stopped, who is held, what is
// created, started, recreated or removed), act on the engine, and write the
// status (service_status.h).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/byte_format.h"
#include "base/time_format.h"
#include "engine/labels.h"
#include "manifests/manifest.h"
#include "reconcilers/service_decisions.h"
#include "reconcilers/service_reconciler.h"
#include "reconcilers/service_status.h"

namespace tender {

// What one pass knows about its service, filled in as it goes.
struct ServiceReconciler::Pass {
  Key key;
  WallTime now;
  ResourceRecord record;
  ServiceStatus stored;  // record.status, typed (none when it does not decode)
  Resolved resolved;
  const ServiceSpec* spec = nullptr;
  DesiredService desired;
  std::vector<ObservedContainer> observed;         // observe()'s, updated as the pass stops replicas
  std::map<std::string, ContainerInfo> inspected;  // this pass's answers, reused
  bool probed = false;                             // HTTP/TCP checks, run by the prober
  RuntimeState runtime;
  DependencyState deps;
  std::vector<ObservedContainer> after;  // what the engine holds once the pass acted
  bool relist = false;                   // `after` is not known: list again
};

ReconcileResult ServiceReconciler::reconcileOnce(const Key& key) {
  const WallTime now = clock_.now();
  auto record = store_.get("Service", key.ns, key.name);
  if (!record.ok() && !record.status().IsNotFound()) return ReconcileResult::Error(record.status());
  if (!record.ok() || record->deletedAt) {
    auto observed = observeContainers(key);
    if (!observed.ok()) return ReconcileResult::Error(observed.status());
    return removeService(key, record, *observed, now);
  }

  Pass p;
  p.key = key;
  p.now = now;
  p.record = std::move(*record);
  p.stored = storedStatus(key, p.record.status);
  auto decoded = decodeStored("Service", key.ns, key.name, p.record.labels, p.record.spec);
  if (!decoded.ok()) {
    writeFailedStatus(p, "InvalidSpec", decoded.status().ToString());
    return ReconcileResult::Done();
  }
  Status rs = resolve(p.record, *decoded, p.resolved);
  if (!rs.ok()) {
    if (rs.IsUnavailable() || rs.IsTimeout() || rs.code() == Status::Code::kInternal) {
      return ReconcileResult::Error(rs);
    }
    writeFailedStatus(p, p.resolved.failureReason, rs.message());
    // A user fixes these (loads the image, declares the network): look again soon.
    return ReconcileResult::After(std::chrono::seconds(10));
  }
  p.spec = &p.resolved.resource.service();
  p.desired.replicas = p.spec->replicas.value_or(1);
  p.desired.specHash = p.resolved.service.specHash;
  p.desired.restartPolicy = p.spec->restartPolicy.value_or(RestartPolicy::kAlways);

  auto seen = observe(key, *p.spec);
  if (!seen.ok()) return ReconcileResult::Error(seen.status());
  p.observed = std::move(seen->containers);
  p.inspected = std::move(seen->inspected);
  p.probed = seen->probed;

  loadRuntime(key);
  stopBeforePlanning(p);
  countDeaths(p);
  holdReplicas(p);
  Status restarted = carryOutRestartRequest(p);
  if (!restarted.ok()) return ReconcileResult::Error(restarted.WithContext("restart"));

  ServicePlan plan = planService(p.desired, p.observed, p.runtime, now);
  Status first = act(p, plan);
  ServiceStatus st = statusAfterPass(p, first);
  writeStatus(p, st);
  return nextLook(first, plan.wakeAt, st.phase.value_or(""), now, options_.pollWhileStarting);
}

Result<std::vector<ObservedContainer>> ServiceReconciler::observeContainers(const Key& key) {
  Result<std::vector<ContainerSummary>> listed = std::vector<ContainerSummary>{};
  if (auto fromResync = options_.snapshot ? options_.snapshot->take(
                                                key.ns, key.name, std::chrono::steady_clock::now())
                                          : std::nullopt) {
    listed = std::move(*fromResync);
  } else {
    // A pass that lists for itself also retires the resync's entry: what it
    // does next would make that entry stale before its create events arrive.
    if (options_.snapshot) options_.snapshot->invalidate(key.ns, key.name);
    listed = engine_.listContainers(ownedFilters(options_.instance, key.ns, key.name), true);
  }
  if (!listed.ok()) return listed.status().WithContext("list containers");
  std::vector<ObservedContainer> observed;
  for (const auto& c : *listed) observed.push_back(observedFromSummary(c));
  return observed;
}

// The service is gone (or marked deleted): every container goes, then the
// record is purged.
ReconcileResult ServiceReconciler::removeService(const Key& key,
                                                 const Result<ResourceRecord>& record,
                                                 const std::vector<ObservedContainer>& observed,
                                                 WallTime now) {
  int64_t grace = kDefaultStopGraceMs;
  if (record.ok()) {
    auto decoded = decodeStored("Service", key.ns, key.name, record->labels, record->spec);
    if (decoded.ok()) grace = decoded->service().stopGracePeriodMs.value_or(grace);
  }
  ServicePlan plan = planService(std::nullopt, observed, {}, now);
  Status first;
  for (const Action& a : plan.actions) {
    Status s = removeContainer(a.containerId, grace, /*removeVolumes=*/true);
    if (!s.ok() && first.ok()) first = s;
    if (s.ok()) {
      recordEvent(key, "Normal", "Removed",
                  "removed container " + a.containerId.substr(0, 12) + " (" + a.reason + ")");
    }
  }
  if (!first.ok()) return ReconcileResult::Error(first);
  {
    std::lock_guard<std::mutex> l(mu_);
    runtime_.erase(key.str());
    loaded_.erase(key.str());
  }
  if (options_.admission) options_.admission->releaseService(key.ns, key.name);
  if (!record.ok()) return ReconcileResult::Done();
  Status s = store_.purge("Service", key.ns, key.name, record->uid);
  if (!s.ok()) return ReconcileResult::Error(s);
  Status f = store_.forgetService(key.ns, key.name);
  if (!f.ok()) spdlog::warn("{}: cannot forget its post-mortems: {}", key.str(), f.ToString());
  recordEvent(key, "Normal", "Deleted", "service deleted and its containers removed");
  return ReconcileResult::Done();
}

void ServiceReconciler::writeStatus(const Pass& p, ServiceStatus st) {
  st.observedGeneration = p.record.generation;
  const ServiceStatus& old = p.stored;
  // Keep lastTransitionTime while a condition's status stays the same.
  std::vector<Condition> conditions;
  for (Condition& c : st.conditions) setCondition(conditions, std::move(c), old.conditions);
  st.conditions = std::move(conditions);
  const nlohmann::json written = toJson(st);
  if (written == p.record.status) return;
  Status s = store_.updateStatus("Service", p.key.ns, p.key.name, written);
  if (!s.ok()) spdlog::warn("{}: cannot write status: {}", p.key.str(), s.ToString());
  // Services that wait on this one look again.
  if (s.ok() && (st.phase.value_or("") != old.phase.value_or("") ||
                 st.readyReplicas.value_or(0) != old.readyReplicas.value_or(0) ||
                 st.runningReplicas.value_or(0) != old.runningReplicas.value_or(0) ||
                 st.restartCount.value_or(0) != old.restartCount.value_or(0))) {
    enqueueDependents(p.key);
  }
}

void ServiceReconciler::writeFailedStatus(const Pass& p, const std::string& reason,
                                          const std::string& message) {
  ServiceStatus st;
  st.phase = "Failed";
  st.replicas = 0;
  st.readyReplicas = 0;
  st.message = message;
  st.conditions.push_back(Condition{"Ready", "False", reason, message, formatRfc3339(p.now)});
  st.restartCount = p.stored.restartCount;
  writeStatus(p, st);
}

Result<ServiceReconciler::Observation> ServiceReconciler::observe(const Key& key, const ServiceSpec& spec) {
  auto listed = observeContainers(key);
  if (!listed.ok()) return listed.status();
  Observation seen;
  seen.containers = std::move(*listed);
  inspectAnnouncedDeaths(seen);
  observeHealth(key, spec, seen);
  return seen;
}

// The engine announces a death before its list shows it: a container the
// list still calls running but whose `die` was just heard is asked directly,
// so its restart does not wait for the list to catch up.
void ServiceReconciler::inspectAnnouncedDeaths(Observation& seen) {
  for (auto& c : seen.containers) {
    if (c.state != "running") continue;
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = diedRecently_.find(c.id);
      if (it == diedRecently_.end()) continue;
      diedRecently_.erase(it);
    }
    auto info = engine_.inspectContainer(c.id);
    if (!info.ok() || info->state.running) continue;
    seen.inspected[c.id] = *info;
    c.state = info->state.status.empty() ? "exited" : info->state.status;
    c.exitCode = info->state.exitCode;
    c.health.clear();
  }
}

// Health: Docker's own for exec checks (from the list), the prober's for
// HTTP and TCP ones (a container it does not watch yet is watched now).
void ServiceReconciler::observeHealth(const Key& key, const ServiceSpec& spec, Observation& seen) {
  const HealthCheck* check = spec.healthcheck ? &*spec.healthcheck : nullptr;
  seen.probed = check && check->kind != HealthCheck::Kind::kExec && options_.prober;
  if (!seen.probed) return;
  std::set<std::string> running;
  for (auto& c : seen.containers) {
    if (c.state != "running") continue;
    running.insert(c.id);
    if (!options_.prober->watching(c.id)) {
      auto info = engine_.inspectContainer(c.id);
      if (info.ok()) {
        for (const auto& [net, ip] : info->networkIps) {
          if (ip.empty()) continue;
          options_.prober->watch(c.id, key, *check, ip);
          break;
        }
      }
    }
    auto ps = options_.prober->state(c.id);
    c.health = ps ? ps->health : "starting";
  }
  options_.prober->forgetExcept(key, running);
}

// Stops a running replica now (its grace period), so the deaths below see
// it exited. False when the engine would not.
bool ServiceReconciler::stopReplica(Pass& p, ObservedContainer& c, const char* why) {
  Status s = engine_.stopContainer(c.id, static_cast<int>((p.resolved.graceMs + 999) / 1000));
  if (!s.ok() && !s.IsNotModified()) {
    spdlog::warn("{}: cannot stop {} replica {}: {}", p.key.str(), why, c.replica, s.ToString());
    return false;
  }
  if (p.probed) options_.prober->forget(c.id);
  c.state = "exited";
  c.exitCode = 137;  // until the inspect of its death says
  c.health.clear();
  return true;
}

// Stops before the plan (stopActions): an unhealthy replica (its death,
// reason Unhealthy, restarts it with the crash backoff) and a running
// evicted one (its death, reason Evicted, keeps it down until readmitted).
void ServiceReconciler::stopBeforePlanning(Pass& p) {
  const std::map<int, std::string> evicted = evictions(p.key);
  const bool liveness = p.spec->healthcheck && p.spec->healthcheck->restartWhenUnhealthy;
  for (const Action& a : stopActions(p.observed, p.desired.specHash, liveness, evicted)) {
    const bool unhealthy = a.reason == "unhealthy";
    // Written down before the stop, so that the death's reason survives a
    // restart of tender during the stop.
    if (unhealthy) {
      noteStop(p.key, a.containerId, kStopUnhealthy, "unhealthy");
      spdlog::info("{}: replica {} is unhealthy: restarting it", p.key.str(), a.replica);
    } else {
      auto why = evicted.find(a.replica);
      noteStop(p.key, a.containerId, kStopEvicted, why != evicted.end() ? why->second : a.reason);
    }
    for (auto& c : p.observed) {
      if (c.id != a.containerId || stopReplica(p, c, unhealthy ? "unhealthy" : "evicted")) continue;
      takeBackStop(p.key, c.id);
    }
  }
  holdEvicted(p.runtime, evicted);
}

// Deaths: each exited replica container whose death is not on record is
// inspected once and gets a post-mortem; the restartable ones of the current
// spec get their crash backoff. The engine is asked outside the lock, so one
// slow inspect never holds up the other workers.
void ServiceReconciler::countDeaths(Pass& p) {
  std::vector<TerminationRecord> fresh;
  for (auto& c : p.observed) {
    if (c.replica < 0) continue;
    if (c.state == "running") {
      std::lock_guard<std::mutex> l(mu_);
      recordedDeaths_.erase(c.id);
      continue;
    }
    if (c.state != "exited") continue;
    std::string finishedText;
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = recordedDeaths_.find(c.id);
      if (it != recordedDeaths_.end()) finishedText = it->second;
    }
    std::optional<TerminationRecord> death;
    if (finishedText.empty()) {
      auto known = p.inspected.find(c.id);
      Result<ContainerInfo> info = known != p.inspected.end() ? Result<ContainerInfo>(known->second)
                                                              : engine_.inspectContainer(c.id);
      if (!info.ok() || !parseRfc3339(info->state.finishedAt)) continue;
      c.exitCode = info->state.exitCode;
      death = recordDeath(p.key, c.replica, *info, *p.spec);
      if (!death) continue;
      finishedText = info->state.finishedAt;
      std::lock_guard<std::mutex> l(mu_);
      recordedDeaths_[c.id] = finishedText;
    }
    const bool restartable =
        c.specHash == p.desired.specHash && shouldRestart(p.desired.restartPolicy, c);
    auto finished = parseRfc3339(finishedText);
    std::lock_guard<std::mutex> l(mu_);
    ReplicaRuntime& rr = runtime_[p.key.str()][c.replica];
    if (death && death->id > 0) {
      if (restartable) countDeath(p.key, *p.spec, p.desired.specHash, *death, rr);
      fresh.push_back(*death);
    }
    if (!restartable || !finished) continue;
    if (rr.gaveUp) {
      p.runtime.held[c.replica] = rr.gaveUpMessage;
      p.runtime.heldReason[c.replica] = "RestartLimitReached";
      continue;
    }
    p.runtime.notBefore[c.replica] =
        rr.lastDeathFree ? *finished
                         : *finished + Millis(backoffDelayMs(p.spec->backoff, rr.restarts));
  }
  for (const TerminationRecord& t : fresh) {
    recordEvent(p.key, t.reason == "Completed" ? "Normal" : "Warning", "Died", deathSummary(t));
  }
}

// Dependencies: while one is not met, no replica is created or started (a
// running one is left alone); a `restart: true` dependency that was
// restarted, and meets its condition again, restarts this service. Then
// memory admission holds what does not fit.
void ServiceReconciler::holdReplicas(Pass& p) {
  p.deps = dependencies(p.key, *p.spec, p.stored);
  holdForDependencies(p.runtime, p.desired.replicas, p.deps.waitingFor);
  if (options_.admission) admitReplicas(p.key, *p.spec, p.desired, p.observed, p.runtime);
  bool anyRunning = false;
  for (const auto& c : p.observed) anyRunning |= c.state == "running";
  if (p.deps.restartedDeps.empty() || !p.deps.waitingFor.empty() || !anyRunning) return;
  std::string which;
  for (const auto& d : p.deps.restartedDeps) which += (which.empty() ? "" : ", ") + d;
  recordEvent(p.key, "Normal", "DependencyRestarted",
              "restarting: its dependency " + which + " was restarted");
  Status s = store_.putRequest({kRestartRequest, p.key.ns, p.key.name, -1, clock_.nowMillis(), which}, /*replace=*/true)
                 .status();
  if (!s.ok()) spdlog::warn("{}: cannot record its restart: {}", p.key.str(), s.ToString());
}

// A requested restart: containers started before the request are restarted
// one at a time (stopped ones just lose their backoff).
// Kept in the store until done: a restart of tender midway carries on where
// it stopped (replicas started since the request are not restarted again).
Status ServiceReconciler::carryOutRestartRequest(Pass& p) {
  std::optional<ServiceRequest> request = restartRequest(p.key);
  if (!request) return Status::Ok();
  const WallTime restartAt{Millis(request->requestedAt)};
  Status rs = restartReplicas(p.key, *p.spec, p.observed, restartAt, p.resolved.graceMs, p.runtime);
  if (!rs.ok()) return rs;
  // Only this request: one made meanwhile stays, for the next pass.
  return store_.removeRequests({*request});
}

// Carries out the plan; returns its first failure (the others are logged
// and recorded as events too).
Status ServiceReconciler::act(Pass& p, const ServicePlan& plan) {
  Status first;
  p.after = p.observed;
  for (const Action& a : plan.actions) {
    const MonoTime actionStart = clock_.monotonic();
    std::string newId;
    Status s = runAction(p, a, &newId);
    spdlog::debug("{}: {} replica {} ({}) took {} ms", p.key.str(), actionName(a.type), a.replica,
                  a.reason,
                  std::chrono::duration_cast<Millis>(clock_.monotonic() - actionStart).count());
    if (s.ok()) {
      noteDone(p, a, newId);
      continue;
    }
    p.relist = true;
    spdlog::warn("{}: {} replica {}: {}", p.key.str(), actionName(a.type), a.replica, s.ToString());
    recordEvent(p.key, "Warning", "Failed",
                std::string(actionName(a.type)) + " replica " + std::to_string(a.replica) + ": " +
                    s.message());
    if (first.ok()) first = s;
  }
  return first;
}

Status ServiceReconciler::runAction(Pass& p, const Action& a, std::string* newId) {
  const std::string replica = std::to_string(a.replica);
  switch (a.type) {
    case Action::Type::kCreate: {
      Status s = createAndStart(p.resolved.service, a.replica, nullptr, newId);
      if (s.ok()) recordEvent(p.key, "Normal", "Created", "created replica " + replica);
      return s;
    }
    case Action::Type::kStart:
      return startReplica(p, a);
    case Action::Type::kStop: {
      Status s = engine_.stopContainer(a.containerId, static_cast<int>((p.resolved.graceMs + 999) / 1000));
      return s.IsNotModified() ? Status::Ok() : s;
    }
    case Action::Type::kRecreate: {
      nlohmann::json oldMounts;
      auto info = engine_.inspectContainer(a.containerId);
      if (info.ok() && info->raw.contains("Mounts")) oldMounts = info->raw["Mounts"];
      // Keep the anonymous volumes for the replacement.
      noteStop(p.key, a.containerId, kStopKilled, "replaced: " + a.reason);
      Status s = removeContainer(a.containerId, p.resolved.graceMs, /*removeVolumes=*/false,
                                 deathRecorder(p.key, a.replica, *p.spec));
      if (s.ok()) s = createAndStart(p.resolved.service, a.replica, &oldMounts, newId);
      if (s.ok())
        recordEvent(p.key, "Normal", "Recreated",
                    "recreated replica " + replica + " (" + a.reason + ")");
      return s;
    }
    case Action::Type::kRemove: {
      noteStop(p.key, a.containerId, kStopKilled, "removed: " + a.reason);
      Status s = removeContainer(a.containerId, p.resolved.graceMs, /*removeVolumes=*/true,
                                 deathRecorder(p.key, a.replica, *p.spec));
      if (s.ok()) {
        recordEvent(p.key, "Normal", "Removed",
                    "removed container " + a.containerId.substr(0, 12) + " (" + a.reason + ")");
      }
      return s;
    }
  }
  return Status::Internal("unknown action");
}

Status ServiceReconciler::startReplica(Pass& p, const Action& a) {
  Status s = startContainer(a.containerId);
  if (s.IsNotFound() && s.message().find("network") != std::string::npos) {
    {
      std::lock_guard<std::mutex> l(cacheMu_);
      knownNetworks_.clear();
    }
    // Its network was removed behind tender's back: the container cannot
    // start again and is replaced (the next pass creates it).
    Status r = removeContainer(a.containerId, 0, /*removeVolumes=*/false);
    return r.ok()
               ? Status::Unavailable("replaced a container whose network is gone: " + s.message())
               : r;
  }
  if (!s.ok()) return s;
  bool restart = false;
  for (const auto& c : p.observed) restart |= (c.id == a.containerId && c.state == "exited");
  {
    std::lock_guard<std::mutex> l(mu_);
    recordedDeaths_.erase(a.containerId);  // its next death is a new one
    if (restart) {
      ReplicaRuntime& rr = runtime_[p.key.str()][a.replica];
      if (!rr.lastDeathFree) ++rr.restarts;
      ++rr.totalRestarts;
      saveRuntimeLocked(p.key, a.replica, rr);
    }
  }
  recordEvent(p.key, "Normal", restart ? "Restarted" : "Started",
              (restart ? "restarted replica " : "started replica ") + std::to_string(a.replica));
  return s;
}

// What the engine now holds after a successful action, without listing
// again: a list call per pass is what a large apply would otherwise add to
// the engine's load.
void ServiceReconciler::noteDone(Pass& p, const Action& a, const std::string& newId) {
  // A container just started has no check result yet.
  const std::string health =
      p.spec->healthcheck && (p.probed || p.spec->healthcheck->kind == HealthCheck::Kind::kExec)
          ? "starting"
          : "";
  auto& after = p.after;
  if (a.type == Action::Type::kStart) {
    for (auto& c : after) {
      if (c.id != a.containerId) continue;
      c.state = "running";
      c.exitCode.reset();
      c.health = health;
    }
    return;
  }
  if (!a.containerId.empty()) {
    after.erase(std::remove_if(after.begin(), after.end(),
                               [&](const ObservedContainer& c) { return c.id == a.containerId; }),
                after.end());
  }
  if (a.type != Action::Type::kCreate && a.type != Action::Type::kRecreate) return;
  if (newId.empty()) {
    p.relist = true;  // adopted an existing container: its state is unknown here
    return;
  }
  ObservedContainer c;
  c.id = newId;
  c.name = containerName(p.key.ns, p.key.name, a.replica);
  c.replica = a.replica;
  c.specHash = p.desired.specHash;
  c.state = "running";
  c.health = health;
  after.push_back(std::move(c));
}

// The status from what the engine shows now, with the history of deaths,
// dependencies, image and memory pressure.
ServiceStatus ServiceReconciler::statusAfterPass(Pass& p, const Status& first) {
  if (p.relist) {
    auto relisted =
        engine_.listContainers(ownedFilters(options_.instance, p.key.ns, p.key.name), true);
    if (relisted.ok()) {
      p.after.clear();
      for (const auto& c : *relisted) p.after.push_back(observedFromSummary(c));
      if (p.probed) {
        for (auto& c : p.after) {
          auto ps = c.state == "running" ? options_.prober->state(c.id) : std::nullopt;
          if (c.state == "running") c.health = ps ? ps->health : "starting";
        }
      }
    }
  }
  ReplicaHistory history;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [r, rr] : runtime_[p.key.str()]) {
      history.restartCount += rr.totalRestarts;
      history.restarts[r] = rr.totalRestarts;
    }
  }
  auto deaths = store_.terminations(p.key.ns, p.key.name, -1, 2 * p.desired.replicas + 4);
  if (deaths.ok()) {
    for (const TerminationRecord& t : *deaths) {  // newest first
      if (!history.lastTermination.count(t.replica))
        history.lastTermination[t.replica] = terminationJson(t);
    }
  }
  ServiceStatus st = serviceStatus(p.key, p.desired, p.after, p.runtime, history, first, p.now);
  if (!p.spec->dependsOn.empty()) st.dependencies = p.deps.status;
  st.image = p.resolved.service.imageRef;
  st.imageId = p.resolved.service.imageId;
  addMemoryPressure(p, st);
  warnOnNewHold(p, st);
  return st;
}

// A replica above 90% of its memory limit, before the OOM killer acts (from
// the sampler's last look): the MemoryPressure condition, and a warning
// event when it turns true.
void ServiceReconciler::addMemoryPressure(const Pass& p, ServiceStatus& st) {
  if (!options_.memory || !p.spec->resources.memoryLimit || *p.spec->resources.memoryLimit <= 0)
    return;
  const int64_t limit = *p.spec->resources.memoryLimit;
  std::string pressure;
  std::vector<ReplicaStatus> noReplicas;
  for (ReplicaStatus& rs : st.replicaStatuses ? *st.replicaStatuses : noReplicas) {
    if (rs.state != "running" || !rs.containerId) continue;
    auto sample = options_.memory->lastSampleOf(*rs.containerId);
    if (!sample) continue;
    rs.memory = ReplicaMemory{sample->bytes, limit};
    if (static_cast<double>(sample->bytes) <= 0.9 * static_cast<double>(limit)) continue;
    rs.memoryPressure = true;
    if (pressure.empty()) {
      const int percent =
          static_cast<int>(100.0 * static_cast<double>(sample->bytes) / static_cast<double>(limit));
      pressure = "replica " + std::to_string(rs.replica) + " uses " +
                 formatBytes(sample->bytes) + " of its " + formatBytes(limit) + " memory limit (" +
                 std::to_string(percent) + "%): the kernel kills it at the limit";
    }
  }
  const Condition* was = findCondition(p.stored.conditions, "MemoryPressure");
  const bool before = was && was->status == "True";
  setCondition(st.conditions,
               Condition{"MemoryPressure", pressure.empty() ? "False" : "True",
                         pressure.empty() ? "WithinLimit" : "NearMemoryLimit",
                         pressure.empty() ? "every replica uses less than 90% of its memory limit"
                                          : pressure,
                         formatRfc3339(p.now)},
               {});
  if (!pressure.empty() && !before) recordEvent(p.key, "Warning", "MemoryPressure", pressure);
}

// A hold that is new since the last status gets a warning event.
void ServiceReconciler::warnOnNewHold(const Pass& p, const ServiceStatus& st) {
  const Condition* now = findCondition(st.conditions, "Ready");
  if (!now || (now->reason != "InsufficientMemory" && now->reason != "QuotaExceeded")) return;
  const Condition* before = findCondition(p.stored.conditions, "Ready");
  if (!before || before->reason != now->reason) {
    recordEvent(p.key, "Warning", now->reason, now->message);
  }
}

}  // namespace tender

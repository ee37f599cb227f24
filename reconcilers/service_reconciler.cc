#include "reconcilers/service_reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "base/backoff.h"
#include "base/byte_format.h"
#include "base/time_format.h"
#include "manifests/manifest_syntax.h"
#include "manifests/manifest.h"
#include "reconcilers/build_context.h"
#include "reconcilers/engine_objects.h"
#include "reconcilers/events.h"
#include "engine/labels.h"
#include "reconcilers/spec_hash.h"

namespace tender {

namespace {

constexpr int64_t kDefaultBackoffInitialMs = 10'000;
constexpr double kDefaultBackoffFactor = 2.0;
constexpr int64_t kDefaultBackoffMaxMs = 300'000;
constexpr int64_t kDefaultBackoffResetMs = 600'000;

// "Exited (137) 3 seconds ago" -> 137
std::optional<int> exitCodeFromStatus(const std::string& status) {
  auto open = status.find('(');
  auto close = status.find(')', open == std::string::npos ? 0 : open);
  if (status.rfind("Exited", 0) != 0 || open == std::string::npos || close == std::string::npos) {
    return std::nullopt;
  }
  try {
    return std::stoi(status.substr(open + 1, close - open - 1));
  } catch (...) {
    return std::nullopt;
  }
}

// The health part of a list entry's Status: "Up 5 seconds (healthy)".
std::string healthFromStatus(const std::string& status) {
  if (status.find("(healthy)") != std::string::npos) return "healthy";
  if (status.find("(unhealthy)") != std::string::npos) return "unhealthy";
  if (status.find("(health: starting)") != std::string::npos) return "starting";
  return "";
}

// Docker names an anonymous volume with 64 hex digits; tender's own volumes
// are "{namespace}_{name}", which never looks like that.
bool isAnonymousVolumeName(const std::string& name) {
  return name.size() == 64 &&
         name.find_first_not_of("0123456789abcdef") == std::string::npos;
}

int phaseRank(const std::string& phase) {
  // Worst first: the service shows its worst replica.
  static const char* order[] = {"Failed", "CrashLoopBackOff", "Blocked", "Evicted", "Pending",
                                "Starting", "Running", "Completed"};
  for (int i = 0; i < 8; ++i) {
    if (phase == order[i]) return i;
  }
  return 3;
}

// The restart delay after `restarts` deaths: the shared backoff arithmetic
// over the spec's (or the default) initial delay, factor and cap.
int64_t backoffDelayMs(const BackoffSpec& b, int restarts) {
  return exponentialDelay(Millis(b.initialMs.value_or(kDefaultBackoffInitialMs)),
                          b.factor.value_or(kDefaultBackoffFactor), Millis(b.maxMs.value_or(kDefaultBackoffMaxMs)),
                          restarts)
      .count();
}

// The status of a service from the containers the engine holds after a
// pass: each replica's phase, and the service's (the worst of them).
struct ServiceStatus {
  nlohmann::json json;
  std::string phase;
};

// What the status tells of past runs.
struct ReplicaHistory {
  int restartCount = 0;                           // all replicas
  std::map<int, int> restarts;                    // by replica
  std::map<int, nlohmann::json> lastTermination;  // by replica
};

// A held replica's phase: why it is held decides.
std::string heldPhase(const std::string& reason) {
  if (reason == "WaitingForDependencies") return "Pending";
  if (reason == "InsufficientMemory" || reason == "QuotaExceeded") return "Blocked";
  if (reason == "Evicted") return "Evicted";
  return "Failed";  // RestartLimitReached
}

// Which hold the service's Ready condition names when several replicas are
// held: the one a user must act on first.
int heldRank(const std::string& reason) {
  static const char* order[] = {"RestartLimitReached", "QuotaExceeded", "InsufficientMemory", "Evicted",
                                "WaitingForDependencies"};
  for (int i = 0; i < 5; ++i) {
    if (reason == order[i]) return i;
  }
  return 0;
}

ServiceStatus serviceStatus(const Key& key, const DesiredService& desired,
                            const std::vector<ContainerSummary>& after, const RuntimeState& runtime,
                            const ReplicaHistory& history, const std::map<std::string, std::string>& probed,
                            const Status& error, WallTime now) {
  const int restartCount = history.restartCount;
  std::string heldReason, heldMessage;  // the hold the condition names
  auto noteHeld = [&](int r, nlohmann::json& rs, std::string& phase) {
    auto held = runtime.held.find(r);
    if (held == runtime.held.end()) return false;
    auto why = runtime.heldReason.find(r);
    const std::string reason = why != runtime.heldReason.end() ? why->second : "RestartLimitReached";
    phase = heldPhase(reason);
    rs["message"] = held->second;
    rs["reason"] = reason;
    if (heldMessage.empty() || heldRank(reason) < heldRank(heldReason)) {
      heldReason = reason;
      heldMessage = held->second;
    }
    return true;
  };
  int ready = 0, running = 0;
  std::string worst = desired.replicas == 0 ? "Stopped" : "Completed";  // the best a replica can be
  nlohmann::json replicaStatuses = nlohmann::json::array();
  std::map<int, const ContainerSummary*> byReplica;
  for (const auto& c : after) {
    ObservedContainer o = observedFromSummary(c);
    if (o.replica >= 0 && o.replica < desired.replicas && o.specHash == desired.specHash) {
      byReplica[o.replica] = &c;
    }
  }
  std::optional<WallTime> nextRestart;
  for (int r = 0; r < desired.replicas; ++r) {
    nlohmann::json rs = {{"replica", r}, {"container", containerName(key.ns, key.name, r)}};
    std::string phase = "Pending";
    auto it = byReplica.find(r);
    if (it == byReplica.end()) {
      rs["state"] = "missing";
      noteHeld(r, rs, phase);
    } else {
      const ContainerSummary& c = *it->second;
      const ObservedContainer o = observedFromSummary(c);
      auto p = probed.find(c.id);
      const std::string health = p != probed.end() ? p->second : healthFromStatus(c.status);
      const bool isReady = c.state == "running" && (health.empty() || health == "healthy");
      rs["containerId"] = c.id;
      rs["state"] = c.state;
      rs["ready"] = isReady;
      if (!health.empty()) rs["health"] = health;
      if (c.state == "running") {
        ++running;
        ready += isReady;
        phase = isReady ? "Running" : "Starting";
      } else if (c.state == "exited" || c.state == "created") {
        if (o.exitCode && c.state == "exited") rs["exitCode"] = *o.exitCode;
        auto nb = runtime.notBefore.find(r);
        if (c.state == "exited" && !shouldRestart(desired.restartPolicy, o)) {
          phase = o.exitCode.value_or(1) == 0 ? "Completed" : "Failed";
        } else if (noteHeld(r, rs, phase)) {
        } else if (nb != runtime.notBefore.end() && nb->second > now) {
          phase = "CrashLoopBackOff";
          rs["nextRestartAt"] = formatRfc3339(nb->second);
          if (!nextRestart || nb->second < *nextRestart) nextRestart = nb->second;
        }
      }
    }
    rs["phase"] = phase;
    if (auto n = history.restarts.find(r); n != history.restarts.end()) rs["restartCount"] = n->second;
    if (auto t = history.lastTermination.find(r); t != history.lastTermination.end()) rs["lastTermination"] = t->second;
    if (phaseRank(phase) < phaseRank(worst)) worst = phase;
    replicaStatuses.push_back(rs);
  }
  const bool allReady = ready == desired.replicas;
  std::string message = !error.ok()            ? error.message()
                        : !heldMessage.empty() ? heldMessage
                                               : std::to_string(ready) + "/" + std::to_string(desired.replicas) +
                                                     " replicas ready";
  nlohmann::json st = {
      {"phase", worst},
      {"replicas", desired.replicas},
      {"runningReplicas", running},
      {"readyReplicas", ready},
      {"restartCount", restartCount},
      {"specHash", desired.specHash},
      {"replicaStatuses", replicaStatuses},
      {"conditions",
       {{{"type", "Ready"},
         {"status", allReady ? "True" : "False"},
         {"reason", allReady            ? "AllReplicasReady"
                    : !error.ok()       ? "ReconcileError"
                    : !heldMessage.empty() ? heldReason
                                        : "ReplicasNotReady"},
         {"message", message},
         {"lastTransitionTime", formatRfc3339(now)}}}},
  };
  if (nextRestart) st["nextRestartAt"] = formatRfc3339(*nextRestart);
  // The newest death of any replica, for a glance at the service.
  const nlohmann::json* newest = nullptr;
  for (const auto& [r, t] : history.lastTermination) {
    if (!newest || t.value("finishedAt", "") > newest->value("finishedAt", "")) newest = &t;
  }
  if (newest) st["lastTermination"] = *newest;
  return {st, worst};
}

}  // namespace

ObservedContainer observedFromSummary(const ContainerSummary& c) {
  ObservedContainer o;
  o.id = c.id;
  o.name = c.name;
  o.state = c.state;
  auto r = c.labels.find(kLabelReplica);
  if (r != c.labels.end()) {
    try {
      size_t used = 0;
      int v = std::stoi(r->second, &used);
      if (used == r->second.size() && v >= 0) o.replica = v;
    } catch (...) {
    }
  }
  auto h = c.labels.find(kLabelSpecHash);
  if (h != c.labels.end()) o.specHash = h->second;
  if (c.state == "exited") o.exitCode = exitCodeFromStatus(c.status);
  return o;
}

struct ServiceReconciler::Resolved {
  Resource resource;
  ResolvedService service;
  int64_t graceMs = kDefaultStopGraceMs;
  // When resolve() fails for a reason the user must fix: the status
  // condition's reason (ImageNotFound, BuildFailed, NetworkNotFound, InvalidSpec).
  const char* failureReason = "InvalidSpec";
};

ServiceReconciler::ServiceReconciler(Store& store, DockerEngine& engine, Clock& clock,
                                     StartGate& gate, ServiceReconcilerOptions options)
    : store_(store), engine_(engine), clock_(clock), gate_(gate), options_(std::move(options)) {
  logThread_ = std::thread([this] { collectLogs(); });
}

ServiceReconciler::~ServiceReconciler() {
  {
    std::lock_guard<std::mutex> l(logMu_);
    logStop_ = true;
  }
  logCv_.notify_all();
  logThread_.join();
}

void ServiceReconciler::noteEngineEvent(const EngineEvent& event) {
  if (event.id.empty()) return;
  // Whatever happened, a resync's list of this service's containers is stale.
  if (options_.snapshot) {
    auto ns = event.attributes.find(kLabelNamespace);
    auto svc = event.attributes.find(kLabelService);
    if (ns != event.attributes.end() && svc != event.attributes.end()) options_.snapshot->invalidate(ns->second, svc->second);
  }
  if (event.action == "die") {
    std::lock_guard<std::mutex> l(mu_);
    diedRecently_[event.id] = clock_.now();
    for (auto it = diedRecently_.begin(); it != diedRecently_.end();) {
      it = clock_.now() - it->second > std::chrono::minutes(1) ? diedRecently_.erase(it) : std::next(it);
    }
    return;
  }
  if (event.action != "oom") return;
  std::lock_guard<std::mutex> l(mu_);
  oomEvents_[event.id] = clock_.now();
  // Old ones are of no use: a death is looked at within seconds.
  for (auto it = oomEvents_.begin(); it != oomEvents_.end();) {
    it = clock_.now() - it->second > std::chrono::minutes(10) ? oomEvents_.erase(it) : std::next(it);
  }
}

std::function<void(const ContainerInfo&)> ServiceReconciler::killedRecorder(const Key& key, int replica,
                                                                           const ServiceSpec& spec,
                                                                           const std::string& why) {
  return [this, key, replica, spec, why](const ContainerInfo& info) {
    {
      std::lock_guard<std::mutex> l(mu_);
      killedByTender_[info.id] = why;
    }
    auto t = recordDeath(key, replica, info, spec);
    if (t && t->id > 0) recordEvent(key, "Normal", "Died", deathSummary(*t));
  };
}

void ServiceReconciler::evict(const Key& key, int replica, const std::string& why) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!evicted_[key.str()].emplace(replica, why).second) return;
  }
  recordEvent(key, "Warning", "Evicted", "evicting replica " + std::to_string(replica) + ": " + why);
}

std::vector<Key> ServiceReconciler::readmitEvicted() {
  std::vector<Key> out;
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [k, replicas] : evicted_) {
    if (replicas.empty()) continue;
    // "Service/ns/name"
    auto a = k.find('/'), b = k.find('/', a + 1);
    out.push_back(Key{"Service", k.substr(a + 1, b - a - 1), k.substr(b + 1)});
  }
  evicted_.clear();
  return out;
}

bool ServiceReconciler::evicted(const Key& key, int replica) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = evicted_.find(key.str());
  return it != evicted_.end() && it->second.count(replica) > 0;
}

void ServiceReconciler::noteEngineOutage(WallTime lost, WallTime back) {
  std::lock_guard<std::mutex> l(mu_);
  outages_.emplace_back(lost, back);
  if (outages_.size() > 8) outages_.erase(outages_.begin());
}

void ServiceReconciler::loadRuntime(const Key& key) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (loaded_.count(key.str())) return;
  }
  auto states = store_.replicaStates(key.ns, key.name);
  if (!states.ok()) {
    spdlog::warn("{}: cannot read its restart state: {}", key.str(), states.status().ToString());
    return;  // tried again next pass
  }
  std::lock_guard<std::mutex> l(mu_);
  if (!loaded_.insert(key.str()).second) return;
  ServiceRuntime& rt = runtime_[key.str()];
  for (const auto& [replica, j] : *states) {
    ReplicaRuntime& rr = rt[replica];
    rr.restarts = j.value("restarts", 0);
    rr.totalRestarts = j.value("totalRestarts", 0);
    rr.lastFinishedAt = j.value("lastFinishedAt", std::string());
    rr.lastDeathFree = j.value("lastDeathFree", false);
    rr.specHash = j.value("specHash", std::string());
    rr.gaveUp = j.value("gaveUp", false);
    rr.gaveUpMessage = j.value("gaveUpMessage", std::string());
    rr.deathsMs.clear();
    if (j.contains("deathsMs") && j["deathsMs"].is_array()) {
      for (const auto& d : j["deathsMs"]) rr.deathsMs.push_back(d.get<int64_t>());
    }
  }
}

void ServiceReconciler::saveRuntimeLocked(const Key& key, int replica, const ReplicaRuntime& rr) {
  nlohmann::json j = {{"restarts", rr.restarts},         {"totalRestarts", rr.totalRestarts},
                      {"lastFinishedAt", rr.lastFinishedAt}, {"lastDeathFree", rr.lastDeathFree},
                      {"specHash", rr.specHash},         {"gaveUp", rr.gaveUp},
                      {"gaveUpMessage", rr.gaveUpMessage}, {"deathsMs", rr.deathsMs}};
  Status s = store_.putReplicaState(key.ns, key.name, replica, j);
  if (!s.ok()) spdlog::warn("{}: cannot save the restart state of replica {}: {}", key.str(), replica, s.ToString());
}

std::optional<TerminationRecord> ServiceReconciler::recordDeath(const Key& key, int replica, const ContainerInfo& info,
                                                                const ServiceSpec& spec) {
  DeathFacts f;
  f.ns = key.ns;
  f.service = key.name;
  f.replica = replica;
  f.info = info;
  auto started = parseRfc3339(info.state.startedAt);
  auto finished = parseRfc3339(info.state.finishedAt);
  {
    std::lock_guard<std::mutex> l(mu_);
    auto oom = oomEvents_.find(info.id);
    if (oom != oomEvents_.end() && (!started || oom->second >= *started - std::chrono::seconds(1))) f.oomEvent = true;
    auto killed = killedByTender_.find(info.id);
    if (killed != killedByTender_.end()) {
      f.killedByTender = killed->second;
      killedByTender_.erase(killed);
    }
    f.unhealthy = unhealthyStops_.erase(info.id) > 0;
    auto evicted = evictedStops_.find(info.id);
    if (evicted != evictedStops_.end()) {
      f.evicted = evicted->second;
      evictedStops_.erase(evicted);
    }
    // An engine going down stops its containers (within its shutdown
    // timeout) around the time it drops its API: a death from a little
    // before the stream was lost until it came back is the engine's.
    if (finished) {
      for (const auto& [lost, back] : outages_) {
        if (*finished >= lost - std::chrono::seconds(30) && *finished <= back) {
          f.engineRestart = true;
        }
      }
    }
  }
  if (options_.host) {
    f.host = options_.host->read();
    if (finished && info.state.exitCode == 137 && !info.state.oomKilled && !f.oomEvent) {
      f.hostOomKill = options_.host->oomKillAround(*finished);
    }
  }
  if (options_.memory) f.memory = options_.memory->lastSampleOf(info.id);
  TerminationRecord t = postMortem(f);
  // A service that may give up quotes the last lines in its message: those
  // are read now. Otherwise they are read after the restart, from the same
  // log file (until the death), so the restart does not wait for them.
  // So does a container tender stopped: it is removed next, logs and all.
  const bool mayGiveUp = spec.backoff.maxRestarts.value_or(0) > 0;
  const bool readNow = mayGiveUp || t.reason == "Killed";
  if (readNow) t.data["logs"] = deathLogs(info.id, t.finishedAt);
  bool created = false;
  auto id = store_.recordTermination(t, &created);
  if (!id.ok()) {
    spdlog::warn("{}: cannot record the death of {}: {}", key.str(), info.name, id.status().ToString());
    return std::nullopt;
  }
  if (!created) {
    t.id = 0;  // on record already (an earlier run of tender saw it)
    return t;
  }
  t.id = *id;
  if (!readNow) {
    std::lock_guard<std::mutex> l(logMu_);
    // Read a little later: a logs call made while the engine restarts the
    // container waits on it, and slows the restart it must not delay.
    logJobs_.push_back(LogJob{t.id, info.id, t.finishedAt, t.data, key,
                              std::chrono::steady_clock::now() + std::chrono::milliseconds(500)});
    logCv_.notify_all();
  }
  return t;
}

std::vector<std::string> ServiceReconciler::deathLogs(const std::string& containerId, int64_t finishedAtMs) {
  LogOptions lo;
  lo.tail = options_.logTailLines;
  // Up to the death (inclusive of its last millisecond): the run that
  // follows writes to the same file.
  const int64_t until = finishedAtMs + 1;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%lld.%03lld000000", static_cast<long long>(until / 1000),
                static_cast<long long>(until % 1000));
  lo.until = buf;
  std::vector<std::string> out;
  auto logs = engine_.containerLogs(containerId, lo);
  if (!logs.ok()) return out;
  for (const LogLine& l : *logs) out.push_back(l.text);
  return out;
}

void ServiceReconciler::collectLogs() {
  std::unique_lock<std::mutex> l(logMu_);
  while (true) {
    logCv_.wait(l, [&] { return logStop_ || !logJobs_.empty(); });
    if (logStop_) return;
    const auto readAt = logJobs_.front().readAt;
    if (std::chrono::steady_clock::now() < readAt) {
      logCv_.wait_until(l, readAt, [&] { return logStop_; });
      continue;
    }
    LogJob job = std::move(logJobs_.front());
    logJobs_.pop_front();
    l.unlock();
    job.data["logs"] = deathLogs(job.containerId, job.finishedAtMs);
    Status s = store_.updateTerminationData(job.id, job.data);
    if (!s.ok()) spdlog::warn("{}: cannot store the last log lines: {}", job.key.str(), s.ToString());
    if (options_.enqueue) options_.enqueue(job.key);  // the status shows them
    l.lock();
  }
}

void ServiceReconciler::countDeath(const Key& key, const ServiceSpec& spec, const std::string& specHash,
                                   const TerminationRecord& t, ReplicaRuntime& rr) {
  if (rr.specHash != specHash) {
    // A new spec starts with a clean slate, as a new pod would.
    rr.restarts = 0;
    rr.deathsMs.clear();
    rr.gaveUp = false;
    rr.gaveUpMessage.clear();
    rr.specHash = specHash;
  }
  rr.lastFinishedAt = formatRfc3339(WallTime(std::chrono::milliseconds(t.finishedAt)));
  // Deaths that are not the service's own (tender stopped it, the engine
  // restarted) restart at once and do not count as crashes.
  rr.lastDeathFree = t.reason == "Killed" || t.reason == "EngineRestart" || t.reason == "Evicted";
  if (!rr.lastDeathFree) {
    const int64_t ranMs = t.startedAt > 0 ? t.finishedAt - t.startedAt : 0;
    if (ranMs >= spec.backoff.resetAfterMs.value_or(kDefaultBackoffResetMs)) rr.restarts = 0;
    rr.deathsMs.push_back(t.finishedAt);
    const int64_t window = spec.backoff.windowMs.value_or(0);
    if (window > 0) {
      rr.deathsMs.erase(std::remove_if(rr.deathsMs.begin(), rr.deathsMs.end(),
                                       [&](int64_t d) { return d < t.finishedAt - window; }),
                        rr.deathsMs.end());
    }
    // Only as many as the limit needs are kept.
    const int limit = spec.backoff.maxRestarts.value_or(0);
    if (limit > 0 && static_cast<int>(rr.deathsMs.size()) > limit + 1) {
      rr.deathsMs.erase(rr.deathsMs.begin(), rr.deathsMs.end() - (limit + 1));
    }
    if (limit > 0 && static_cast<int>(rr.deathsMs.size()) > limit) {
      rr.gaveUp = true;
      std::string msg = "replica " + std::to_string(t.replica) + " died " + std::to_string(rr.deathsMs.size()) +
                        " times" + (window > 0 ? " within " + std::to_string(window / 1000) + "s" : std::string()) +
                        " (maxRestarts " + std::to_string(limit) + "); last: " + deathSummary(t);
      if (t.data.contains("logs") && !t.data["logs"].empty()) {
        msg += "; last log lines:";
        const auto& logs = t.data["logs"];
        const size_t from = logs.size() > 5 ? logs.size() - 5 : 0;
        for (size_t i = from; i < logs.size(); ++i) msg += "\n  " + logs[i].get<std::string>();
      }
      rr.gaveUpMessage = msg;
    }
  }
  saveRuntimeLocked(key, t.replica, rr);
}

void ServiceReconciler::recordEvent(const Key& key, const std::string& type,
                                    const std::string& reason, const std::string& message) {
  tender::recordEvent(store_, clock_, key, type, reason, message);
}

Status ServiceReconciler::ensureNetwork(const std::string& engineName, const std::string& ns,
                                        const std::string& resourceName) {
  {
    std::lock_guard<std::mutex> l(cacheMu_);
    if (knownNetworks_.count(engineName)) return Status::Ok();
  }
  Labels labels = ownerLabels(options_.instance, ns);
  labels[kLabelResource] = resourceName;
  nlohmann::json body = {{"Driver", "bridge"}, {"CheckDuplicate", true}, {"Labels", labels}};
  auto n = tender::ensureNetwork(engine_, engineName, body, options_.instance);
  if (!n.ok()) return n.status();
  std::lock_guard<std::mutex> l(cacheMu_);
  knownNetworks_[engineName] = true;
  return Status::Ok();
}

Status ServiceReconciler::ensureVolume(const std::string& engineName, const std::string& ns,
                                       const std::string& resourceName) {
  auto v = engine_.inspectVolume(engineName);
  if (v.ok()) return Status::Ok();
  if (!v.status().IsNotFound()) return v.status();
  Labels labels = ownerLabels(options_.instance, ns);
  labels[kLabelResource] = resourceName;
  auto created = engine_.createVolume(engineName, "local", labels, {});
  return created.ok() ? Status::Ok() : created.status();
}

Status ServiceReconciler::resolveImage(const std::string& ref, ResolvedService& out) {
  std::optional<std::string> cachedId;
  {
    std::lock_guard<std::mutex> l(cacheMu_);
    auto it = images_.find(ref);
    if (it != images_.end() && clock_.monotonic() - it->second.at < options_.imageCacheTtl) {
      cachedId = it->second.id;
    }
  }
  Result<ImageInfo> image = cachedId ? Result<ImageInfo>(ImageInfo{*cachedId, {}, 0, {}})
                                     : engine_.inspectImage(ref);
  if (image.ok() && !cachedId) {
    std::lock_guard<std::mutex> l(cacheMu_);
    images_[ref] = CachedImage{image->id, clock_.monotonic()};
  }
  if (!image.ok()) {
    if (image.status().IsNotFound()) {
      return Status::NotFound("image \"" + ref +
                              "\" is not on the engine (tender does not pull images: build or "
                              "load it first)");
    }
    return image.status();
  }
  out.imageRef = ref;
  out.imageId = image->id;

  return Status::Ok();
}

// Resolves what the spec names outside itself: the image's ID, the networks'
// and volumes' engine names (creating the namespace's default network and
// undeclared named volumes on the way).
Status ServiceReconciler::resolve(const ResourceRecord& record, const Resource& resource,
                                  Resolved& out) {
  const ServiceSpec& spec = resource.service();
  const std::string& ns = record.namespace_;
  out.resource = resource;
  out.service.ns = ns;
  out.service.name = record.name;
  out.service.spec = spec;
  out.graceMs = spec.stopGracePeriodMs.value_or(kDefaultStopGraceMs);

  if (spec.build) {
    if (!std::filesystem::path(spec.build->context).is_absolute()) {
      out.failureReason = "InvalidSpec";
      return Status::Invalid("spec.build.context \"" + spec.build->context +
                             "\" is relative: apply with the tender command (it sends the "
                             "manifest's folder) or give an absolute path");
    }
    auto built = ensureBuiltImage(engine_, options_.instance, ns, record.name, spec);
    if (!built.ok()) {
      out.failureReason = "BuildFailed";
      return built.status();
    }
    if (built->built) {
      recordEvent(Key{"Service", ns, record.name}, "Normal", "Built",
                  "built image " + built->tag + " (" + built->id.substr(0, 19) + ")");
    }
    out.service.imageRef = built->tag;
    out.service.imageId = built->id;
  } else {
    Status s = resolveImage(spec.image, out.service);
    if (!s.ok()) {
      out.failureReason = "ImageNotFound";
      return s;
    }
  }

  std::vector<std::string> networks = spec.networks;
  if (networks.empty()) networks.push_back(kDefaultNetwork);
  for (const std::string& n : networks) {
    auto declared = store_.get("Network", ns, n);
    if (declared.ok() && !declared->deletedAt) {
      auto decoded = decodeStored("Network", ns, n, declared->labels, declared->spec);
      if (decoded.ok() && decoded->network().external) {
        out.service.networks.push_back(n);
        continue;
      }
      // The network reconciler creates declared networks; make sure here too
      // so the first create does not race it.
      Status s = ensureNetwork(scopedName(ns, n), ns, n);
      if (!s.ok()) return s;
      out.service.networks.push_back(scopedName(ns, n));
    } else if (n == kDefaultNetwork) {
      Status s = ensureNetwork(scopedName(ns, n), ns, n);
      if (!s.ok()) return s;
      out.service.networks.push_back(scopedName(ns, n));
    } else {
      out.failureReason = "NetworkNotFound";
      return Status::NotFound("network \"" + n + "\" is not declared in namespace \"" + ns +
                              "\" (add a Network resource named " + n + ")");
    }
  }

  for (const VolumeMount& m : spec.volumes) {
    if (m.type != "volume" || m.source.empty()) continue;
    auto declared = store_.get("Volume", ns, m.source);
    if (declared.ok() && !declared->deletedAt) {
      auto decoded = decodeStored("Volume", ns, m.source, declared->labels, declared->spec);
      if (decoded.ok() && decoded->volume().external) {
        out.service.volumeNames[m.source] = m.source;
        continue;
      }
    }
    std::string engineName = scopedName(ns, m.source);
    Status s = ensureVolume(engineName, ns, m.source);
    if (!s.ok()) return s;
    out.service.volumeNames[m.source] = engineName;
  }

  out.service.specHash = serviceSpecHash(resource, out.service.imageId);
  return Status::Ok();
}

Status ServiceReconciler::startContainer(const std::string& id) {
  StartGate::Ticket ticket(gate_);
  Status s = engine_.startContainer(id);
  if (s.IsNotModified()) return Status::Ok();
  return s;
}

Status ServiceReconciler::createAndStart(const ResolvedService& svc, int replica,
                                         const nlohmann::json* oldMounts, std::string* createdId) {
  std::string name = containerName(svc.ns, svc.name, replica);
  nlohmann::json body = containerCreateBody(svc, replica, options_.instance, options_.logs);
  // A replaced container hands its anonymous volumes to its replacement, as
  // Compose does, instead of leaking them.
  if (oldMounts && oldMounts->is_array()) {
    auto& mounts = body["HostConfig"]["Mounts"];
    if (!mounts.is_array()) mounts = nlohmann::json::array();
    for (const auto& m : *oldMounts) {
      if (m.value("Type", "") != "volume") continue;
      std::string volName = m.value("Name", "");
      std::string dest = m.value("Destination", "");
      bool named = false;
      for (const auto& [src, engineName] : svc.volumeNames) named |= (engineName == volName);
      if (named || volName.empty() || dest.empty()) continue;
      // The spec's own anonymous mount at that path takes the old volume;
      // a path the spec does not name (an image's VOLUME) is added.
      bool taken = false;
      for (auto& nm : mounts) {
        if (nm.value("Target", "") != dest) continue;
        taken = true;
        if (nm.value("Type", "") == "volume" && !nm.contains("Source")) nm["Source"] = volName;
      }
      if (!taken) mounts.push_back({{"Type", "volume"}, {"Source", volName}, {"Target", dest}});
    }
  }
  auto created = engine_.createContainer(name, body);
  if (!created.ok() && created.status().message().find("network") != std::string::npos) {
    std::lock_guard<std::mutex> l(cacheMu_);
    knownNetworks_.clear();
  }
  std::string id;
  if (created.ok()) {
    id = *created;
  } else if (created.status().IsConflict()) {
    // The name is taken: adopt it when it is ours (a repeated create after a
    // crash), refuse to touch it otherwise.
    auto existing = engine_.inspectContainer(name);
    if (!existing.ok()) return created.status();
    if (!ownedBy(existing->labels, options_.instance)) {
      return Status::Conflict("a container named \"" + name +
                              "\" exists and is not managed by this tender instance (" +
                              options_.instance + ")");
    }
    return Status::Ok();  // adopted: the next pass sees it and acts on it
  } else {
    return created.status();
  }
  *createdId = id;
  for (size_t i = 1; i < svc.networks.size(); ++i) {
    Status s = engine_.connectNetwork(svc.networks[i], id, networkAliases(svc, i));
    if (!s.ok()) return s.WithContext("connect " + name + " to network " + svc.networks[i]);
  }
  return startContainer(id);
}

Status ServiceReconciler::removeContainer(const std::string& id, int64_t graceMs, bool removeVolumes,
                                          const std::function<void(const ContainerInfo&)>& onStopped) {
  // The engine's own -v removes only volumes that were anonymous in this
  // container; one handed over from a replaced container is mounted by name
  // here, so tender removes those itself.
  std::vector<std::string> anonymous;
  if (removeVolumes) {
    auto info = engine_.inspectContainer(id);
    if (info.ok() && info->raw.contains("Mounts") && info->raw["Mounts"].is_array()) {
      for (const auto& m : info->raw["Mounts"]) {
        std::string name = m.value("Name", "");
        if (m.value("Type", "") == "volume" && isAnonymousVolumeName(name)) anonymous.push_back(name);
      }
    }
  }
  Status s = engine_.stopContainer(id, static_cast<int>((graceMs + 999) / 1000));
  if (!s.ok() && !s.IsNotModified() && !s.IsNotFound()) {
    spdlog::warn("stop {}: {}; removing it by force", id.substr(0, 12), s.ToString());
  }
  if (s.ok() && onStopped) {  // it ran until now: its end is tender's doing
    auto stopped = engine_.inspectContainer(id);
    if (stopped.ok()) onStopped(*stopped);
  }
  s = engine_.removeContainer(id, /*force=*/true, removeVolumes);
  // 409 "removal already in progress" settles by itself.
  if (s.IsNotFound() || (s.IsConflict() && s.message().find("in progress") != std::string::npos)) {
    s = Status::Ok();
  }
  if (!s.ok()) return s;
  for (const std::string& v : anonymous) {
    Status r = engine_.removeVolume(v, false);
    if (!r.ok() && !r.IsNotFound()) spdlog::warn("remove anonymous volume {}: {}", v.substr(0, 12), r.ToString());
  }
  return Status::Ok();
}

void ServiceReconciler::requestRestart(const Key& key) {
  std::lock_guard<std::mutex> l(mu_);
  restartRequests_[key.str()] = clock_.now();
}

Status ServiceReconciler::restartReplicas(const Key& key, const ServiceSpec& spec,
                                          std::vector<ObservedContainer>& observed, WallTime requestedAt,
                                          int64_t graceMs, RuntimeState& runtime) {
  for (ObservedContainer& c : observed) {
    if (c.replica < 0) continue;
    auto info = engine_.inspectContainer(c.id);
    if (info.status().IsNotFound()) continue;
    if (!info.ok()) return info.status();
    auto started = parseRfc3339(info->state.startedAt);
    if (started && *started >= requestedAt) continue;  // already (re)started since
    if (c.state == "running") {
      Status s = engine_.stopContainer(c.id, static_cast<int>((graceMs + 999) / 1000));
      if (!s.ok() && !s.IsNotModified()) return s;
      // The run tender ended gets its post-mortem too.
      auto stopped = engine_.inspectContainer(c.id);
      if (stopped.ok()) {
        {
          std::lock_guard<std::mutex> l(mu_);
          killedByTender_[c.id] = "restart requested";
        }
        recordDeath(key, c.replica, *stopped, spec);
      }
      s = engine_.startContainer(c.id);
      if (!s.ok() && !s.IsNotModified()) return s;
      recordEvent(key, "Normal", "Restarted", "restarted replica " + std::to_string(c.replica) + " (requested)");
    } else if (c.state == "exited" || c.state == "created") {
      // Started by the plan now, not after its backoff (nor held for
      // having died too often).
      std::lock_guard<std::mutex> l(mu_);
      ReplicaRuntime& rr = runtime_[key.str()][c.replica];
      rr.restarts = 0;
      rr.deathsMs.clear();
      rr.gaveUp = false;
      rr.gaveUpMessage.clear();
      saveRuntimeLocked(key, c.replica, rr);
      runtime.notBefore.erase(c.replica);
      runtime.held.erase(c.replica);
    }
  }
  return Status::Ok();
}

Result<nlohmann::json> ServiceReconciler::dryRun(const Resource& resource) {
  const ServiceSpec& spec = resource.service();
  const std::string& ns = resource.metadata.namespace_;
  const std::string& name = resource.metadata.name;
  nlohmann::json warnings = nlohmann::json::array();
  std::string imageId;
  if (spec.build) {
    auto image = engine_.inspectImage(builtImageTag(ns, name, spec));
    if (image.ok()) {
      imageId = image->id;
      warnings.push_back("the image is built from " + spec.build->context +
                         " when applied; the plan assumes it does not change");
    } else {
      warnings.push_back("the image will be built from " + spec.build->context);
    }
  } else {
    ResolvedService rs;
    Status s = resolveImage(spec.image, rs);
    if (!s.ok()) {
      if (!s.IsNotFound()) return s;
      warnings.push_back(s.message());
    }
    imageId = rs.imageId;
  }
  DesiredService desired;
  desired.replicas = spec.replicas.value_or(1);
  desired.specHash = serviceSpecHash(resource, imageId);
  desired.restartPolicy = spec.restartPolicy.value_or(RestartPolicy::kAlways);

  auto listed = engine_.listContainers(ownedFilters(options_.instance, ns, name), true);
  if (!listed.ok()) return listed.status().WithContext("list containers");
  std::vector<ObservedContainer> observed;
  for (const auto& c : *listed) observed.push_back(observedFromSummary(c));
  ServicePlan plan = planService(desired, observed, RuntimeState{}, clock_.now());
  nlohmann::json actions = nlohmann::json::array();
  for (const Action& a : plan.actions) {
    nlohmann::json j = {{"action", actionName(a.type)}, {"replica", a.replica}, {"reason", a.reason}};
    std::string container = a.replica >= 0 ? containerName(ns, name, a.replica) : "";
    for (const auto& c : observed) {
      if (c.id == a.containerId) container = c.name;
    }
    if (!container.empty()) j["container"] = container;
    actions.push_back(std::move(j));
  }
  return nlohmann::json{{"plan", actions}, {"warnings", warnings}};
}

Result<std::string> serviceLogs(DockerEngine& engine, const std::string& instance, const Key& key, int tail) {
  auto listed = engine.listContainers(ownedFilters(instance, key.ns, key.name), true);
  if (!listed.ok()) return listed.status().WithContext("list containers");
  struct Line {
    std::string time;
    int order;
    std::string text;
  };
  std::vector<Line> lines;
  int order = 0;
  std::vector<ContainerSummary> containers = *listed;
  std::sort(containers.begin(), containers.end(), [](const ContainerSummary& a, const ContainerSummary& b) {
    return observedFromSummary(a).replica < observedFromSummary(b).replica;
  });
  for (const ContainerSummary& c : containers) {
    ObservedContainer o = observedFromSummary(c);
    LogOptions lo;
    lo.tail = tail;
    lo.timestamps = true;
    auto logs = engine.containerLogs(c.id, lo);
    if (logs.status().IsNotFound()) continue;  // removed meanwhile
    if (!logs.ok()) return logs.status().WithContext("logs of " + c.name);
    const std::string prefix = key.name + "." + (o.replica >= 0 ? std::to_string(o.replica) : std::string("?")) + " | ";
    for (const LogLine& l : *logs) {
      // "2026-11-22T10:00:00.123456789Z text": the engine's timestamp first.
      size_t space = l.text.find(' ');
      std::string time = space == std::string::npos ? "" : l.text.substr(0, space);
      std::string text = space == std::string::npos ? l.text : l.text.substr(space + 1);
      lines.push_back({time, order++, prefix + text});
    }
  }
  // RFC 3339 with nanoseconds sorts as text when the lengths agree; the
  // engine pads them alike.
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.time < b.time; });
  std::string out;
  for (const Line& l : lines) out += l.text + "\n";
  return out;
}

ServiceReconciler::DependencyState ServiceReconciler::dependencies(const Key& key, const ServiceSpec& spec,
                                                                    const nlohmann::json& oldStatus) {
  DependencyState out;
  std::vector<std::string> waits;
  for (const auto& [dep, d] : spec.dependsOn) {
    const char* condition = dependencyConditionName(d.condition);
    nlohmann::json entry = {{"condition", condition}, {"met", false}};
    auto rec = store_.get("Service", key.ns, dep);
    if (!rec.ok() || rec->deletedAt) {
      if (d.required) {
        waits.push_back(dep + " (which does not exist) to be " + condition);
        entry["message"] = "service \"" + dep + "\" does not exist";
        out.status[dep] = entry;
      }
      continue;
    }
    // Both the dependency's stored status and what the engine shows now must
    // agree: the status lags a death until the dependency's own pass, and
    // after a restart of tender it still tells of the containers before.
    const nlohmann::json& st = rec->status;
    const std::string phase = st.value("phase", "Pending");
    bool ready = false;
    if (st.contains("conditions") && st["conditions"].is_array()) {
      for (const auto& c : st["conditions"]) {
        if (c.value("type", "") == "Ready") ready = c.value("status", "") == "True";
      }
    }
    auto depSpec = decodeStored("Service", key.ns, dep, rec->labels, rec->spec);
    const int wanted = depSpec.ok() ? depSpec->service().replicas.value_or(1) : 1;
    const HealthCheck* depCheck =
        depSpec.ok() && depSpec->service().healthcheck ? &*depSpec->service().healthcheck : nullptr;
    int running = 0, healthy = 0, exitedOk = 0, total = 0;
    auto listed = engine_.listContainers(ownedFilters(options_.instance, key.ns, dep), true);
    if (listed.ok()) {
      for (const auto& c : *listed) {
        ++total;
        bool died;
        {
          std::lock_guard<std::mutex> l(mu_);
          died = diedRecently_.count(c.id) > 0;
        }
        if (c.state == "exited" && exitCodeFromStatus(c.status).value_or(1) == 0) ++exitedOk;
        if (c.state != "running" || died) continue;
        ++running;
        std::string health;
        if (depCheck && depCheck->kind == HealthCheck::Kind::kExec) {
          health = healthFromStatus(c.status);
        } else if (depCheck && options_.prober) {
          auto ps = options_.prober->state(c.id);
          health = ps ? ps->health : "starting";
        }
        healthy += !depCheck || health == "healthy";
      }
    }
    bool met = false;
    switch (d.condition) {
      case DependencyCondition::kStarted:
        met = running > 0 || (phase == "Completed" && total > 0 && exitedOk == total);
        break;
      case DependencyCondition::kHealthy:
        met = ready && wanted > 0 && healthy >= wanted;
        break;
      case DependencyCondition::kCompleted:
        met = phase == "Completed" && total > 0 && exitedOk == total;
        break;
    }
    entry["met"] = met;
    if (!met) waits.push_back(dep + " to be " + condition);
    // The newest (re)start of the dependency, as an event id: it only grows.
    EventQuery q;
    q.namespace_ = key.ns;
    q.kind = "Service";
    q.name = dep;
    q.latest = true;
    q.limit = 50;
    int64_t mark = 0;
    auto events = store_.events(q);
    if (events.ok()) {
      for (const auto& e : *events) {
        if (e.reason == "Created" || e.reason == "Started" || e.reason == "Restarted" || e.reason == "Recreated") {
          mark = std::max(mark, e.id);
        }
      }
    }
    int64_t seen = 0;
    if (oldStatus.contains("dependencies") && oldStatus["dependencies"].contains(dep)) {
      seen = oldStatus["dependencies"][dep].value("startMark", int64_t{0});
    }
    // Only a met condition moves the mark on: a restart is acted on once the
    // dependency is ready again.
    entry["startMark"] = met ? mark : seen;
    if (d.restart && met && seen > 0 && mark > seen) out.restartedDeps.push_back(dep);
    out.status[dep] = entry;
  }
  for (size_t i = 0; i < waits.size(); ++i) out.waitingFor += (i ? ", " : "") + waits[i];
  return out;
}

AdmissionRequest ServiceReconciler::admissionRequest(const Key& key, const ServiceSpec& spec) {
  AdmissionRequest req;
  req.ns = key.ns;
  req.service = key.name;
  std::optional<int64_t> nsDefault;
  auto nsRec = store_.get("Namespace", "", key.ns);
  if (nsRec.ok() && !nsRec->deletedAt) {
    auto decoded = decodeStored("Namespace", "", key.ns, nsRec->labels, nsRec->spec);
    if (decoded.ok()) {
      const NamespaceSpec& n = decoded->namespaceSpec();
      req.quotaMemory = n.quotaMemory;
      req.quotaServices = n.quotaServices;
      nsDefault = n.defaultReservationMemory;
    }
  }
  if (spec.resources.memoryReservation) {
    req.bytes = *spec.resources.memoryReservation;
    req.source = "its memory reservation";
  } else if (spec.resources.memoryLimit) {
    req.bytes = *spec.resources.memoryLimit;
    req.source = "its memory limit; it sets no reservation";
  } else if (nsDefault) {
    req.bytes = *nsDefault;
    req.source = "namespace " + key.ns + "'s default reservation";
  } else {
    req.bytes = options_.admission->config().defaultReservationBytes;
    req.source = "the default reservation; it sets neither reservation nor limit";
  }
  return req;
}

void ServiceReconciler::admitReplicas(const Key& key, const ServiceSpec& spec, const DesiredService& desired,
                                      const std::vector<ObservedContainer>& observed, RuntimeState& runtime) {
  AdmissionLedger& ledger = *options_.admission;
  AdmissionRequest req = admissionRequest(key, spec);
  for (int r = 0; r < desired.replicas; ++r) {
    req.replica = r;
    const ObservedContainer* c = nullptr;
    for (const auto& o : observed) {
      if (o.replica != r) continue;
      if (!c || o.state == "running") c = &o;
    }
    if (c && c->state == "running") {
      ledger.hold(req);
      continue;
    }
    if (runtime.held.count(r) || (c && c->state == "exited" && !shouldRestart(desired.restartPolicy, *c))) {
      ledger.release(key.ns, key.name, r);  // waiting, given up, evicted or done: holds nothing
      continue;
    }
    AdmissionDecision d = ledger.admit(req);
    if (!d.admitted) {
      runtime.held[r] = d.message;
      runtime.heldReason[r] = d.reason;
    }
  }
  ledger.releaseService(key.ns, key.name, desired.replicas);
}

Status ServiceReconciler::primeAdmission() {
  if (!options_.admission) return Status::Ok();
  auto listed = engine_.listContainers(ownedFilters(options_.instance), /*all=*/false);
  if (!listed.ok()) return listed.status();
  std::map<std::string, std::optional<AdmissionRequest>> requests;  // by ns/service
  for (const auto& c : *listed) {
    if (c.state != "running") continue;
    auto ns = c.labels.find(kLabelNamespace);
    auto svc = c.labels.find(kLabelService);
    const int replica = observedFromSummary(c).replica;
    if (ns == c.labels.end() || svc == c.labels.end() || replica < 0) continue;
    const Key key{"Service", ns->second, svc->second};
    auto it = requests.find(key.str());
    if (it == requests.end()) {
      std::optional<AdmissionRequest> req;
      auto rec = store_.get("Service", key.ns, key.name);
      if (rec.ok() && !rec->deletedAt) {
        auto decoded = decodeStored("Service", key.ns, key.name, rec->labels, rec->spec);
        if (decoded.ok()) req = admissionRequest(key, decoded->service());
      }
      it = requests.emplace(key.str(), req).first;
    }
    if (!it->second) continue;
    AdmissionRequest req = *it->second;
    req.replica = replica;
    options_.admission->hold(req);
  }
  return Status::Ok();
}

void ServiceReconciler::enqueueDependents(const Key& key) {
  if (!options_.enqueue) return;
  auto services = store_.list("Service", key.ns);
  if (!services.ok()) return;
  for (const ResourceRecord& r : *services) {
    if (r.deletedAt || r.name == key.name) continue;
    auto deps = r.spec.find("dependsOn");
    if (deps == r.spec.end()) continue;
    bool mine = deps->is_object() && deps->contains(key.name);
    if (deps->is_array()) {
      for (const auto& d : *deps) mine |= d.is_string() && d.get<std::string>() == key.name;
    }
    if (mine) options_.enqueue(Key{"Service", key.ns, r.name});
  }
}

ReconcileResult ServiceReconciler::reconcile(const Key& key) {
  const MonoTime started = clock_.monotonic();
  ReconcileResult result = reconcileOnce(key);
  spdlog::debug("reconciled {} in {} ms{}", key.str(),
                std::chrono::duration_cast<Millis>(clock_.monotonic() - started).count(),
                result.status.ok() ? "" : ": " + result.status.ToString());
  return result;
}

ReconcileResult ServiceReconciler::reconcileOnce(const Key& key) {
  const WallTime now = clock_.now();
  auto record = store_.get("Service", key.ns, key.name);
  if (!record.ok() && !record.status().IsNotFound()) return ReconcileResult::Error(record.status());
  const bool exists = record.ok();
  const bool deleted = exists && record->deletedAt.has_value();

  Result<std::vector<ContainerSummary>> listed = std::vector<ContainerSummary>{};
  if (auto fromResync = options_.snapshot ? options_.snapshot->take(key.ns, key.name, std::chrono::steady_clock::now())
                                          : std::nullopt) {
    listed = std::move(*fromResync);
  } else {
    // A pass that lists for itself also retires the resync's entry: what it
    // does next would make that entry stale before its create events arrive.
    if (options_.snapshot) options_.snapshot->invalidate(key.ns, key.name);
    listed = engine_.listContainers(ownedFilters(options_.instance, key.ns, key.name), true);
  }
  if (!listed.ok()) return ReconcileResult::Error(listed.status().WithContext("list containers"));
  std::vector<ObservedContainer> observed;
  for (const auto& c : *listed) observed.push_back(observedFromSummary(c));

  if (!exists || deleted) {
    int64_t grace = kDefaultStopGraceMs;
    if (exists) {
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
    if (deleted) {
      Status s = store_.purge("Service", key.ns, key.name, record->uid);
      if (s.ok()) {
        Status f = store_.forgetService(key.ns, key.name);
        if (!f.ok()) spdlog::warn("{}: cannot forget its post-mortems: {}", key.str(), f.ToString());
      }
      if (!s.ok()) return ReconcileResult::Error(s);
      recordEvent(key, "Normal", "Deleted", "service deleted and its containers removed");
    }
    return ReconcileResult::Done();
  }

  auto decoded = decodeStored("Service", key.ns, key.name, record->labels, record->spec);
  auto writeStatus = [&](nlohmann::json st) {
    st["observedGeneration"] = record->generation;
    // Keep lastTransitionTime while a condition's status stays the same.
    const nlohmann::json& old = record->status;
    if (st.contains("conditions") && old.contains("conditions")) {
      for (auto& c : st["conditions"]) {
        for (const auto& o : old["conditions"]) {
          if (o.value("type", "") == c.value("type", "") &&
              o.value("status", "") == c.value("status", "")) {
            c["lastTransitionTime"] = o.value("lastTransitionTime", c.value("lastTransitionTime", ""));
          }
        }
      }
    }
    if (st != old) {
      Status s = store_.updateStatus("Service", key.ns, key.name, st);
      if (!s.ok()) spdlog::warn("{}: cannot write status: {}", key.str(), s.ToString());
      // Services that wait on this one look again.
      if (s.ok() && (st.value("phase", "") != old.value("phase", "") ||
                     st.value("readyReplicas", 0) != old.value("readyReplicas", 0) ||
                     st.value("runningReplicas", 0) != old.value("runningReplicas", 0) ||
                     st.value("restartCount", 0) != old.value("restartCount", 0))) {
        enqueueDependents(key);
      }
    }
  };
  auto failedStatus = [&](const std::string& reason, const std::string& message) {
    nlohmann::json st = {{"phase", "Failed"},
                         {"replicas", 0},
                         {"readyReplicas", 0},
                         {"message", message},
                         {"conditions",
                          {{{"type", "Ready"},
                            {"status", "False"},
                            {"reason", reason},
                            {"message", message},
                            {"lastTransitionTime", formatRfc3339(now)}}}}};
    if (record->status.contains("restartCount")) st["restartCount"] = record->status["restartCount"];
    writeStatus(st);
  };
  if (!decoded.ok()) {
    failedStatus("InvalidSpec", decoded.status().ToString());
    return ReconcileResult::Done();
  }

  Resolved resolved;
  Status rs = resolve(*record, *decoded, resolved);
  if (!rs.ok()) {
    if (rs.IsUnavailable() || rs.IsTimeout() || rs.code() == Status::Code::kInternal) {
      return ReconcileResult::Error(rs);
    }
    failedStatus(resolved.failureReason, rs.message());
    // A user fixes these (loads the image, declares the network): look again soon.
    return ReconcileResult::After(std::chrono::seconds(10));
  }
  const ServiceSpec& spec = resolved.resource.service();

  DesiredService desired;
  desired.replicas = spec.replicas.value_or(1);
  desired.specHash = resolved.service.specHash;
  desired.restartPolicy = spec.restartPolicy.value_or(RestartPolicy::kAlways);

  // Deaths: each exited replica container whose death is not on record is
  // inspected once and gets a post-mortem; the restartable ones of the
  // current spec get their crash backoff. The engine is asked outside the
  // lock, so one slow inspect never holds up the other workers.
  loadRuntime(key);

  // The engine announces a death before its list shows it: a container the
  // list still calls running but whose `die` was just heard is asked
  // directly, so its restart does not wait for the list to catch up.
  std::map<std::string, ContainerInfo> inspected;  // this pass's answers, reused below
  for (auto& c : observed) {
    if (c.state != "running") continue;
    bool died = false;
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = diedRecently_.find(c.id);
      if (it != diedRecently_.end()) {
        died = true;
        diedRecently_.erase(it);
      }
    }
    if (!died) continue;
    auto info = engine_.inspectContainer(c.id);
    if (!info.ok() || info->state.running) continue;
    inspected[c.id] = *info;
    c.state = info->state.status.empty() ? "exited" : info->state.status;
    c.exitCode = info->state.exitCode;
    for (auto& summary : *listed) {
      if (summary.id == c.id) {
        summary.state = c.state;
        summary.status = "Exited (" + std::to_string(info->state.exitCode) + ") Less than a second ago";
      }
    }
  }

  // Health: Docker's own for exec checks (in the list's status), the
  // prober's for HTTP and TCP ones.
  const HealthCheck* check = spec.healthcheck ? &*spec.healthcheck : nullptr;
  const bool probed = check && check->kind != HealthCheck::Kind::kExec && options_.prober;
  std::map<std::string, std::string> health;  // container id -> starting | healthy | unhealthy
  for (const auto& c : *listed) {
    if (!check || c.state != "running") continue;
    if (!probed) {
      health[c.id] = healthFromStatus(c.status);
      continue;
    }
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
    health[c.id] = ps ? ps->health : "starting";
  }
  if (probed) {
    std::set<std::string> running;
    for (const auto& [id, h] : health) running.insert(id);
    options_.prober->forgetExcept(key, running);
  }
  // Liveness, which Docker never does: an unhealthy replica is stopped, and
  // its death (reason Unhealthy) restarts it with the crash backoff.
  if (check && check->restartWhenUnhealthy) {
    for (auto& c : observed) {
      if (c.state != "running" || c.replica < 0 || c.specHash != desired.specHash) continue;
      auto h = health.find(c.id);
      if (h == health.end() || h->second != "unhealthy") continue;
      {
        std::lock_guard<std::mutex> l(mu_);
        unhealthyStops_.insert(c.id);
      }
      spdlog::info("{}: replica {} is unhealthy: restarting it", key.str(), c.replica);
      Status s = engine_.stopContainer(c.id, static_cast<int>((resolved.graceMs + 999) / 1000));
      if (!s.ok() && !s.IsNotModified()) {
        spdlog::warn("{}: cannot stop unhealthy replica {}: {}", key.str(), c.replica, s.ToString());
        std::lock_guard<std::mutex> l(mu_);
        unhealthyStops_.erase(c.id);
        continue;
      }
      if (probed) options_.prober->forget(c.id);
      health.erase(c.id);
      c.state = "exited";
      c.exitCode = 137;  // until the inspect below says
      for (auto& summary : *listed) {
        if (summary.id == c.id) {
          summary.state = "exited";
          summary.status = "Exited (137) Less than a second ago";
        }
      }
    }
  }

  // Evicted replicas: a running one is stopped now; its death is recorded
  // below (reason Evicted) and it stays down until readmitted.
  std::map<int, std::string> evictions;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = evicted_.find(key.str());
    if (it != evicted_.end()) evictions = it->second;
  }
  for (auto& c : observed) {
    if (c.state != "running" || !evictions.count(c.replica)) continue;
    {
      std::lock_guard<std::mutex> l(mu_);
      evictedStops_[c.id] = evictions[c.replica];
    }
    Status s = engine_.stopContainer(c.id, static_cast<int>((resolved.graceMs + 999) / 1000));
    if (!s.ok() && !s.IsNotModified()) {
      spdlog::warn("{}: cannot stop evicted replica {}: {}", key.str(), c.replica, s.ToString());
      continue;
    }
    if (probed) options_.prober->forget(c.id);
    health.erase(c.id);
    c.state = "exited";
    c.exitCode = 137;
    for (auto& summary : *listed) {
      if (summary.id == c.id) {
        summary.state = "exited";
        summary.status = "Exited (137) Less than a second ago";
      }
    }
  }

  RuntimeState runtime;
  for (const auto& [r, why] : evictions) {
    runtime.held[r] = "evicted: " + why;
    runtime.heldReason[r] = "Evicted";
  }
  std::vector<TerminationRecord> fresh;
  for (auto& c : observed) {
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
      auto known = inspected.find(c.id);
      Result<ContainerInfo> info = known != inspected.end() ? Result<ContainerInfo>(known->second)
                                                            : engine_.inspectContainer(c.id);
      if (!info.ok() || !parseRfc3339(info->state.finishedAt)) continue;
      c.exitCode = info->state.exitCode;
      death = recordDeath(key, c.replica, *info, spec);
      if (!death) continue;
      finishedText = info->state.finishedAt;
      std::lock_guard<std::mutex> l(mu_);
      recordedDeaths_[c.id] = finishedText;
    }
    const bool restartable = c.specHash == desired.specHash && shouldRestart(desired.restartPolicy, c);
    auto finished = parseRfc3339(finishedText);
    std::lock_guard<std::mutex> l(mu_);
    ReplicaRuntime& rr = runtime_[key.str()][c.replica];
    if (death && death->id > 0 && restartable) {
      countDeath(key, spec, desired.specHash, *death, rr);
      fresh.push_back(*death);
    } else if (death && death->id > 0) {
      fresh.push_back(*death);
    }
    if (!restartable || !finished) continue;
    if (rr.gaveUp) {
      runtime.held[c.replica] = rr.gaveUpMessage;
      runtime.heldReason[c.replica] = "RestartLimitReached";
      continue;
    }
    runtime.notBefore[c.replica] =
        rr.lastDeathFree ? *finished : *finished + Millis(backoffDelayMs(spec.backoff, rr.restarts));
  }
  for (const TerminationRecord& t : fresh) {
    recordEvent(key, t.reason == "Completed" ? "Normal" : "Warning", "Died", deathSummary(t));
  }

  // Dependencies: while one is not met, no replica is created or started
  // (a running one is left alone); a `restart: true` dependency that was
  // restarted, and meets its condition again, restarts this service.
  DependencyState deps = dependencies(key, spec, record->status);
  if (!deps.waitingFor.empty()) {
    for (int r = 0; r < desired.replicas; ++r) {
      if (runtime.held.emplace(r, "waiting for " + deps.waitingFor).second) {
        runtime.heldReason[r] = "WaitingForDependencies";
      }
    }
  }
  if (options_.admission) admitReplicas(key, spec, desired, observed, runtime);
  bool anyRunning = false;
  for (const auto& c : observed) anyRunning |= c.state == "running";
  if (!deps.restartedDeps.empty() && deps.waitingFor.empty() && anyRunning) {
    std::string which;
    for (const auto& d : deps.restartedDeps) which += (which.empty() ? "" : ", ") + d;
    recordEvent(key, "Normal", "DependencyRestarted", "restarting: its dependency " + which + " was restarted");
    std::lock_guard<std::mutex> l(mu_);
    restartRequests_[key.str()] = now;
  }

  // A requested restart: containers started before the request are
  // restarted one at a time (stopped ones just lose their backoff).
  std::optional<WallTime> restartAt;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = restartRequests_.find(key.str());
    if (it != restartRequests_.end()) restartAt = it->second;
  }
  if (restartAt) {
    Status rs = restartReplicas(key, spec, observed, *restartAt, resolved.graceMs, runtime);
    if (!rs.ok()) return ReconcileResult::Error(rs.WithContext("restart"));
    std::lock_guard<std::mutex> l(mu_);
    auto it = restartRequests_.find(key.str());
    if (it != restartRequests_.end() && it->second == *restartAt) restartRequests_.erase(it);
  }

  ServicePlan plan = planService(desired, observed, runtime, now);
  Status first;
  std::vector<ContainerSummary> after = *listed;
  bool relist = false;
  const bool execHealth = spec.healthcheck && spec.healthcheck->kind == HealthCheck::Kind::kExec;
  const std::string startedStatus = execHealth ? "Up (health: starting)" : "Up";
  for (const Action& a : plan.actions) {
    const MonoTime actionStart = clock_.monotonic();
    Status s;
    std::string newId;
    switch (a.type) {
      case Action::Type::kCreate:
        s = createAndStart(resolved.service, a.replica, nullptr, &newId);
        if (s.ok()) recordEvent(key, "Normal", "Created", "created replica " + std::to_string(a.replica));
        break;
      case Action::Type::kStart: {
        s = startContainer(a.containerId);
        if (s.IsNotFound() && s.message().find("network") != std::string::npos) {
          {
            std::lock_guard<std::mutex> l(cacheMu_);
            knownNetworks_.clear();
          }
          // Its network was removed behind tender's back: the container
          // cannot start again and is replaced (the next pass creates it).
          Status r = removeContainer(a.containerId, 0, /*removeVolumes=*/false);
          s = r.ok() ? Status::Unavailable("replaced a container whose network is gone: " + s.message()) : r;
          break;
        }
        if (s.ok()) {
          bool restart = false;
          for (const auto& c : observed) restart |= (c.id == a.containerId && c.state == "exited");
          {
            // Its next death is a new one.
            std::lock_guard<std::mutex> l(mu_);
            recordedDeaths_.erase(a.containerId);
          }
          if (restart) {
            std::lock_guard<std::mutex> l(mu_);
            ReplicaRuntime& rr = runtime_[key.str()][a.replica];
            if (!rr.lastDeathFree) ++rr.restarts;
            ++rr.totalRestarts;
            saveRuntimeLocked(key, a.replica, rr);
          }
          recordEvent(key, "Normal", restart ? "Restarted" : "Started",
                      (restart ? "restarted replica " : "started replica ") + std::to_string(a.replica));
        }
        break;
      }
      case Action::Type::kRecreate: {
        nlohmann::json oldMounts;
        auto info = engine_.inspectContainer(a.containerId);
        if (info.ok() && info->raw.contains("Mounts")) oldMounts = info->raw["Mounts"];
        // Keep the anonymous volumes for the replacement.
        s = removeContainer(a.containerId, resolved.graceMs, /*removeVolumes=*/false,
                            killedRecorder(key, a.replica, spec, "replaced: " + a.reason));
        if (s.ok()) s = createAndStart(resolved.service, a.replica, &oldMounts, &newId);
        if (s.ok()) {
          recordEvent(key, "Normal", "Recreated",
                      "recreated replica " + std::to_string(a.replica) + " (" + a.reason + ")");
        }
        break;
      }
      case Action::Type::kRemove:
        s = removeContainer(a.containerId, resolved.graceMs, /*removeVolumes=*/true,
                            killedRecorder(key, a.replica, spec, "removed: " + a.reason));
        if (s.ok()) {
          recordEvent(key, "Normal", "Removed",
                      "removed container " + a.containerId.substr(0, 12) + " (" + a.reason + ")");
        }
        break;
    }
    spdlog::debug("{}: {} replica {} ({}) took {} ms", key.str(), actionName(a.type), a.replica, a.reason,
                  std::chrono::duration_cast<Millis>(clock_.monotonic() - actionStart).count());
    // What the engine now holds, without listing again: a list call per
    // pass is what a large apply would otherwise add to the engine's load.
    if (s.ok()) {
      if (!a.containerId.empty() && a.type != Action::Type::kStart) {
        after.erase(std::remove_if(after.begin(), after.end(),
                                   [&](const ContainerSummary& c) { return c.id == a.containerId; }),
                    after.end());
      }
      if (a.type == Action::Type::kStart) {
        for (auto& c : after) {
          if (c.id == a.containerId) {
            c.state = "running";
            c.status = startedStatus;
          }
        }
      } else if (a.type == Action::Type::kCreate || a.type == Action::Type::kRecreate) {
        if (newId.empty()) {
          relist = true;  // adopted an existing container: its state is unknown here
        } else {
          ContainerSummary c;
          c.id = newId;
          c.name = containerName(key.ns, key.name, a.replica);
          c.state = "running";
          c.status = startedStatus;
          c.labels = {{kLabelReplica, std::to_string(a.replica)}, {kLabelSpecHash, desired.specHash}};
          after.push_back(c);
        }
      }
    } else {
      relist = true;
    }
    if (!s.ok()) {
      spdlog::warn("{}: {} replica {}: {}", key.str(), actionName(a.type), a.replica, s.ToString());
      recordEvent(key, "Warning", "Failed",
                  std::string(actionName(a.type)) + " replica " + std::to_string(a.replica) +
                      ": " + s.message());
      if (first.ok()) first = s;
    }
  }

  // Status from what the engine shows now.
  if (relist) {
    auto relisted = engine_.listContainers(ownedFilters(options_.instance, key.ns, key.name), true);
    if (relisted.ok()) after = *relisted;
  }
  ReplicaHistory history;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [r, rr] : runtime_[key.str()]) {
      history.restartCount += rr.totalRestarts;
      history.restarts[r] = rr.totalRestarts;
    }
  }
  auto deaths = store_.terminations(key.ns, key.name, -1, 2 * desired.replicas + 4);
  if (deaths.ok()) {
    for (const TerminationRecord& t : *deaths) {  // newest first
      if (!history.lastTermination.count(t.replica)) history.lastTermination[t.replica] = terminationJson(t);
    }
  }
  // A container started in this pass has no check result yet.
  std::map<std::string, std::string> probedHealth;
  if (probed) {
    for (const auto& c : after) {
      if (c.state != "running") continue;
      auto h = health.find(c.id);
      probedHealth[c.id] = h != health.end() ? h->second : "starting";
    }
  }
  ServiceStatus st = serviceStatus(key, desired, after, runtime, history, probedHealth, first, now);
  if (!spec.dependsOn.empty()) st.json["dependencies"] = deps.status;
  st.json["image"] = resolved.service.imageRef;
  st.json["imageId"] = resolved.service.imageId;
  // Memory warnings: a replica above 90% of its memory limit, before the
  // OOM killer acts (from the sampler's last look).
  if (options_.memory && spec.resources.memoryLimit && *spec.resources.memoryLimit > 0) {
    const int64_t limit = *spec.resources.memoryLimit;
    std::string pressure;
    for (auto& rs : st.json["replicaStatuses"]) {
      if (rs.value("state", "") != "running" || !rs.contains("containerId")) continue;
      auto sample = options_.memory->lastSampleOf(rs["containerId"].get<std::string>());
      if (!sample) continue;
      rs["memory"] = {{"usageBytes", sample->bytes}, {"limitBytes", limit}};
      if (static_cast<double>(sample->bytes) <= 0.9 * static_cast<double>(limit)) continue;
      rs["memoryPressure"] = true;
      if (pressure.empty()) {
        pressure = "replica " + std::to_string(rs.value("replica", 0)) + " uses " + formatBytes(sample->bytes) +
                   " of its " + formatBytes(limit) + " memory limit (" +
                   std::to_string(static_cast<int>(100.0 * static_cast<double>(sample->bytes) / static_cast<double>(limit))) +
                   "%): the kernel kills it at the limit";
      }
    }
    bool before = false;
    if (record->status.contains("conditions")) {
      for (const auto& c : record->status["conditions"]) {
        if (c.value("type", "") == "MemoryPressure") before = c.value("status", "") == "True";
      }
    }
    nlohmann::json cond = {{"type", "MemoryPressure"},
                           {"status", pressure.empty() ? "False" : "True"},
                           {"reason", pressure.empty() ? "WithinLimit" : "NearMemoryLimit"},
                           {"message", pressure.empty() ? "every replica uses less than 90% of its memory limit" : pressure},
                           {"lastTransitionTime", formatRfc3339(now)}};
    st.json["conditions"].push_back(cond);
    if (!pressure.empty() && !before) recordEvent(key, "Warning", "MemoryPressure", pressure);
  }
  {
    // A hold that is new since the last status gets a warning event.
    auto reasonOf = [](const nlohmann::json& status) {
      if (!status.contains("conditions") || !status["conditions"].is_array()) return std::string();
      for (const auto& c : status["conditions"]) {
        if (c.value("type", "") == "Ready") return c.value("reason", std::string());
      }
      return std::string();
    };
    const std::string now_ = reasonOf(st.json), before = reasonOf(record->status);
    if (now_ != before && (now_ == "InsufficientMemory" || now_ == "QuotaExceeded")) {
      recordEvent(key, "Warning", now_, st.json["conditions"][0].value("message", ""));
    }
  }
  writeStatus(st.json);
  const std::string& worst = st.phase;

  if (!first.ok()) return ReconcileResult::Error(first);
  if (plan.wakeAt) {
    return ReconcileResult::After(
        std::max(Millis(1), std::chrono::duration_cast<Millis>(*plan.wakeAt - now)));
  }
  if (worst == "Pending" || worst == "Starting") return ReconcileResult::After(options_.pollWhileStarting);
  // The host's free memory changes without telling: look again now and then
  // (a reservation given back wakes the service at once).
  if (worst == "Blocked") return ReconcileResult::After(std::chrono::seconds(10));
  return ReconcileResult::Done();
}

}  // namespace tender

// ServiceReconciler (service_reconciler.h), all but the pass itself
// (service_pass.cc): engine events, requests and evictions, post-mortems and
// their logs, resolving a spec, creating and removing containers, the dry run.

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
#include "policy/security_policy.h"
#include "reconcilers/build_context.h"
#include "reconcilers/file_mounts.h"
#include "reconcilers/engine_objects.h"
#include "reconcilers/events.h"
#include "engine/labels.h"
#include "reconcilers/service_decisions.h"
#include "reconcilers/service_status.h"
#include "reconcilers/spec_hash.h"

namespace tender {

namespace {

// Docker names an anonymous volume with 64 hex digits; tender's own volumes
// are "{namespace}_{name}", which never looks like that.
bool isAnonymousVolumeName(const std::string& name) {
  return name.size() == 64 &&
         name.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// What a plan says the image is built from: the upload's short digest.
std::string buildSource(const ServiceSpec& spec) {
  return spec.build->contextDigest.empty() ? spec.build->context
                                           : spec.build->contextDigest.substr(0, 19);
}

}  // namespace


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
  // Kept in the store: the death that follows may be counted by the next
  // run of tender.
  auto ns = event.attributes.find(kLabelNamespace);
  auto svc = event.attributes.find(kLabelService);
  Status s = store_.mergeContainerFacts(event.id, ns != event.attributes.end() ? ns->second : "",
                                        svc != event.attributes.end() ? svc->second : "", oomFact(clock_.now()));
  if (!s.ok()) spdlog::warn("cannot record the oom of {}: {}", event.id.substr(0, 12), s.ToString());
}

void ServiceReconciler::noteStop(const Key& key, const std::string& containerId, const std::string& by,
                                 const std::string& why) {
  Status s = store_.mergeContainerFacts(containerId, key.ns, key.name, stopFact(by, why));
  if (!s.ok()) spdlog::warn("{}: cannot record why {} is stopped: {}", key.str(), containerId.substr(0, 12), s.ToString());
}

void ServiceReconciler::takeBackStop(const Key& key, const std::string& containerId) {
  Status s = store_.mergeContainerFacts(containerId, key.ns, key.name, noStopFact());
  if (!s.ok()) spdlog::warn("{}: cannot record that {} runs on: {}", key.str(), containerId.substr(0, 12), s.ToString());
}

std::function<void(const ContainerInfo&)> ServiceReconciler::deathRecorder(const Key& key, int replica,
                                                                          const ServiceSpec& spec) {
  return [this, key, replica, spec](const ContainerInfo& info) {
    auto t = recordDeath(key, replica, info, spec);
    if (t && t->id > 0) recordEvent(key, "Normal", "Died", deathSummary(*t));
  };
}

void ServiceReconciler::evict(const Key& key, int replica, const std::string& why) {
  ServiceRequest q{kEvictRequest, key.ns, key.name, replica, clock_.nowMillis(), why};
  auto stored = store_.putRequest(q, /*replace=*/false);
  if (!stored.ok()) {
    spdlog::warn("{}: cannot record the eviction of replica {}: {}", key.str(), replica, stored.status().ToString());
    return;
  }
  if (!*stored) return;  // evicted already
  recordEvent(key, "Warning", "Evicted", "evicting replica " + std::to_string(replica) + ": " + why);
}

std::vector<Key> ServiceReconciler::readmitEvicted() {
  auto evictions = store_.requests(kEvictRequest);
  if (!evictions.ok()) {
    spdlog::warn("cannot read the evicted replicas: {}", evictions.status().ToString());
    return {};
  }
  Status s = store_.removeRequests(*evictions);
  if (!s.ok()) {
    spdlog::warn("cannot readmit the evicted replicas: {}", s.ToString());
    return {};
  }
  std::vector<Key> out;
  for (const ServiceRequest& q : *evictions) {
    Key k{"Service", q.namespace_, q.service};
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  }
  return out;
}

std::map<int, std::string> ServiceReconciler::evictions(const Key& key) const {
  std::map<int, std::string> out;
  auto stored = store_.requests(kEvictRequest, key.ns, key.name);
  if (!stored.ok()) {
    spdlog::warn("{}: cannot read its evicted replicas: {}", key.str(), stored.status().ToString());
    return out;
  }
  for (const ServiceRequest& q : *stored) out[q.replica] = q.reason;
  return out;
}

bool ServiceReconciler::evicted(const Key& key, int replica) const { return evictions(key).count(replica) > 0; }

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
  auto recorded = store_.containerFacts(info.id);
  if (recorded.ok()) {
    addRecordedFacts(*recorded, started, f);
  } else {
    spdlog::warn("{}: cannot read what is known of {}'s run: {}", key.str(), info.name, recorded.status().ToString());
  }
  {
    std::lock_guard<std::mutex> l(mu_);
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
  // The next run of the container starts with no facts.
  Status forgot = store_.forgetContainerFacts(info.id);
  if (!forgot.ok()) spdlog::warn("{}: cannot forget the facts of {}'s run: {}", key.str(), info.name, forgot.ToString());
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
  // One that was there already may be someone else's.
  Status usable = mayUse(store_, "Network", ns, resourceName, engineName, n->labels,
                         options_.instance);
  if (!usable.ok()) return usable;
  std::lock_guard<std::mutex> l(cacheMu_);
  knownNetworks_[engineName] = true;
  return Status::Ok();
}

Status ServiceReconciler::ensureVolume(const std::string& engineName, const std::string& ns,
                                       const std::string& resourceName) {
  auto v = engine_.inspectVolume(engineName);
  // One that is there already may be someone else's, data and all.
  if (v.ok()) return mayUse(store_, "Volume", ns, resourceName, engineName, v->labels, options_.instance);
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
                              "\" is not on the engine (tender does not pull images: `docker pull " +
                              ref + "`, build or load it first)");
    }
    return image.status();
  }
  out.imageRef = ref;
  out.imageId = image->id;

  return Status::Ok();
}

Status ServiceReconciler::checkHostPathsNow(const std::string& ns, const ServiceSpec& spec) {
  auto binds = std::any_of(spec.volumes.begin(), spec.volumes.end(),
                           [](const VolumeMount& m) { return m.type == "bind"; });
  if (!binds) return Status::Ok();
  auto record = store_.get("Namespace", "", ns);
  if (!record.ok()) return record.status().IsNotFound() ? Status::Ok() : record.status();
  auto decoded = decodeStored("Namespace", "", ns, record->labels, record->spec);
  if (!decoded.ok()) return Status::Ok();
  const SecuritySpec& security = decoded->namespaceSpec().security;
  if (!security.level || *security.level == SecurityLevel::kPrivileged) return Status::Ok();
  PolicyScope scope;
  scope.namespace_ = ns;
  scope.level = *security.level;
  scope.security = security;
  for (size_t i = 0; i < spec.volumes.size(); ++i) {
    const VolumeMount& m = spec.volumes[i];
    if (m.type != "bind") continue;
    if (auto refusal = hostPathRefusal(m.source, m.readOnly, scope, hostPathResolver())) {
      return Status::Forbidden("spec.volumes[" + std::to_string(i) + "]." + refusal->field + ": " +
                               refusal->message + " (namespace " + ns + " is at level " +
                               securityLevelName(scope.level) + ")");
    }
  }
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

  // A bind's host path was checked when the spec was admitted; a symlink
  // swapped in since must not carry the container elsewhere.
  Status paths = checkHostPathsNow(ns, spec);
  if (!paths.ok()) {
    out.failureReason = "HostPathNotAllowed";
    return paths;
  }

  if (spec.build) {
    if (!options_.buildContexts) {
      out.failureReason = "BuildContextMissing";
      return Status::Unavailable("this server keeps no uploaded build contexts");
    }
    auto built = ensureBuiltImage(engine_, *options_.buildContexts, options_.instance, ns,
                                  record.name, spec);
    if (!built.ok()) {
      out.failureReason = built.status().IsNotFound() ? "BuildContextMissing" : "BuildFailed";
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

  if (Status files = checkFileMounts(options_.files, ns, spec); !files.ok()) {
    out.failureReason = "SecretMissing";
    return files;
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
      if (s.IsConflict()) out.failureReason = "NetworkNotOwned";
      if (!s.ok()) return s;
      out.service.networks.push_back(scopedName(ns, n));
    } else if (n == kDefaultNetwork) {
      Status s = ensureNetwork(scopedName(ns, n), ns, n);
      if (s.IsConflict()) out.failureReason = "NetworkNotOwned";
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
    if (s.IsConflict()) out.failureReason = "VolumeNotOwned";
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
  if (!svc.spec.secrets.empty() || !svc.spec.configs.empty()) {
    auto tar = fileMountsTar(options_.files, svc.ns, svc.spec);
    Status copied = tar.ok() ? engine_.copyToContainer(id, "/", *tar) : tar.status();
    if (!copied.ok()) {
      // A container without its secrets must not be started by a later pass.
      engine_.removeContainer(id, /*force=*/true, /*removeVolumes=*/true);
      return copied.WithContext("copy the secrets and configs into " + name);
    }
  }
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
  // A run that ended in a forced removal has no death to record.
  Status forgot = store_.forgetContainerFacts(id);
  if (!forgot.ok()) spdlog::warn("forget the facts of {}: {}", id.substr(0, 12), forgot.ToString());
  for (const std::string& v : anonymous) {
    Status r = engine_.removeVolume(v, false);
    if (!r.ok() && !r.IsNotFound()) spdlog::warn("remove anonymous volume {}: {}", v.substr(0, 12), r.ToString());
  }
  return Status::Ok();
}

Status ServiceReconciler::requestRestart(const Key& key) {
  ServiceRequest q{kRestartRequest, key.ns, key.name, -1, clock_.nowMillis(), ""};
  auto stored = store_.putRequest(q, /*replace=*/true);
  return stored.ok() ? Status::Ok() : stored.status();
}

std::optional<ServiceRequest> ServiceReconciler::restartRequest(const Key& key) const {
  auto stored = store_.requests(kRestartRequest, key.ns, key.name);
  if (!stored.ok()) {
    spdlog::warn("{}: cannot read its restart request: {}", key.str(), stored.status().ToString());
    return std::nullopt;
  }
  if (stored->empty()) return std::nullopt;
  return stored->back();
}

Status ServiceReconciler::restartReplicas(const Key& key, const ServiceSpec& spec,
                                          std::vector<ObservedContainer>& observed, WallTime requestedAt,
                                          int64_t graceMs, RuntimeState& runtime) {
  for (ObservedContainer& c : observed) {
    if (c.replica < 0) continue;
    auto info = engine_.inspectContainer(c.id);
    if (info.status().IsNotFound()) continue;
    if (!info.ok()) return info.status();
    const RestartStep step = restartStep(c.state, parseRfc3339(info->state.startedAt), requestedAt);
    if (step == RestartStep::kRestart) {
      noteStop(key, c.id, kStopKilled, "restart requested");
      Status s = engine_.stopContainer(c.id, static_cast<int>((graceMs + 999) / 1000));
      if (!s.ok() && !s.IsNotModified()) {
        takeBackStop(key, c.id);
        return s;
      }
      // The run tender ended gets its post-mortem too.
      auto stopped = engine_.inspectContainer(c.id);
      if (stopped.ok()) recordDeath(key, c.replica, *stopped, spec);
      s = engine_.startContainer(c.id);
      if (!s.ok() && !s.IsNotModified()) return s;
      recordEvent(key, "Normal", "Restarted", "restarted replica " + std::to_string(c.replica) + " (requested)");
    } else if (step == RestartStep::kClearBackoff) {
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

// What a pass would do, in its order: the stops it makes before planning
// (unhealthy and evicted replicas), a requested restart of the running
// replicas (a stop, then a start), then the plan, with the evicted held.
std::vector<Action> ServiceReconciler::dryRunSteps(const Key& key, const ServiceSpec& spec,
                                                   const DesiredService& desired,
                                                   std::vector<ObservedContainer>& observed) {
  const HealthCheck* check = spec.healthcheck ? &*spec.healthcheck : nullptr;
  if (check && check->kind != HealthCheck::Kind::kExec && options_.prober) {
    for (auto& c : observed) {
      auto ps = c.state == "running" ? options_.prober->state(c.id) : std::nullopt;
      if (ps) c.health = ps->health;
    }
  }
  const std::map<int, std::string> evicted = evictions(key);
  const bool restartRequested = restartRequest(key).has_value();
  std::vector<Action> steps = stopActions(observed, desired.specHash, check && check->restartWhenUnhealthy, evicted);
  std::set<std::string> stopped;
  for (const Action& a : steps) stopped.insert(a.containerId);
  for (auto& c : observed) {
    if (!stopped.count(c.id)) continue;
    c.state = "exited";  // as the pass sees it after its stops
    c.exitCode = 137;
  }
  if (restartRequested) {
    for (const auto& c : observed) {
      // The list has no start time: every running replica counts as
      // started before the request.
      if (c.replica < 0 || restartStep(c.state, std::nullopt, clock_.now()) != RestartStep::kRestart) continue;
      steps.push_back(Action{Action::Type::kStop, c.replica, c.id, "restart requested"});
      steps.push_back(Action{Action::Type::kStart, c.replica, c.id, "restart requested"});
    }
  }
  RuntimeState runtime;
  holdEvicted(runtime, evicted);
  ServicePlan plan = planService(desired, observed, runtime, clock_.now());
  steps.insert(steps.end(), plan.actions.begin(), plan.actions.end());
  return steps;
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
      warnings.push_back("the image is built from the uploaded context " + buildSource(spec) +
                         " when applied; the plan assumes the image does not change");
    } else {
      warnings.push_back("the image will be built from the uploaded context " +
                         buildSource(spec));
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
  const Key key{"Service", ns, name};
  const std::vector<Action> steps = dryRunSteps(key, spec, desired, observed);
  nlohmann::json actions = nlohmann::json::array();
  for (const Action& a : steps) {
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

ReconcileResult ServiceReconciler::reconcile(const Key& key) {
  const MonoTime started = clock_.monotonic();
  ReconcileResult result = reconcileOnce(key);
  spdlog::debug("reconciled {} in {} ms{}", key.str(),
                std::chrono::duration_cast<Millis>(clock_.monotonic() - started).count(),
                result.status.ok() ? "" : ": " + result.status.ToString());
  return result;
}

}  // namespace tender

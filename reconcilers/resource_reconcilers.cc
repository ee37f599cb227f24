// The reconcilers of networks, volumes and namespaces, and the periodic resync
// (resource_reconcilers.h).

#include "reconcilers/resource_reconcilers.h"

#include <spdlog/spdlog.h>

#include <set>

#include "base/time_format.h"
#include "manifests/manifest.h"
#include "reconcilers/engine_objects.h"
#include "reconcilers/events.h"
#include "engine/labels.h"

namespace tender {

namespace {

void writeStatusIfChanged(Store& store, const ResourceRecord& rec, nlohmann::json st) {
  st["observedGeneration"] = rec.generation;
  if (st != rec.status) {
    Status s = store.updateStatus(rec.kind, rec.namespace_, rec.name, st);
    if (!s.ok()) spdlog::warn("{}/{}/{}: cannot write status: {}", rec.kind, rec.namespace_, rec.name, s.ToString());
  }
}

}  // namespace

ReconcileResult NetworkReconciler::reconcile(const Key& key) {
  auto rec = store_.get("Network", key.ns, key.name);
  if (!rec.ok() && !rec.status().IsNotFound()) return ReconcileResult::Error(rec.status());
  const std::string engineName = scopedName(key.ns, key.name);

  if (rec.ok() && !rec->deletedAt) {
    auto decoded = decodeStored("Network", key.ns, key.name, rec->labels, rec->spec);
    if (!decoded.ok()) return ReconcileResult::Error(decoded.status());
    const NetworkSpec& spec = decoded->network();
    if (spec.external) {
      auto n = engine_.inspectNetwork(key.name);
      if (!n.ok() && !n.status().IsNotFound()) return ReconcileResult::Error(n.status());
      writeStatusIfChanged(store_, *rec,
                           n.ok() ? nlohmann::json{{"phase", "Ready"}, {"engineName", key.name}, {"id", n->id}}
                                  : nlohmann::json{{"phase", "Failed"},
                                                   {"engineName", key.name},
                                                   {"message", "external network \"" + key.name +
                                                                   "\" does not exist on the engine"}});
      return n.ok() ? ReconcileResult::Done() : ReconcileResult::After(std::chrono::seconds(10));
    }
    auto existing = findNetwork(engine_, engineName, instance_);
    std::optional<Adoption> adopted;
    if (existing.ok()) {
      Status usable = mayUse(store_, "Network", key.ns, key.name, engineName, existing->labels,
                             instance_, &adopted);
      if (!usable.ok() && !usable.IsConflict()) return ReconcileResult::Error(usable);
      if (!usable.ok()) {
        writeStatusIfChanged(store_, *rec,
                             {{"phase", "Failed"}, {"engineName", engineName}, {"message", usable.message()}});
        return ReconcileResult::After(std::chrono::seconds(30));
      }
    }
    if (adopted) {
      writeStatusIfChanged(store_, *rec,
                           {{"phase", "Ready"},
                            {"engineName", engineName},
                            {"id", existing->id},
                            {"adoptedFrom", "docker compose project " + adopted->project}});
      return ReconcileResult::Done();
    }
    if (!existing.ok() && !existing.status().IsNotFound()) return ReconcileResult::Error(existing.status());
    Labels labels = ownerLabels(instance_, key.ns);
    labels[kLabelResource] = key.name;
    for (const auto& [k, v] : spec.labels) labels.emplace(k, v);
    nlohmann::json body = {{"Driver", spec.driver.empty() ? "bridge" : spec.driver},
                           {"Internal", spec.internal},
                           {"CheckDuplicate", true},
                           {"Labels", labels}};
    auto n = ensureNetwork(engine_, engineName, body, instance_);
    if (!n.ok()) return ReconcileResult::Error(n.status());
    if (!existing.ok()) recordEvent(store_, clock_, key, "Normal", "Created", "created network " + engineName);
    std::string id = n->id;
    writeStatusIfChanged(store_, *rec, {{"phase", "Ready"}, {"engineName", engineName}, {"id", id}});
    return ReconcileResult::Done();
  }

  // Deleted, or not desired at all: remove our network if there is one.
  auto found = findNetwork(engine_, engineName, instance_);
  Result<NetworkInfo> n = found.ok() ? engine_.inspectNetwork(found->id) : found;
  if (!n.ok() && !n.status().IsNotFound()) return ReconcileResult::Error(n.status());
  if (n.ok() && ownedBy(n->labels, instance_)) {
    bool implicitDefault = !rec.ok() && key.name == kDefaultNetwork;
    if (implicitDefault) {
      // The namespace's default network stays while any service of the
      // namespace is desired or any of its containers exists (a stopped
      // container is not attached, yet needs the network to start again).
      if (!n->containerIds.empty()) return ReconcileResult::Done();
      auto services = store_.list("Service", key.ns);
      if (!services.ok()) return ReconcileResult::Error(services.status());
      if (!services->empty()) return ReconcileResult::Done();
      auto containers = engine_.listContainers(ownedFilters(instance_, key.ns), true);
      if (!containers.ok()) return ReconcileResult::Error(containers.status());
      if (!containers->empty()) return ReconcileResult::Done();
    }
    Status s = engine_.removeNetwork(n->id);
    if (!s.ok() && !s.IsNotFound()) {
      if (implicitDefault) return ReconcileResult::Done();  // raced a new container: keep it
      return ReconcileResult::Error(s.WithContext("remove network " + engineName));
    }
    recordEvent(store_, clock_, key, "Normal", "Removed", "removed network " + engineName);
  }
  if (rec.ok()) {
    Status s = store_.purge("Network", key.ns, key.name, rec->uid);
    if (!s.ok()) return ReconcileResult::Error(s);
  }
  return ReconcileResult::Done();
}

ReconcileResult VolumeReconciler::reconcile(const Key& key) {
  auto rec = store_.get("Volume", key.ns, key.name);
  if (!rec.ok() && !rec.status().IsNotFound()) return ReconcileResult::Error(rec.status());
  if (!rec.ok()) return ReconcileResult::Done();  // not ours to decide: data is kept
  const std::string engineName = scopedName(key.ns, key.name);
  auto decoded = decodeStored("Volume", key.ns, key.name, rec->labels, rec->spec);
  if (!decoded.ok()) return ReconcileResult::Error(decoded.status());
  const VolumeSpec& spec = decoded->volume();

  if (rec->deletedAt) {
    if (!spec.external) {
      auto v = engine_.inspectVolume(engineName);
      if (!v.ok() && !v.status().IsNotFound()) return ReconcileResult::Error(v.status());
      std::optional<Adoption> adopted;
      if (v.ok() && mayUse(store_, "Volume", key.ns, key.name, engineName, v->labels, instance_,
                           &adopted).ok()) {
        if (rec->purgeData) {
          Status s = engine_.removeVolume(engineName, false);
          if (!s.ok() && !s.IsNotFound()) return ReconcileResult::Error(s.WithContext("remove volume " + engineName));
          recordEvent(store_, clock_, key, "Normal", "Removed", "removed volume " + engineName);
        } else {
          // An adopted volume is docker compose's again: no prune removes it.
          recordEvent(store_, clock_, key, "Normal", "Kept",
                      "kept volume " + engineName + " and its data (" +
                          (adopted ? "it was docker compose's: only a deletion with --purge removes it"
                                   : "delete the namespace with purge, or run tender prune --volumes, to remove it") +
                          ")");
        }
      }
    }
    Status s = store_.purge("Volume", key.ns, key.name, rec->uid);
    return s.ok() ? ReconcileResult::Done() : ReconcileResult::Error(s);
  }

  const std::string name = spec.external ? key.name : engineName;
  auto v = engine_.inspectVolume(name);
  if (v.ok()) {
    std::optional<Adoption> adopted;
    Status usable = spec.external ? Status::Ok()
                                  : mayUse(store_, "Volume", key.ns, key.name, name, v->labels,
                                           instance_, &adopted);
    if (!usable.ok() && !usable.IsConflict()) return ReconcileResult::Error(usable);
    if (!usable.ok()) {
      writeStatusIfChanged(store_, *rec,
                           {{"phase", "Failed"}, {"engineName", name}, {"message", usable.message()}});
      return ReconcileResult::After(std::chrono::seconds(30));
    }
    nlohmann::json st = {{"phase", "Ready"}, {"engineName", name}};
    if (adopted) {
      st["adoptedFrom"] = "docker compose project " + adopted->project;
      if (!rec->status.contains("adoptedFrom")) {
        recordEvent(store_, clock_, key, "Normal", "Adopted",
                    "took over docker compose's volume " + name + " with its data (adopted by " +
                        adopted->by + ")");
      }
    }
    writeStatusIfChanged(store_, *rec, st);
    return ReconcileResult::Done();
  }
  if (!v.status().IsNotFound()) return ReconcileResult::Error(v.status());
  if (spec.external) {
    writeStatusIfChanged(store_, *rec,
                         {{"phase", "Failed"},
                          {"engineName", name},
                          {"message", "external volume \"" + name + "\" does not exist on the engine"}});
    return ReconcileResult::After(std::chrono::seconds(10));
  }
  Labels labels = ownerLabels(instance_, key.ns);
  labels[kLabelResource] = key.name;
  for (const auto& [k, val] : spec.labels) labels.emplace(k, val);
  auto created = engine_.createVolume(engineName, spec.driver.empty() ? "local" : spec.driver, labels,
                                      spec.driverOpts);
  if (!created.ok()) return ReconcileResult::Error(created.status());
  recordEvent(store_, clock_, key, "Normal", "Created", "created volume " + engineName);
  writeStatusIfChanged(store_, *rec, {{"phase", "Ready"}, {"engineName", engineName}});
  return ReconcileResult::Done();
}

ReconcileResult NamespaceReconciler::reconcile(const Key& key) {
  auto rec = store_.get("Namespace", "", key.name);
  if (!rec.ok()) {
    return rec.status().IsNotFound() ? ReconcileResult::Done() : ReconcileResult::Error(rec.status());
  }
  int remaining = 0;
  for (const char* kind : {"Service", "Network", "Volume"}) {
    auto items = store_.list(kind, key.name);
    if (!items.ok()) return ReconcileResult::Error(items.status());
    for (const auto& r : *items) {
      ++remaining;
      if (rec->deletedAt && (!r.deletedAt || (rec->purgeData && !r.purgeData))) {
        Status s = store_.markDeleted(kind, key.name, r.name, rec->purgeData);
        if (!s.ok()) return ReconcileResult::Error(s);
      }
      if (rec->deletedAt) enqueue_(Key{kind, key.name, r.name});
    }
  }
  if (!rec->deletedAt) {
    // A namespace with a ttl or expiresAt goes, with everything in it, when
    // it expires (CI runs leave nothing behind).
    std::optional<WallTime> expires;
    auto decoded = decodeStored("Namespace", "", key.name, rec->labels, rec->spec);
    if (decoded.ok()) {
      const NamespaceSpec& n = decoded->namespaceSpec();
      if (n.ttlMs) expires = WallTime(std::chrono::milliseconds(rec->createdAt + *n.ttlMs));
      if (n.expiresAt) {
        auto at = parseRfc3339(*n.expiresAt);
        if (at && (!expires || *at < *expires)) expires = *at;
      }
    }
    if (!expires) {
      writeStatusIfChanged(store_, *rec, {{"phase", "Active"}});
      return ReconcileResult::Done();
    }
    const WallTime now = clock_.now();
    if (now < *expires) {
      writeStatusIfChanged(store_, *rec, {{"phase", "Active"}, {"expiresAt", formatRfc3339(*expires)}});
      return ReconcileResult::After(
          std::max(Millis(1), std::chrono::duration_cast<Millis>(*expires - now) + Millis(1)));
    }
    Status s = store_.markDeleted("Namespace", "", key.name, /*purgeData=*/true);
    if (!s.ok()) return ReconcileResult::Error(s);
    recordEvent(store_, clock_, key, "Normal", "Expired",
                "namespace expired at " + formatRfc3339(*expires) + ": deleting it with its volumes");
    enqueue_(key);
    return ReconcileResult::Done();
  }
  if (remaining > 0) {
    writeStatusIfChanged(store_, *rec,
                         {{"phase", "Terminating"},
                          {"message", std::to_string(remaining) + " resources still being removed"}});
    return ReconcileResult::After(std::chrono::seconds(1));
  }
  if (rec->purgeData && engine_) {
    int left = 0;
    Status v = removeVolumes(key.name, &left);
    if (!v.ok()) return ReconcileResult::Error(v);
    if (left > 0) {
      writeStatusIfChanged(store_, *rec,
                           {{"phase", "Terminating"},
                            {"message", std::to_string(left) + " volumes still in use by containers"}});
      return ReconcileResult::After(std::chrono::seconds(2));
    }
  }
  // The implicit default network goes with the namespace.
  enqueue_(Key{"Network", key.name, kDefaultNetwork});
  Status s = store_.purge("Namespace", "", key.name, rec->uid);
  if (!s.ok()) return ReconcileResult::Error(s);
  recordEvent(store_, clock_, key, "Normal", "Deleted", "namespace deleted");
  return ReconcileResult::Done();
}

Status NamespaceReconciler::removeVolumes(const std::string& ns, int* left) {
  auto volumes = engine_->listVolumes(ownedFilters(instance_, ns));
  if (!volumes.ok()) return volumes.status();
  for (const VolumeInfo& v : *volumes) {
    if (!ownedBy(v.labels, instance_)) continue;
    Status s = engine_->removeVolume(v.name, false);
    if (s.IsNotFound()) continue;
    if (s.IsConflict()) {  // a container still uses it: it goes once that one does
      ++*left;
      continue;
    }
    if (!s.ok()) return s.WithContext("remove volume " + v.name);
    auto res = v.labels.find(kLabelResource);
    recordEvent(store_, clock_, Key{"Volume", ns, res != v.labels.end() ? res->second : v.name}, "Normal",
                "Removed", "removed volume " + v.name + ": namespace " + ns + " was deleted with purge");
  }
  return Status::Ok();
}

ReconcileResult ResyncReconciler::reconcile(const Key&) {
  std::set<Key> keys;
  for (const char* kind : {"Namespace", "Network", "Volume", "Service"}) {
    auto items = store_.list(kind, std::nullopt);
    if (!items.ok()) return ReconcileResult::Error(items.status());
    for (const auto& r : *items) keys.insert(Key{kind, r.namespace_, r.name});
  }
  const auto listedAt = std::chrono::steady_clock::now();
  auto containers = engine_.listContainers(ownedFilters(instance_), true);
  if (!containers.ok()) return ReconcileResult::Error(containers.status());
  if (snapshot_) snapshot_->fill(*containers, listedAt);
  for (const auto& c : *containers) {
    auto ns = c.labels.find(kLabelNamespace);
    auto svc = c.labels.find(kLabelService);
    if (ns != c.labels.end() && svc != c.labels.end()) keys.insert(Key{"Service", ns->second, svc->second});
  }
  auto networks = engine_.listNetworks(ownedFilters(instance_));
  if (!networks.ok()) return ReconcileResult::Error(networks.status());
  for (const auto& n : *networks) {
    auto ns = n.labels.find(kLabelNamespace);
    auto res = n.labels.find(kLabelResource);
    if (ns != n.labels.end() && res != n.labels.end()) keys.insert(Key{"Network", ns->second, res->second});
  }
  // Networks before services so a service's networks exist when it starts.
  for (const auto& k : keys) enqueue_(k);
  return ReconcileResult::Done();
}

}  // namespace tender

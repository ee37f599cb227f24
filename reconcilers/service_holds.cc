// What holds a service's replicas back besides their backoff: the services
// it depends on (dependsOn, with their conditions) and the host's memory
// (admission), and telling dependents when this service changes.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "engine/labels.h"
#include "manifests/manifest.h"
#include "manifests/manifest_syntax.h"
#include "reconcilers/events.h"
#include "reconcilers/service_reconciler.h"
#include "reconcilers/service_status.h"

namespace tender {

ServiceReconciler::DependencyState ServiceReconciler::dependencies(const Key& key, const ServiceSpec& spec,
                                                                    const ServiceStatus& old) {
  DependencyState out;
  std::vector<std::string> waits;
  for (const auto& [dep, d] : spec.dependsOn) {
    const char* condition = dependencyConditionName(d.condition);
    DependencyStatus entry;
    entry.condition = condition;
    auto rec = store_.get("Service", key.ns, dep);
    if (!rec.ok() || rec->deletedAt) {
      if (d.required) {
        waits.push_back(dep + " (which does not exist) to be " + condition);
        entry.message = "service \"" + dep + "\" does not exist";
        out.status[dep] = entry;
      }
      continue;
    }
    // Both the dependency's stored status and what the engine shows now must
    // agree: the status lags a death until the dependency's own pass, and
    // after a restart of tender it still tells of the containers before.
    const ServiceStatus st = storedStatus(Key{"Service", key.ns, dep}, rec->status);
    const std::string phase = st.phase.value_or("Pending");
    const Condition* readyCondition = findCondition(st.conditions, "Ready");
    const bool ready = readyCondition && readyCondition->status == "True";
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
        const ObservedContainer o = observedFromSummary(c);
        if (c.state == "exited" && o.exitCode.value_or(1) == 0) ++exitedOk;
        if (c.state != "running" || died) continue;
        ++running;
        std::string health;
        if (depCheck && depCheck->kind == HealthCheck::Kind::kExec) {
          health = o.health;
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
    entry.met = met;
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
    if (old.dependencies) {
      auto before = old.dependencies->find(dep);
      if (before != old.dependencies->end()) seen = before->second.startMark.value_or(0);
    }
    // Only a met condition moves the mark on: a restart is acted on once the
    // dependency is ready again.
    entry.startMark = met ? mark : seen;
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

}  // namespace tender

// The JSON codec of a Service's status (manifests/service_status.h) and
// setCondition. Reading goes through the manifest decoder's Decoder and
// Fields (manifest_internal.h), so its errors read like a manifest's.
#include "manifests/service_status.h"

#include <climits>
#include <limits>
#include <utility>

#include "manifests/manifest_internal.h"

namespace tender {
namespace {

using manifest_internal::Decoder;
using manifest_internal::Fields;
using manifest_internal::getBool;
using manifest_internal::getString;
using manifest_internal::indexed;
using manifest_internal::join;
using manifest_internal::json;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// --- writing ---------------------------------------------------------------

template <typename T>
void put(json& out, const char* key, const std::optional<T>& value) {
  if (value) out[key] = *value;
}

json conditionJson(const Condition& c) {
  return {{"type", c.type},
          {"status", c.status},
          {"reason", c.reason},
          {"message", c.message},
          {"lastTransitionTime", c.lastTransitionTime}};
}

json replicaJson(const ReplicaStatus& r) {
  json out = {
      {"replica", r.replica}, {"container", r.container}, {"state", r.state}, {"phase", r.phase}};
  put(out, "containerId", r.containerId);
  put(out, "ready", r.ready);
  put(out, "health", r.health);
  put(out, "exitCode", r.exitCode);
  put(out, "nextRestartAt", r.nextRestartAt);
  put(out, "reason", r.reason);
  put(out, "message", r.message);
  put(out, "restartCount", r.restartCount);
  put(out, "lastTermination", r.lastTermination);
  if (r.memory) {
    out["memory"] = {{"usageBytes", r.memory->usageBytes}, {"limitBytes", r.memory->limitBytes}};
  }
  put(out, "memoryPressure", r.memoryPressure);
  return out;
}

json dependencyJson(const DependencyStatus& d) {
  json out = {{"condition", d.condition}, {"met", d.met}};
  put(out, "message", d.message);
  put(out, "startMark", d.startMark);
  return out;
}

// --- reading ---------------------------------------------------------------

std::optional<int> getInt(Decoder& d, Fields& f, const char* key, int min) {
  const json* v = f.get(key);
  return v ? d.smallInt(f.at(key), *v, min) : std::nullopt;
}

std::optional<int64_t> getInt64(Decoder& d, Fields& f, const char* key) {
  const json* v = f.get(key);
  return v ? d.integer(f.at(key), *v, 0, kInt64Max) : std::nullopt;
}

// An object carried as it is (a post-mortem).
std::optional<json> getObject(Decoder& d, Fields& f, const char* key) {
  const json* v = d.object(f.at(key), f.get(key));
  return v ? std::optional<json>(*v) : std::nullopt;
}

Condition readCondition(Decoder& d, const json& v, const std::string& path) {
  Condition c;
  Fields f(d, d.object(path, &v), path);
  c.type = getString(d, f, "type").value_or("");
  c.status = getString(d, f, "status").value_or("");
  c.reason = getString(d, f, "reason").value_or("");
  c.message = getString(d, f, "message").value_or("");
  c.lastTransitionTime = getString(d, f, "lastTransitionTime").value_or("");
  f.rejectUnknown();
  return c;
}

std::optional<ReplicaMemory> readMemory(Decoder& d, Fields& parent) {
  const std::string path = parent.at("memory");
  const json* v = d.object(path, parent.get("memory"));
  if (v == nullptr) return std::nullopt;
  Fields f(d, v, path);
  ReplicaMemory m;
  m.usageBytes = getInt64(d, f, "usageBytes").value_or(0);
  m.limitBytes = getInt64(d, f, "limitBytes").value_or(0);
  f.rejectUnknown();
  return m;
}

ReplicaStatus readReplica(Decoder& d, const json& v, const std::string& path) {
  ReplicaStatus r;
  Fields f(d, d.object(path, &v), path);
  r.replica = getInt(d, f, "replica", 0).value_or(0);
  r.container = getString(d, f, "container").value_or("");
  r.state = getString(d, f, "state").value_or("");
  r.phase = getString(d, f, "phase").value_or("");
  r.containerId = getString(d, f, "containerId");
  r.ready = getBool(d, f, "ready");
  r.health = getString(d, f, "health");
  r.exitCode = getInt(d, f, "exitCode", INT_MIN);
  r.nextRestartAt = getString(d, f, "nextRestartAt");
  r.reason = getString(d, f, "reason");
  r.message = getString(d, f, "message");
  r.restartCount = getInt(d, f, "restartCount", 0);
  r.lastTermination = getObject(d, f, "lastTermination");
  r.memory = readMemory(d, f);
  r.memoryPressure = getBool(d, f, "memoryPressure");
  f.rejectUnknown();
  return r;
}

DependencyStatus readDependency(Decoder& d, const json& v, const std::string& path) {
  DependencyStatus dep;
  Fields f(d, d.object(path, &v), path);
  dep.condition = getString(d, f, "condition").value_or("");
  dep.met = getBool(d, f, "met").value_or(false);
  dep.message = getString(d, f, "message");
  dep.startMark = getInt64(d, f, "startMark");
  f.rejectUnknown();
  return dep;
}

}  // namespace

json toJson(const ServiceStatus& s) {
  json out = json::object();
  put(out, "phase", s.phase);
  put(out, "observedGeneration", s.observedGeneration);
  put(out, "replicas", s.replicas);
  put(out, "readyReplicas", s.readyReplicas);
  put(out, "runningReplicas", s.runningReplicas);
  put(out, "restartCount", s.restartCount);
  put(out, "specHash", s.specHash);
  put(out, "image", s.image);
  put(out, "imageId", s.imageId);
  put(out, "message", s.message);
  put(out, "nextRestartAt", s.nextRestartAt);
  if (!s.conditions.empty()) {
    json conditions = json::array();
    for (const Condition& c : s.conditions) conditions.push_back(conditionJson(c));
    out["conditions"] = std::move(conditions);
  }
  if (s.replicaStatuses) {
    json replicas = json::array();
    for (const ReplicaStatus& r : *s.replicaStatuses) replicas.push_back(replicaJson(r));
    out["replicaStatuses"] = std::move(replicas);
  }
  if (s.dependencies) {
    json deps = json::object();
    for (const auto& [name, d] : *s.dependencies) deps[name] = dependencyJson(d);
    out["dependencies"] = std::move(deps);
  }
  put(out, "lastTermination", s.lastTermination);
  return out;
}

Result<ServiceStatus> serviceStatusFromJson(const json& j) {
  Decoder d("status.", /*stored=*/true);  // fields named as in a resource: status.phase
  ServiceStatus s;
  Fields f(d, j.is_null() ? nullptr : d.object("", &j), "");  // null: no status yet
  s.phase = getString(d, f, "phase");
  s.observedGeneration = getInt64(d, f, "observedGeneration");
  s.replicas = getInt(d, f, "replicas", 0);
  s.readyReplicas = getInt(d, f, "readyReplicas", 0);
  s.runningReplicas = getInt(d, f, "runningReplicas", 0);
  s.restartCount = getInt(d, f, "restartCount", 0);
  s.specHash = getString(d, f, "specHash");
  s.image = getString(d, f, "image");
  s.imageId = getString(d, f, "imageId");
  s.message = getString(d, f, "message");
  s.nextRestartAt = getString(d, f, "nextRestartAt");
  if (const json* list = d.list("conditions", f.get("conditions"))) {
    for (size_t i = 0; i < list->size(); ++i) {
      s.conditions.push_back(readCondition(d, (*list)[i], indexed("conditions", i)));
    }
  }
  if (const json* list = d.list("replicaStatuses", f.get("replicaStatuses"))) {
    s.replicaStatuses.emplace();
    for (size_t i = 0; i < list->size(); ++i) {
      s.replicaStatuses->push_back(readReplica(d, (*list)[i], indexed("replicaStatuses", i)));
    }
  }
  if (const json* deps = d.object("dependencies", f.get("dependencies"))) {
    s.dependencies.emplace();
    for (const auto& [name, v] : deps->items()) {
      (*s.dependencies)[name] = readDependency(d, v, join("dependencies", name));
    }
  }
  s.lastTermination = getObject(d, f, "lastTermination");
  f.rejectUnknown();
  if (!d.errors().empty()) return Status::Invalid("service status is invalid", d.errors());
  return s;
}

const Condition* findCondition(const std::vector<Condition>& conditions, const std::string& type) {
  for (const Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

Condition* findCondition(std::vector<Condition>& conditions, const std::string& type) {
  for (Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

void setCondition(std::vector<Condition>& conditions, Condition condition,
                  const std::vector<Condition>& previous) {
  // Read `previous` before `conditions` changes: they may be one list.
  const Condition* before = findCondition(previous, condition.type);
  if (before && before->status == condition.status && !before->lastTransitionTime.empty()) {
    condition.lastTransitionTime = before->lastTransitionTime;
  }
  if (Condition* same = findCondition(conditions, condition.type)) {
    *same = std::move(condition);
  } else {
    conditions.push_back(std::move(condition));
  }
}

}  // namespace tender

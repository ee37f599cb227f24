// The status of a Service as a typed value: its conditions (Ready,
// MemoryPressure), each replica's state, where its dependencies stand, and
// the JSON codec that the reconciler, the API, the CLI and the store's rows
// share. The reconciler decides what goes in (reconcilers/service_status.h);
// this file only says what each field is and how it is spelt.
//
// The wire format is today's, byte for byte: the keys below, sorted as
// nlohmann::json writes an object. What tender writes every time is a plain
// member, always written; what it writes only sometimes is a std::optional,
// written exactly when it has a value (so 0, false, "" and [] stay apart
// from absent). `conditions` is written when it holds one (tender always
// writes Ready). Reading, an absent field reads as unset or empty, a null as
// absent (a null status as no status); an unknown or ill-typed field is an
// error naming it.
//
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace tender {

// One condition of the service, named as Kubernetes' metav1.Condition.
struct Condition {
  std::string type;                // "Ready", "MemoryPressure"
  std::string status;              // "True" or "False"
  std::string reason;              // one CamelCase word: "AllReplicasReady"
  std::string message;             // for people
  std::string lastTransitionTime;  // RFC 3339: when `status` last changed
};

// A replica's memory as the sampler last saw it.
struct ReplicaMemory {
  int64_t usageBytes = 0;
  int64_t limitBytes = 0;
};

// One replica (one container slot) of the service.
struct ReplicaStatus {
  int replica = 0;
  std::string container;  // its container's name: "<ns>.<service>.<replica>"
  std::string state;      // the engine's ("running", "exited", ...) or "missing"
  std::string phase;      // Running, Starting, Pending, CrashLoopBackOff, Blocked, ...
  std::optional<std::string> containerId;    // when it has a container
  std::optional<bool> ready;                 // when it has a container
  std::optional<std::string> health;         // "healthy", "unhealthy", "starting"
  std::optional<int> exitCode;               // of an exited container
  std::optional<std::string> nextRestartAt;  // RFC 3339, in its crash backoff
  std::optional<std::string> reason;         // why it is held back: "InsufficientMemory"
  std::optional<std::string> message;        // ... in words
  std::optional<int> restartCount;
  // Its newest death: the post-mortem's JSON (reconcilers/post_mortem.h
  // terminationJson), carried as it is; an object.
  std::optional<nlohmann::json> lastTermination;
  std::optional<ReplicaMemory> memory;
  std::optional<bool> memoryPressure;  // above 90% of its memory limit
};

// Where one dependency (spec.dependsOn) stands.
struct DependencyStatus {
  std::string condition;  // "started", "healthy", "completed"
  bool met = false;
  std::optional<std::string> message;  // why it cannot be met ("does not exist")
  // The dependency's newest (re)start seen met, as an event id: it only grows.
  std::optional<int64_t> startMark;
};

struct ServiceStatus {
  std::optional<std::string> phase;  // the worst replica's, or Failed, Stopped
  std::optional<int64_t> observedGeneration;
  std::optional<int> replicas;  // desired
  std::optional<int> readyReplicas;
  std::optional<int> runningReplicas;
  std::optional<int> restartCount;  // of all replicas, ever
  std::optional<std::string> specHash;
  std::optional<std::string> image;          // the reference the containers run
  std::optional<std::string> imageId;        // "sha256:..."
  std::optional<std::string> message;        // why the spec cannot run (phase Failed)
  std::optional<std::string> nextRestartAt;  // RFC 3339: the soonest crash backoff's end
  std::vector<Condition> conditions;
  std::optional<std::vector<ReplicaStatus>> replicaStatuses;            // [] for 0 replicas
  std::optional<std::map<std::string, DependencyStatus>> dependencies;  // by service name
  std::optional<nlohmann::json> lastTermination;  // the newest death of any replica
};

nlohmann::json toJson(const ServiceStatus& status);
// Status::Invalid on an unknown or ill-typed field, with one FieldError per
// field, named as in a resource ("status.replicaStatuses[1].exitCode": "\"x\" is
// not an integer").
Result<ServiceStatus> serviceStatusFromJson(const nlohmann::json& json);

// The condition of `type`, or nullptr.
const Condition* findCondition(const std::vector<Condition>& conditions, const std::string& type);
Condition* findCondition(std::vector<Condition>& conditions, const std::string& type);

// Sets `condition` in `conditions`, replacing the one of its type or adding
// it at the end, as Kubernetes' meta.SetStatusCondition does. Its
// lastTransitionTime is kept from the condition of its type in `previous`
// (the conditions last written; may be `conditions` itself) while the status
// is the same and that one has a time; otherwise it is `condition`'s own,
// which the caller sets to now. Reason and message are always `condition`'s.
void setCondition(std::vector<Condition>& conditions, Condition condition,
                  const std::vector<Condition>& previous);

}  // namespace tender

// The decision of what to do for one Service: a pure function of the desired
// service, the containers observed on the engine, and tender's own runtime
// state. No I/O: tested table-style (tests/unit/service_plan_test.cc).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "manifests/resource.h"

namespace tender {

// A managed container of the service as the engine lists it.
struct ObservedContainer {
  std::string id;
  std::string name;
  int replica = -1;          // from tender.replica; -1 when missing or unparsable
  std::string specHash;      // from tender.spec-hash
  std::string state;         // created | running | paused | restarting | removing | exited | dead
  std::optional<int> exitCode;     // known for exited containers
  std::string health;              // running ones with a check: starting | healthy | unhealthy
  std::optional<WallTime> finishedAt;
};

struct DesiredService {
  int replicas = 1;
  std::string specHash;
  RestartPolicy restartPolicy = RestartPolicy::kAlways;
};

// tender's own state about one service, beyond what the engine shows. Later
// concerns (admission, eviction, one-shot runs) add holds of their own.
struct RuntimeState {
  // A replica may not be (re)started before this time (crash backoff).
  std::map<int, WallTime> notBefore;
  // A replica held back entirely, with the reason (for example a dependency
  // not met, or admission): no create and no start.
  std::map<int, std::string> held;
  // Why, for the status: RestartLimitReached, WaitingForDependencies,
  // InsufficientMemory, QuotaExceeded, Evicted.
  std::map<int, std::string> heldReason;
};

struct Action {
  // kStop: a running replica stopped before the plan (unhealthy, evicted,
  // restarted on request); the decisions in service_decisions.h make them.
  enum class Type { kCreate, kStart, kRecreate, kRemove, kStop };
  Type type;
  int replica = -1;
  std::string containerId;  // kStart, kRecreate, kRemove, kStop
  std::string reason;       // why, for events and dry-run plans

  bool operator==(const Action& o) const {
    return type == o.type && replica == o.replica && containerId == o.containerId;
  }
};

const char* actionName(Action::Type t);

struct ServicePlan {
  std::vector<Action> actions;
  // When a replica waits for its backoff to pass: the earliest time the plan
  // would change by itself.
  std::optional<WallTime> wakeAt;
};

// `desired` absent: the service was deleted; every container goes.
ServicePlan planService(const std::optional<DesiredService>& desired,
                        const std::vector<ObservedContainer>& observed,
                        const RuntimeState& runtime, WallTime now);

// Whether a stopped container should be started again under the policy.
bool shouldRestart(RestartPolicy policy, const ObservedContainer& c);

}  // namespace tender

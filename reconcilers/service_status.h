// The status a pass writes for a service: each replica's phase from the
// containers the engine holds after the pass, the service's phase (its worst
// replica's), its Ready condition, restart counts and last deaths. Pure: no
// engine, no store.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "controller/reconciler.h"
#include "engine/docker_engine.h"
#include "manifests/service_status.h"
#include "reconcilers/service_plan.h"

namespace tender {

// What the status tells of past runs.
struct ReplicaHistory {
  int restartCount = 0;                           // all replicas
  std::map<int, int> restarts;                    // by replica
  std::map<int, nlohmann::json> lastTermination;  // by replica
};

// `after`: the service's containers once the pass acted, with their health.
// `error`: the pass's first failure (the Ready condition says it). Its Ready
// condition's lastTransitionTime is `now`; writing keeps the earlier one
// while that condition's status stays (setCondition).
ServiceStatus serviceStatus(const Key& key, const DesiredService& desired,
                            const std::vector<ObservedContainer>& after,
                            const RuntimeState& runtime, const ReplicaHistory& history,
                            const Status& error, WallTime now);

// A service's status as the store holds it (`status`, of `key`'s record).
// One that does not decode (a different version of tender wrote it) reads
// as none, with a warning naming the field: the next pass writes it anew.
ServiceStatus storedStatus(const Key& key, const nlohmann::json& status);

// A managed container as the engine listed it: replica, spec hash, state,
// the exit code of an exited one and the health of a running one (from the
// list's Status text, "Exited (137) ..." and "Up 5 seconds (healthy)").
ObservedContainer observedFromSummary(const ContainerSummary& c);

}  // namespace tender

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
#include "reconcilers/service_plan.h"

namespace tender {

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

// `after`: the service's containers once the pass acted, with their health.
// `error`: the pass's first failure (the Ready condition says it).
ServiceStatus serviceStatus(const Key& key, const DesiredService& desired,
                            const std::vector<ObservedContainer>& after,
                            const RuntimeState& runtime, const ReplicaHistory& history,
                            const Status& error, WallTime now);

// Sets `condition` in the array `conditions` (replacing the one of its type),
// as Kubernetes' meta.SetStatusCondition does: its lastTransitionTime is
// kept from `previous` (the conditions last written) while its status has
// not changed.
void setCondition(nlohmann::json& conditions, nlohmann::json condition,
                  const nlohmann::json& previous);

// A managed container as the engine listed it: replica, spec hash, state,
// the exit code of an exited one and the health of a running one (from the
// list's Status text, "Exited (137) ..." and "Up 5 seconds (healthy)").
ObservedContainer observedFromSummary(const ContainerSummary& c);

}  // namespace tender

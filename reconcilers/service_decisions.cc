// The service reconciler's pure decisions (service_decisions.h): liveness,
// eviction, holds, restarts, backoff and the next look.

#include "reconcilers/service_decisions.h"

#include <algorithm>
#include <set>

#include "base/backoff.h"

namespace tender {

int64_t backoffDelayMs(const BackoffSpec& b, int restarts) {
  return exponentialDelay(Millis(b.initialMs.value_or(kDefaultBackoffInitialMs)),
                          b.factor.value_or(kDefaultBackoffFactor),
                          Millis(b.maxMs.value_or(kDefaultBackoffMaxMs)), restarts)
      .count();
}

std::vector<std::string> unhealthyReplicas(const std::vector<ObservedContainer>& observed,
                                           const std::string& specHash) {
  std::vector<std::string> out;
  for (const auto& c : observed) {
    if (c.state == "running" && c.replica >= 0 && c.specHash == specHash &&
        c.health == "unhealthy") {
      out.push_back(c.id);
    }
  }
  return out;
}

std::map<std::string, std::string> evictedToStop(const std::vector<ObservedContainer>& observed,
                                                 const std::map<int, std::string>& evictions) {
  std::map<std::string, std::string> out;
  for (const auto& c : observed) {
    auto it = evictions.find(c.replica);
    if (c.state == "running" && it != evictions.end()) out[c.id] = it->second;
  }
  return out;
}

std::vector<Action> stopActions(const std::vector<ObservedContainer>& observed,
                                const std::string& specHash, bool restartWhenUnhealthy,
                                const std::map<int, std::string>& evictions) {
  std::vector<Action> out;
  auto replicaOf = [&](const std::string& id) {
    for (const auto& c : observed) {
      if (c.id == id) return c.replica;
    }
    return -1;
  };
  std::set<std::string> stopped;
  if (restartWhenUnhealthy) {
    for (const std::string& id : unhealthyReplicas(observed, specHash)) {
      out.push_back(Action{Action::Type::kStop, replicaOf(id), id, "unhealthy"});
      stopped.insert(id);
    }
  }
  for (const auto& [id, why] : evictedToStop(observed, evictions)) {
    if (!stopped.count(id))
      out.push_back(Action{Action::Type::kStop, replicaOf(id), id, "evicted: " + why});
  }
  return out;
}

RestartStep restartStep(const std::string& state, std::optional<WallTime> startedAt, WallTime requestedAt) {
  if (startedAt && *startedAt >= requestedAt) return RestartStep::kLeave;
  if (state == "running") return RestartStep::kRestart;
  if (state == "exited" || state == "created") return RestartStep::kClearBackoff;
  return RestartStep::kLeave;
}

void holdEvicted(RuntimeState& runtime, const std::map<int, std::string>& evictions) {
  for (const auto& [r, why] : evictions) {
    runtime.held[r] = "evicted: " + why;
    runtime.heldReason[r] = "Evicted";
  }
}

void holdForDependencies(RuntimeState& runtime, int replicas, const std::string& waitingFor) {
  if (waitingFor.empty()) return;
  for (int r = 0; r < replicas; ++r) {
    if (runtime.held.emplace(r, "waiting for " + waitingFor).second)
      runtime.heldReason[r] = "WaitingForDependencies";
  }
}

ReconcileResult nextLook(const Status& firstError, std::optional<WallTime> wakeAt,
                         const std::string& phase, WallTime now, Millis pollWhileStarting) {
  if (!firstError.ok()) return ReconcileResult::Error(firstError);
  if (wakeAt)
    return ReconcileResult::After(
        std::max(Millis(1), std::chrono::duration_cast<Millis>(*wakeAt - now)));
  if (phase == "Pending" || phase == "Starting") return ReconcileResult::After(pollWhileStarting);
  if (phase == "Blocked") return ReconcileResult::After(std::chrono::seconds(10));
  return ReconcileResult::Done();
}

}  // namespace tender

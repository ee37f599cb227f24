// The service reconciler's decisions that need neither the engine nor the
// store: who is stopped for failing its checks, who for being evicted, which
// replicas are held and why, how long a crashed replica waits, and when a
// service is looked at again. Each is a pure function, table-tested in
// tests/unit/service_decisions_test.cc.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "controller/reconciler.h"
#include "manifests/resource.h"
#include "reconcilers/service_plan.h"

namespace tender {

// Crash backoff when the spec sets none: 10 s, doubling, at most 5 min; the
// count starts over after 10 min without a death.
inline constexpr int64_t kDefaultBackoffInitialMs = 10'000;
inline constexpr double kDefaultBackoffFactor = 2.0;
inline constexpr int64_t kDefaultBackoffMaxMs = 300'000;
inline constexpr int64_t kDefaultBackoffResetMs = 600'000;

// The restart delay after `restarts` deaths: the shared backoff arithmetic
// (base/backoff.h) over the spec's (or the default) initial delay, factor
// and cap.
int64_t backoffDelayMs(const BackoffSpec& backoff, int restarts);

// Liveness, which Docker never does: the running replicas of the current
// spec whose health is "unhealthy" (their ids).
std::vector<std::string> unhealthyReplicas(const std::vector<ObservedContainer>& observed,
                                           const std::string& specHash);

// The running containers of evicted replicas: id -> why it was evicted.
std::map<std::string, std::string> evictedToStop(const std::vector<ObservedContainer>& observed,
                                                 const std::map<int, std::string>& evictions);

// The stops a pass makes before it plans, in order: the unhealthy replicas
// (when the check says restartWhenUnhealthy), then the evicted ones; each a
// kStop action with its reason ("unhealthy", "evicted: <why>").
std::vector<Action> stopActions(const std::vector<ObservedContainer>& observed,
                                const std::string& specHash, bool restartWhenUnhealthy,
                                const std::map<int, std::string>& evictions);

// What a requested restart does to one replica container: one that runs
// since before the request is stopped and started again; a stopped one
// (exited, created) loses its crash backoff and is started by the plan;
// one started since the request (or in another state) is left alone, so a
// request carried out twice restarts nothing twice.
enum class RestartStep { kLeave, kRestart, kClearBackoff };
RestartStep restartStep(const std::string& state, std::optional<WallTime> startedAt, WallTime requestedAt);

// Holds the evicted replicas (reason Evicted) until readmitted.
void holdEvicted(RuntimeState& runtime, const std::map<int, std::string>& evictions);

// While a dependency is not met (`waitingFor` not empty: "db to be
// healthy"), every replica not already held is (WaitingForDependencies).
void holdForDependencies(RuntimeState& runtime, int replicas, const std::string& waitingFor);

// When the pass's service is looked at again: after an error, the
// controller's backoff; at the plan's wake time (a backoff ending); every
// `pollWhileStarting` while replicas start; every 10 s while Blocked (the
// host's free memory changes without telling); else when something happens.
ReconcileResult nextLook(const Status& firstError, std::optional<WallTime> wakeAt,
                         const std::string& phase, WallTime now, Millis pollWhileStarting);

}  // namespace tender

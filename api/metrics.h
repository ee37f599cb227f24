// GET /metrics: tender's state in the Prometheus text exposition format.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <functional>
#include <utility>

#include "api/fair_share.h"
#include "api/router.h"
#include "controller/controller.h"
#include "engine/instrumented_engine.h"
#include "reconcilers/memory_sampler.h"

namespace tender {

struct MetricsSnapshot {
  std::map<std::string, int> servicesByPhase;  // phase -> services
  // (namespace, service) -> container restarts
  std::map<std::pair<std::string, std::string>, int64_t> restarts;
  ControllerMetrics controller;
  uint64_t eventStreamReconnects = 0;
  bool engineUp = false;
  std::map<std::string, EngineCallStats> engineCalls;  // by operation
  std::vector<ContainerMemory> memory;
  size_t watchers = 0;
  // Each token's fair share: its 429s and its open watches.
  std::map<std::string, TokenShareStats> tokens;
  // Memory admission: what may be admitted, and what is reserved per namespace.
  int64_t allocatableBytes = 0;
  std::map<std::string, int64_t> reservedBytes;
};

// Text format 0.0.4: HELP and TYPE lines, then samples; label values escaped.
std::string renderMetrics(const MetricsSnapshot& snapshot);

// GET /metrics, answered with renderMetrics(snapshot()). Metrics name every
// namespace: only a token for all of them may read them.
void registerMetricsRoute(Router& router, std::function<MetricsSnapshot()> snapshot);

}  // namespace tender

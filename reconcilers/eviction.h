// Eviction under memory pressure: when the host's MemAvailable falls below
// a threshold, tender stops replicas before the kernel's OOM killer picks
// one at random — the lowest priority first and, within a priority, the one
// furthest over its reservation — one at a time, giving the memory a
// moment to come back between two. Services at or above the priority floor
// are never evicted. Once the pressure has been gone for a while, every
// evicted replica may start again (admission still applies).
//
// Thread-safety: every method, from any thread; check() runs on the
// evictor's own thread after start().
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "reconcilers/host_monitor.h"
#include "reconcilers/memory_sampler.h"
#include "reconcilers/service_reconciler.h"
#include "store/store.h"

namespace tender {

struct EvictionConfig {
  // Evict while MemAvailable is below this; 0: the larger of 5% of MemTotal and 256 MiB.
  int64_t thresholdBytes = 0;
  int priorityFloor = 1000;  // services with priority >= this are never evicted
  Millis recoverAfter{30000};  // pressure gone this long: the evicted may start again
  Millis between{5000};        // at least this long between two evictions
  Millis checkEvery{1000};
};

// The threshold in force for a host of `memTotal` bytes.
int64_t evictionThreshold(const EvictionConfig& config, int64_t memTotal);

// One candidate replica, as check() sees it.
struct EvictionCandidate {
  Key key;
  int replica = -1;
  int priority = 0;
  int64_t usageBytes = 0;
  int64_t reservationBytes = 0;  // its reservation, else its limit, else 0
};

// The order in which candidates go: lowest priority first, then the one
// furthest over its reservation. Candidates at or above the floor are dropped.
std::vector<EvictionCandidate> evictionOrder(std::vector<EvictionCandidate> candidates, int priorityFloor);

class Evictor {
 public:
  Evictor(Store& store, Clock& clock, ServiceReconciler& services, std::function<std::optional<HostMemory>()> host,
          std::function<std::vector<ContainerMemory>()> usage, std::function<void(const Key&)> enqueue,
          EvictionConfig config);
  ~Evictor();

  void start();
  void stop();
  // One look: evicts at most one replica, or readmits the evicted once the
  // pressure has been gone long enough.
  void check();

  EvictionConfig config() const;
  void setConfig(const EvictionConfig& config);
  // {"thresholdBytes", "priorityFloor", "memAvailableBytes", "underPressure"}
  nlohmann::json describe() const;

 private:
  Store& store_;
  Clock& clock_;
  ServiceReconciler& services_;
  std::function<std::optional<HostMemory>()> host_;
  std::function<std::vector<ContainerMemory>()> usage_;
  std::function<void(const Key&)> enqueue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  EvictionConfig config_;
  bool stop_ = false;
  bool pressure_ = false;
  int64_t lastAvailable_ = 0;
  std::optional<MonoTime> lastEviction_;
  // When the last pressure ended (or, with none seen, the first look).
  std::optional<MonoTime> pressureEnded_;
  std::thread thread_;
};

}  // namespace tender

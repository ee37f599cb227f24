// Controller: runs reconcilers on worker threads, fed by a WorkQueue.
//
// Each worker takes a key, calls the reconciler registered for key.kind and
// applies its result:
//   error          -> retried after RateLimiter::when(key) (per-key exponential
//                     backoff), and the error is logged with the key;
//   requeueAfter D -> the key's failures are forgotten, it comes back after D;
//   done           -> the key's failures are forgotten.
// A reconciler that throws is treated as having returned an Internal error: a
// bug must not kill a worker. One key is never reconciled by two workers at
// once (the queue guarantees it).
//
// Thread-safety: enqueue*, metrics() and queue() are safe from any thread;
// registerReconciler() before start(); start() and stop() from one owner.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/histogram.h"
#include "base/status.h"
#include "controller/rate_limiter.h"
#include "controller/reconciler.h"
#include "controller/work_queue.h"

namespace tender {

struct ControllerOptions {
  int workers = 4;
  Millis retryBase = RateLimiter::kDefaultBase;
  Millis retryMax = RateLimiter::kDefaultMax;
};

struct ControllerMetrics {
  uint64_t reconcilesTotal = 0;  // reconciler calls, whatever the outcome
  uint64_t errorsTotal = 0;      // calls that returned an error or threw
  DurationHistogram reconcileDuration;
  size_t queueDepth = 0;  // keys ready and waiting for a worker
};

class Controller {
 public:
  // `clock` must outlive the controller; it times reconciles and backoff.
  explicit Controller(Clock& clock, ControllerOptions options = {});
  // Stops the workers.
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Routes keys of `kind` to `reconciler`, which must outlive the controller.
  // REQUIRES: before start().
  void registerReconciler(const std::string& kind, Reconciler* reconciler);

  void enqueue(const Key& key);
  void enqueueAfter(const Key& key, Millis delay);

  // Starts the workers. Invalid if already started or stopped.
  Status start();
  // Shuts the queue down and joins the workers; a reconcile in progress
  // finishes first. Keys still queued are dropped. Idempotent.
  // REQUIRES: not called from a reconciler.
  void stop();

  ControllerMetrics metrics() const;
  const WorkQueue& queue() const { return queue_; }

 private:
  void workerLoop();
  void processKey(const Key& key);
  Reconciler* reconcilerFor(const std::string& kind) const;
  void observeDuration(double seconds);

  Clock& clock_;
  const ControllerOptions options_;
  WorkQueue queue_;
  RateLimiter limiter_;

  mutable std::mutex mu_;  // guards reconcilers_, workers_, state flags, histogram
  std::map<std::string, Reconciler*> reconcilers_;
  std::vector<std::thread> workers_;
  bool started_ = false;
  bool stopped_ = false;
  std::vector<uint64_t> buckets_;  // per bucket, not cumulative; last is +Inf
  double durationSum_ = 0;

  std::atomic<uint64_t> reconcilesTotal_{0};
  std::atomic<uint64_t> errorsTotal_{0};
};

}  // namespace tender

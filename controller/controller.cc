// Controller: the worker threads that take keys from the WorkQueue and run
// their kind's reconciler (controller/controller.h).
#include "controller/controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <utility>

namespace tender {

Controller::Controller(Clock& clock, ControllerOptions options)
    : clock_(clock),
      options_(options),
      queue_(clock),
      limiter_(options.retryBase, options.retryMax),
      buckets_(DurationHistogram::bounds().size() + 1, 0) {}

Controller::~Controller() { stop(); }

void Controller::registerReconciler(const std::string& kind, Reconciler* reconciler) {
  std::lock_guard<std::mutex> l(mu_);
  reconcilers_[kind] = reconciler;
}

void Controller::enqueue(const Key& key) { queue_.add(key); }

void Controller::enqueueAfter(const Key& key, Millis delay) { queue_.addAfter(key, delay); }

Status Controller::start() {
  std::lock_guard<std::mutex> l(mu_);
  if (started_ || stopped_) return Status::Invalid("controller already started");
  started_ = true;
  const int n = std::max(1, options_.workers);
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { workerLoop(); });
  return Status::Ok();
}

void Controller::stop() {
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_) return;
    stopped_ = true;
    workers.swap(workers_);
  }
  queue_.shutDown();
  for (auto& t : workers) t.join();
}

ControllerMetrics Controller::metrics() const {
  ControllerMetrics m;
  m.reconcilesTotal = reconcilesTotal_.load();
  m.errorsTotal = errorsTotal_.load();
  m.queueDepth = queue_.len();
  std::lock_guard<std::mutex> l(mu_);
  uint64_t running = 0;
  for (uint64_t b : buckets_) {
    running += b;
    m.reconcileDuration.cumulative.push_back(running);
  }
  m.reconcileDuration.count = running;
  m.reconcileDuration.sum = durationSum_;
  return m;
}

void Controller::workerLoop() {
  while (auto key = queue_.get()) {
    processKey(*key);
    queue_.done(*key);
  }
}

Reconciler* Controller::reconcilerFor(const std::string& kind) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = reconcilers_.find(kind);
  return it == reconcilers_.end() ? nullptr : it->second;
}

void Controller::observeDuration(double seconds) {
  const size_t i = DurationHistogram::bucketOf(seconds);
  std::lock_guard<std::mutex> l(mu_);
  ++buckets_[i];
  durationSum_ += seconds;
}

void Controller::processKey(const Key& key) {
  Reconciler* reconciler = reconcilerFor(key.kind);
  if (reconciler == nullptr) {
    // Retrying cannot help until a reconciler exists: drop the key.
    spdlog::error("no reconciler for kind '{}': dropping {}", key.kind, key.str());
    limiter_.forget(key);
    return;
  }

  const MonoTime started = clock_.monotonic();
  ReconcileResult result;
  try {
    result = reconciler->reconcile(key);
  } catch (const std::exception& e) {
    result = ReconcileResult::Error(Status::Internal(std::string("reconciler threw: ") + e.what()));
  } catch (...) {
    result = ReconcileResult::Error(Status::Internal("reconciler threw a non-standard exception"));
  }
  observeDuration(std::chrono::duration<double>(clock_.monotonic() - started).count());
  ++reconcilesTotal_;

  if (!result.status.ok()) {
    ++errorsTotal_;
    const Millis delay = limiter_.when(key);
    spdlog::error("reconcile {} failed (attempt {}, retry in {} ms): {}", key.str(),
                  limiter_.failures(key), delay.count(), result.status.ToString());
    queue_.addAfter(key, delay);
  } else if (result.requeueAfter) {
    limiter_.forget(key);
    queue_.addAfter(key, *result.requeueAfter);
  } else {
    limiter_.forget(key);
  }
}

}  // namespace tender

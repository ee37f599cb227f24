// WorkQueue: the keys waiting to be reconciled (client-go's workqueue model).
//
// - A key added while it is already waiting is stored once (the dirty set).
// - A key handed out by get() is "processing" until done(key): it is never
//   handed to a second caller meanwhile. Adding it during processing marks it
//   dirty, and done() puts it back, so it is handed out exactly once more.
// - addAfter() holds a key until the Clock's monotonic time reaches its due
//   time, then adds it. Of two delayed adds of one key, the earlier wins.
//
// Waiting for delayed keys: get() waits through the Clock until the earliest
// due time (Clock::waitOnce), so with a simulated clock it wakes when a test
// advances time past it. Nothing polls.
//
// Thread-safety: all methods are safe to call from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "base/clock.h"
#include "controller/reconciler.h"

namespace tender {

class WorkQueue {
 public:
  // `clock` must outlive the queue.
  explicit WorkQueue(Clock& clock);
  // Shuts the queue down. REQUIRES: no thread is still inside get().
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Makes `key` ready now (or dirty, if it is being processed). Ignored after
  // shutDown().
  void add(const Key& key);
  // Adds `key` once `delay` has passed; a delay <= 0 adds at once.
  void addAfter(const Key& key, Millis delay);
  // Blocks until a key is ready and returns it, now marked processing; the
  // caller must call done(key) when finished. nullopt once the queue is shut
  // down, even if keys are still waiting.
  std::optional<Key> get();
  // Ends processing of `key`; if it was added meanwhile it becomes ready again.
  void done(const Key& key);
  // Wakes every blocked get() (they return nullopt) and refuses later adds.
  void shutDown();
  bool shuttingDown() const;

  // Keys ready to be handed out now (the queue-depth metric).
  size_t len() const;
  // Keys held by addAfter() whose time has not come yet.
  size_t pendingDelayed() const;

 private:
  struct Core;
  std::unique_ptr<Core> core_;
};

}  // namespace tender

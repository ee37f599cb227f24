// Scheduler: one-shot timers for the rest of tender (backoff expiry, TTL,
// periodic resync, reconnects), on the injected Clock's monotonic time.
//
// Where callbacks run is the clock's choice (Clock::driveTimers), always in
// due-time order, ties in the order they were scheduled:
// - RealClock: one thread sleeps until the earliest timer and runs the
//   callbacks one after another. Keep them short (enqueue a key, start a call
//   with a deadline): a slow callback delays every later timer.
// - A simulated clock (tests): on the thread that advances it, before
//   advance() returns. A timer due now (delay <= 0) fires at the next
//   advance(), so a test can fire it with advance(0).
// Callbacks never run while the scheduler's lock is held, so they may
// schedule and cancel timers. An exception from a callback is logged and
// dropped.
//
// Thread-safety: all methods are safe to call from any thread, including from
// inside a callback.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "base/clock.h"

namespace tender {

using TimerId = uint64_t;  // 0 is never a valid id

class Scheduler {
 public:
  // `clock` must outlive the scheduler.
  explicit Scheduler(Clock& clock);
  // Drops pending timers and joins the thread; a callback already running
  // finishes first. REQUIRES: not called from inside a callback.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs `fn` once, `delay` from now. Returns 0 (and drops `fn`) after
  // shutDown().
  TimerId schedule(Millis delay, std::function<void()> fn);
  // Removes a pending timer; true if it had not fired yet. A callback that is
  // already running is neither interrupted nor waited for.
  bool cancel(TimerId id);
  // Drops every pending timer and refuses new ones.
  void shutDown();
  // Timers scheduled and neither fired nor cancelled.
  size_t pending() const;

 private:
  struct Core;
  std::shared_ptr<Core> core_;  // shared with the clock's timer driver
  std::unique_ptr<Clock::TimerDriver> driver_;
};

}  // namespace tender

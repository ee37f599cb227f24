// Clock: time for tender, and the seam through which tests drive it.
//
// Wall time is what gets stored (nextRestartAt, TTL expiry, event times);
// monotonic time measures intervals and drives timers. In the server, what
// waits for time to pass does it through a Clock: waits on a condition
// variable with a deadline (waitOnce / waitUntil / waitFor) and timers
// (driveTimers, for the Scheduler). RealClock is the system's clock; tests
// use SimulatedClock (tests/support/simulated_clock.h), which moves only when
// a test advances it, waking the waits and firing the timers it passes, so
// no test sleeps in real time waiting for a period to elapse.
//
// Some code still reads the system clock itself (docs/ARCHITECTURE.md,
// "Time", has the list): deadlines of real I/O (the engine client's and the
// HTTP server's sockets, probes), the age of the resync's container list,
// the half second before a post-mortem's logs are read, how long the
// start-up wait for the engine has lasted, debug durations, log timestamps.
//
// Thread-safety: all methods are safe to call from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace tender {

using WallTime = std::chrono::system_clock::time_point;
using MonoTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime now() const = 0;
  virtual MonoTime monotonic() const = 0;

  // Milliseconds since the Unix epoch of now(): the unit stored in SQLite.
  int64_t nowMillis() const {
    return std::chrono::duration_cast<Millis>(now().time_since_epoch()).count();
  }

  // Blocks on `cv` until it is notified or this clock's monotonic time reaches
  // `deadline` (nullopt: no deadline). `lock` holds cv's mutex on entry and on
  // return; it may be released meanwhile, as std::condition_variable::wait
  // does. May return early (a spurious wake): callers re-check what they wait
  // for, which the predicate forms below do.
  virtual void waitOnce(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                        std::optional<MonoTime> deadline) = 0;

  // Waits until `done()` is true (returns true) or the deadline passes with it
  // still false (returns false). REQUIRES: `lock` holds cv's mutex.
  template <typename Pred>
  bool waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 std::optional<MonoTime> deadline, Pred done) {
    while (!done()) {
      if (deadline && monotonic() >= *deadline) return false;
      waitOnce(lock, cv, deadline);
    }
    return true;
  }
  template <typename Rep, typename Period, typename Pred>
  bool waitFor(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
               std::chrono::duration<Rep, Period> d, Pred done) {
    return waitUntil(lock, cv, monotonic() + std::chrono::duration_cast<MonoTime::duration>(d),
                     done);
  }

  // Timers. `fireDue` runs every timer that is due and returns when the next
  // one is (nullopt: none pending). The driver calls it whenever timers may
  // have come due: RealClock's from a thread of its own, sleeping until the
  // returned time; SimulatedClock's on the thread that advances the clock,
  // before advance() returns. rearm() says the earliest due time may now be
  // sooner (a timer was added). Destroying the driver stops the calls; it
  // waits for a call in progress, so it must not be destroyed from inside one.
  class TimerDriver {
   public:
    virtual ~TimerDriver() = default;
    virtual void rearm() = 0;
  };
  using FireDue = std::function<std::optional<MonoTime>()>;
  virtual std::unique_ptr<TimerDriver> driveTimers(FireDue fireDue) = 0;
};

class RealClock : public Clock {
 public:
  WallTime now() const override { return std::chrono::system_clock::now(); }
  MonoTime monotonic() const override { return std::chrono::steady_clock::now(); }
  void waitOnce(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                std::optional<MonoTime> deadline) override;
  std::unique_ptr<TimerDriver> driveTimers(FireDue fireDue) override;
};

}  // namespace tender

// SimulatedClock: a Clock that moves only when a test calls advance().
//
// advance(d) moves wall and monotonic time by d, then, before it returns,
// fires every timer that has come due (Scheduler callbacks run on the
// advancing thread, in due-time order) and wakes every Clock::waitOnce() in
// progress, so a waiting thread re-checks its deadline against the new time.
// A thread that waits with a deadline already passed returns at once. Nothing
// here sleeps in real time.
//
// Thread-safety: all methods are safe to call from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "base/clock.h"

namespace tender {

class SimulatedClock : public Clock {
 public:
  explicit SimulatedClock(WallTime start = WallTime(std::chrono::seconds(1'700'000'000)));
  ~SimulatedClock() override;

  WallTime now() const override;
  MonoTime monotonic() const override;
  void waitOnce(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                std::optional<MonoTime> deadline) override;
  std::unique_ptr<TimerDriver> driveTimers(FireDue fireDue) override;

  // Moves time forward by `d` (0 fires timers already due), then fires due
  // timers and wakes the waits, all before returning.
  void advance(std::chrono::nanoseconds d);

  // Threads blocked in waitOnce() right now (a test can wait for a worker to
  // be parked before it advances time).
  size_t waiters() const;

 private:
  struct Waiter;
  struct Driver;
  class DriverHandle;

  mutable std::mutex mu_;
  std::condition_variable idle_;  // a waiter's notification finished
  WallTime wall_;
  MonoTime mono_;
  std::set<std::shared_ptr<Waiter>> waiters_;
  std::vector<std::shared_ptr<Driver>> drivers_;
};

}  // namespace tender

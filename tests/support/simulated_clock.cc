// SimulatedClock (simulated_clock.h): time that moves only when a test says,
// waking the waits and timers it passes.

#include "tests/support/simulated_clock.h"

#include <algorithm>

namespace tender {

// A thread inside waitOnce(): the condition variable it sleeps on and that
// variable's mutex. `notifying` counts advance() calls that copied it and have
// not finished notifying it; it must not leave waitOnce() (its cv may die)
// until they have.
struct SimulatedClock::Waiter {
  std::condition_variable* cv;
  std::mutex* mu;
  int notifying = 0;
};

// A Scheduler's timers. `mu` serialises calls to fireDue with the driver's
// destruction, so a destroyed Scheduler is never called.
struct SimulatedClock::Driver {
  explicit Driver(FireDue f) : fireDue(std::move(f)) {}
  std::mutex mu;
  FireDue fireDue;
  bool alive = true;
};

class SimulatedClock::DriverHandle : public Clock::TimerDriver {
 public:
  DriverHandle(SimulatedClock& clock, std::shared_ptr<Driver> d)
      : clock_(clock), d_(std::move(d)) {}
  ~DriverHandle() override {
    {
      std::lock_guard<std::mutex> l(d_->mu);
      d_->alive = false;
    }
    std::lock_guard<std::mutex> l(clock_.mu_);
    auto& ds = clock_.drivers_;
    ds.erase(std::remove(ds.begin(), ds.end(), d_), ds.end());
  }
  // Timers fire only when the clock moves.
  void rearm() override {}

 private:
  SimulatedClock& clock_;
  std::shared_ptr<Driver> d_;
};

SimulatedClock::SimulatedClock(WallTime start)
    : wall_(start), mono_(MonoTime(std::chrono::hours(1))) {}

SimulatedClock::~SimulatedClock() = default;

WallTime SimulatedClock::now() const {
  std::lock_guard<std::mutex> l(mu_);
  return wall_;
}

MonoTime SimulatedClock::monotonic() const {
  std::lock_guard<std::mutex> l(mu_);
  return mono_;
}

size_t SimulatedClock::waiters() const {
  std::lock_guard<std::mutex> l(mu_);
  return waiters_.size();
}

void SimulatedClock::waitOnce(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                              std::optional<MonoTime> deadline) {
  auto w = std::make_shared<Waiter>(Waiter{&cv, lock.mutex()});
  {
    // Registered before the deadline is checked: an advance() that moves
    // time past it either is seen here or will notify us (it takes our
    // mutex, which we hold until cv.wait releases it).
    std::lock_guard<std::mutex> g(mu_);
    if (deadline && mono_ >= *deadline) return;
    waiters_.insert(w);
  }
  cv.wait(lock);
  std::unique_lock<std::mutex> g(mu_);
  waiters_.erase(w);
  if (w->notifying > 0) {
    // An advance() is about to take our mutex: let it, then take it back.
    lock.unlock();
    idle_.wait(g, [&] { return w->notifying == 0; });
    g.unlock();
    lock.lock();
  }
}

std::unique_ptr<Clock::TimerDriver> SimulatedClock::driveTimers(FireDue fireDue) {
  auto d = std::make_shared<Driver>(std::move(fireDue));
  std::lock_guard<std::mutex> l(mu_);
  drivers_.push_back(d);
  return std::make_unique<DriverHandle>(*this, d);
}

void SimulatedClock::advance(std::chrono::nanoseconds d) {
  std::vector<std::shared_ptr<Driver>> drivers;
  std::vector<std::shared_ptr<Waiter>> waiters;
  {
    std::lock_guard<std::mutex> l(mu_);
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
    mono_ += std::chrono::duration_cast<MonoTime::duration>(d);
    drivers = drivers_;
  }
  for (auto& driver : drivers) {
    std::lock_guard<std::mutex> l(driver->mu);
    if (driver->alive) driver->fireDue();
  }
  {
    // Copied after the timers fired: a thread they woke that is already
    // waiting again re-checks its deadline too.
    std::lock_guard<std::mutex> l(mu_);
    waiters.assign(waiters_.begin(), waiters_.end());
    for (auto& w : waiters) ++w->notifying;
  }
  for (auto& w : waiters) {
    {
      std::lock_guard<std::mutex> l(*w->mu);
      w->cv->notify_all();
    }
    std::lock_guard<std::mutex> l(mu_);
    --w->notifying;
  }
  idle_.notify_all();
}

}  // namespace tender

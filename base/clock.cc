// RealClock's waits (on a condition variable, until a steady-clock deadline)
// and its timer driver, one thread per driver (base/clock.h).
#include "base/clock.h"

#include <thread>

namespace tender {
namespace {

// One thread per driver: fire what is due, sleep until the next due time or
// a rearm(), repeat.
class ThreadTimerDriver : public Clock::TimerDriver {
 public:
  explicit ThreadTimerDriver(Clock::FireDue fireDue) : fireDue_(std::move(fireDue)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~ThreadTimerDriver() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void rearm() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      rearmed_ = true;
    }
    cv_.notify_all();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> l(mu_);
    while (!stop_) {
      rearmed_ = false;
      l.unlock();
      const std::optional<MonoTime> next = fireDue_();
      l.lock();
      auto woken = [&] { return stop_ || rearmed_; };
      if (next) {
        cv_.wait_until(l, *next, woken);
      } else {
        cv_.wait(l, woken);
      }
    }
  }

  Clock::FireDue fireDue_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool rearmed_ = false;
  std::thread thread_;
};

}  // namespace

void RealClock::waitOnce(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                         std::optional<MonoTime> deadline) {
  if (deadline) {
    cv.wait_until(lock, *deadline);
  } else {
    cv.wait(lock);
  }
}

std::unique_ptr<Clock::TimerDriver> RealClock::driveTimers(FireDue fireDue) {
  return std::make_unique<ThreadTimerDriver>(std::move(fireDue));
}

}  // namespace tender

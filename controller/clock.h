// Clock: the only source of time in tender.
//
// Wall time is what gets stored (nextRestartAt, TTL expiry, event times);
// monotonic time measures intervals and drives timers. Nothing else reads the
// system clock, so tests drive backoff and TTL with FakeClock and no sleeping.
//
// Thread-safety: all methods are safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

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
};

class RealClock : public Clock {
 public:
  WallTime now() const override { return std::chrono::system_clock::now(); }
  MonoTime monotonic() const override { return std::chrono::steady_clock::now(); }
};

// A clock that moves only when a test advances it. Listeners (for example a
// work queue waiting on a delayed item) are told after every advance so they
// can re-check their deadlines.
class FakeClock : public Clock {
 public:
  explicit FakeClock(WallTime start = WallTime(std::chrono::seconds(1'700'000'000)))
      : wall_(start), mono_(MonoTime(std::chrono::hours(1))) {}

  WallTime now() const override {
    std::lock_guard<std::mutex> l(mu_);
    return wall_;
  }
  MonoTime monotonic() const override {
    std::lock_guard<std::mutex> l(mu_);
    return mono_;
  }
  void advance(std::chrono::nanoseconds d) {
    std::vector<std::function<void()>> ls;
    {
      std::lock_guard<std::mutex> l(mu_);
      wall_ += std::chrono::duration_cast<WallTime::duration>(d);
      mono_ += std::chrono::duration_cast<MonoTime::duration>(d);
      ls = listeners_;
    }
    for (auto& f : ls) f();
  }
  // Called after every advance(). Listeners live as long as the clock.
  void addListener(std::function<void()> f) {
    std::lock_guard<std::mutex> l(mu_);
    listeners_.push_back(std::move(f));
  }

 private:
  mutable std::mutex mu_;
  WallTime wall_;
  MonoTime mono_;
  std::vector<std::function<void()>> listeners_;
};

}  // namespace tender

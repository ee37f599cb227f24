// Exponential backoff arithmetic shared by the rate limiter, the informer's
// reconnects and any policy that waits longer after each failure.
//
// Pure computation: nothing here sleeps or reads a clock, so callers decide
// when the delay starts and tests need no time at all.
//
// Thread-safety: exponentialDelay() is a pure function. ExponentialBackoff is
// a value; guard a shared instance with the owner's lock.
#pragma once

#include <chrono>
#include <cmath>

#include "base/clock.h"

namespace tender {

// initial * factor^attempts, never more than `max` (and never negative).
// Saturates instead of overflowing for any number of attempts.
inline Millis exponentialDelay(Millis initial, double factor, Millis max, int attempts) {
  if (initial.count() <= 0) return Millis(0);
  if (attempts <= 0) return initial < max ? initial : max;
  const double delay =
      static_cast<double>(initial.count()) * std::pow(factor, static_cast<double>(attempts));
  if (!std::isfinite(delay) || delay >= static_cast<double>(max.count())) return max;
  return Millis(static_cast<Millis::rep>(delay));
}

// A sequence of delays: initial, initial*factor, ... capped at max, until
// reset() starts it over.
class ExponentialBackoff {
 public:
  ExponentialBackoff(Millis initial, Millis max, double factor = 2.0)
      : initial_(initial), max_(max), factor_(factor) {}

  // The delay to wait now; the one after it will be longer (until the cap).
  Millis next() {
    Millis d = exponentialDelay(initial_, factor_, max_, attempts_);
    if (d < max_) ++attempts_;
    return d;
  }
  void reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }

 private:
  Millis initial_;
  Millis max_;
  double factor_;
  int attempts_ = 0;
};

}  // namespace tender

// RateLimiter: how long to wait before retrying a key that failed, per key.
//
// Each failure of a key doubles its delay: base, 2*base, 4*base, ... capped at
// max (client-go's ItemExponentialFailureRateLimiter). A success forgets the
// key, so its next failure starts again at base. It only computes delays and
// never sleeps: the caller hands the delay to WorkQueue::addAfter().
//
// Thread-safety: all methods are safe to call from any thread.
#pragma once

#include <chrono>
#include <mutex>
#include <unordered_map>

#include "base/clock.h"
#include "controller/reconciler.h"

namespace tender {

class RateLimiter {
 public:
  static constexpr Millis kDefaultBase{200};
  static constexpr Millis kDefaultMax{std::chrono::minutes(5)};

  explicit RateLimiter(Millis base = kDefaultBase, Millis max = kDefaultMax);

  // The delay before the next retry of `key`: base * 2^failures, capped at
  // max. Counts one more failure.
  Millis when(const Key& key);
  // Resets the key's failures (after a success).
  void forget(const Key& key);
  // Failures counted since the last forget().
  int failures(const Key& key) const;

 private:
  const Millis base_;
  const Millis max_;
  mutable std::mutex mu_;
  std::unordered_map<Key, int> failures_;
};

}  // namespace tender

// RateLimiter: per-key exponential retry delays (controller/rate_limiter.h).
#include "controller/rate_limiter.h"

#include "base/backoff.h"

namespace tender {

RateLimiter::RateLimiter(Millis base, Millis max) : base_(base), max_(max) {}

Millis RateLimiter::when(const Key& key) {
  std::lock_guard<std::mutex> l(mu_);
  int& n = failures_[key];
  // exponentialDelay saturates at max_, so a key failing for ever is safe.
  return exponentialDelay(base_, 2.0, max_, n++);
}

void RateLimiter::forget(const Key& key) {
  std::lock_guard<std::mutex> l(mu_);
  failures_.erase(key);
}

int RateLimiter::failures(const Key& key) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

}  // namespace tender

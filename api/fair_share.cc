// FairShare (fair_share.h): the token bucket's arithmetic, each token's
// bucket and open streams, and the 429s that refuse past them.

#include "api/fair_share.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <unordered_map>

namespace tender {

BudgetDecision takeToken(TokenBucket& bucket, const RequestRate& rate, MonoTime now) {
  if (rate.unlimited()) return {};
  constexpr int64_t kOne = 1'000'000;  // one request, in micro-tokens
  const int64_t burst = std::llround(std::max(1.0, rate.burst) * kOne);
  if (!bucket.used) {
    bucket.used = true;
    bucket.microTokens = burst;
  } else if (now > bucket.refilledAt) {
    const double elapsedUs =
        static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(now - bucket.refilledAt).count());
    // perSecond tokens a second is perSecond micro-tokens a microsecond.
    const double added = elapsedUs * rate.perSecond;
    bucket.microTokens = added >= static_cast<double>(burst)
                             ? burst
                             : std::min<int64_t>(burst, bucket.microTokens + std::llround(added));
  }
  // Time never runs backwards for a bucket: an earlier `now` refills nothing.
  bucket.refilledAt = std::max(bucket.refilledAt, now);
  if (bucket.microTokens >= kOne) {
    bucket.microTokens -= kOne;
    return {};
  }
  // perSecond * 1000 micro-tokens come in a millisecond.
  const double waitMs = std::ceil(static_cast<double>(kOne - bucket.microTokens) / (rate.perSecond * 1000.0));
  return {false, Millis(static_cast<int64_t>(waitMs))};
}

int64_t retryAfterSeconds(Millis wait) {
  const int64_t ms = wait.count();
  return std::max<int64_t>(1, (ms + 999) / 1000);
}

std::string formatRate(double perSecond) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", perSecond);
  return text;
}

// What the leases give back to: shared with every lease, so a stream that
// closes after the FairShare has gone still has somewhere to count.
struct FairShare::Counts {
  std::mutex mu;
  std::unordered_map<std::string, TokenBucket> buckets;  // guarded by mu
  std::unordered_map<std::string, size_t> streams;       // guarded by mu
  std::unordered_map<std::string, uint64_t> refusedRequests, refusedStreams;  // guarded by mu
  std::map<std::string, RequestRate> rates;  // guarded by mu: the tokens' own budgets
};

FairShare::FairShare(Clock& clock, FairShareOptions options)
    : clock_(clock), options_(std::move(options)), counts_(std::make_shared<Counts>()) {
  counts_->rates = options_.rates;
}

void FairShare::setRates(std::map<std::string, RequestRate> rates) {
  std::lock_guard<std::mutex> l(counts_->mu);
  counts_->rates = std::move(rates);
}

Status FairShare::takeRequest(const std::string& principal, Millis* retryAfter) {
  if (options_.exempt.count(principal)) return Status::Ok();
  BudgetDecision d;
  RequestRate rate;
  {
    std::lock_guard<std::mutex> l(counts_->mu);
    auto own = counts_->rates.find(principal);
    rate = own != counts_->rates.end() ? own->second : options_.rate;
    if (rate.unlimited()) return Status::Ok();
    d = takeToken(counts_->buckets[principal], rate, clock_.monotonic());
    if (!d.allowed) ++counts_->refusedRequests[principal];
  }
  if (d.allowed) return Status::Ok();
  if (retryAfter != nullptr) *retryAfter = d.retryAfter;
  return Status::TooManyRequests(
      "token \"" + principal + "\" is over its request budget of " + formatRate(rate.perSecond) +
      " requests/s (bursts of " + formatRate(std::max(1.0, rate.burst)) + "); retry after " +
      std::to_string(retryAfterSeconds(d.retryAfter)) + " s");
}

Result<std::shared_ptr<void>> FairShare::openStream(const std::string& principal) {
  const size_t cap = options_.maxStreamsPerToken;
  const bool counted = cap > 0 && !options_.exempt.count(principal);
  if (!counted) return std::shared_ptr<void>();
  {
    std::lock_guard<std::mutex> l(counts_->mu);
    size_t& open = counts_->streams[principal];
    if (open >= cap) {
      ++counts_->refusedStreams[principal];
      return Status::TooManyRequests("token \"" + principal + "\" already holds " +
                                     std::to_string(open) + " open streams, its cap of " +
                                     std::to_string(cap) +
                                     " watches per token; close one before opening another");
    }
    ++open;
  }
  // The lease's deleter gives the slot back, on whichever thread drops it.
  std::shared_ptr<Counts> counts = counts_;
  return std::shared_ptr<void>(new int(0), [counts, principal](void* p) {
    delete static_cast<int*>(p);
    std::lock_guard<std::mutex> l(counts->mu);
    auto it = counts->streams.find(principal);
    if (it != counts->streams.end() && it->second > 0) --it->second;
  });
}

size_t FairShare::openStreams(const std::string& principal) const {
  std::lock_guard<std::mutex> l(counts_->mu);
  auto it = counts_->streams.find(principal);
  return it == counts_->streams.end() ? 0 : it->second;
}

std::map<std::string, TokenShareStats> FairShare::stats() const {
  std::map<std::string, TokenShareStats> out;
  std::lock_guard<std::mutex> l(counts_->mu);
  for (const auto& [name, n] : counts_->refusedRequests) out[name].refusedRequests = n;
  for (const auto& [name, n] : counts_->refusedStreams) out[name].refusedStreams = n;
  for (const auto& [name, n] : counts_->streams) out[name].openStreams = n;
  return out;
}

std::optional<HttpResponse> FairShare::admitRequest(const Principal& who) {
  Millis wait{0};
  Status s = takeRequest(who.name, &wait);
  if (s.ok()) return std::nullopt;
  HttpResponse r = HttpResponse::Error(s);
  r.headers.emplace_back("Retry-After", std::to_string(retryAfterSeconds(wait)));
  return r;
}

std::optional<HttpResponse> FairShare::admitStream(const Principal& who,
                                                   std::shared_ptr<void>* lease) {
  auto slot = openStream(who.name);
  if (!slot.ok()) return HttpResponse::Error(slot.status());
  *lease = std::move(*slot);
  return std::nullopt;
}

}  // namespace tender

// Fair share of the API between tokens: a request budget per token (a
// token bucket of `perSecond` requests a second holding at most `burst`)
// and a cap on the streams (event watches) each token holds open at once,
// so one tenant's script looping on apply or on the watch stream cannot
// starve the others.
//
// The bucket's arithmetic is pure and takes the time as an argument
// (takeToken, retryAfterSeconds), so it is table-tested without sleeping.
// FairShare keeps one bucket and one count of open streams per principal
// name and reads the time from a Clock; the Router asks it once per
// authenticated request, after the token is known and before the route
// runs, and again when a route answers with a stream (router.h, Admission).
// Requests without a principal (the probes, a server without tokens) are
// never counted.
//
// Thread-safety: FairShare's methods from any thread; they never block
// beyond a short mutex, so the event loop may call them. A stream's lease
// may outlive the FairShare (it holds the counts it gives back).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "api/router.h"
#include "base/clock.h"
#include "base/status.h"

namespace tender {

// A request budget: `perSecond` requests a second on average, at most
// `burst` at once. perSecond 0 means no budget.
struct RequestRate {
  double perSecond = 0;
  double burst = 0;

  bool unlimited() const { return perSecond <= 0; }
};

// One token's bucket. A bucket that has never been used is full. Counted
// in millionths of a request, so refills add up exactly.
struct TokenBucket {
  int64_t microTokens = 0;
  MonoTime refilledAt{};
  bool used = false;
};

struct BudgetDecision {
  bool allowed = true;
  // When refused: how long until the bucket holds a whole token again.
  Millis retryAfter{0};
};

// Refills `bucket` for the time since it was last refilled (rate x elapsed,
// up to the burst), then takes one token when there is one. Pure: `now`
// is the caller's. A burst under 1 counts as 1.
BudgetDecision takeToken(TokenBucket& bucket, const RequestRate& rate, MonoTime now);

// What a Retry-After header says for a wait: whole seconds, rounded up,
// at least 1.
int64_t retryAfterSeconds(Millis wait);

// "20", "0.5": a rate as the flags and messages write it.
std::string formatRate(double perSecond);

struct FairShareOptions {
  RequestRate rate{50, 100};
  // Streams a token may hold open at once; 0 means no cap.
  size_t maxStreamsPerToken = 8;
  // Principal names neither budgeted nor capped (as Kubernetes' API
  // priority and fairness exempts system:masters): the state directory's
  // admin by default.
  std::set<std::string> exempt;
  // A token's own budget, instead of `rate` (the token file's rate=).
  std::map<std::string, RequestRate> rates;
};

// What /metrics shows of one token's share.
struct TokenShareStats {
  uint64_t refusedRequests = 0;  // 429s past the request budget
  uint64_t refusedStreams = 0;   // 429s past the cap on open streams
  size_t openStreams = 0;        // counted ones (the exempt hold none)
};

class FairShare : public Admission {
 public:
  FairShare(Clock& clock, FairShareOptions options);

  // Ok, or TooManyRequests naming the token and its budget with the wait
  // in *retryAfter.
  Status takeRequest(const std::string& principal, Millis* retryAfter);
  // A slot among the token's open streams, given back when the lease is
  // destroyed; TooManyRequests naming the cap when the token holds all of
  // its slots.
  Result<std::shared_ptr<void>> openStream(const std::string& principal);
  // Streams the token holds open now.
  size_t openStreams(const std::string& principal) const;
  // The tokens' own budgets from now on, in place of options().rates (the
  // token file re-read); a bucket keeps what it holds.
  void setRates(std::map<std::string, RequestRate> rates);
  // Every token that has been refused or holds a stream, by name.
  std::map<std::string, TokenShareStats> stats() const;

  // Admission (router.h): a refusal is 429 with the API's error body, and
  // for the request budget a Retry-After header.
  std::optional<HttpResponse> admitRequest(const Principal& who) override;
  std::optional<HttpResponse> admitStream(const Principal& who,
                                          std::shared_ptr<void>* lease) override;

  // As given at construction (rates: see setRates).
  const FairShareOptions& options() const { return options_; }

 private:
  struct Counts;
  Clock& clock_;
  const FairShareOptions options_;
  std::shared_ptr<Counts> counts_;
};

}  // namespace tender

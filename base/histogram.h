// DurationHistogram: durations in seconds, shaped for a Prometheus histogram
// (cumulative buckets, a sum and a count). Used by the controller's reconcile
// timing and the engine client's call timing; api/metrics.cc renders them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace tender {

struct DurationHistogram {
  // Upper bounds of the finite buckets: 0.005 ... 10. The +Inf bucket follows.
  static const std::vector<double>& bounds() {
    static const std::vector<double> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                0.5,   1,    2.5,   5,    10};
    return kBounds;
  }
  // The bucket a duration falls in: the first bound >= seconds (bounds().size()
  // for +Inf).
  static size_t bucketOf(double seconds) {
    const auto& b = bounds();
    return static_cast<size_t>(std::lower_bound(b.begin(), b.end(), seconds) - b.begin());
  }
  // cumulative[i]: observations <= bounds()[i]; the last element (+Inf) is all
  // of them. Size bounds().size() + 1.
  std::vector<uint64_t> cumulative;
  double sum = 0;  // seconds
  uint64_t count = 0;
};

}  // namespace tender

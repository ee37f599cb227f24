// The /metrics text, as a Prometheus scraper reads it.
#include "api/metrics.h"

#include <gtest/gtest.h>

namespace tender {
namespace {

bool has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST(Metrics, RendersEachFamilyWithTypeAndSamples) {
  MetricsSnapshot s;
  s.servicesByPhase = {{"Running", 3}, {"CrashLoopBackOff", 1}};
  s.restarts[{"shop", "web"}] = 7;
  s.controller.reconcilesTotal = 42;
  s.controller.errorsTotal = 2;
  s.controller.queueDepth = 5;
  s.controller.reconcileDuration.cumulative.assign(DurationHistogram::bounds().size() + 1, 4);
  s.controller.reconcileDuration.sum = 0.5;
  s.controller.reconcileDuration.count = 4;
  s.eventStreamReconnects = 1;
  s.engineUp = true;
  s.allocatableBytes = 900;
  s.reservedBytes["shop"] = 300;
  std::string t = renderMetrics(s);
  EXPECT_TRUE(has(t, "tender_memory_allocatable_bytes 900")) << t;
  EXPECT_TRUE(has(t, "tender_memory_reserved_bytes{namespace=\"shop\"} 300")) << t;
  EXPECT_TRUE(has(t, "# TYPE tender_services gauge")) << t;
  EXPECT_TRUE(has(t, "tender_services{phase=\"Running\"} 3")) << t;
  EXPECT_TRUE(has(t, "tender_services{phase=\"CrashLoopBackOff\"} 1")) << t;
  EXPECT_TRUE(has(t, "tender_container_restarts_total{namespace=\"shop\",service=\"web\"} 7")) << t;
  EXPECT_TRUE(has(t, "tender_reconciles_total 42")) << t;
  EXPECT_TRUE(has(t, "tender_reconcile_errors_total 2")) << t;
  EXPECT_TRUE(has(t, "tender_reconcile_duration_seconds_bucket{le=\"0.005\"} 4")) << t;
  EXPECT_TRUE(has(t, "tender_reconcile_duration_seconds_bucket{le=\"+Inf\"} 4")) << t;
  EXPECT_TRUE(has(t, "tender_reconcile_duration_seconds_count 4")) << t;
  EXPECT_TRUE(has(t, "tender_workqueue_depth 5")) << t;
  EXPECT_TRUE(has(t, "tender_events_stream_reconnects_total 1")) << t;
  EXPECT_TRUE(has(t, "tender_engine_up 1")) << t;
}

TEST(Metrics, ShowEachTokensThrottledRequestsAndOpenWatches) {
  MetricsSnapshot s;
  s.tokens["alice"] = TokenShareStats{12, 3, 8};
  s.tokens["bob"] = TokenShareStats{0, 0, 1};
  std::string t = renderMetrics(s);
  EXPECT_TRUE(has(t, "# TYPE tender_api_throttled_total counter")) << t;
  EXPECT_TRUE(has(t, "tender_api_throttled_total{token=\"alice\",limit=\"requests\"} 12")) << t;
  EXPECT_TRUE(has(t, "tender_api_throttled_total{token=\"alice\",limit=\"watches\"} 3")) << t;
  EXPECT_EQ(std::string::npos, t.find("tender_api_throttled_total{token=\"bob\"")) << "bob was never refused";
  EXPECT_TRUE(has(t, "tender_api_open_watches{token=\"alice\"} 8")) << t;
  EXPECT_TRUE(has(t, "tender_api_open_watches{token=\"bob\"} 1")) << t;
}

TEST(Metrics, EscapesLabelValues) {
  MetricsSnapshot s;
  s.servicesByPhase = {{"a\"b\\c", 1}};
  EXPECT_TRUE(has(renderMetrics(s), "tender_services{phase=\"a\\\"b\\\\c\"} 1"));
}

}  // namespace
}  // namespace tender

// GET /metrics (metrics.h): tender's state in the Prometheus text format.

#include "api/metrics.h"

#include <sstream>

namespace tender {

namespace {

std::string escapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void header(std::ostringstream& o, const char* name, const char* type, const char* help) {
  o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
}

std::string number(double v) {
  std::ostringstream o;
  o.precision(10);
  o << v;
  return o.str();
}

}  // namespace

std::string renderMetrics(const MetricsSnapshot& s) {
  std::ostringstream o;
  header(o, "tender_services", "gauge", "Services by phase.");
  for (const auto& [phase, n] : s.servicesByPhase) {
    o << "tender_services{phase=\"" << escapeLabel(phase) << "\"} " << n << "\n";
  }
  header(o, "tender_container_restarts_total", "counter", "Container restarts by namespace and service.");
  for (const auto& [key, n] : s.restarts) {
    o << "tender_container_restarts_total{namespace=\"" << escapeLabel(key.first) << "\",service=\""
      << escapeLabel(key.second) << "\"} " << n << "\n";
  }
  header(o, "tender_reconciles_total", "counter", "Reconciles run, whatever their outcome.");
  o << "tender_reconciles_total " << s.controller.reconcilesTotal << "\n";
  header(o, "tender_reconcile_errors_total", "counter", "Reconciles that failed and were retried.");
  o << "tender_reconcile_errors_total " << s.controller.errorsTotal << "\n";
  header(o, "tender_reconcile_duration_seconds", "histogram", "How long one reconcile took.");
  const auto& h = s.controller.reconcileDuration;
  const auto& bounds = DurationHistogram::bounds();
  for (size_t i = 0; i < h.cumulative.size(); ++i) {
    std::string le = i < bounds.size() ? number(bounds[i]) : "+Inf";
    o << "tender_reconcile_duration_seconds_bucket{le=\"" << le << "\"} " << h.cumulative[i] << "\n";
  }
  o << "tender_reconcile_duration_seconds_sum " << number(h.sum) << "\n";
  o << "tender_reconcile_duration_seconds_count " << h.count << "\n";
  header(o, "tender_workqueue_depth", "gauge", "Keys waiting for a worker.");
  o << "tender_workqueue_depth " << s.controller.queueDepth << "\n";
  header(o, "tender_events_stream_reconnects_total", "counter", "Times the engine's events stream was reopened.");
  o << "tender_events_stream_reconnects_total " << s.eventStreamReconnects << "\n";
  header(o, "tender_engine_up", "gauge", "1 when the Docker engine answers its ping.");
  o << "tender_engine_up " << (s.engineUp ? 1 : 0) << "\n";
  header(o, "tender_engine_calls_total", "counter", "Docker Engine API calls by operation.");
  for (const auto& [op, c] : s.engineCalls) {
    o << "tender_engine_calls_total{operation=\"" << escapeLabel(op) << "\"} " << c.calls << "\n";
  }
  header(o, "tender_engine_call_errors_total", "counter",
         "Docker Engine API calls that failed, by operation and reason.");
  for (const auto& [op, c] : s.engineCalls) {
    for (const auto& [reason, n] : c.errors) {
      o << "tender_engine_call_errors_total{operation=\"" << escapeLabel(op) << "\",reason=\""
        << escapeLabel(reason) << "\"} " << n << "\n";
    }
  }
  header(o, "tender_engine_call_duration_seconds", "histogram", "Docker Engine API call latency by operation.");
  for (const auto& [op, c] : s.engineCalls) {
    const auto& eh = c.duration;
    const std::string l = "operation=\"" + escapeLabel(op) + "\"";
    for (size_t i = 0; i < eh.cumulative.size(); ++i) {
      std::string le = i < bounds.size() ? number(bounds[i]) : "+Inf";
      o << "tender_engine_call_duration_seconds_bucket{" << l << ",le=\"" << le << "\"} " << eh.cumulative[i]
        << "\n";
    }
    o << "tender_engine_call_duration_seconds_sum{" << l << "} " << number(eh.sum) << "\n";
    o << "tender_engine_call_duration_seconds_count{" << l << "} " << eh.count << "\n";
  }
  header(o, "tender_container_memory_bytes", "gauge",
         "Memory used by each running managed container, page cache excluded (sampled).");
  for (const auto& m : s.memory) {
    o << "tender_container_memory_bytes{namespace=\"" << escapeLabel(m.ns) << "\",service=\""
      << escapeLabel(m.service) << "\",container=\"" << escapeLabel(m.container) << "\"} " << m.bytes << "\n";
  }
  header(o, "tender_watchers", "gauge", "Clients watching the events stream.");
  o << "tender_watchers " << s.watchers << "\n";
  header(o, "tender_api_throttled_total", "counter",
         "Requests answered 429 per token: past its request budget (limit=\"requests\") or its cap "
         "on open watches (limit=\"watches\").");
  for (const auto& [token, t] : s.tokens) {
    if (t.refusedRequests > 0)
      o << "tender_api_throttled_total{token=\"" << escapeLabel(token) << "\",limit=\"requests\"} "
        << t.refusedRequests << "\n";
    if (t.refusedStreams > 0)
      o << "tender_api_throttled_total{token=\"" << escapeLabel(token) << "\",limit=\"watches\"} "
        << t.refusedStreams << "\n";
  }
  header(o, "tender_api_open_watches", "gauge", "Streams each budgeted token holds open.");
  for (const auto& [token, t] : s.tokens) {
    o << "tender_api_open_watches{token=\"" << escapeLabel(token) << "\"} " << t.openStreams << "\n";
  }
  header(o, "tender_memory_allocatable_bytes", "gauge",
         "Memory replicas are admitted against: the host's minus the system reserve (0: unknown).");
  o << "tender_memory_allocatable_bytes " << s.allocatableBytes << "\n";
  header(o, "tender_memory_reserved_bytes", "gauge", "Memory reserved by admitted replicas, per namespace.");
  for (const auto& [ns, bytes] : s.reservedBytes) {
    o << "tender_memory_reserved_bytes{namespace=\"" << escapeLabel(ns) << "\"} " << bytes << "\n";
  }
  return o.str();
}

void registerMetricsRoute(Router& router, std::function<MetricsSnapshot()> snapshot) {
  router.add("GET", "/metrics", [snapshot = std::move(snapshot)](const HttpRequest& req) {
    if (req.principal && !req.principal->allNamespaces) {
      return HttpResponse::Error(Status::Forbidden("token \"" + req.principal->name +
                                                   "\" may not read /metrics: it needs all namespaces (\"*\")"));
    }
    return HttpResponse::Text(200, renderMetrics(snapshot()), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace tender

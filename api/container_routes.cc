// What reads or runs things in a service's containers, through the engine:
// their logs (listed, or followed as a chunked stream) and their CPU and
// memory against their limits (stats); the replicas a route picks
// (container_replicas.h). Commands run in them: exec_routes.cc.
// The router has already checked that the token may use the namespace.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "api/container_replicas.h"
#include "api/http_status.h"
#include "api/log_follow.h"
#include "api/log_query.h"
#include "api/resource_routes.h"
#include "api/route_helpers.h"
#include "base/time_format.h"
#include "engine/labels.h"
#include "reconcilers/service_status.h"

namespace tender {
namespace {

using nlohmann::json;

// The gap between the two stats samples a CPU rate is taken from.
constexpr Millis kCpuSampleGap{500};

struct LogsQuery {
  int tail = -1;
  std::string since;  // the engine's form
  bool timestamps = false;
  bool follow = false;
  bool previous = false;
  int replica = -1;
};

Result<LogsQuery> logsQueryOf(const HttpRequest& req, WallTime now) {
  LogsQuery q;
  if (std::string t = req.queryParam("tail"); t != "all") {
    auto n = nonNegative(req, "tail");
    if (!n.ok()) return n.status();
    q.tail = *n;
  }
  if (std::string s = req.queryParam("since"); !s.empty()) {
    auto since = engineSince("since", s, now);
    if (!since.ok()) return since.status();
    q.since = *since;
  }
  q.timestamps = truthy(req.queryParam("timestamps"));
  q.follow = truthy(req.queryParam("follow"));
  q.previous = truthy(req.queryParam("previous"));
  auto replica = nonNegative(req, "replica");
  if (!replica.ok()) return replica.status();
  q.replica = *replica;
  if (q.previous && q.follow) {
    return Status::Invalid("previous: a terminated run's logs cannot be followed",
                           {{"previous", "cannot be combined with follow"}});
  }
  return q;
}

// The newest post-mortem of each replica (or of replica q.replica): its
// last lines, as the store kept them when the container died.
HttpResponse previousLogs(Store& store, const std::string& ns, const std::string& name,
                          const LogsQuery& q) {
  auto deaths = store.terminations(ns, name, q.replica, 1000);
  if (!deaths.ok()) return HttpResponse::Error(deaths.status());
  std::map<int, const TerminationRecord*> newest;  // newest first from the store
  for (const TerminationRecord& t : *deaths) newest.emplace(t.replica, &t);
  if (newest.empty()) {
    std::string what = "service \"" + name + "\"";
    if (q.replica >= 0) what = "replica " + std::to_string(q.replica) + " of " + what;
    return HttpResponse::Error(Status::NotFound("no terminated run of " + what + " is recorded"));
  }
  std::string out;
  for (const auto& [replica, t] : newest) {
    auto logs = t->data.find("logs");
    if (logs == t->data.end() || !logs->is_array()) continue;
    std::vector<std::string> lines;
    for (const json& l : *logs)
      if (l.is_string()) lines.push_back(l.get<std::string>());
    const size_t from = q.tail >= 0 && static_cast<size_t>(q.tail) < lines.size()
                            ? lines.size() - static_cast<size_t>(q.tail)
                            : 0;
    for (size_t i = from; i < lines.size(); ++i) out += replicaPrefix(name, replica) + lines[i] + "\n";
  }
  return HttpResponse::Text(200, std::move(out));
}

HttpResponse serviceLogs(FollowScope scope, const Clock& clock, const LogsQuery& q, EventWatchHub* hub) {
  DockerEngine& engine = *scope.engine;
  const std::string& instance = scope.instance;
  const std::string& ns = scope.ns;
  const std::string& name = scope.name;
  // Taken before the backlog is read: a follow of a container that gave no
  // line resumes from here, so nothing written meanwhile is missed.
  const WallTime startedAt = clock.now();
  auto replicas = replicasOf(engine, instance, ns, name, q.replica);
  if (!replicas.ok()) return HttpResponse::Error(replicas.status());
  if (q.replica >= 0 && replicas->empty()) {
    return HttpResponse::Error(Status::NotFound("replica " + std::to_string(q.replica) +
                                                " of service \"" + name + "\" has no container"));
  }
  std::vector<std::vector<TimedLogLine>> backlog;
  std::vector<std::string> prefixes;
  std::vector<FollowedContainer> followed;
  for (const Replica& r : *replicas) {
    auto info = engine.inspectContainer(r.container.id);
    if (info.status().IsNotFound()) continue;  // removed meanwhile
    if (!info.ok()) return HttpResponse::Error(info.status().WithContext("inspect " + r.container.name));
    LogOptions lo;
    lo.tail = q.tail;
    lo.since = q.since;
    lo.timestamps = true;
    auto logs = engine.containerLogs(r.container.id, lo);
    if (logs.status().IsNotFound()) continue;
    if (!logs.ok()) return HttpResponse::Error(logs.status().WithContext("logs of " + r.container.name));
    std::vector<TimedLogLine> lines;
    for (const LogLine& l : *logs) lines.push_back(splitTimestamp(l.text));
    for (TimedLogLine& l : lines) l.text = replicaPrefix(name, r.index) + l.text;
    FollowedContainer f;
    f.id = r.container.id;
    f.tty = info->tty;
    f.prefix = replicaPrefix(name, r.index);
    if (!lines.empty() && !lines.back().time.empty()) {
      f.last.time = lines.back().time;
      auto t = parseRfc3339(f.last.time);
      f.since = t ? engineTime(*t) : engineTime(startedAt);
    } else {
      f.since = engineTime(startedAt);
    }
    f.running = info->state.running;
    followed.push_back(f);
    backlog.push_back(std::move(lines));
  }
  std::string first;
  for (const TimedLogLine& l : mergeInTimeOrder(backlog)) first += renderLogLine("", l, q.timestamps);
  if (!q.follow) return HttpResponse::Text(200, std::move(first));
  const bool timestamps = q.timestamps;
  scope.replica = q.replica;
  return HttpResponse::Stream(
      200, "text/plain; charset=utf-8",
      [scope, first, followed, timestamps, hub](std::shared_ptr<StreamSink> sink) {
        if (!first.empty() && !sink->write(first)) return;
        followServiceLogs(sink, timestamps, scope, followed, hub);
      });
}

HttpResponse serviceStats(DockerEngine& engine, const std::string& instance, Store& store,
                          Clock& clock, const HttpRequest& req) {
  const std::string& ns = req.params.at("ns");
  const std::string& name = req.params.at("name");
  auto only = nonNegative(req, "replica");
  if (!only.ok()) return HttpResponse::Error(only.status());
  if (Status s = serviceExists(store, ns, name); !s.ok()) return HttpResponse::Error(s);
  auto replicas = replicasOf(engine, instance, ns, name, *only);
  if (!replicas.ok()) return HttpResponse::Error(replicas.status());
  struct Sample {
    const Replica* replica;
    Result<ContainerInfo> info = Status::Internal("unread");
    Result<ContainerStats> first = Status::Internal("unread");
  };
  std::vector<Sample> samples;
  for (const Replica& r : *replicas) {
    Sample s{&r};
    s.info = engine.inspectContainer(r.container.id);
    if (s.info.ok() && s.info->state.running) s.first = engine.containerStats(r.container.id);
    samples.push_back(std::move(s));
  }
  {
    // The CPU rate is the use between two samples.
    std::mutex mu;
    std::condition_variable cv;
    std::unique_lock<std::mutex> l(mu);
    clock.waitFor(l, cv, kCpuSampleGap, [] { return false; });
  }
  json items = json::array();
  for (Sample& s : samples) {
    json j = {{"replica", s.replica->index},
              {"container", s.replica->container.name},
              {"state", s.replica->container.state}};
    if (s.info.ok()) {
      j["memoryLimitBytes"] = s.info->memoryLimit;
      int64_t nanoCpus = 0;
      const json& hc = s.info->raw.contains("HostConfig") ? s.info->raw["HostConfig"] : json();
      if (hc.is_object() && hc.contains("NanoCpus") && hc["NanoCpus"].is_number())
        nanoCpus = hc["NanoCpus"].get<int64_t>();
      j["cpuLimit"] = static_cast<double>(nanoCpus) / 1e9;
    }
    if (s.first.ok()) {
      auto second = engine.containerStats(s.replica->container.id);
      if (second.ok()) {
        j["memoryBytes"] = second->memoryUsageBytes;
        const int64_t cpu = second->cpuTotalNs - s.first->cpuTotalNs;
        const int64_t sys = second->systemCpuNs - s.first->systemCpuNs;
        const int cpus = second->onlineCpus > 0 ? second->onlineCpus : 1;
        // As docker stats: 100 is one CPU busy.
        j["cpuPercent"] = sys > 0 && cpu >= 0 ? 100.0 * cpus * static_cast<double>(cpu) / static_cast<double>(sys) : 0.0;
      } else {
        j["error"] = second.status().message();
      }
    } else if (s.info.ok() && s.info->state.running) {
      j["error"] = s.first.status().message();
    }
    items.push_back(std::move(j));
  }
  return HttpResponse::Json(200, {{"apiVersion", kApiVersion},
                                  {"kind", "ReplicaStatsList"},
                                  {"service", name},
                                  {"namespace", ns},
                                  {"items", items}});
}

}  // namespace

Result<std::vector<Replica>> replicasOf(DockerEngine& engine, const std::string& instance,
                                        const std::string& ns, const std::string& name, int only) {
  auto listed = engine.listContainers(ownedFilters(instance, ns, name), true);
  if (!listed.ok()) return listed.status().WithContext("list the service's containers");
  std::vector<Replica> out;
  for (const ContainerSummary& c : *listed) {
    const int replica = observedFromSummary(c).replica;
    if (only >= 0 && replica != only) continue;
    out.push_back({replica, c});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Replica& a, const Replica& b) { return a.index < b.index; });
  return out;
}

Result<int> nonNegative(const HttpRequest& req, const std::string& param) {
  std::string v = req.queryParam(param);
  if (v.empty()) return -1;
  if (v == "0") return 0;
  return parsePositive(param, v);
}

Status serviceExists(Store& store, const std::string& ns, const std::string& name) {
  auto rec = store.get("Service", ns, name);
  if (rec.status().IsNotFound() || (rec.ok() && rec->deletedAt))
    return Status::NotFound(notFoundMessage("Service", ns, name));
  return rec.status();
}

Result<ContainerSummary> runningReplica(DockerEngine& engine, const std::string& instance,
                                        const std::string& ns, const std::string& name, int replica) {
  auto replicas = replicasOf(engine, instance, ns, name, replica);
  if (!replicas.ok()) return replicas.status();
  for (const Replica& r : *replicas)
    if (r.container.state == "running") return r.container;
  std::string what = replica >= 0 ? "replica " + std::to_string(replica) + " of service \"" + name + "\""
                                  : "service \"" + name + "\"";
  if (replicas->empty()) return Status::NotFound(what + " has no container");
  return Status::Conflict(what + " has no running container (" + replicas->front().container.state + ")");
}

void registerContainerRoutes(Router& router, Store& store, Clock& clock,
                             const ResourceApiOptions& opts) {
  DockerEngine* engine = opts.engine;
  const std::string instance = opts.instance;
  const Status noEngine = Status::Unavailable("this server does not reach an engine");

  // ?tail=N&since=10m|RFC3339&timestamps=true&replica=N&follow=true|previous=true
  EventWatchHub* hub = opts.watch;
  router.add("GET", "/api/v1/namespaces/{ns}/services/{name}/logs",
             [&store, &clock, engine, instance, noEngine, hub](const HttpRequest& req) {
               const std::string& ns = req.params.at("ns");
               const std::string& name = req.params.at("name");
               auto q = logsQueryOf(req, clock.now());
               if (!q.ok()) return HttpResponse::Error(q.status());
               if (Status s = serviceExists(store, ns, name); !s.ok()) return HttpResponse::Error(s);
               if (q->previous) return previousLogs(store, ns, name, *q);
               if (!engine) return HttpResponse::Error(noEngine);
               return serviceLogs(FollowScope{engine, &store, instance, ns, name, q->replica}, clock, *q,
                                  hub);
             });

  router.add("GET", "/api/v1/namespaces/{ns}/services/{name}/stats",
             [&store, &clock, engine, instance, noEngine](const HttpRequest& req) {
               if (!engine) return HttpResponse::Error(noEngine);
               return serviceStats(*engine, instance, store, clock, req);
             });
}

}  // namespace tender

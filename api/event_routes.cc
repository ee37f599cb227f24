// GET /api/v1/events: what tender did, listed or (?watch=true) streamed.
#include "api/http_status.h"
#include "api/resource_routes.h"
#include "api/route_helpers.h"
#include "base/time_format.h"
#include "manifests/manifest.h"
#include "reconcilers/events.h"
#include "reconcilers/post_mortem.h"

namespace tender {

void registerEventRoutes(Router& router, Store& store, const ResourceApiOptions& opts) {
  // Events, oldest first. ?namespace=NS&kind=K&name=N filter; ?since=ID
  // gives those after an id (the oldest `limit` of them), without it the
  // newest `limit` (default 1000). ?watch=true streams them (see
  // EventWatchHub): from `since` when given, else from now.
  router.add("GET", "/api/v1/events", [&store, opts](const HttpRequest& req) {
    EventQuery q;
    std::string ns = req.queryParam("namespace");
    if (!ns.empty()) {
      if (!req.mayUse(ns)) return HttpResponse::Error(forbidden(req, ns, "namespace"));
      q.namespace_ = ns;
    }
    if (std::string kind = req.queryParam("kind"); !kind.empty()) q.kind = kind;
    if (std::string name = req.queryParam("name"); !name.empty()) q.name = name;
    const std::string since = req.queryParam("since");
    if (!since.empty()) {
      auto id = parseId("since", since);
      if (!id.ok()) return HttpResponse::Error(id.status());
      q.sinceId = *id;
    }
    if (std::string limit = req.queryParam("limit"); !limit.empty()) {
      auto n = parsePositive("limit", limit);
      if (!n.ok()) return HttpResponse::Error(n.status());
      q.limit = *n;
    }
    if (truthy(req.queryParam("watch"))) {
      if (!opts.watch)
        return HttpResponse::Error(Status::Unavailable("this server does not serve watches"));
      EventWatchHub* hub = opts.watch;
      if (hub->full())
        return HttpResponse::Error(Status::Unavailable("too many watchers; try again later"));
      std::optional<Principal> principal = req.principal;
      const bool fromNow = since.empty();
      return HttpResponse::Stream(
          200, "application/x-ndjson",
          [hub, q, fromNow, principal](std::shared_ptr<StreamSink> sink) {
            Status s = hub->add(sink, q, fromNow, principal);
            if (!s.ok()) {
              // The header is out: the refusal is the stream's one line.
              nlohmann::json err = {
                  {"kind", "Error"},
                  {"error",
                   {{"code", httpStatusOf(s)}, {"reason", s.reason()}, {"message", s.message()}}}};
              sink->write(err.dump() + "\n");
              sink->end();
            }
          });
    }
    q.latest = since.empty();
    auto events = store.events(q);
    if (!events.ok()) return HttpResponse::Error(events.status());
    nlohmann::json items = nlohmann::json::array();
    for (const auto& e : *events) {
      if (!req.mayUse(eventNamespace(e))) continue;
      items.push_back(eventJson(e));
    }
    return HttpResponse::Json(
        200, {{"apiVersion", kApiVersion}, {"kind", "EventList"}, {"items", items}});
  });
}

}  // namespace tender

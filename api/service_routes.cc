// A service's actions and history: restart its replicas, read its
// post-mortems (its containers' logs, exec and stats: container_routes.cc).
#include "api/http_status.h"
#include "api/resource_routes.h"
#include "api/route_helpers.h"
#include "base/time_format.h"
#include "manifests/manifest.h"
#include "reconcilers/events.h"
#include "reconcilers/post_mortem.h"

namespace tender {

void registerServiceRoutes(Router& router, Store& store, Clock& clock, Enqueue enqueue,
                           const ResourceApiOptions& opts) {
  router.add(
      "POST", "/api/v1/namespaces/{ns}/services/{name}/restart",
      [&store, &clock, enqueue, opts](const HttpRequest& req) {
        const std::string& ns = req.params.at("ns");
        const std::string& name = req.params.at("name");
        auto rec = store.get("Service", ns, name);
        if (rec.status().IsNotFound() || (rec.ok() && rec->deletedAt)) {
          return HttpResponse::Error(Status::NotFound(notFoundMessage("Service", ns, name)));
        }
        if (!rec.ok()) return HttpResponse::Error(rec.status());
        if (!opts.restartService)
          return HttpResponse::Error(Status::Unavailable("this server cannot restart services"));
        Key key{"Service", ns, name};
        Status requested = opts.restartService(key);
        if (!requested.ok()) return HttpResponse::Error(requested.WithContext("request the restart"));
        recordChange(store, clock, "Service", ns, name, "RestartRequested",
                     "restart of every replica requested", principalName(req));
        enqueue(key);
        return HttpResponse::Json(
            202, {{"kind", "Status"},
                  {"status", "Success"},
                  {"message", "restart of service \"" + name + "\" requested"},
                  {"details", {{"kind", "Service"}, {"namespace", ns}, {"name", name}}}});
      });

  // Post-mortems of a service's container deaths, newest first:
  // ?replica=N&limit=N (default 20).
  router.add("GET", "/api/v1/namespaces/{ns}/services/{name}/terminations",
             [&store](const HttpRequest& req) {
               const std::string& ns = req.params.at("ns");
               const std::string& name = req.params.at("name");
               int limit = 20;
               if (std::string l = req.queryParam("limit"); !l.empty()) {
                 auto n = parsePositive("limit", l);
                 if (!n.ok()) return HttpResponse::Error(n.status());
                 limit = *n;
               }
               int replica = -1;
               if (std::string r = req.queryParam("replica"); !r.empty()) {
                 if (r == "0") {
                   replica = 0;
                 } else {
                   auto n = parsePositive("replica", r);
                   if (!n.ok()) return HttpResponse::Error(n.status());
                   replica = *n;
                 }
               }
               auto rec = store.get("Service", ns, name);
               if (rec.status().IsNotFound())
                 return HttpResponse::Error(Status::NotFound(notFoundMessage("Service", ns, name)));
               if (!rec.ok()) return HttpResponse::Error(rec.status());
               auto deaths = store.terminations(ns, name, replica, limit);
               if (!deaths.ok()) return HttpResponse::Error(deaths.status());
               nlohmann::json items = nlohmann::json::array();
               for (const TerminationRecord& t : *deaths) {
                 nlohmann::json j = terminationJson(t);
                 j["replica"] = t.replica;
                 items.push_back(std::move(j));
               }
               return HttpResponse::Json(
                   200,
                   {{"apiVersion", kApiVersion}, {"kind", "TerminationList"}, {"items", items}});
             });
}

}  // namespace tender

// registerResourceApi (resource_api.h): registers every resource route, each
// kind's and each concern's from its own file.

#include "api/resource_api.h"

#include "api/apply_api.h"
#include "api/resource_routes.h"
#include "base/time_format.h"
#include "manifests/manifest.h"

namespace tender {

nlohmann::json objectFromRecord(const ResourceRecord& r) {
  nlohmann::json meta = {{"name", r.name},
                         {"uid", r.uid},
                         {"generation", r.generation},
                         {"resourceVersion", std::to_string(r.resourceVersion)},
                         {"creationTimestamp", formatRfc3339Millis(r.createdAt)}};
  if (r.kind != "Namespace") meta["namespace"] = r.namespace_;
  if (!r.labels.empty()) meta["labels"] = r.labels;
  if (r.deletedAt) meta["deletionTimestamp"] = formatRfc3339Millis(*r.deletedAt);
  nlohmann::json spec = r.spec;
  auto decoded = decodeStored(r.kind, r.namespace_, r.name, r.labels, r.spec);
  if (decoded.ok()) {
    nlohmann::json full = encodeResource(*decoded);
    if (full.contains("spec")) spec = full["spec"];
  }
  return {{"apiVersion", kApiVersion},
          {"kind", r.kind},
          {"metadata", meta},
          {"spec", spec},
          {"status", r.status}};
}

void registerResourceApi(Router& router, Store& store, Clock& clock, ResourceApiOptions opts) {
  auto enqueue = opts.enqueue ? opts.enqueue : [](const Key&) {};

  router.addPublic("GET", "/healthz",
                   [](const HttpRequest&) { return HttpResponse::Text(200, "ok\n"); });
  router.addPublic("GET", "/readyz", [opts](const HttpRequest& req) {
    Status s = opts.readiness ? opts.readiness() : Status::Ok();
    if (req.query.count("verbose") > 0 && req.queryParam("verbose") != "false") {
      std::string out;
      if (opts.readinessDetail)
        for (const std::string& line : opts.readinessDetail()) out += line + "\n";
      out += s.ok() ? "readyz check passed\n" : "readyz check failed: " + s.message() + "\n";
      return HttpResponse::Text(s.ok() ? 200 : 503, out);
    }
    if (!s.ok()) return HttpResponse::Error(Status::Unavailable("not ready: " + s.message()));
    return HttpResponse::Text(200, "ok\n");
  });
  router.add("GET", "/version", [opts](const HttpRequest&) {
    nlohmann::json v = {{"version", TENDER_VERSION}, {"apiVersion", kApiVersion}};
    if (opts.versionInfo) {
      nlohmann::json info = opts.versionInfo();
      for (auto& [k, val] : info.items()) v[k] = val;
    }
    return HttpResponse::Json(200, v);
  });

  ApplyRouteOptions applyOptions;
  applyOptions.enqueue = enqueue;
  applyOptions.planService = opts.planService;
  applyOptions.uploads = {opts.contexts, opts.files};
  applyOptions.composeProject = opts.composeProject;
  applyOptions.removeComposeContainers = opts.removeComposeContainers;
  registerApplyRoute(router, store, clock, applyOptions);
  registerObjectRoutes(router, store, clock, enqueue, {opts.contexts, opts.files}, opts.objectWatch);
  registerBuildContextRoutes(router, opts.contexts);
  registerFileRoutes(router, opts.files);
  registerEventRoutes(router, store, opts);
  registerServiceRoutes(router, store, clock, enqueue, opts);
  registerContainerRoutes(router, store, clock, opts);
  registerExecRoutes(router, store, clock, opts);

  // Cleanup is host-wide business: only a token for every namespace may ask.
  router.add("POST", "/api/v1/prune", [opts](const HttpRequest& req) {
    if (req.principal && !req.principal->allNamespaces) {
      return HttpResponse::Error(Status::Forbidden(
          "token \"" + req.principal->name + "\" may not prune: it needs all namespaces (\"*\")"));
    }
    if (!opts.prune) return HttpResponse::Error(Status::Unavailable("this server cannot prune"));
    CleanupOptions co;
    co.trigger = "prune";
    co.images = false;
    struct Flag {
      const char* param;
      bool* value;
    };
    for (const Flag& f : {Flag{"dryRun", &co.dryRun}, Flag{"images", &co.images},
                          Flag{"volumes", &co.volumes}, Flag{"allHost", &co.allHost}}) {
      const std::string v = req.queryParam(f.param);
      if (v.empty()) continue;
      if (v != "true" && v != "false" && v != "1" && v != "0") {
        return HttpResponse::Error(
            Status::Invalid(std::string(f.param) + ": \"" + v + "\" is not true or false",
                            {{f.param, "\"" + v + "\" is not true or false"}}));
      }
      *f.value = v == "true" || v == "1";
    }
    auto report = opts.prune(co);
    if (!report.ok()) return HttpResponse::Error(report.status());
    return HttpResponse::Json(200, *report);
  });
}

}  // namespace tender

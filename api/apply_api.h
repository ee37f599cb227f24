// POST /api/v1/apply: many objects, written all or none.
//
// planApply() is the one step that decides: it reads the request (manifests
// or a Compose file, ?namespace, ?ttl, ?prune, ?dryRun, ?baseDir for a
// Compose file's relative binds) and a read
// view of the store, and returns either every field error (400), what the
// caller may not write (403: request_admission.h), or the plan: the writes in order
// (implicit namespaces, then namespaces, networks, volumes, services, then
// what --prune deletes). It writes nothing. The route then commits the
// writes in one store transaction (Store::commit), so an error in the
// seventh object leaves the first six unwritten, and only after the commit
// records events and enqueues keys.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/request_admission.h"
#include "engine/compose_project.h"
#include "api/router.h"
#include "base/clock.h"
#include "controller/reconciler.h"
#include "manifests/resource.h"
#include "policy/security_policy.h"
#include "store/upload_store.h"
#include "store/store.h"

namespace tender {

struct ApplyPlan {
  bool dryRun = false;
  bool prune = false;
  // The writes, in the order they are committed. For each kUpsert, the
  // resource it came from (resources[i] for writes[firstResourceWrite + i]).
  std::vector<ResourceWrite> writes;
  std::vector<Resource> resources;
  size_t firstResourceWrite = 0;
  std::vector<std::string> warnings;  // Compose keys tender does not support
  std::string by;                     // the token's name, for the events
};

// `resolve` reads host paths as the host does now (hostPathResolver());
// `uploads` holds what specs name by digest.
Result<ApplyPlan> planApply(const HttpRequest& req, Store& view, const ResolveHostPath& resolve,
                            Uploads uploads = {});

// planApply's decision once the request is parsed: for any route that
// writes objects (a PUT is a plan of one).
struct PlanOptions {
  bool dryRun = false;
  bool prune = false;
  std::optional<int64_t> ttlMs;  // namespaces the plan creates expire after it
  // Where each digest a spec names must have been uploaded (null: a digest
  // is never found).
  Uploads uploads;
};
Result<ApplyPlan> planWrites(const Requester& who, std::vector<Resource> resources,
                             const PlanOptions& options, Store& view,
                             const ResolveHostPath& resolve);

// Writes `plan` in one transaction, then records an event for each change
// and enqueues each key; `items` (if given) gets the answer's items.
Result<std::vector<WriteResult>> commitPlan(const ApplyPlan& plan, Store& store, Clock& clock,
                                            const std::function<void(const Key&)>& enqueue,
                                            nlohmann::json* items);

struct ApplyRouteOptions {
  std::function<void(const Key&)> enqueue;
  // A dry run's container plan of a service ({"plan":[...],"warnings":[...]}).
  std::function<Result<nlohmann::json>(const Resource&)> planService;
  Uploads uploads;
  // What docker compose left of the project a namespace is
  // (api/compose_takeover.h); unset: nothing is taken over. And the removal
  // of a project's containers that ?replaceCompose asks for.
  std::function<Result<ComposeFootprint>(const std::string& project)> composeProject;
  std::function<Status(const ComposeFootprint&)> removeComposeContainers;
};

void registerApplyRoute(Router& router, Store& store, Clock& clock, ApplyRouteOptions options);

}  // namespace tender

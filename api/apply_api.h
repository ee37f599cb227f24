// POST /api/v1/apply: many objects, written all or none.
//
// planApply() is the one step that decides: it reads the request (manifests
// or a Compose file, ?namespace, ?ttl, ?prune, ?dryRun, ?baseDir) and a read
// view of the store, and returns either every field error (400), the
// namespace the caller may not use (403), or the plan: the writes in order
// (implicit namespaces, then namespaces, networks, volumes, services, then
// what --prune deletes). It writes nothing. The route then commits the
// writes in one store transaction (Store::commit), so an error in the
// seventh object leaves the first six unwritten, and only after the commit
// records events and enqueues keys.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "api/router.h"
#include "base/clock.h"
#include "controller/reconciler.h"
#include "manifests/resource.h"
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
};

Result<ApplyPlan> planApply(const HttpRequest& req, Store& view);

struct ApplyRouteOptions {
  std::function<void(const Key&)> enqueue;
  // A dry run's container plan of a service ({"plan":[...],"warnings":[...]}).
  std::function<Result<nlohmann::json>(const Resource&)> planService;
};

void registerApplyRoute(Router& router, Store& store, Clock& clock, ApplyRouteOptions options);

}  // namespace tender

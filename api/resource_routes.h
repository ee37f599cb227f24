// The route groups registerResourceApi() is made of, one file each:
// object_routes.cc (list, get, put and delete of services, networks, volumes
// and namespaces), event_routes.cc (events, listed or watched),
// service_routes.cc (restart, post-mortems of a service),
// container_routes.cc (logs and stats of a service's containers),
// exec_routes.cc (commands run in them),
// build_context_routes.cc (uploads of build contexts) and
// apply_api.cc (POST /api/v1/apply). Internal to api/.
#pragma once

#include <functional>

#include "api/object_watch.h"
#include "api/resource_api.h"
#include "api/router.h"
#include "base/clock.h"
#include "store/upload_store.h"
#include "store/store.h"

namespace tender {

using Enqueue = std::function<void(const Key&)>;

// `watch` serves the lists' ?watch=true (nullptr: 503).
void registerObjectRoutes(Router& router, Store& store, Clock& clock, Enqueue enqueue,
                          Uploads uploads, ObjectWatchHub* watch);
// POST /api/v1/namespaces/{ns}/buildcontexts (build_context_routes.cc).
void registerBuildContextRoutes(Router& router, UploadStore* contexts);
// POST /api/v1/namespaces/{ns}/files (build_context_routes.cc): the bytes
// of secrets and configs.
void registerFileRoutes(Router& router, UploadStore* files);
void registerEventRoutes(Router& router, Store& store, const ResourceApiOptions& opts);
void registerServiceRoutes(Router& router, Store& store, Clock& clock, Enqueue enqueue,
                           const ResourceApiOptions& opts);
// GET .../services/{name}/logs and /stats (container_routes.cc).
void registerContainerRoutes(Router& router, Store& store, Clock& clock,
                             const ResourceApiOptions& opts);
// POST .../services/{name}/exec, and GET as a WebSocket (exec_routes.cc).
void registerExecRoutes(Router& router, Store& store, Clock& clock, const ResourceApiOptions& opts);

}  // namespace tender

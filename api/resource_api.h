// The REST API's resource routes: apply (with dry-run plans and prune),
// list, get, put and delete of services, networks, volumes and namespaces,
// restart and logs of a service, events (listed or watched), plus /healthz,
// /readyz and /version.
//
// Reads and writes of resources go to the store only; they never wait on the
// engine (the reconcilers do that), so they answer at once even when the
// engine is frozen. Only what lives in the engine asks it: logs, and the
// container-level plan of a dry run.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/event_watch.h"
#include "api/object_watch.h"
#include "api/router.h"
#include "base/clock.h"
#include "controller/reconciler.h"
#include "engine/compose_project.h"
#include "manifests/resource.h"
#include "reconcilers/janitor.h"
#include "store/upload_store.h"
#include "store/store.h"

namespace tender {

struct ResourceApiOptions {
  // Tells whether tender is ready (engine reachable, store open): ok, or why not.
  std::function<Status()> readiness;
  // /readyz?verbose=true: a line per check ("[+]engine ok") and what else
  // an operator asks first (where the host's memory is read from).
  std::function<std::vector<std::string>()> readinessDetail;
  // Extra fields for GET /version (the engine's version, once known).
  std::function<nlohmann::json()> versionInfo;
  // Puts a key on the work queue after a write.
  std::function<void(const Key&)> enqueue;
  // For a dry-run apply: what would happen to a service's containers
  // ({"plan":[...],"warnings":[...]}, see ServiceReconciler::dryRun).
  std::function<Result<nlohmann::json>(const Resource&)> planService;
  // Asks the reconciler to restart a service's replicas (then enqueued).
  std::function<Status(const Key&)> restartService;
  // Reads logs, runs commands (exec) and samples stats in a service's
  // containers, those labelled with `instance`; without it those routes
  // answer 503.
  DockerEngine* engine = nullptr;
  std::string instance;
  // POST /api/v1/prune: removes this instance's leftovers (or, with
  // allHost, prunes the engine) and returns the report (CleanupReport::toJson).
  std::function<Result<nlohmann::json>(const CleanupOptions&)> prune;
  // Serves ?watch=true; without it a watch is refused (503).
  EventWatchHub* watch = nullptr;
  // Serves the lists' ?watch=true (their objects' changes); without it 503.
  ObjectWatchHub* objectWatch = nullptr;
  // Keeps uploaded build contexts; without it an upload is refused (503)
  // and so is every spec.build.
  UploadStore* contexts = nullptr;
  // Keeps the uploaded files of secrets and configs (POST .../files), the same way.
  UploadStore* files = nullptr;
  // What docker compose left of a project, and the removal of its
  // containers (ApplyRouteOptions); unset: an apply takes nothing over.
  std::function<Result<ComposeFootprint>(const std::string& project)> composeProject;
  std::function<Status(const ComposeFootprint&)> removeComposeContainers;
};

void registerResourceApi(Router& router, Store& store, Clock& clock, ResourceApiOptions options);

// The user-facing object for a stored record: apiVersion, kind, metadata
// (name, namespace, uid, generation, resourceVersion, creationTimestamp,
// deletionTimestamp, labels), spec and status.
nlohmann::json objectFromRecord(const ResourceRecord& record);

}  // namespace tender

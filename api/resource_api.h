// The REST API's resource routes: apply, list, get and delete of services,
// networks, volumes and namespaces, plus /healthz, /readyz and /version.
//
// Handlers read and write the store only; they never wait on the engine (the
// reconcilers do that), so the API answers at once even when the engine is
// frozen.
#pragma once

#include <functional>
#include <string>

#include "api/router.h"
#include "controller/clock.h"
#include "controller/reconciler.h"
#include "store/store.h"

namespace tender {

struct ResourceApiOptions {
  // Tells whether tender is ready (engine reachable, store open): ok, or why not.
  std::function<Status()> readiness;
  // Extra fields for GET /version (the engine's version, once known).
  std::function<nlohmann::json()> versionInfo;
  // Puts a key on the work queue after a write.
  std::function<void(const Key&)> enqueue;
};

void registerResourceApi(Router& router, Store& store, Clock& clock, ResourceApiOptions options);

// The user-facing object for a stored record: apiVersion, kind, metadata
// (name, namespace, uid, generation, resourceVersion, creationTimestamp,
// deletionTimestamp, labels), spec and status.
nlohmann::json objectFromRecord(const ResourceRecord& record);

}  // namespace tender

// GET and PUT /api/v1/eviction: the eviction settings, readable and
// changeable while tender runs, by a token for all namespaces only.
#pragma once

#include <nlohmann/json.hpp>

#include "api/router.h"
#include "base/status.h"
#include "reconcilers/eviction.h"

namespace tender {

// `current` with the body's fields applied: {"threshold": "2Gi" ("" for the
// default), "priorityFloor": 1000, "recoverAfter": "30s"}. Invalid with one
// FieldError per bad or unknown field.
Result<EvictionConfig> evictionSettingsFrom(EvictionConfig current, const nlohmann::json& body);

// `evictor` must outlive the router.
void registerEvictionApi(Router& router, Evictor& evictor);

}  // namespace tender

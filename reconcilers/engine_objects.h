// Creating engine networks without duplicates.
//
// Network names are not unique to the engine: before API 1.44 its
// CheckDuplicate is best effort, and concurrent creates of one name all
// succeed (seen on 20.10: four "demo_backend" networks from one apply), after
// which every use of the name fails as ambiguous. So every network tender
// creates goes through ensureNetwork, one at a time in this process, and
// duplicates left by anyone else's race are cleaned up when found.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/docker_engine.h"
#include "store/store.h"

namespace tender {

// Returns the network named exactly `engineName`, creating it with
// `createBody` (the Engine API's NetworkCreate) when there is none. When
// several carry the name, keeps the one with containers (or the oldest by
// id order) and removes the other empty ones that `instance` owns.
Result<NetworkInfo> ensureNetwork(DockerEngine& engine, const std::string& engineName,
                                  const nlohmann::json& createBody, const std::string& instance);

// The network named exactly `engineName`, NotFound when there is none. With
// duplicates, as ensureNetwork picks it.
Result<NetworkInfo> findNetwork(DockerEngine& engine, const std::string& engineName,
                                const std::string& instance);

// Whether resource kind/ns/name ("Volume", "Network") may use the engine
// object `engineName` that exists with `labels`: yes when this instance
// created it for that resource, or when an admin's apply adopted it from
// docker compose (Store::adoption; then *adopted is set). Otherwise Conflict
// saying whose it is and, for a Compose project's object, how to take it over.
Status mayUse(Store& store, const std::string& kind, const std::string& ns,
              const std::string& name, const std::string& engineName, const Labels& labels,
              const std::string& instance, std::optional<Adoption>* adopted = nullptr);

}  // namespace tender

// What a docker compose project left on the engine: the volumes, networks
// and containers carrying its com.docker.compose.project label and none of
// tender's. tender takes over a project's volumes (with their data) and
// networks when an admin applies the project's Compose file; its containers
// are reported, and removed only when the apply asks (?replaceCompose).
//
// Thread-safety: functions of the engine they are given.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "engine/docker_engine.h"

namespace tender {

inline constexpr const char* kComposeProjectLabel = "com.docker.compose.project";
inline constexpr const char* kComposeVolumeLabel = "com.docker.compose.volume";
inline constexpr const char* kComposeNetworkLabel = "com.docker.compose.network";
inline constexpr const char* kComposeServiceLabel = "com.docker.compose.service";

struct ComposeObject {
  std::string engineName;  // "shop_db_data"
  std::string name;        // its key in the Compose file ("db_data"), from its label
};

struct ComposeContainer {
  std::string id;
  std::string name;
  std::string service;
  bool running = false;
};

struct ComposeFootprint {
  std::string project;
  std::vector<ComposeObject> volumes;
  std::vector<ComposeObject> networks;
  std::vector<ComposeContainer> containers;
  bool empty() const { return volumes.empty() && networks.empty() && containers.empty(); }
};

// True when the labels say docker compose created the object for `project`
// (and tender does not own it).
bool composeCreated(const Labels& labels, const std::string& project);

// Lists the project's objects on the engine.
Result<ComposeFootprint> findComposeProject(DockerEngine& engine, const std::string& project);

// Stops (within stopTimeoutSeconds) and removes the project's containers,
// keeping their volumes: what `docker compose down` does to containers.
Status removeComposeContainers(DockerEngine& engine, const ComposeFootprint& footprint,
                               int stopTimeoutSeconds);

}  // namespace tender

// After an end-to-end test: removes whatever a server instance left on the
// engine (its containers, networks and volumes, found by its
// tender.instance label), so the engine's disk, which outlives a test run,
// keeps nothing of it.
#pragma once

#include <string>

#include "engine/docker_engine.h"
#include "engine/labels.h"

namespace tender::testing {

inline void removeOwnedObjects(DockerEngine& engine, const std::string& instance) {
  auto containers = engine.listContainers(ownedFilters(instance), true);
  if (containers.ok()) {
    for (const auto& c : *containers) engine.removeContainer(c.id, true, true);
  }
  auto nets = engine.listNetworks(ownedFilters(instance));
  if (nets.ok()) {
    for (const auto& n : *nets) engine.removeNetwork(n.id);
  }
  auto vols = engine.listVolumes(ownedFilters(instance));
  if (vols.ok()) {
    for (const auto& v : *vols) engine.removeVolume(v.name, true);
  }
}

}  // namespace tender::testing

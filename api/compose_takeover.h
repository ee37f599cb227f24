// What an apply does with what docker compose left of the same project
// (engine/compose_project.h): a namespace is a Compose project of the same
// name, so its volumes "{ns}_{name}" may already exist, data included.
//
// decideTakeover() is pure: given what the apply writes, the projects'
// footprints and the store's adoptions, it says which objects the apply
// adopts (recorded with the write, so prune, a TTL or a deletion never
// remove them unless asked with purge), which Compose containers it removes
// first (only when ?replaceCompose asks), and what it reports. Adopting and
// replacing are an admin's acts: a tenant's apply that would take a
// project's volume over is refused with 403, so no tenant takes a
// neighbour's data by naming its project.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/request_admission.h"
#include "base/status.h"
#include "engine/compose_project.h"
#include "manifests/resource.h"
#include "store/store.h"

namespace tender {

struct Takeover {
  std::vector<Adoption> adoptions;           // new ones, to record with the apply
  std::vector<ComposeFootprint> replace;     // projects whose containers go first
  std::vector<std::string> warnings;         // what the answer reports
};

// `footprints`: the project of each namespace the apply writes objects of.
// Conflict (409) when Compose containers of a project still run and
// `replaceCompose` is false; Forbidden (403) when a tenant would adopt or
// replace.
Result<Takeover> decideTakeover(const Requester& who, const std::vector<Resource>& resources,
                                const std::map<std::string, ComposeFootprint>& footprints,
                                bool replaceCompose, Store& view);

}  // namespace tender

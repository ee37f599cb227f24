// decideTakeover (compose_takeover.h).
#include "api/compose_takeover.h"

#include <algorithm>
#include <set>

#include "api/route_helpers.h"
#include "engine/labels.h"

namespace tender {

namespace {

const ComposeObject* findObject(const std::vector<ComposeObject>& objects,
                                const std::string& engineName) {
  auto it = std::find_if(objects.begin(), objects.end(),
                         [&](const ComposeObject& o) { return o.engineName == engineName; });
  return it == objects.end() ? nullptr : &*it;
}

bool isExternal(const Resource& r) {
  return r.kind == "Volume" ? r.volume().external : r.network().external;
}

// The namespace's implicit default network is in use when a service of the
// apply joins no network by name and no Network "default" is declared.
bool usesDefaultNetwork(const std::vector<Resource>& resources, const std::string& ns) {
  bool declared = false, used = false;
  for (const Resource& r : resources) {
    if (r.kind == "Network" && r.metadata.namespace_ == ns && r.metadata.name == kDefaultNetwork)
      declared = true;
    if (r.kind == "Service" && r.metadata.namespace_ == ns && r.service().networks.empty())
      used = true;
  }
  return used && !declared;
}

struct Candidate {
  std::string kind, name, field;  // field: what a refusal names
};

// The apply's volumes and networks of `ns` that docker compose created.
std::vector<Candidate> candidatesIn(const std::vector<Resource>& resources, const std::string& ns,
                                    const ComposeFootprint& f) {
  std::vector<Candidate> out;
  for (size_t i = 0; i < resources.size(); ++i) {
    const Resource& r = resources[i];
    if ((r.kind != "Volume" && r.kind != "Network") || r.metadata.namespace_ != ns) continue;
    if (isExternal(r)) continue;
    const auto& objects = r.kind == "Volume" ? f.volumes : f.networks;
    if (findObject(objects, scopedName(ns, r.metadata.name)))
      out.push_back({r.kind, r.metadata.name, prefixOf(i, resources.size()) + "metadata.name"});
  }
  if (usesDefaultNetwork(resources, ns) && findObject(f.networks, scopedName(ns, kDefaultNetwork)))
    out.push_back({"Network", kDefaultNetwork, "spec.networks"});
  return out;
}

std::string namesOf(const std::vector<ComposeContainer>& containers, bool running) {
  std::string out;
  for (const ComposeContainer& c : containers) {
    if (c.running != running) continue;
    out += (out.empty() ? "" : ", ") + c.name;
  }
  return out;
}

// Adds the project's new adoptions, or refuses a tenant.
Status adoptIn(const Requester& who, const std::vector<Resource>& resources,
               const ComposeFootprint& f, Store& view, Takeover& out) {
  const std::string& ns = f.project;
  for (const Candidate& c : candidatesIn(resources, ns, f)) {
    const std::string engineName = scopedName(ns, c.name);
    auto existing = view.adoption(c.kind, ns, c.name);
    if (!existing.ok()) return existing.status();
    if (*existing && (*existing)->engineName == engineName) continue;
    const std::string noun = c.kind == "Volume" ? "volume" : "network";
    if (!who.admin) {
      const std::string message =
          "the " + noun + " \"" + engineName + "\" was created by docker compose for project \"" +
          ns + "\": taking it over" + (c.kind == "Volume" ? ", data included," : "") +
          " is an admin's act (apply with an admin token)";
      return Status::Forbidden("token \"" + who.name + "\" may not take over docker compose's " +
                               noun + " " + engineName)
          .WithDetails({{c.field, message}});
    }
    out.adoptions.push_back({c.kind, ns, c.name, engineName, ns, who.name, 0});
    out.warnings.push_back("took over docker compose's " + noun + " " + engineName +
                           (c.kind == "Volume"
                                ? " with its data (only a deletion with --purge removes it)"
                                : " (tender leaves it on the engine)"));
  }
  return Status::Ok();
}

// Running Compose containers: a conflict unless replaced; stopped ones are
// reported, or removed with them.
Status containersIn(const Requester& who, const ComposeFootprint& f, bool replaceCompose,
                    Takeover& out) {
  if (f.containers.empty()) return Status::Ok();
  const std::string running = namesOf(f.containers, true);
  const std::string stopped = namesOf(f.containers, false);
  if (replaceCompose) {
    if (!who.admin) {
      return Status::Forbidden("token \"" + who.name +
                               "\" may not remove docker compose's containers")
          .WithDetails({{"replaceCompose", "only an admin token replaces docker compose's containers"}});
    }
    out.replace.push_back(f);
    out.warnings.push_back("removed docker compose's containers of project " + f.project + ": " +
                           running + (running.empty() || stopped.empty() ? "" : ", ") + stopped);
    return Status::Ok();
  }
  if (!running.empty()) {
    return Status::Conflict("docker compose's containers of project \"" + f.project +
                            "\" are running (" + running + "): stop them with `docker compose -p " +
                            f.project + " down` (which keeps the volumes), or apply with "
                            "--replace-compose to have tender stop and replace them");
  }
  out.warnings.push_back("docker compose's stopped containers of project " + f.project +
                         " are left alone (" + stopped + "); --replace-compose removes them");
  return Status::Ok();
}

}  // namespace

Result<Takeover> decideTakeover(const Requester& who, const std::vector<Resource>& resources,
                                const std::map<std::string, ComposeFootprint>& footprints,
                                bool replaceCompose, Store& view) {
  Takeover out;
  for (const auto& [ns, f] : footprints) {
    if (f.empty()) continue;
    Status adopted = adoptIn(who, resources, f, view, out);
    if (!adopted.ok()) return adopted;
    Status containers = containersIn(who, f, replaceCompose, out);
    if (!containers.ok()) return containers;
  }
  return out;
}

}  // namespace tender

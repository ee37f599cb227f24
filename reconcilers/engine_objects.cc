// Creating engine networks without duplicates (engine_objects.h).

#include "reconcilers/engine_objects.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include "engine/compose_project.h"
#include "engine/labels.h"

namespace tender {

namespace {
std::mutex& networkCreation() {
  static std::mutex mu;
  return mu;
}
}  // namespace

Result<NetworkInfo> findNetwork(DockerEngine& engine, const std::string& engineName,
                                const std::string& instance) {
  // The engine's name filter matches substrings: keep exact names only.
  auto listed = engine.listNetworks(Filters{{"name", {engineName}}});
  if (!listed.ok()) return listed.status();
  std::vector<NetworkInfo> exact;
  for (auto& n : *listed) {
    if (n.name == engineName) exact.push_back(n);
  }
  if (exact.empty()) return Status::NotFound("no network named " + engineName);
  if (exact.size() == 1) return exact.front();
  // Duplicates: inspect to see which have containers, keep one.
  std::vector<NetworkInfo> inspected;
  for (const auto& n : exact) {
    auto i = engine.inspectNetwork(n.id);
    if (i.ok()) inspected.push_back(*i);
  }
  if (inspected.empty()) return exact.front();
  size_t keep = 0;
  for (size_t i = 0; i < inspected.size(); ++i) {
    if (!inspected[i].containerIds.empty()) {
      keep = i;
      break;
    }
  }
  for (size_t i = 0; i < inspected.size(); ++i) {
    if (i == keep || !inspected[i].containerIds.empty() || !ownedBy(inspected[i].labels, instance)) continue;
    Status s = engine.removeNetwork(inspected[i].id);
    spdlog::info("removed duplicate network {} ({}): {}", engineName, inspected[i].id.substr(0, 12),
                 s.ok() ? "ok" : s.ToString());
  }
  return inspected[keep];
}

Result<NetworkInfo> ensureNetwork(DockerEngine& engine, const std::string& engineName,
                                  const nlohmann::json& createBody, const std::string& instance) {
  std::lock_guard<std::mutex> l(networkCreation());
  auto found = findNetwork(engine, engineName, instance);
  if (found.ok() || !found.status().IsNotFound()) return found;
  auto created = engine.createNetwork(engineName, createBody);
  if (!created.ok()) {
    if (created.status().IsConflict()) return findNetwork(engine, engineName, instance);
    return created.status();
  }
  return engine.inspectNetwork(*created);
}

Status mayUse(Store& store, const std::string& kind, const std::string& ns,
              const std::string& name, const std::string& engineName, const Labels& labels,
              const std::string& instance, std::optional<Adoption>* adopted) {
  if (ownedAs(labels, instance, ns, name)) return Status::Ok();
  auto adoption = store.adoption(kind, ns, name);
  if (!adoption.ok()) return adoption.status();
  if (*adoption && (*adoption)->engineName == engineName) {
    if (adopted) *adopted = *adoption;
    return Status::Ok();
  }
  std::string noun = kind == "Volume" ? "volume" : "network";
  if (composeCreated(labels, ns)) {
    return Status::Conflict("a " + noun + " named \"" + engineName +
                            "\" was created by docker compose for project \"" + ns +
                            "\": apply the project with an admin token to take it over" +
                            (kind == "Volume" ? " with its data" : ""));
  }
  if (ownedBy(labels, instance)) {
    auto owner = labels.find(kLabelNamespace);
    return Status::Conflict("a " + noun + " named \"" + engineName + "\" belongs to namespace \"" +
                            (owner == labels.end() ? std::string() : owner->second) +
                            "\", not to " + kind + " " + ns + "/" + name);
  }
  return Status::Conflict("a " + noun + " named \"" + engineName +
                          "\" exists and is not managed by this tender instance");
}

}  // namespace tender

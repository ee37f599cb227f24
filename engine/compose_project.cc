// The objects a docker compose project left on the engine (compose_project.h).
#include "engine/compose_project.h"

#include "engine/labels.h"

namespace tender {

namespace {

Filters projectFilter(const std::string& project) {
  return Filters{{"label", {std::string(kComposeProjectLabel) + "=" + project}}};
}

std::string labelOr(const Labels& labels, const char* key, const std::string& fallback) {
  auto it = labels.find(key);
  return it == labels.end() || it->second.empty() ? fallback : it->second;
}

// The key of a "{project}_{key}" name, as a fallback for a missing label.
std::string keyOf(const std::string& project, const std::string& engineName) {
  const std::string prefix = project + "_";
  return engineName.rfind(prefix, 0) == 0 ? engineName.substr(prefix.size()) : engineName;
}

}  // namespace

bool composeCreated(const Labels& labels, const std::string& project) {
  auto it = labels.find(kComposeProjectLabel);
  return it != labels.end() && it->second == project && !labels.count(kLabelManaged);
}

Result<ComposeFootprint> findComposeProject(DockerEngine& engine, const std::string& project) {
  ComposeFootprint out;
  out.project = project;
  auto volumes = engine.listVolumes(projectFilter(project));
  if (!volumes.ok()) return volumes.status().WithContext("list docker compose's volumes");
  for (const VolumeInfo& v : *volumes) {
    if (!composeCreated(v.labels, project)) continue;
    out.volumes.push_back(
        {v.name, labelOr(v.labels, kComposeVolumeLabel, keyOf(project, v.name))});
  }
  auto networks = engine.listNetworks(projectFilter(project));
  if (!networks.ok()) return networks.status().WithContext("list docker compose's networks");
  for (const NetworkInfo& n : *networks) {
    if (!composeCreated(n.labels, project)) continue;
    out.networks.push_back(
        {n.name, labelOr(n.labels, kComposeNetworkLabel, keyOf(project, n.name))});
  }
  auto containers = engine.listContainers(projectFilter(project), /*all=*/true);
  if (!containers.ok()) return containers.status().WithContext("list docker compose's containers");
  for (const ContainerSummary& c : *containers) {
    if (!composeCreated(c.labels, project)) continue;
    out.containers.push_back({c.id, c.name, labelOr(c.labels, kComposeServiceLabel, ""),
                              c.state == "running" || c.state == "restarting"});
  }
  return out;
}

Status removeComposeContainers(DockerEngine& engine, const ComposeFootprint& footprint,
                               int stopTimeoutSeconds) {
  for (const ComposeContainer& c : footprint.containers) {
    if (c.running) {
      Status stopped = engine.stopContainer(c.id, stopTimeoutSeconds);
      if (!stopped.ok() && !stopped.IsNotFound()) {
        return stopped.WithContext("stop docker compose's container " + c.name);
      }
    }
    Status removed = engine.removeContainer(c.id, /*force=*/true, /*removeVolumes=*/false);
    if (!removed.ok() && !removed.IsNotFound()) {
      return removed.WithContext("remove docker compose's container " + c.name);
    }
  }
  return Status::Ok();
}

}  // namespace tender

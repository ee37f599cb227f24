// The janitor (janitor.h): finds and removes what this instance left behind on
// the engine.

#include "reconcilers/janitor.h"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "base/byte_format.h"
#include "manifests/manifest.h"
#include "reconcilers/build_context.h"
#include "reconcilers/events.h"
#include "engine/labels.h"
#include "reconcilers/post_mortem.h"

namespace tender {

namespace {

// Containers removed at once: the engine kills and reaps them in parallel.
constexpr size_t kParallelRemovals = 4;

std::string label(const Labels& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

// The key an event about a removed object is filed under, so `tender
// describe` and filtered event lists find it with the object it belonged to.
Key eventKey(const CleanupItem& item, const std::string& resource) {
  if (item.type == "container") return Key{"Service", item.namespace_, resource};
  if (item.type == "network") return Key{"Network", item.namespace_, resource};
  if (item.type == "volume") return Key{"Volume", item.namespace_, resource};
  return Key{"Image", item.namespace_, item.name};
}

CleanupItem item(std::string type, std::string name, std::string id, std::string ns, std::string reason,
                 int64_t bytes = -1) {
  CleanupItem i;
  i.type = std::move(type);
  i.name = std::move(name);
  i.id = std::move(id);
  i.namespace_ = std::move(ns);
  i.reason = std::move(reason);
  i.bytes = bytes;
  return i;
}

std::string plural(size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

nlohmann::json CleanupReport::toJson() const {
  auto items = [](const std::vector<CleanupItem>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const CleanupItem& i : list) {
      nlohmann::json j = {{"type", i.type}, {"name", i.name}, {"id", i.id}, {"reason", i.reason}};
      if (!i.namespace_.empty()) j["namespace"] = i.namespace_;
      if (i.bytes >= 0) j["bytes"] = i.bytes;
      if (!i.error.empty()) j["error"] = i.error;
      out.push_back(std::move(j));
    }
    return out;
  };
  return {{"kind", "PruneResult"},   {"trigger", trigger},        {"dryRun", dryRun},
          {"allHost", allHost},      {"removed", items(removed)}, {"failed", items(failed)},
          {"bytesFreed", bytesFreed}};
}

std::string CleanupReport::summary() const {
  std::map<std::string, size_t> counts;
  for (const CleanupItem& i : removed) counts[i.type]++;
  if (counts.empty()) return "nothing";
  std::vector<std::string> parts;
  for (const char* type : {"container", "network", "image", "volume"}) {
    if (counts.count(type)) parts.push_back(plural(counts[type], type));
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += i + 1 == parts.size() ? " and " : ", ";
    out += parts[i];
  }
  return out + " (" + formatBytes(bytesFreed) + ")";
}

bool diskIsLow(const DiskSpace& space, const LowDiskThreshold& t) {
  if (space.totalBytes <= 0) return false;
  const double fractionBytes = t.minFreeFraction * static_cast<double>(space.totalBytes);
  const int64_t floor = std::max<int64_t>(t.minFreeBytes, static_cast<int64_t>(fractionBytes));
  return space.freeBytes < floor;
}

Result<LowDiskThreshold> parseLowDiskThreshold(const std::string& text, const std::string& flag) {
  LowDiskThreshold t;
  if (!text.empty() && text.back() == '%') {
    auto fraction = parsePercentage(text);
    if (fraction.ok()) {
      t.minFreeFraction = *fraction;
      return t;
    }
  } else {
    auto bytes = parseMemoryQuantity(text);
    if (bytes.ok() && *bytes >= 0) {
      t.minFreeFraction = 0;
      t.minFreeBytes = *bytes;
      return t;
    }
  }
  return Status::Invalid(flag + ": \"" + text + "\" is neither a percentage below 100 (10%) nor a size (5Gi)",
                         {{flag, "\"" + text + "\" is neither a percentage (10%) nor a size (5Gi)"}});
}

Result<CleanupReport> Janitor::run(const CleanupOptions& o) {
  std::lock_guard<std::mutex> l(runMu_);
  CleanupReport report;
  report.trigger = o.trigger;
  report.dryRun = o.dryRun;
  report.allHost = o.allHost;
  Status s = o.allHost ? hostWide(o, report) : ownLeftovers(o, report);
  if (!s.ok()) return s.WithContext(o.trigger + " cleanup");
  if (!report.removed.empty() || !report.failed.empty()) {
    spdlog::info("{} cleanup{}: {} {}{}", o.trigger, o.dryRun ? " (dry run)" : "",
                 o.dryRun ? "would remove" : "removed", report.summary(),
                 report.failed.empty() ? "" : "; " + plural(report.failed.size(), "object") + " could not be removed");
  }
  return report;
}

bool Janitor::take(const CleanupOptions& o, CleanupReport& report, CleanupItem item, const Status& removal) {
  if (removal.IsNotFound()) return false;  // gone already: not ours to count
  if (!removal.ok()) {
    item.error = removal.message();
    spdlog::warn("{} cleanup: cannot remove {} {}: {}", o.trigger, item.type, item.name, removal.message());
    report.failed.push_back(std::move(item));
    return false;
  }
  if (!o.dryRun) spdlog::info("{} cleanup: removed {} {} ({})", o.trigger, item.type, item.name, item.reason);
  if (item.bytes > 0) report.bytesFreed += item.bytes;
  report.removed.push_back(std::move(item));
  return true;
}

Status Janitor::ownLeftovers(const CleanupOptions& o, CleanupReport& report) {
  // The engine first, then the store: whatever the store still lacks after
  // the engine was listed was not wanted when it was listed.
  auto containers = engine_.listContainers(ownedFilters(instance_), true);
  if (!containers.ok()) return containers.status();
  auto networks = engine_.listNetworks(ownedFilters(instance_));
  if (!networks.ok()) return networks.status();
  std::vector<ImageInfo> images;
  std::vector<ContainerSummary> allContainers;
  if (o.images) {
    Filters f = ownedFilters(instance_);
    auto listed = engine_.listImages(f);
    if (!listed.ok()) return listed.status();
    images = std::move(*listed);
    if (!images.empty()) {
      auto all = engine_.listContainers({}, true);
      if (!all.ok()) return all.status();
      allContainers = std::move(*all);
    }
  }
  std::vector<VolumeInfo> volumes;
  if (o.volumes) {
    Filters f = ownedFilters(instance_);
    f["dangling"] = {"true"};  // no container, anyone's, uses them
    auto listed = engine_.listVolumes(f);
    if (!listed.ok()) return listed.status();
    volumes = std::move(*listed);
  }

  std::set<std::pair<std::string, std::string>> stored;  // (kind/ns, name) of every record, deleted or not
  std::set<std::string> namespacesInUse;                  // namespaces holding any record
  std::set<std::string> builtTags;                        // images stored services build or name
  for (const char* kind : {"Service", "Network", "Volume", "Namespace"}) {
    auto records = store_.list(kind, std::nullopt);
    if (!records.ok()) return records.status();
    for (const ResourceRecord& r : *records) {
      const std::string ns = std::string(kind) == "Namespace" ? r.name : r.namespace_;
      stored.insert({std::string(kind) + "/" + ns, r.name});
      namespacesInUse.insert(ns);
      if (std::string(kind) == "Service" && !r.deletedAt) {
        auto decoded = decodeStored("Service", r.namespace_, r.name, r.labels, r.spec);
        if (decoded.ok() && decoded->service().build) {
          builtTags.insert(builtImageTag(r.namespace_, r.name, decoded->service()));
        }
      }
    }
  }

  std::vector<std::pair<CleanupItem, std::string>> candidates;  // item, resource name for events
  std::set<std::string> namespacesWithContainers;
  for (const ContainerSummary& c : *containers) {
    if (!ownedBy(c.labels, instance_) || (!protected_.empty() && c.id == protected_)) continue;
    const std::string ns = label(c.labels, kLabelNamespace);
    const std::string svc = label(c.labels, kLabelService);
    if (!ns.empty() && !svc.empty() && stored.count({"Service/" + ns, svc})) {
      namespacesWithContainers.insert(ns);
      continue;
    }
    candidates.push_back(
        {item("container", c.name, c.id, ns,
              "service \"" + svc + "\" of namespace \"" + ns + "\" is not desired (" + c.state + ")"),
         svc});
  }
  for (const NetworkInfo& n : *networks) {
    if (!ownedBy(n.labels, instance_)) continue;
    const std::string ns = label(n.labels, kLabelNamespace);
    const std::string res = label(n.labels, kLabelResource);
    if (!ns.empty() && !res.empty() && stored.count({"Network/" + ns, res})) continue;
    if (res == kDefaultNetwork && (namespacesInUse.count(ns) || namespacesWithContainers.count(ns))) continue;
    auto inspected = engine_.inspectNetwork(n.id);
    if (inspected.status().IsNotFound()) continue;
    if (!inspected.ok()) return inspected.status();
    if (!inspected->containerIds.empty()) continue;  // someone is on it
    candidates.push_back({item("network", n.name, n.id, ns, "no resource of namespace \"" + ns + "\" uses it"), res});
  }
  for (const ImageInfo& i : images) {
    if (!ownedBy(i.labels, instance_)) continue;
    bool used = false;
    for (const std::string& tag : i.repoTags) used |= builtTags.count(tag) > 0;
    for (const ContainerSummary& c : allContainers) used |= c.imageId == i.id;
    if (used) continue;
    std::string name = i.repoTags.empty() || i.repoTags.front() == "<none>:<none>" ? i.id.substr(0, 19)
                                                                                  : i.repoTags.front();
    candidates.push_back({item("image", name, i.id, label(i.labels, kLabelNamespace),
                               i.repoTags.empty() ? "an earlier build, replaced" : "no service builds it any more",
                               i.size),
                          name});
  }
  for (const VolumeInfo& v : volumes) {
    if (!ownedBy(v.labels, instance_)) continue;
    const std::string ns = label(v.labels, kLabelNamespace);
    if (namespacesInUse.count(ns)) continue;
    candidates.push_back({item("volume", v.name, v.name, ns, "namespace \"" + ns + "\" holds nothing any more"),
                          label(v.labels, kLabelResource)});
  }
  if (candidates.empty()) return Status::Ok();

  // What each takes on disk: one call, only when something goes.
  auto usage = engine_.diskUsage();
  if (usage.ok()) {
    for (auto& [item, res] : candidates) {
      if (item.type == "container" && usage->containers.count(item.id)) item.bytes = usage->containers[item.id];
      if (item.type == "volume" && usage->volumes.count(item.name)) item.bytes = usage->volumes[item.name];
    }
  } else {
    spdlog::debug("{} cleanup: no disk usage from the engine: {}", o.trigger, usage.status().message());
  }

  // Containers first (their networks, images and volumes are free after),
  // a few at a time: a forced remove waits for the engine to kill and reap.
  std::mutex mu;  // guards report
  auto removeOne = [&](CleanupItem item, const std::string& res) {
    const std::string type = item.type;
    const std::string id = item.id;
    const Key key = eventKey(item, res);
    const std::string message = "removed " + type + " " + item.name + " (" + o.trigger + " cleanup: " + item.reason + ")";
    Status s = o.dryRun ? Status::Ok()
               : type == "container" ? engine_.removeContainer(id, /*force=*/true, /*removeVolumes=*/true)
               : type == "network"   ? engine_.removeNetwork(id)
               : type == "image"     ? engine_.removeImage(id, false)
                                     : engine_.removeVolume(id, false);
    std::lock_guard<std::mutex> l(mu);
    if (take(o, report, std::move(item), s) && !o.dryRun) {
      recordEvent(store_, clock_, key, "Normal", "CleanedUp", message);
    }
  };
  std::vector<std::pair<CleanupItem, std::string>> containersToGo, rest;
  for (auto& c : candidates) (c.first.type == "container" ? containersToGo : rest).push_back(std::move(c));
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  const size_t parallel = std::min<size_t>(kParallelRemovals, containersToGo.size());
  for (size_t w = 0; w < parallel; ++w) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < containersToGo.size(); i = next++) {
        removeOne(std::move(containersToGo[i].first), containersToGo[i].second);
      }
    });
  }
  for (auto& t : workers) t.join();
  for (auto& [item, res] : rest) removeOne(std::move(item), res);
  return Status::Ok();
}

Status Janitor::hostWide(const CleanupOptions& o, CleanupReport& report) {
  auto usage = engine_.diskUsage();
  auto sizeOf = [&](const std::string& type, const std::string& id) -> int64_t {
    if (!usage.ok()) return -1;
    const auto& m = type == "container" ? usage->containers : type == "image" ? usage->images : usage->volumes;
    auto it = m.find(id);
    return it == m.end() ? -1 : it->second;
  };
  const std::string reason = "host-wide prune";
  if (o.dryRun) {
    auto stopped = engine_.listContainers(Filters{{"status", {"created", "exited", "dead"}}}, true);
    if (!stopped.ok()) return stopped.status();
    for (const auto& c : *stopped) {
      report.removed.push_back(item("container", c.name, c.id, label(c.labels, kLabelNamespace), "stopped; " + reason,
                                sizeOf("container", c.id)));
    }
    auto networks = engine_.listNetworks({});
    if (!networks.ok()) return networks.status();
    for (const auto& n : *networks) {
      if (n.name == "bridge" || n.name == "host" || n.name == "none") continue;
      auto inspected = engine_.inspectNetwork(n.id);
      if (!inspected.ok() || !inspected->containerIds.empty()) continue;
      report.removed.push_back(item("network", n.name, n.id, label(n.labels, kLabelNamespace), "unused; " + reason));
    }
    Filters imageFilter;
    if (!o.images) imageFilter["dangling"] = {"true"};
    auto images = engine_.listImages(imageFilter);
    if (!images.ok()) return images.status();
    auto all = engine_.listContainers({}, true);
    if (!all.ok()) return all.status();
    for (const auto& i : *images) {
      bool used = false;
      for (const auto& c : *all) used |= c.imageId == i.id;
      if (used) continue;
      report.removed.push_back(item("image", i.repoTags.empty() ? i.id.substr(0, 19) : i.repoTags.front(), i.id,
                                label(i.labels, kLabelNamespace), (i.repoTags.empty() ? "dangling; " : "unused; ") + reason,
                                i.size));
    }
    if (o.volumes) {
      auto volumes = engine_.listVolumes(Filters{{"dangling", {"true"}}});
      if (!volumes.ok()) return volumes.status();
      for (const auto& v : *volumes) {
        report.removed.push_back(item("volume", v.name, v.name, label(v.labels, kLabelNamespace), "unused; " + reason,
                                  sizeOf("volume", v.name)));
      }
    }
    for (const auto& i : report.removed) report.bytesFreed += std::max<int64_t>(0, i.bytes);
    return Status::Ok();
  }

  struct Step {
    const char* what;
    const char* type;
    Filters filters;
  };
  std::vector<Step> steps = {{"containers", "container", {}}, {"networks", "network", {}}};
  steps.push_back({"images", "image", Filters{{"dangling", {o.images ? "false" : "true"}}}});
  if (o.volumes) {
    // From API 1.42 a volume prune spares named volumes unless all=true; on
    // older engines it removes them anyway.
    Filters f;
    const std::string api = engine_.apiVersion();
    auto dot = api.find('.');
    if (dot != std::string::npos && std::atoi(api.c_str() + dot + 1) >= 42) f["all"] = {"true"};
    steps.push_back({"volumes", "volume", f});
  }
  for (const Step& step : steps) {
    auto pruned = engine_.prune(step.what, step.filters);
    if (!pruned.ok()) return pruned.status().WithContext(std::string("prune ") + step.what);
    for (const std::string& id : pruned->deleted) {
      report.removed.push_back(item(step.type, id.size() > 19 && id.rfind("sha256:", 0) == 0 ? id.substr(0, 19) : id,
                                    id, "", reason, sizeOf(step.type, id)));
    }
    report.bytesFreed += pruned->spaceReclaimed;
  }
  if (!report.removed.empty()) {
    recordEvent(store_, clock_, Key{"Host", "", instance_}, "Normal", "Pruned",
                "host-wide prune removed " + report.summary());
  }
  return Status::Ok();
}

}  // namespace tender

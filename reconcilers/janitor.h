// The janitor: removes what this instance left behind on the engine, before
// the first reconcile (pre-flight), periodically, early when the engine's
// disk runs low, and when a user asks (`tender prune`, POST /api/v1/prune).
//
// What is this instance's own is read from labels (naming.h), and only that
// is touched, one object at a time by id or name:
//   - containers whose service is not stored at all (deleted services,
//     a crashed tender, an earlier run); a service being deleted is left to
//     its reconciler, which records how its containers ended;
//   - networks no stored Network owns (a namespace's implicit "default"
//     only once nothing in the namespace remains), when no container is on them;
//   - images tender built (labelled at build) that no stored service builds
//     and no container, anyone's, uses — with `images`;
//   - volumes of namespaces that hold nothing any more, when no container
//     uses them — only with `volumes` (data is never removed unasked: a
//     namespace deleted with purge removes its volumes itself).
// With `allHost`, the engine's own prune endpoints run instead, host-wide:
// stopped containers, unused networks, dangling images (every unused image
// with `images`) and unused volumes (with `volumes`), whoever made them.
//
// Every removal is logged and recorded as an event on the object it belonged
// to; dry runs change nothing and report what would go.
//
// Thread-safety: run() may be called from any thread but the engine's event
// loop; runs are serialized.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/disk_space.h"
#include "engine/docker_engine.h"
#include "store/store.h"

namespace tender {

struct CleanupOptions {
  bool dryRun = false;
  bool images = true;    // images this instance built that nothing uses
  bool volumes = false;  // this instance's volumes of namespaces that hold nothing
  bool allHost = false;  // the engine's host-wide prunes
  std::string trigger = "prune";  // pre-flight | periodic | low-disk | prune: named in logs and events
};

struct CleanupItem {
  std::string type;  // container | network | image | volume
  std::string name;  // container, network or volume name; an image's first tag (or id)
  std::string id;
  std::string namespace_;
  std::string reason;  // why it goes
  int64_t bytes = -1;  // what it took on disk; -1 unknown
  std::string error;   // set when the engine refused to remove it
};

struct CleanupReport {
  std::string trigger;
  bool dryRun = false;
  bool allHost = false;
  std::vector<CleanupItem> removed;  // or, on a dry run, what would be
  std::vector<CleanupItem> failed;
  int64_t bytesFreed = 0;            // the known sizes of `removed`
  nlohmann::json toJson() const;
  // "3 containers, 1 network and 2 images (12.0 MiB)"; "nothing" when empty.
  std::string summary() const;
};

// When the disk (base/disk_space.h: the engine's data root's) counts as low: below minFreeBytes, or below minFreeFraction
// of the total (whichever is larger).
struct LowDiskThreshold {
  int64_t minFreeBytes = 0;
  double minFreeFraction = 0.10;
};
bool diskIsLow(const DiskSpace& space, const LowDiskThreshold& threshold);
// "10%" or a memory quantity ("5Gi", "500M"); Invalid naming `flag` otherwise.
Result<LowDiskThreshold> parseLowDiskThreshold(const std::string& text, const std::string& flag);

class Janitor {
 public:
  Janitor(Store& store, DockerEngine& engine, Clock& clock, std::string instance)
      : store_(store), engine_(engine), clock_(clock), instance_(std::move(instance)) {}

  Result<CleanupReport> run(const CleanupOptions& options);

  // The container tender runs in (engine/own_container.h): never removed,
  // whatever its labels say. Before run() is first called.
  void protect(std::string containerId) { protected_ = std::move(containerId); }

 private:
  Status ownLeftovers(const CleanupOptions& o, CleanupReport& report);
  Status hostWide(const CleanupOptions& o, CleanupReport& report);
  // Files the item under removed or failed by the outcome of its removal
  // (Ok on a dry run); true when it counts as removed.
  bool take(const CleanupOptions& o, CleanupReport& report, CleanupItem item, const Status& removal);

  Store& store_;
  DockerEngine& engine_;
  Clock& clock_;
  std::string instance_;
  std::string protected_;
  std::mutex runMu_;
};

}  // namespace tender

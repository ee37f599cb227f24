// One list of this instance's containers, shared by a resync's passes.
//
// A resync lists every container once and then looks at every service; each
// service's pass takes its own containers from that list instead of asking
// the engine again (200 services: one list call instead of 200). An entry is
// used at most once, only while the list is fresh, and never after an engine
// event about that service arrived: a pass must not act on what the engine
// no longer holds.
//
// Thread-safety: every method, from any thread.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/docker_engine.h"
#include "engine/labels.h"

namespace tender {

class ContainerSnapshot {
 public:
  explicit ContainerSnapshot(std::chrono::milliseconds maxAge = std::chrono::seconds(5)) : maxAge_(maxAge) {}

  // Replaces the snapshot with `all`, the complete list of this instance's
  // containers taken at `takenAt` (a monotonic time).
  void fill(const std::vector<ContainerSummary>& all, std::chrono::steady_clock::time_point takenAt) {
    std::lock_guard<std::mutex> l(mu_);
    byService_.clear();
    used_.clear();
    for (const auto& c : all) {
      auto ns = c.labels.find(kLabelNamespace);
      auto svc = c.labels.find(kLabelService);
      if (ns == c.labels.end() || svc == c.labels.end()) continue;
      byService_[ns->second + "/" + svc->second].push_back(c);
    }
    takenAt_ = takenAt;
    valid_ = true;
  }

  // The service's containers from the snapshot (empty: it has none), or
  // nullopt when the caller must list them itself.
  std::optional<std::vector<ContainerSummary>> take(const std::string& ns, const std::string& service,
                                                    std::chrono::steady_clock::time_point now) {
    std::lock_guard<std::mutex> l(mu_);
    const std::string key = ns + "/" + service;
    if (!valid_ || now - takenAt_ > maxAge_ || !used_.insert(key).second) return std::nullopt;
    auto it = byService_.find(key);
    return it == byService_.end() ? std::vector<ContainerSummary>{} : it->second;
  }

  // Something happened to the service's containers: its entry is stale.
  void invalidate(const std::string& ns, const std::string& service) {
    std::lock_guard<std::mutex> l(mu_);
    used_.insert(ns + "/" + service);
  }

 private:
  const std::chrono::milliseconds maxAge_;
  std::mutex mu_;
  bool valid_ = false;
  std::chrono::steady_clock::time_point takenAt_;
  std::map<std::string, std::vector<ContainerSummary>> byService_;
  std::set<std::string> used_;  // taken or invalidated since the fill
};

}  // namespace tender

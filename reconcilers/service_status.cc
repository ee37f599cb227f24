// The status a pass writes for a service (service_status.h), and the list
// entry of a container as an ObservedContainer.

#include "reconcilers/service_status.h"

#include <spdlog/spdlog.h>

#include "base/time_format.h"
#include "engine/labels.h"

namespace tender {
namespace {

// "Exited (137) 3 seconds ago" -> 137
std::optional<int> exitCodeFromStatus(const std::string& status) {
  auto open = status.find('(');
  auto close = status.find(')', open == std::string::npos ? 0 : open);
  if (status.rfind("Exited", 0) != 0 || open == std::string::npos || close == std::string::npos) {
    return std::nullopt;
  }
  try {
    return std::stoi(status.substr(open + 1, close - open - 1));
  } catch (...) {
    return std::nullopt;
  }
}

// The health part of a list entry's Status: "Up 5 seconds (healthy)".
std::string healthFromStatus(const std::string& status) {
  if (status.find("(healthy)") != std::string::npos) return "healthy";
  if (status.find("(unhealthy)") != std::string::npos) return "unhealthy";
  if (status.find("(health: starting)") != std::string::npos) return "starting";
  return "";
}

int phaseRank(const std::string& phase) {
  // Worst first: the service shows its worst replica.
  static const char* order[] = {"Failed",  "CrashLoopBackOff", "Blocked", "Evicted",
                                "Pending", "Starting",         "Running", "Completed"};
  for (int i = 0; i < 8; ++i) {
    if (phase == order[i]) return i;
  }
  return 3;
}

// A held replica's phase: why it is held decides.
std::string heldPhase(const std::string& reason) {
  if (reason == "WaitingForDependencies") return "Pending";
  if (reason == "InsufficientMemory" || reason == "QuotaExceeded") return "Blocked";
  if (reason == "Evicted") return "Evicted";
  return "Failed";  // RestartLimitReached
}

// Which hold the service's Ready condition names when several replicas are
// held: the one a user must act on first.
int heldRank(const std::string& reason) {
  static const char* order[] = {"RestartLimitReached", "QuotaExceeded", "InsufficientMemory",
                                "Evicted", "WaitingForDependencies"};
  for (int i = 0; i < 5; ++i) {
    if (reason == order[i]) return i;
  }
  return 0;
}

}  // namespace

ServiceStatus serviceStatus(const Key& key, const DesiredService& desired,
                            const std::vector<ObservedContainer>& after,
                            const RuntimeState& runtime, const ReplicaHistory& history,
                            const Status& error, WallTime now) {
  std::string heldReason, heldMessage;  // the hold the condition names
  auto noteHeld = [&](int r, ReplicaStatus& rs) {
    auto held = runtime.held.find(r);
    if (held == runtime.held.end()) return false;
    auto why = runtime.heldReason.find(r);
    const std::string reason =
        why != runtime.heldReason.end() ? why->second : "RestartLimitReached";
    rs.phase = heldPhase(reason);
    rs.message = held->second;
    rs.reason = reason;
    if (heldMessage.empty() || heldRank(reason) < heldRank(heldReason)) {
      heldReason = reason;
      heldMessage = held->second;
    }
    return true;
  };
  int ready = 0, running = 0;
  std::string worst = desired.replicas == 0 ? "Stopped" : "Completed";  // the best a replica can be
  std::vector<ReplicaStatus> replicaStatuses;
  std::map<int, const ObservedContainer*> byReplica;
  for (const auto& o : after) {
    if (o.replica >= 0 && o.replica < desired.replicas && o.specHash == desired.specHash) {
      byReplica[o.replica] = &o;
    }
  }
  std::optional<WallTime> nextRestart;
  for (int r = 0; r < desired.replicas; ++r) {
    ReplicaStatus rs;
    rs.replica = r;
    rs.container = containerName(key.ns, key.name, r);
    rs.phase = "Pending";
    auto it = byReplica.find(r);
    if (it == byReplica.end()) {
      rs.state = "missing";
      noteHeld(r, rs);
    } else {
      const ObservedContainer& c = *it->second;
      const bool isReady = c.state == "running" && (c.health.empty() || c.health == "healthy");
      rs.containerId = c.id;
      rs.state = c.state;
      rs.ready = isReady;
      if (!c.health.empty()) rs.health = c.health;
      if (c.state == "running") {
        ++running;
        ready += isReady;
        rs.phase = isReady ? "Running" : "Starting";
      } else if (c.state == "exited" || c.state == "created") {
        if (c.exitCode && c.state == "exited") rs.exitCode = *c.exitCode;
        auto nb = runtime.notBefore.find(r);
        if (c.state == "exited" && !shouldRestart(desired.restartPolicy, c)) {
          rs.phase = c.exitCode.value_or(1) == 0 ? "Completed" : "Failed";
        } else if (noteHeld(r, rs)) {
        } else if (nb != runtime.notBefore.end() && nb->second > now) {
          rs.phase = "CrashLoopBackOff";
          rs.nextRestartAt = formatRfc3339(nb->second);
          if (!nextRestart || nb->second < *nextRestart) nextRestart = nb->second;
        }
      }
    }
    if (auto n = history.restarts.find(r); n != history.restarts.end()) rs.restartCount = n->second;
    if (auto t = history.lastTermination.find(r); t != history.lastTermination.end())
      rs.lastTermination = t->second;
    if (phaseRank(rs.phase) < phaseRank(worst)) worst = rs.phase;
    replicaStatuses.push_back(std::move(rs));
  }
  const bool allReady = ready == desired.replicas;
  ServiceStatus st;
  st.phase = worst;
  st.replicas = desired.replicas;
  st.runningReplicas = running;
  st.readyReplicas = ready;
  st.restartCount = history.restartCount;
  st.specHash = desired.specHash;
  st.replicaStatuses = std::move(replicaStatuses);
  Condition readyCondition;
  readyCondition.type = "Ready";
  readyCondition.status = allReady ? "True" : "False";
  readyCondition.reason = allReady               ? "AllReplicasReady"
                          : !error.ok()          ? "ReconcileError"
                          : !heldMessage.empty() ? heldReason
                                                 : "ReplicasNotReady";
  readyCondition.message =
      !error.ok() ? error.message()
      : !heldMessage.empty()
          ? heldMessage
          : std::to_string(ready) + "/" + std::to_string(desired.replicas) + " replicas ready";
  readyCondition.lastTransitionTime = formatRfc3339(now);
  st.conditions.push_back(std::move(readyCondition));
  if (nextRestart) st.nextRestartAt = formatRfc3339(*nextRestart);
  // The newest death of any replica, for a glance at the service.
  const nlohmann::json* newest = nullptr;
  for (const auto& [r, t] : history.lastTermination) {
    if (!newest || t.value("finishedAt", "") > newest->value("finishedAt", "")) newest = &t;
  }
  if (newest) st.lastTermination = *newest;
  return st;
}

ServiceStatus storedStatus(const Key& key, const nlohmann::json& status) {
  auto decoded = serviceStatusFromJson(status);
  if (decoded.ok()) return std::move(*decoded);
  spdlog::warn("{}: its stored status is read as none: {}", key.str(),
               decoded.status().ToString());
  return ServiceStatus{};
}

ObservedContainer observedFromSummary(const ContainerSummary& c) {
  ObservedContainer o;
  o.id = c.id;
  o.name = c.name;
  o.state = c.state;
  auto r = c.labels.find(kLabelReplica);
  if (r != c.labels.end()) {
    try {
      size_t used = 0;
      int v = std::stoi(r->second, &used);
      if (used == r->second.size() && v >= 0) o.replica = v;
    } catch (...) {
    }
  }
  auto h = c.labels.find(kLabelSpecHash);
  if (h != c.labels.end()) o.specHash = h->second;
  if (c.state == "exited") o.exitCode = exitCodeFromStatus(c.status);
  if (c.state == "running") o.health = healthFromStatus(c.status);
  return o;
}

}  // namespace tender

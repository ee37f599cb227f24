// planService (service_plan.h): what to create, start, recreate and remove for
// one service. Pure.

#include "reconcilers/service_plan.h"

#include <algorithm>

namespace tender {

const char* actionName(Action::Type t) {
  switch (t) {
    case Action::Type::kCreate: return "create";
    case Action::Type::kStart: return "start";
    case Action::Type::kRecreate: return "recreate";
    case Action::Type::kRemove: return "remove";
    case Action::Type::kStop: return "stop";
  }
  return "?";
}

bool shouldRestart(RestartPolicy policy, const ObservedContainer& c) {
  if (c.state == "created") return true;  // never ran: starting is not a restart
  switch (policy) {
    case RestartPolicy::kAlways: return true;
    case RestartPolicy::kOnFailure: return c.exitCode.value_or(1) != 0;
    case RestartPolicy::kNever: return false;
  }
  return false;
}

ServicePlan planService(const std::optional<DesiredService>& desired,
                        const std::vector<ObservedContainer>& observed,
                        const RuntimeState& runtime, WallTime now) {
  ServicePlan plan;
  auto add = [&](Action::Type t, int replica, const std::string& id, std::string reason) {
    plan.actions.push_back(Action{t, replica, id, std::move(reason)});
  };

  if (!desired) {
    for (const auto& c : observed) add(Action::Type::kRemove, c.replica, c.id, "service deleted");
    return plan;
  }

  // Group by replica; anything outside [0, replicas) goes.
  std::map<int, std::vector<const ObservedContainer*>> byReplica;
  for (const auto& c : observed) {
    if (c.replica < 0) {
      add(Action::Type::kRemove, c.replica, c.id, "container has no valid replica label");
    } else if (c.replica >= desired->replicas) {
      add(Action::Type::kRemove, c.replica, c.id, "scaled down");
    } else {
      byReplica[c.replica].push_back(&c);
    }
  }

  for (int r = 0; r < desired->replicas; ++r) {
    auto& cs = byReplica[r];
    // Names are unique per engine, so duplicates only come from an older
    // naming or a hand-made container with our labels: keep the running
    // one with the current hash if there is one, remove the rest.
    if (cs.size() > 1) {
      std::stable_sort(cs.begin(), cs.end(), [&](const ObservedContainer* a, const ObservedContainer* b) {
        auto score = [&](const ObservedContainer* c) {
          return (c->specHash == desired->specHash ? 2 : 0) + (c->state == "running" ? 1 : 0);
        };
        return score(a) > score(b);
      });
      for (size_t i = 1; i < cs.size(); ++i) add(Action::Type::kRemove, r, cs[i]->id, "duplicate replica");
      cs.resize(1);
    }
    auto held = runtime.held.find(r);
    if (cs.empty()) {
      if (held == runtime.held.end()) add(Action::Type::kCreate, r, "", "missing");
      continue;
    }
    const ObservedContainer& c = *cs.front();
    if (c.state == "dead" || c.state == "removing") {
      if (c.state == "dead") add(Action::Type::kRemove, r, c.id, "container is dead");
      continue;
    }
    if (c.specHash != desired->specHash) {
      if (held == runtime.held.end()) {
        add(Action::Type::kRecreate, r, c.id, "spec changed");
      } else {
        // Held back: do not start a replacement, but do not keep an
        // outdated container running either.
        add(Action::Type::kRemove, r, c.id, "spec changed");
      }
      continue;
    }
    if (c.state == "created" || c.state == "exited") {
      if (held != runtime.held.end() || !shouldRestart(desired->restartPolicy, c)) continue;
      auto nb = runtime.notBefore.find(r);
      if (nb != runtime.notBefore.end() && nb->second > now) {
        if (!plan.wakeAt || nb->second < *plan.wakeAt) plan.wakeAt = nb->second;
        continue;
      }
      add(Action::Type::kStart, r, c.id, c.state == "created" ? "not started" : "stopped");
    }
    // running, paused, restarting: nothing to do.
  }
  return plan;
}

}  // namespace tender

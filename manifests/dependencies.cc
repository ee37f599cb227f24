// Checking a namespace's dependsOn graph: missing required services and
// cycles (dependencies.h).
#include "manifests/dependencies.h"

#include <algorithm>
#include <functional>
#include <set>

namespace tender {

std::vector<FieldError> checkDependencies(const std::string& ns, const std::vector<ServiceDependencies>& services) {
  std::vector<FieldError> errors;
  std::map<std::string, const ServiceDependencies*> byName;
  for (const auto& s : services) byName[s.name] = &s;

  for (const auto& s : services) {
    if (!s.inRequest) continue;
    for (const auto& [dep, d] : s.dependsOn) {
      if (!d.required || byName.count(dep)) continue;
      errors.push_back({s.pathPrefix + "spec.dependsOn." + dep,
                        "service \"" + dep + "\" does not exist in namespace \"" + ns + "\""});
    }
  }

  // Depth-first search; a back edge closes a cycle. Each cycle is reported
  // once, naming it from the first of its services that the request holds.
  enum class Mark { kNew, kOnPath, kDone };
  std::map<std::string, Mark> mark;
  std::vector<std::string> path;
  std::set<std::set<std::string>> reported;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    mark[name] = Mark::kOnPath;
    path.push_back(name);
    for (const auto& [dep, d] : byName.at(name)->dependsOn) {
      if (!byName.count(dep)) continue;
      Mark m = mark.count(dep) ? mark[dep] : Mark::kNew;
      if (m == Mark::kNew) {
        visit(dep);
      } else if (m == Mark::kOnPath) {
        auto start = std::find(path.begin(), path.end(), dep);
        std::vector<std::string> cycle(start, path.end());
        std::set<std::string> members(cycle.begin(), cycle.end());
        if (!reported.insert(members).second) continue;
        // Rotate so that the first member the request holds leads.
        auto lead = std::find_if(cycle.begin(), cycle.end(), [&](const std::string& n) { return byName.at(n)->inRequest; });
        if (lead == cycle.end()) continue;  // stored services only: not this apply's doing
        std::rotate(cycle.begin(), lead, cycle.end());
        std::string text;
        for (const auto& n : cycle) text += n + " -> ";
        text += cycle.front();
        errors.push_back({byName.at(cycle.front())->pathPrefix + "spec.dependsOn", "dependency cycle: " + text});
      }
    }
    path.pop_back();
    mark[name] = Mark::kDone;
  };
  for (const auto& s : services) {
    if (!mark.count(s.name)) visit(s.name);
  }
  return errors;
}

}  // namespace tender

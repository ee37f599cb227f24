// Checking a namespace's dependsOn graph at apply: every required
// dependency names a service of the namespace, and no service depends on
// itself through any chain.
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "manifests/resource.h"

namespace tender {

struct ServiceDependencies {
  std::string name;
  std::map<std::string, Dependency> dependsOn;
  // Where the service's fields are reported ("[2]." for the third document
  // of an apply); empty for a stored service the apply does not change,
  // whose own problems are not the apply's to report.
  std::string pathPrefix;
  bool inRequest = false;
};

// Errors of the services in the request only: an unknown required
// dependency at "<prefix>spec.dependsOn.<dep>", a cycle at
// "<prefix>spec.dependsOn" ("dependency cycle: web -> api -> web"), reported
// once, on the first service of the cycle in the request.
std::vector<FieldError> checkDependencies(const std::string& ns, const std::vector<ServiceDependencies>& services);

}  // namespace tender

// The spec hash (spec_hash.h): what decides whether a container is recreated.

#include "reconcilers/spec_hash.h"

#include "manifests/manifest.h"

namespace tender {

namespace {
// Bump only when the hashed form must change; every bump recreates every
// container on upgrade, so it should almost never happen.
constexpr const char* kHashFormat = "tender-spec-hash-v1";
}  // namespace

std::string serviceSpecHash(const Resource& service, const std::string& imageId) {
  nlohmann::json spec = encodeSpec(service);
  for (const char* key : {"replicas", "dependsOn", "backoff", "restartPolicy", "priority"}) {
    spec.erase(key);
  }
  if (spec.contains("healthcheck")) {
    auto& hc = spec["healthcheck"];
    if (hc.contains("http") || hc.contains("tcp")) {
      spec.erase("healthcheck");  // tender runs these itself
    } else {
      hc.erase("restartWhenUnhealthy");
    }
  }
  return sha256Hex(std::string(kHashFormat) + "\n" + spec.dump() + "\n" + imageId);
}

}  // namespace tender

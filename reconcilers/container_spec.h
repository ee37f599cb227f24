// Turns a Service into the Engine API's container-create body. Pure: the
// names it needs from the engine (image, networks, volumes) are resolved by
// the caller first.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifests/resource.h"

namespace tender {

struct LogRotation {
  std::string maxSize = "10m";
  std::string maxFile = "3";
};

// A service with everything outside its spec resolved.
struct ResolvedService {
  std::string ns;
  std::string name;
  ServiceSpec spec;
  std::string imageRef;  // what the container's Image says (the user's tag)
  std::string imageId;   // "sha256:..."
  std::string specHash;
  // Engine names of the networks to join, in order; the first is joined at
  // create (API 1.41 allows one), the rest connected before start.
  std::vector<std::string> networks;
  // A named volume's source in the spec -> its engine name.
  std::map<std::string, std::string> volumeNames;
};

// The names the service's replicas answer to on the index-th of
// `service.networks`: the service's own name, then the spec's
// networkAliases for that network.
std::vector<std::string> networkAliases(const ResolvedService& service, size_t index);

nlohmann::json containerCreateBody(const ResolvedService& service, int replica,
                                   const std::string& instance, const LogRotation& logs);

// Defaults tender applies when the spec is silent.
inline constexpr int64_t kDefaultStopGraceMs = 10'000;
inline constexpr int64_t kDefaultHealthIntervalMs = 10'000;
inline constexpr int64_t kDefaultHealthTimeoutMs = 5'000;
inline constexpr int kDefaultHealthRetries = 3;

}  // namespace tender

// The spec hash: the one thing that decides whether a container is recreated.
//
// It covers what Docker needs to create the container: the normalized user
// spec (encodeSpec: only what the user wrote, quantities as integers, keys
// sorted) prefixed with a hash-format version, plus the resolved image ID so
// that a local rebuild under the same tag is noticed. It leaves out what
// tender acts on without recreating (replicas, dependsOn, backoff,
// restartPolicy, priority, health checks tender runs itself, and the
// restartWhenUnhealthy policy) and tender's own defaults, so neither a scale
// nor an upgrade of tender recreates anything.
#pragma once

#include <string>

#include "base/sha256.h"  // sha256Hex, which the spec hash is made with
#include "manifests/resource.h"

namespace tender {

// REQUIRES: resource.kind == "Service".
std::string serviceSpecHash(const Resource& service, const std::string& imageId);

}  // namespace tender

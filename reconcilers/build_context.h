// Building a service's image from its uploaded build context, through the
// engine's own /build endpoint (no docker CLI, no registry).
#pragma once

#include <string>

#include "engine/docker_engine.h"
#include "manifests/resource.h"
#include "store/upload_store.h"

namespace tender {

// The tag a built image gets: the service's `image` when it names one (as
// Compose does), else "tender-{ns}-{service}:latest".
std::string builtImageTag(const std::string& ns, const std::string& service,
                          const ServiceSpec& spec);

struct BuiltImage {
  std::string tag;
  std::string id;
  bool built = false;  // false: an image built earlier from the same build spec was reused
};

// Reuses the tagged image when it was built from the same build spec (its
// tender.build-hash label says so), else builds it from the context
// spec.build.contextDigest names in `contexts`. A context missing there is
// NotFound; a spec that names a folder instead (stored before contexts were
// uploaded) keeps its image but is not rebuilt (Invalid, saying to apply it
// again). Build failures come back as Invalid with the engine's message.
// REQUIRES: spec.build is set.
Result<BuiltImage> ensureBuiltImage(DockerEngine& engine, const UploadStore& contexts,
                                    const std::string& instance, const std::string& ns,
                                    const std::string& service, const ServiceSpec& spec);

}  // namespace tender

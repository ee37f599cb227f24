// Building a service's image from its build context, through the engine's
// own /build endpoint (no docker CLI, no registry).
#pragma once

#include <string>

#include "engine/docker_engine.h"
#include "manifests/resource.h"

namespace tender {

// An uncompressed POSIX (ustar) tar of the directory `dir`: regular files,
// directories and symbolic links, paths relative to `dir`, sorted so the
// same tree gives the same bytes. Other file types are refused. What the
// context's .dockerignore excludes is left out (base/docker_ignore.h), but
// for `dockerfile` and the .dockerignore itself, which the build needs, as
// Docker sends them.
Result<std::string> tarDirectory(const std::string& dir,
                                 const std::string& dockerfile = "Dockerfile");

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
// tender.build-hash label says so), else builds it. Build failures come back
// as Invalid with the engine's message.
// REQUIRES: spec.build is set and its context is an absolute path.
Result<BuiltImage> ensureBuiltImage(DockerEngine& engine, const std::string& instance,
                                    const std::string& ns, const std::string& service,
                                    const ServiceSpec& spec);

}  // namespace tender

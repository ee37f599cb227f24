// A build context as the engine's /build endpoint takes it: the context
// directory as an uncompressed tar. The tender command makes it from the
// user's folder and uploads it; the server only ever stores and forwards
// such tars, never reading a folder a request names.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace tender {

// An uncompressed POSIX (ustar) tar of the directory `dir`: regular files,
// directories and symbolic links, paths relative to `dir`, sorted and with
// mtime 0 so the same tree gives the same bytes (and the same digest).
// Other file types are refused. What the context's .dockerignore excludes
// is left out (base/docker_ignore.h), but for `dockerfile` and the
// .dockerignore itself, which the build needs, as Docker sends them.
// `extra` files ({name, content}) are added at the end, as a Dockerfile
// from outside the context is.
struct TarFile {
  std::string name;
  std::string content;
};
Result<std::string> tarDirectory(const std::string& dir,
                                 const std::string& dockerfile = "Dockerfile",
                                 const std::vector<TarFile>& extra = {});

// Files with their owners and modes, as copied into a container (its
// secrets and configs). REQUIRES: each name is relative and at most 255
// bytes, with a '/' within its first 155; uid and gid below 8^7.
struct TarEntry {
  std::string name;
  std::string content;
  unsigned mode = 0444;
  uint64_t uid = 0;
  uint64_t gid = 0;
};
std::string tarFiles(const std::vector<TarEntry>& files);

// Whether `bytes` has a tar's shape: whole 512-byte blocks, at least the
// closing two, and a ustar header first (or none: an empty archive).
bool looksLikeTar(const std::string& bytes);

}  // namespace tender

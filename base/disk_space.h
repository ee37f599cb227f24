// A file system's size and free space, as statvfs says them.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace tender {

struct DiskSpace {
  int64_t totalBytes = 0;
  int64_t freeBytes = 0;  // available to unprivileged writers (f_bavail)
};

// The file system holding `path`; Unavailable saying why when statvfs fails.
Result<DiskSpace> diskSpaceOf(const std::string& path);

}  // namespace tender

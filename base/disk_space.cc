#include "base/disk_space.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

namespace tender {

Result<DiskSpace> diskSpaceOf(const std::string& path) {
  struct statvfs s {};
  if (::statvfs(path.c_str(), &s) != 0) {
    return Status::Unavailable("cannot read the free space of " + path + ": " + std::strerror(errno));
  }
  DiskSpace d;
  d.totalBytes = static_cast<int64_t>(s.f_blocks) * static_cast<int64_t>(s.f_frsize);
  d.freeBytes = static_cast<int64_t>(s.f_bavail) * static_cast<int64_t>(s.f_frsize);
  return d;
}

}  // namespace tender

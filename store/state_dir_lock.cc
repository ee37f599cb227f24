// StateDirLock: flock() on DIR/lock. The kernel drops the lock when the last
// descriptor of the open file goes away, so a holder killed with SIGKILL never
// leaves a stale lock behind (unlike a pid file checked by hand).

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>

#include "store/store.h"

namespace tender {
namespace {

// The pid the holder wrote into the file, or "" when it has not written it
// yet (it takes the lock first) or the file holds something else.
std::string holderPid(int fd) {
  char buf[32];
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return "";
  std::string s(buf, static_cast<size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return "";
  return s;
}

}  // namespace

Result<std::unique_ptr<StateDirLock>> StateDirLock::acquire(const std::string& dir) {
  try {
    std::error_code ec;
    const bool made = std::filesystem::create_directories(dir, ec);
    if (ec) {
      return Status::Unavailable("cannot create state directory " + dir + ": " + ec.message());
    }
    // One it makes is its owner's alone: the store holds every spec.
    if (made) std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    const std::string path = dir + "/lock";
    // CLOEXEC: a program we start must not inherit the lock and hold it
    // after we are gone.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return Status::Unavailable("cannot open " + path + ": " + std::strerror(errno));
    }
    int rc;
    do {
      rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      const int err = errno;
      if (err == EWOULDBLOCK) {
        const std::string pid = holderPid(fd);
        ::close(fd);
        return Status::Conflict("state directory " + dir + " is in use by another tender server" +
                                (pid.empty() ? std::string() : " (pid " + pid + ")"));
      }
      ::close(fd);
      return Status::Unavailable("cannot lock " + path + ": " + std::strerror(err));
    }
    // Only for the message another server shows; the lock itself is the flock.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      // Still ours; a competitor just cannot name us.
    }
    return std::unique_ptr<StateDirLock>(new StateDirLock(fd));
  } catch (const std::exception& e) {
    return Status::Internal("cannot lock state directory " + dir + ": " + e.what());
  }
}

StateDirLock::~StateDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace tender

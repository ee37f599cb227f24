// readPrivateFile, writePrivateFile and randomHex (private_file.h).

#include "base/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>

namespace tender {
namespace {

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Opens `path` to read; errors start with `label`.
Result<int> openToRead(const std::string& path, const std::string& label) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) return fd;
  const int err = errno;
  const std::string why = label + ": " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(why);
  if (err == EACCES || err == EPERM) return Status::Forbidden(why);
  return Status::Unavailable(why);
}

// Everything left in `fd`, which it closes; errors start with `label`.
Result<std::string> readAllAndClose(int fd, const std::string& label) {
  std::string out;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Status::Unavailable(label + ": " + std::strerror(err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

Result<std::string> readFile(const std::string& path, const std::string& label) {
  auto fd = openToRead(path, label);
  if (!fd.ok()) return fd.status();
  return readAllAndClose(*fd, label);
}

Result<std::string> readPrivateFile(const std::string& path, const std::string& what) {
  const std::string label = what + " " + path;
  auto opened = openToRead(path, label);
  if (!opened.ok()) return opened.status();
  const int fd = *opened;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::Unavailable(label + ": " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::Invalid(label + " is not a regular file");
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    ::close(fd);
    return Status::Invalid(label + " may be read or changed by other users (mode " + octal(st.st_mode) +
                           "): it holds secrets; run chmod 600 " + path);
  }
  return readAllAndClose(fd, label);
}

Status writePrivateFile(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("create " + tmp + ": " + std::strerror(errno));
  // The umask cannot widen 0600, but a fchmod makes the mode certain.
  bool ok = ::fchmod(fd, 0600) == 0;
  size_t done = 0;
  while (ok && done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(ok ? errno : err);
    ::unlink(tmp.c_str());
    return Status::Unavailable("write " + path + ": " + why);
  }
  return Status::Ok();
}

Result<std::string> readTokenFile(const std::string& path) {
  auto text = readPrivateFile(path, "token file");
  if (!text.ok()) return text.status();
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string first;
    if (!(words >> first) || first[0] == '#') continue;
    return first;
  }
  return Status::Invalid("token file " + path + " holds no token");
}

std::string randomHex(int bytes) {
  std::random_device random;  // the kernel's generator on Linux
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  uint32_t word = 0;
  for (int i = 0; i < bytes; ++i) {
    if (i % 4 == 0) word = random();
    const unsigned b = (word >> (8 * (i % 4))) & 0xff;
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

}  // namespace tender

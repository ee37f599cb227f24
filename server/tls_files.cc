// loadServerTls (tls_files.h): the certificate read as any file, the key as
// a private one (base/private_file.h), both handed to TlsContext.

#include "server/tls_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/private_file.h"

namespace tender {
namespace {

// A file anyone may read (a certificate is public).
Result<std::string> readFile(const std::string& path, const std::string& what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string why = what + ": " + std::strerror(err);
    if (err == ENOENT) return Status::NotFound(why);
    if (err == EACCES || err == EPERM) return Status::Forbidden(why);
    return Status::Unavailable(why);
  }
  std::string out;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Status::Unavailable(what + ": " + std::strerror(err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

Result<std::shared_ptr<TlsContext>> loadServerTls(const std::string& certFile,
                                                  const std::string& keyFile) {
  const std::string certName = "--tls-cert " + certFile;
  const std::string keyName = "--tls-key " + keyFile;
  auto cert = readFile(certFile, certName);
  if (!cert.ok()) return cert.status();
  auto key = readPrivateFile(keyFile, "--tls-key");
  if (!key.ok()) return key.status();
  return TlsContext::fromPem(*cert, *key, certName, keyName);
}

}  // namespace tender

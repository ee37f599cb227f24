// loadServerTls (tls_files.h): the certificate read as any file, the key as
// a private one (base/private_file.h), both handed to TlsContext.

#include "server/tls_files.h"

#include "base/private_file.h"

namespace tender {

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

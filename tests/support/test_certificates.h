// Certificates made at test time with the openssl command, in a directory
// of the test's own: a CA, a server certificate it signs for the given
// subjectAltName, and a second key that belongs to neither. Nothing is
// checked in, so nothing expires between runs.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace tender::testing {

struct TestCertificates {
  std::string dir;
  std::string caCert;      // the CA's certificate: what a client trusts (--ca-file)
  std::string serverCert;  // signed by the CA for `san`
  std::string serverKey;   // mode 0600
  std::string otherKey;    // mode 0600, not the certificate's
  std::string log;         // what openssl said
};

// Makes the files in `dir` (created, emptied first). False when openssl
// failed; its output is in the `log` file.
inline bool makeTestCertificates(const std::string& dir, TestCertificates* out,
                                 const std::string& san = "IP:127.0.0.1") {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  TestCertificates c;
  c.dir = dir;
  c.caCert = dir + "/ca.crt";
  c.serverCert = dir + "/server.crt";
  c.serverKey = dir + "/server.key";
  c.otherKey = dir + "/other.key";
  c.log = dir + "/openssl.log";
  std::ofstream(dir + "/server.ext")
      << "subjectAltName=" << san << "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
  const std::string q = "'" + dir + "'";
  const std::string cmd =
      "cd " + q + " && (umask 077 && " +
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 "
      "-subj '/CN=tender test CA' && "
      "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=tender "
      "test' && "
      "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt "
      "-days 2 -extfile server.ext && "
      "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.key) >openssl.log "
      "2>&1";
  if (std::system(cmd.c_str()) != 0) return false;
  ::chmod(c.caCert.c_str(), 0644);
  ::chmod(c.serverCert.c_str(), 0644);
  *out = c;
  return true;
}

}  // namespace tender::testing

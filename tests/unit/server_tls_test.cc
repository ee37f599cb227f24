// loadServerTls: the --tls-cert and --tls-key files of `tender serve`, with
// certificates the openssl command makes for the test. Each refusal must
// name the flag and the file, as the admin reads it at start-up.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "server/tls_files.h"
#include "tests/support/test_certificates.h"

namespace tender {
namespace {

using testing::TestCertificates;

class ServerTls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / ("tender-tls-" + std::to_string(::getpid())))
               .string();
    ASSERT_TRUE(testing::makeTestCertificates(dir_, &certs_)) << "see " << dir_ << "/openssl.log";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The message of the refusal, or "" when the files load.
  std::string refusal(const std::string& cert, const std::string& key) {
    auto r = loadServerTls(cert, key);
    return r.ok() ? std::string() : r.status().message();
  }

  std::string dir_;
  TestCertificates certs_;
};

TEST_F(ServerTls, ACertificateAndItsKeyLoad) {
  auto r = loadServerTls(certs_.serverCert, certs_.serverKey);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(*r, nullptr);
}

TEST_F(ServerTls, AMissingFileIsNamedWithItsFlag) {
  const std::string missing = dir_ + "/nope.crt";
  std::string m = refusal(missing, certs_.serverKey);
  EXPECT_EQ(m.rfind("--tls-cert " + missing, 0), 0u) << m;
  EXPECT_NE(m.find("No such file"), std::string::npos) << m;
  m = refusal(certs_.serverCert, dir_ + "/nope.key");
  EXPECT_EQ(m.rfind("--tls-key " + dir_ + "/nope.key", 0), 0u) << m;
}

TEST_F(ServerTls, AKeyOthersMayReadIsRefusedWithTheChmodThatFixesIt) {
  ASSERT_EQ(::chmod(certs_.serverKey.c_str(), 0644), 0);
  const std::string m = refusal(certs_.serverCert, certs_.serverKey);
  EXPECT_EQ(m.rfind("--tls-key " + certs_.serverKey, 0), 0u) << m;
  EXPECT_NE(m.find("chmod 600 " + certs_.serverKey), std::string::npos) << m;
}

TEST_F(ServerTls, AKeyThatIsNotTheCertificatesIsRefused) {
  const std::string m = refusal(certs_.serverCert, certs_.otherKey);
  EXPECT_EQ(m.rfind("--tls-key " + certs_.otherKey, 0), 0u) << m;
  EXPECT_NE(m.find("does not belong to the certificate"), std::string::npos) << m;
}

TEST_F(ServerTls, FilesOfTheWrongKindAreRefusedNamingTheirFlag) {
  // The key given as the certificate.
  std::string m = refusal(certs_.otherKey, certs_.serverKey);
  EXPECT_EQ(m.rfind("--tls-cert " + certs_.otherKey + ": not a PEM certificate", 0), 0u) << m;
  // The certificate given as the key (made private, so that only its kind is wrong).
  const std::string certAsKey = dir_ + "/cert-as-key.pem";
  std::filesystem::copy_file(certs_.serverCert, certAsKey);
  ASSERT_EQ(::chmod(certAsKey.c_str(), 0600), 0);
  m = refusal(certs_.serverCert, certAsKey);
  EXPECT_EQ(m.rfind("--tls-key " + certAsKey + ": not a PEM private key", 0), 0u) << m;
}

TEST_F(ServerTls, AnEncryptedKeyIsRefusedInsteadOfAskingForAPassPhrase) {
  const std::string encrypted = dir_ + "/encrypted.key";
  const std::string cmd = "openssl pkey -in '" + certs_.serverKey +
                          "' -aes256 -passout pass:secret -out '" + encrypted +
                          "' 2>/dev/null && chmod 600 '" + encrypted + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string m = refusal(certs_.serverCert, encrypted);
  EXPECT_EQ(m.rfind("--tls-key " + encrypted + ": not a PEM private key", 0), 0u) << m;
  EXPECT_NE(m.find("pass phrase"), std::string::npos) << m;
}

}  // namespace
}  // namespace tender

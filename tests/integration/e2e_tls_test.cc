// Remote access with TLS against a running `tender serve`: a CA and a
// server certificate for 127.0.0.1 made with the openssl command, the real
// server given --tls-cert and --tls-key, and the real tender command
// speaking https:// with and without --ca-file; a plain HTTP request to the
// HTTPS port, a watch stream over TLS, and the refusal of a plaintext
// listener that other hosts may reach.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/cli_run.h"
#include "tests/support/raw_http.h"
#include "tests/support/tender_process.h"
#include "tests/support/test_certificates.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::RawHttp;
using testing::runTender;
using testing::TenderProcess;
using testing::uniqueName;

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class TlsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    ns_ = uniqueName("tls");
    certDir_ = (std::filesystem::temp_directory_path() / uniqueName("tender-tls-certs")).string();
    ASSERT_TRUE(testing::makeTestCertificates(certDir_, &certs_))
        << "openssl failed: " << readAll(certDir_ + "/openssl.log");
  }
  void TearDown() override {
    if (server_) {
      server_->client().call("DELETE", "/api/v1/namespaces/" + ns_, "", "");
      server_->stop();
      auto owned = engine_->listContainers(ownedFilters(server_->instance()), true);
      if (owned.ok()) {
        for (const auto& c : *owned) engine_->removeContainer(c.id, true, true);
      }
      auto nets = engine_->listNetworks(ownedFilters(server_->instance()));
      if (nets.ok()) {
        for (const auto& n : *nets) engine_->removeNetwork(n.id);
      }
    }
    std::filesystem::remove_all(certDir_);
  }

  // A server on 127.0.0.1 that speaks HTTPS only, and a client that trusts its CA.
  void startTlsServer() {
    server_ = std::make_unique<TenderProcess>(
        uniqueName("tls"),
        std::vector<std::string>{"--tls-cert", certs_.serverCert, "--tls-key", certs_.serverKey});
    server_->useHttps(certs_.caCert);
    ASSERT_TRUE(server_->start()) << readAll(server_->logPath());
  }

  // A service without replicas: applied and listed, no container made.
  std::string manifest(const std::string& name) {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name +
           ", namespace: " + ns_ + "}\nspec:\n  image: tender-busybox:latest\n  replicas: 0\n";
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string ns_;
  std::string certDir_;
  testing::TestCertificates certs_;
};

TEST_F(TlsE2E, TheCommandAppliesAndListsOverHttpsWithTheCaFile) {
  startTlsServer();
  const std::string file = certDir_ + "/web.yaml";
  std::ofstream(file) << manifest("web");
  const std::string flags = " --server " + server_->url() + " --ca-file " + certs_.caCert;
  auto applied = runTender("apply -f " + file + flags);
  ASSERT_EQ(applied.exitCode, 0) << applied.out;
  auto listed = runTender("get services -n " + ns_ + flags);
  ASSERT_EQ(listed.exitCode, 0) << listed.out;
  EXPECT_NE(listed.out.find("web"), std::string::npos) << listed.out;
  // TENDER_CA_FILE does what --ca-file does.
  ::setenv("TENDER_CA_FILE", certs_.caCert.c_str(), 1);
  auto viaEnv = runTender("get services -n " + ns_ + " --server " + server_->url());
  ::unsetenv("TENDER_CA_FILE");
  EXPECT_EQ(viaEnv.exitCode, 0) << viaEnv.out;
  EXPECT_NE(viaEnv.out.find("web"), std::string::npos) << viaEnv.out;
}

TEST_F(TlsE2E, WithoutTheCaFileTheCommandSaysTheCertificateDoesNotVerify) {
  startTlsServer();
  auto r = runTender("get services -n " + ns_ + " --server " + server_->url());
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_NE(r.out.find("certificate"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("does not verify"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--ca-file"), std::string::npos) << r.out;
  // A name the certificate does not hold (it names IP 127.0.0.1 only).
  auto wrongHost = runTender("get services -n " + ns_ + " --server https://localhost:" +
                             std::to_string(server_->port()) + " --ca-file " + certs_.caCert);
  EXPECT_EQ(wrongHost.exitCode, 1) << wrongHost.out;
  EXPECT_NE(wrongHost.out.find("is not for the host"), std::string::npos) << wrongHost.out;
}

TEST_F(TlsE2E, APlainHttpRequestToTheHttpsPortIsRefusedAndTheServerGoesOn) {
  startTlsServer();
  for (int i = 0; i < 3; ++i) {
    RawHttp plain = RawHttp::tcp(server_->port());
    ASSERT_TRUE(plain.connected());
    ASSERT_TRUE(plain.send("GET", "/api/v1/namespaces", server_->authHeader()));
    auto reply = plain.reply(5s);
    ASSERT_TRUE(reply) << "no answer to a plain request";
    EXPECT_EQ(reply->status, 400);
    EXPECT_NE(reply->body.find("HTTPS"), std::string::npos) << reply->body;
    EXPECT_TRUE(plain.closedWithin(5s));
  }
  // Bytes that are neither HTTP nor TLS, then a client that goes away.
  {
    RawHttp junk = RawHttp::tcp(server_->port());
    ASSERT_TRUE(junk.connected());
  }
  auto health = server_->client().call("GET", "/healthz", "", "");
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 200);
  // The command with an http:// URL is told to use https://.
  auto r = runTender("get services -n " + ns_ +
                     " --server http://127.0.0.1:" + std::to_string(server_->port()));
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_NE(r.out.find("https://"), std::string::npos) << r.out;
}

TEST_F(TlsE2E, AWatchStreamOverTlsDeliversEvents) {
  startTlsServer();
  std::atomic<bool> sawApplied{false};
  std::atomic<bool> streaming{false};
  Status ended;
  std::thread watcher([&] {
    ApiClient client = server_->client();
    ended = client.stream(
        "GET", "/api/v1/events?watch=true&namespace=" + ns_,
        [&](const std::string& line) {
          streaming = true;
          json j = json::parse(line, nullptr, false);
          if (j.value("reason", "") == "Applied" &&
              j["involvedObject"].value("name", "") == "web") {
            sawApplied = true;
            return false;
          }
          return true;
        },
        20s);
  });
  // The watch begins with what is there; give it a moment to be open.
  std::this_thread::sleep_for(1s);
  auto applied =
      server_->client().call("POST", "/api/v1/apply", manifest("web"), "application/yaml");
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  watcher.join();
  EXPECT_TRUE(ended.ok()) << ended.ToString();
  EXPECT_TRUE(sawApplied) << "no Applied event came over the TLS watch";
}

TEST_F(TlsE2E, APlaintextListenerOtherHostsMayReachIsRefusedNamingTheWayOut) {
  TenderProcess open(uniqueName("tls"),
                     {"--listen", "0.0.0.0:" + std::to_string(testing::freeLoopbackPort())});
  EXPECT_FALSE(open.start(10s));
  const std::string log = readAll(open.logPath());
  EXPECT_NE(log.find("--allow-plaintext"), std::string::npos) << log;
  EXPECT_NE(log.find("--tls-cert"), std::string::npos) << log;
  std::filesystem::remove(open.logPath());
}

TEST_F(TlsE2E, AllowPlaintextServesItWithAWarningAndTokensStillRequired) {
  const std::string tokens = certDir_ + "/tokens.txt";
  std::ofstream(tokens) << "bob-token-0123456789 bob *\n";
  std::filesystem::permissions(
      tokens, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const int port = testing::freeLoopbackPort();
  server_ = std::make_unique<TenderProcess>(
      uniqueName("tls"), std::vector<std::string>{"--listen", "0.0.0.0:" + std::to_string(port),
                                                  "--allow-plaintext", "--token-file", tokens});
  ASSERT_TRUE(server_->start()) << readAll(server_->logPath());
  const std::string log = readAll(server_->logPath());
  EXPECT_NE(log.find("plaintext on 0.0.0.0:" + std::to_string(port)), std::string::npos) << log;
  // Reached over loopback only: nothing here talks to another address.
  RawHttp anonymous = RawHttp::tcp(port);
  ASSERT_TRUE(anonymous.connected());
  ASSERT_TRUE(anonymous.send("GET", "/api/v1/namespaces"));
  auto reply = anonymous.reply(5s);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 401);
}

TEST_F(TlsE2E, ABadKeyStopsTheStartNamingItsFlag) {
  TenderProcess bad(uniqueName("tls"),
                    {"--tls-cert", certs_.serverCert, "--tls-key", certs_.otherKey});
  EXPECT_FALSE(bad.start(10s));
  const std::string log = readAll(bad.logPath());
  EXPECT_NE(log.find("--tls-key " + certs_.otherKey), std::string::npos) << log;
  EXPECT_NE(log.find("does not belong"), std::string::npos) << log;
  std::filesystem::remove(bad.logPath());
}

}  // namespace
}  // namespace tender

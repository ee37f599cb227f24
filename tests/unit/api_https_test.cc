// The HTTP server's HTTPS listeners in-process, spoken to by the CLI's
// ApiClient with a CA made by the openssl command: keep-alive requests, a
// refusal that closes the connection (413) still read whole, a streamed
// body and its end, the handshake refused by a client that does not trust
// the certificate, and a unix socket beside it that stays plain HTTP.
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "api/http_server.h"
#include "api/tls_context.h"
#include "cli/api_client.h"
#include "tests/support/raw_http.h"
#include "tests/support/loopback_server.h"
#include "tests/support/test_certificates.h"

namespace tender {
namespace {

using namespace std::chrono_literals;

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class HttpsServerTest : public ::testing::Test {
 protected:

  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / ("tender-https-" + std::to_string(::getpid())))
               .string();
    ASSERT_TRUE(testing::makeTestCertificates(dir_, &certs_)) << readAll(dir_ + "/openssl.log");
    auto tls =
        TlsContext::fromPem(readAll(certs_.serverCert), readAll(certs_.serverKey), "cert", "key");
    ASSERT_TRUE(tls.ok()) << tls.status().ToString();

    router_.add("GET", "/hello",
                [](const HttpRequest&) { return HttpResponse::Text(200, "hello\n"); });
    router_.add("POST", "/echo",
                [](const HttpRequest& r) { return HttpResponse::Text(200, r.body); });
    router_.add("GET", "/lines", [](const HttpRequest&) {
      return HttpResponse::Stream(200, "application/x-ndjson",
                                  [](std::shared_ptr<StreamSink> sink) {
                                    for (int i = 1; i <= 3; ++i)
                                      sink->write("line " + std::to_string(i) + "\n");
                                    sink->end();
                                  });
    });
    router_.add("GET", "/socket", [](const HttpRequest&) {
      return HttpResponse::Duplex([](std::shared_ptr<DuplexChannel> channel) {
        DuplexHandlers h;
        h.onMessage = [channel](std::string m) {
          channel->send("echo:" + m);
          channel->end();
        };
        return h;
      });
    });
    HttpServerOptions o;
    unixPath_ = dir_ + "/api.sock";
    o.listen = {"127.0.0.1:0", "unix:" + unixPath_};
    o.maxBodyBytes = 1024;
    o.tls = *tls;
    server_ = std::make_unique<testing::LoopbackServer>(router_, o);
    ASSERT_TRUE(server_->started().ok()) << server_->started().ToString();
    url_ = server_->url();
  }

  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  ApiClient trusting() {
    ApiClientOptions o;
    o.caFile = certs_.caCert;
    o.timeout = 10s;
    return ApiClient(url_, "", o);
  }

  Router router_;
  std::unique_ptr<testing::LoopbackServer> server_;
  std::string dir_, unixPath_, url_;
  testing::TestCertificates certs_;
};

TEST_F(HttpsServerTest, RequestsOneAfterAnotherAreAnswered) {
  ApiClient client = trusting();
  for (int i = 0; i < 5; ++i) {
    auto r = client.call("POST", "/echo", "n=" + std::to_string(i), "text/plain");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "n=" + std::to_string(i));
  }
}

TEST_F(HttpsServerTest, ABodyOverTheLimitGetsItsWhole413) {
  ApiClient client = trusting();
  auto r = client.call("POST", "/echo", std::string(64 * 1024, 'x'), "text/plain");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kTooLarge) << r.status().ToString();
  EXPECT_NE(r.status().message().find("over the limit"), std::string::npos)
      << r.status().ToString();
  // The server goes on.
  auto again = client.call("GET", "/hello");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->body, "hello\n");
}

TEST_F(HttpsServerTest, AStreamedBodyArrivesLineByLineAndEnds) {
  ApiClient client = trusting();
  std::vector<std::string> lines;
  Status s = client.stream(
      "GET", "/lines",
      [&](const std::string& line) {
        lines.push_back(line);
        return true;
      },
      10s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(lines, (std::vector<std::string>{"line 1", "line 2", "line 3"}));
}

TEST_F(HttpsServerTest, AClientThatDoesNotTrustTheCertificateIsToldWhy) {
  ApiClient client(url_, "", 10s);  // the system's store: it does not hold the test CA
  auto r = client.call("GET", "/hello");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsUnavailable()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("does not verify"), std::string::npos)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find("--ca-file"), std::string::npos) << r.status().ToString();
  // A CA file that holds no certificate is refused before any connection.
  ApiClientOptions o;
  o.caFile = certs_.serverKey;
  auto bad = ApiClient(url_, "", o).call("GET", "/hello");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("no PEM certificate"), std::string::npos)
      << bad.status().ToString();
  // And the trusted client still gets in.
  auto ok = trusting().call("GET", "/hello");
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST_F(HttpsServerTest, AUnixSocketBesideItStaysPlainHttp) {
  auto c = testing::RawHttp::unix(unixPath_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send("GET", "/hello"));
  auto r = c.reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello\n");
}

TEST_F(HttpsServerTest, AWebSocketSpeaksTlsAndChecksTheCertificateAsCallsDo) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> got;
  std::optional<Status> closed;
  ApiSocketHandlers h;
  h.onMessage = [&](std::string m) {
    std::lock_guard<std::mutex> l(mu);
    got.push_back(std::move(m));
    cv.notify_all();
  };
  h.onClose = [&](const Status& s) {
    std::lock_guard<std::mutex> l(mu);
    closed = s;
    cv.notify_all();
  };
  ApiClient client = trusting();
  auto socket = client.openSocket("/socket", "", h);
  ASSERT_TRUE(socket.ok()) << socket.status().ToString();
  ASSERT_TRUE((*socket)->send("over tls").ok());
  {
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(cv.wait_for(l, 10s, [&] { return closed.has_value(); }));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], "echo:over tls");
    EXPECT_TRUE(closed->ok()) << closed->ToString();
  }
  // Without the CA, the handshake is refused for the certificate.
  ApiClient untrusting(url_, "", ApiClientOptions{});
  auto refused = untrusting.openSocket("/socket", "", ApiSocketHandlers());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("certificate"), std::string::npos) << refused.status().ToString();
}

}  // namespace
}  // namespace tender

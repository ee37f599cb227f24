// A route that answers with a WebSocket (HttpResponse::Duplex), served by
// the real HttpServer on loopback and reached with the CLI's ApiClient:
// whole messages both ways, in order; either side's close heard by the
// other; a plain request refused naming the WebSocket; the token checked
// at the handshake; a client that sends too much in one message closed.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "cli/api_client.h"
#include "tests/support/loopback_server.h"

namespace tender {
namespace {

using namespace std::chrono_literals;

// What a socket's client side heard.
struct Heard {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> messages;
  std::optional<Status> closed;

  ApiSocketHandlers handlers() {
    ApiSocketHandlers h;
    h.onMessage = [this](std::string m) {
      std::lock_guard<std::mutex> l(mu);
      messages.push_back(std::move(m));
      cv.notify_all();
    };
    h.onClose = [this](const Status& s) {
      std::lock_guard<std::mutex> l(mu);
      closed = s;
      cv.notify_all();
    };
    return h;
  }
  bool waitForMessages(size_t n) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, 10s, [&] { return messages.size() >= n; });
  }
  bool waitForClose() {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, 10s, [&] { return closed.has_value(); });
  }
};

class WebSocketTest : public ::testing::Test {
 protected:
  WebSocketTest() {
    // Echoes each message back with "echo:" before it; "end" makes the
    // route close the socket. Its first message says who the client is.
    router_.add("GET", "/echo", [this](const HttpRequest& req) {
      const std::string auth = req.header("authorization");
      return HttpResponse::Duplex([this, auth](std::shared_ptr<DuplexChannel> channel) {
        channel->send("hello " + auth);
        DuplexHandlers h;
        h.onMessage = [channel](std::string m) {
          if (m == "end") {
            channel->send("bye");
            channel->end();
            return;
          }
          channel->send("echo:" + m);
        };
        h.onClose = [this] {
          std::lock_guard<std::mutex> l(mu_);
          ++serverCloses_;
          cv_.notify_all();
        };
        return h;
      });
    });
    router_.setAuthenticator([](const HttpRequest& req) -> Result<Principal> {
      if (req.header("authorization") != "Bearer good") return Status::Unauthorized("bad token");
      Principal p;
      p.name = "tester";
      p.allNamespaces = true;
      return p;
    });
    HttpServerOptions o;
    o.maxBodyBytes = 64 * 1024;
    server_ = std::make_unique<testing::LoopbackServer>(router_, o);
    EXPECT_TRUE(server_->started().ok()) << server_->started().ToString();
    url_ = server_->url();
  }

  bool waitForServerCloses(int n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, 10s, [&] { return serverCloses_ >= n; });
  }

  std::mutex mu_;
  std::condition_variable cv_;
  int serverCloses_ = 0;
  Router router_;
  std::unique_ptr<testing::LoopbackServer> server_;  // after what its routes use
  std::string url_;
};

TEST_F(WebSocketTest, MessagesGoBothWaysWholeAndInOrder) {
  ApiClient client(url_, "good");
  Heard heard;
  auto socket = client.openSocket("/echo", "test.v1", heard.handlers());
  ASSERT_TRUE(socket.ok()) << socket.status().ToString();
  const std::string binary("\x00\xff\x01 bytes", 9);
  ASSERT_TRUE((*socket)->send("one").ok());
  ASSERT_TRUE((*socket)->send(binary).ok());
  ASSERT_TRUE((*socket)->send(std::string(20000, 'x')).ok());
  ASSERT_TRUE(heard.waitForMessages(4));
  std::lock_guard<std::mutex> l(heard.mu);
  EXPECT_EQ(heard.messages[0], "hello Bearer good");
  EXPECT_EQ(heard.messages[1], "echo:one");
  EXPECT_EQ(heard.messages[2], "echo:" + binary);
  EXPECT_EQ(heard.messages[3], "echo:" + std::string(20000, 'x'));
}

TEST_F(WebSocketTest, TheRoutesEndClosesTheSocketAfterWhatItSent) {
  ApiClient client(url_, "good");
  Heard heard;
  auto socket = client.openSocket("/echo", "", heard.handlers());
  ASSERT_TRUE(socket.ok()) << socket.status().ToString();
  ASSERT_TRUE((*socket)->send("end").ok());
  ASSERT_TRUE(heard.waitForClose());
  std::lock_guard<std::mutex> l(heard.mu);
  EXPECT_TRUE(heard.closed->ok()) << heard.closed->ToString();
  ASSERT_EQ(heard.messages.size(), 2u);
  EXPECT_EQ(heard.messages[1], "bye");
  EXPECT_TRUE(waitForServerCloses(1)) << "the route hears its own close too";
}

TEST_F(WebSocketTest, TheClientsCloseIsHeardByTheRoute) {
  ApiClient client(url_, "good");
  Heard heard;
  auto socket = client.openSocket("/echo", "", heard.handlers());
  ASSERT_TRUE(socket.ok()) << socket.status().ToString();
  ASSERT_TRUE(heard.waitForMessages(1));
  (*socket)->close();
  EXPECT_TRUE(waitForServerCloses(1));
}

TEST_F(WebSocketTest, APlainRequestToAWebSocketRouteIsA400NamingIt) {
  ApiClient client(url_, "good");
  auto r = client.call("GET", "/echo");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalid()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("WebSocket"), std::string::npos) << r.status().ToString();
}

TEST_F(WebSocketTest, TheHandshakeNeedsAGoodToken) {
  ApiClient client(url_, "wrong");
  Heard heard;
  auto socket = client.openSocket("/echo", "", heard.handlers());
  EXPECT_FALSE(socket.ok());
  auto plain = client.call("GET", "/echo");
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().code(), Status::Code::kUnauthorized) << plain.status().ToString();
}

TEST_F(WebSocketTest, AMessageOverTheBodyLimitClosesTheSocket) {
  ApiClient client(url_, "good");
  Heard heard;
  auto socket = client.openSocket("/echo", "", heard.handlers());
  ASSERT_TRUE(socket.ok()) << socket.status().ToString();
  (*socket)->send(std::string(200 * 1024, 'x'));
  ASSERT_TRUE(heard.waitForClose());
  std::lock_guard<std::mutex> l(heard.mu);
  // Only the greeting: the oversized message was never echoed.
  EXPECT_EQ(heard.messages.size(), 1u);
  EXPECT_TRUE(waitForServerCloses(1));
}

}  // namespace
}  // namespace tender

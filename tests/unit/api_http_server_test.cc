// HttpServer over real loopback TCP, driven by a plain blocking POSIX client
// so each test controls exactly what bytes are sent and when.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "api/http_server.h"

namespace tender {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

class TestClient {
 public:
  // A client of a unix socket.
  explicit TestClient(const std::string& unixPath) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", unixPath.c_str());
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }

  explicit TestClient(int port, int receiveBuffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receiveBuffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof(receiveBuffer));
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~TestClient() { ::close(fd_); }

  bool connected() const { return connected_; }

  bool send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads one response (status line, headers, Content-Length body).
  std::optional<RawResponse> readResponse(milliseconds timeout = milliseconds(5000)) {
    auto deadline = SteadyClock::now() + timeout;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    RawResponse r;
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    size_t lineEnd = head.find("\r\n");
    std::string statusLine = head.substr(0, lineEnd);
    r.status = std::stoi(statusLine.substr(9, 3));
    size_t pos = lineEnd == std::string::npos ? head.size() : lineEnd + 2;
    while (pos < head.size()) {
      size_t next = head.find("\r\n", pos);
      if (next == std::string::npos) next = head.size();
      std::string line = head.substr(pos, next - pos);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers[name] = value;
      pos = next + 2;
    }
    if (r.headers.count("content-length") && !headOnly_) {
      size_t length = std::stoul(r.headers["content-length"]);
      while (buf_.size() < length) {
        if (!fill(deadline)) return std::nullopt;
      }
      r.body = buf_.substr(0, length);
      buf_.erase(0, length);
    }
    return r;
  }

  // Reads until `needle` is among the bytes after the last response's
  // header (a streamed body). False on timeout or close.
  bool readUntil(const std::string& needle, milliseconds timeout = milliseconds(5000)) {
    auto deadline = SteadyClock::now() + timeout;
    while (buf_.find(needle) == std::string::npos) {
      if (!fill(deadline)) return false;
    }
    return true;
  }
  const std::string& buffered() const { return buf_; }

  // Next response has no body on the wire (an answer to HEAD).
  void expectHeadOnly(bool v) { headOnly_ = v; }

  // True when the server closes the connection within `timeout`; data that
  // arrives meanwhile is counted in bytesRead().
  bool closedWithin(milliseconds timeout) {
    auto deadline = SteadyClock::now() + timeout;
    while (SteadyClock::now() < deadline) {
      int r = readSome(deadline);
      if (r <= 0) return r == 0 || r == -2;  // EOF or reset: closed; -1: timeout
    }
    return false;
  }

  size_t bytesRead() const { return total_; }

 private:
  // 1: data, 0: EOF, -1: timeout, -2: error (reset).
  int readSome(SteadyClock::time_point deadline) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now()).count();
    if (left <= 0) return -1;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return -1;
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n == 0) return 0;
    if (n < 0) return -2;
    buf_.append(tmp, static_cast<size_t>(n));
    total_ += static_cast<size_t>(n);
    return 1;
  }
  bool fill(SteadyClock::time_point deadline) { return readSome(deadline) == 1; }

  int fd_ = -1;
  bool connected_ = false;
  bool headOnly_ = false;
  std::string buf_;
  size_t total_ = 0;
};

std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() {
    router_.add("GET", "/hello/{name}", [](const HttpRequest& r) {
      return HttpResponse::Json(200, {{"hello", r.params.at("name")}, {"q", r.queryParam("q")}});
    });
    router_.add("POST", "/echo", [this](const HttpRequest& r) {
      ++echoCalls_;
      return HttpResponse::Text(201, r.body + "|" + r.header("x-tag"));
    });
    router_.add("GET", "/block", [this](const HttpRequest&) {
      release_.wait();
      return HttpResponse::Text(200, "unblocked");
    });
    router_.add("GET", "/big", [](const HttpRequest&) {
      return HttpResponse::Text(200, std::string(64 << 20, 'x'));
    });
    router_.add("GET", "/stream", [this](const HttpRequest&) {
      return HttpResponse::Stream(200, "application/x-ndjson", [this](std::shared_ptr<StreamSink> sink) {
        sink->write("first\n");
        std::lock_guard<std::mutex> l(sinkMu_);
        sink_ = sink;
      });
    });
  }

  // The sink of the last /stream request, once its header went out.
  std::shared_ptr<StreamSink> waitForSink() {
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard<std::mutex> l(sinkMu_);
        if (sink_) return sink_;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    return nullptr;
  }

  ~HttpServerTest() override {
    releaseBlocked();
    if (server_) server_->stop();
    if (ioThread_.joinable()) ioThread_.join();
    server_.reset();
  }

  void start(HttpServerOptions options = {}) {
    options.listen = {"127.0.0.1:0"};
    startListening(options);
  }

  void startListening(HttpServerOptions options) {
    server_ = std::make_unique<HttpServer>(io_, router_, options);
    Status s = server_->start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    // No work guard: the loop returns by itself once the server has stopped
    // and closed everything, which is what the stop test checks.
    ioThread_ = std::thread([this] {
      io_.run();
      loopReturned_ = true;
    });
  }

  void releaseBlocked() {
    if (!released_) {
      released_ = true;
      releasePromise_.set_value();
    }
  }

  int port() const { return server_->port(); }

  boost::asio::io_context io_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::thread ioThread_;
  std::atomic<bool> loopReturned_{false};
  std::atomic<int> echoCalls_{0};
  std::mutex sinkMu_;
  std::shared_ptr<StreamSink> sink_;
  std::promise<void> releasePromise_;
  std::shared_future<void> release_ = releasePromise_.get_future().share();
  bool released_ = false;
};

nlohmann::json errorOf(const RawResponse& r) { return nlohmann::json::parse(r.body)["error"]; }

TEST_F(HttpServerTest, AnswersGetWithDecodedPathAndQuery) {
  start();
  TestClient c(port());
  ASSERT_TRUE(c.send(get("/hello/w%20x?q=a%2Bb+c")));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(200, r->status);
  EXPECT_EQ("application/json", r->headers["content-type"]);
  EXPECT_EQ(std::to_string(r->body.size()), r->headers["content-length"]);
  EXPECT_EQ(nlohmann::json({{"hello", "w x"}, {"q", "a+b c"}}), nlohmann::json::parse(r->body));
}

TEST_F(HttpServerTest, PassesBodyAndLowercasedHeadersToHandler) {
  start();
  TestClient c(port());
  ASSERT_TRUE(
      c.send("POST /echo HTTP/1.1\r\nHost: t\r\nX-Tag: blue\r\nContent-Length: 5\r\n\r\n"
             "hello"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(201, r->status);
  EXPECT_EQ("hello|blue", r->body);
  EXPECT_EQ("text/plain; charset=utf-8", r->headers["content-type"]);
}

TEST_F(HttpServerTest, KeepsTheConnectionAliveBetweenRequests) {
  start();
  TestClient c(port());
  ASSERT_TRUE(c.send(get("/hello/one")));
  auto first = c.readResponse();
  ASSERT_TRUE(c.send(get("/hello/two")));
  auto second = c.readResponse();
  ASSERT_TRUE(first && second);
  EXPECT_EQ("one", nlohmann::json::parse(first->body)["hello"]);
  EXPECT_EQ("two", nlohmann::json::parse(second->body)["hello"]);
}

TEST_F(HttpServerTest, AnswersHeadWithLengthButNoBody) {
  start();
  TestClient c(port());
  ASSERT_TRUE(c.send("HEAD /hello/x HTTP/1.1\r\nHost: t\r\n\r\n"));
  c.expectHeadOnly(true);
  auto head = c.readResponse();
  ASSERT_TRUE(head);
  EXPECT_EQ(200, head->status);
  EXPECT_NE("0", head->headers["content-length"]);
  // The next answer on the same connection starts right after the header.
  c.expectHeadOnly(false);
  ASSERT_TRUE(c.send(get("/hello/y")));
  auto next = c.readResponse();
  ASSERT_TRUE(next);
  EXPECT_EQ("y", nlohmann::json::parse(next->body)["hello"]);
}

TEST_F(HttpServerTest, RefusesTooLargeBodyFromContentLengthBeforeReadingIt) {
  HttpServerOptions o;
  o.maxBodyBytes = 1024;
  start(o);
  TestClient c(port());
  // Only the header is sent: the answer must not wait for the 10 MiB body.
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10485760\r\n\r\n"));
  auto r = c.readResponse(milliseconds(3000));
  ASSERT_TRUE(r);
  EXPECT_EQ(413, r->status);
  EXPECT_EQ("TooLarge", errorOf(*r)["reason"]);
  EXPECT_EQ(0, echoCalls_);
}

TEST_F(HttpServerTest, CutsOffAChunkedBodyAtTheLimit) {
  HttpServerOptions o;
  o.maxBodyBytes = 1024;
  start(o);
  TestClient c(port());
  std::string chunk(2048, 'a');
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
                     chunk + "\r\n0\r\n\r\n"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(413, r->status);
  EXPECT_EQ(0, echoCalls_);
}

TEST_F(HttpServerTest, AnswersExpectContinueThenTheRequest) {
  start();
  TestClient c(port());
  ASSERT_TRUE(
      c.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
             "Content-Length: 4\r\n\r\n"));
  auto interim = c.readResponse(milliseconds(3000));
  ASSERT_TRUE(interim);
  EXPECT_EQ(100, interim->status);
  ASSERT_TRUE(c.send("data"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(201, r->status);
  EXPECT_EQ("data|", r->body);
}

TEST_F(HttpServerTest, AnswersMalformedRequestWithBadRequest) {
  start();
  TestClient c(port());
  ASSERT_TRUE(c.send("this is not http\r\n\r\n"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(400, r->status);
  EXPECT_EQ("Invalid", errorOf(*r)["reason"]);
}

TEST_F(HttpServerTest, AnswersBadPercentEncodingWithBadRequest) {
  start();
  TestClient c(port());
  ASSERT_TRUE(c.send(get("/hello/%zz")));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(400, r->status);
}

TEST_F(HttpServerTest, ClosesAClientThatSendsNoHeader) {
  HttpServerOptions o;
  o.headerTimeout = milliseconds(200);
  start(o);
  TestClient c(port());
  ASSERT_TRUE(c.send("GET /hello/x HTTP/1.1\r\n"));  // and nothing more
  EXPECT_TRUE(c.closedWithin(milliseconds(3000)));
}

TEST_F(HttpServerTest, ClosesAClientWhoseBodyDoesNotArrive) {
  HttpServerOptions o;
  o.bodyTimeout = milliseconds(200);
  start(o);
  TestClient c(port());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc"));
  EXPECT_TRUE(c.closedWithin(milliseconds(3000)));
  EXPECT_EQ(0, echoCalls_);
}

TEST_F(HttpServerTest, ClosesAnIdleKeptAliveConnection) {
  HttpServerOptions o;
  o.idleTimeout = milliseconds(200);
  start(o);
  TestClient c(port());
  ASSERT_TRUE(c.send(get("/hello/x")));
  ASSERT_TRUE(c.readResponse());
  EXPECT_TRUE(c.closedWithin(milliseconds(3000)));
}

TEST_F(HttpServerTest, ClosesAClientThatDoesNotReadItsResponse) {
  HttpServerOptions o;
  o.writeTimeout = milliseconds(300);
  start(o);
  TestClient lazy(port(), /*receiveBuffer=*/4096);
  ASSERT_TRUE(lazy.send(get("/big")));
  std::this_thread::sleep_for(milliseconds(1500));
  // Reading now gets what the kernel buffered, then the close: far less than
  // the 64 MiB the handler produced.
  EXPECT_TRUE(lazy.closedWithin(milliseconds(5000)));
  EXPECT_LT(lazy.bytesRead(), size_t{32} << 20);
}

TEST_F(HttpServerTest, ServesOtherRequestsWhileAHandlerBlocks) {
  start();
  TestClient blocked(port());
  ASSERT_TRUE(blocked.send(get("/block")));
  std::this_thread::sleep_for(milliseconds(100));
  TestClient other(port());
  ASSERT_TRUE(other.send(get("/hello/x")));
  auto r = other.readResponse(milliseconds(2000));
  ASSERT_TRUE(r);
  EXPECT_EQ(200, r->status);
  releaseBlocked();
  auto late = blocked.readResponse();
  ASSERT_TRUE(late);
  EXPECT_EQ("unblocked", late->body);
}

TEST_F(HttpServerTest, StopReturnsPromptlyAndClosesOpenConnections) {
  start();
  TestClient idle(port());
  TestClient halfway(port());
  ASSERT_TRUE(halfway.send("GET /hello/x HTTP/1.1\r\n"));
  TestClient served(port());
  ASSERT_TRUE(served.send(get("/hello/y")));
  ASSERT_TRUE(served.readResponse());

  auto before = SteadyClock::now();
  server_->stop();
  EXPECT_LT(SteadyClock::now() - before, milliseconds(500));
  EXPECT_TRUE(idle.closedWithin(milliseconds(2000)));
  EXPECT_TRUE(halfway.closedWithin(milliseconds(2000)));
  EXPECT_TRUE(served.closedWithin(milliseconds(2000)));
  // Nothing of the server is left pending on the event loop.
  for (int i = 0; i < 200 && !loopReturned_; ++i) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_TRUE(loopReturned_);
}

TEST_F(HttpServerTest, StartFailsNamingTheAddressWhenThePortIsTaken) {
  start();
  HttpServerOptions o;
  o.listen = {"127.0.0.1:" + std::to_string(port())};
  HttpServer second(io_, router_, o);
  Status s = second.start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string::npos, s.message().find(o.listen[0])) << s.message();
}

TEST_F(HttpServerTest, StartRefusesAnAddressWithoutPort) {
  HttpServerOptions o;
  o.listen = {"localhost"};
  HttpServer server(io_, router_, o);
  Status s = server.start();
  EXPECT_TRUE(s.IsInvalid());
  EXPECT_NE(std::string::npos, s.message().find("localhost")) << s.message();
}

TEST_F(HttpServerTest, StreamsChunksAsTheSourceWritesThemAndEndsCleanly) {
  start();
  TestClient c(port());
  ASSERT_TRUE(c.send(get("/stream")));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(200, r->status);
  EXPECT_EQ("chunked", r->headers["transfer-encoding"]);
  EXPECT_EQ("application/x-ndjson", r->headers["content-type"]);
  EXPECT_EQ(0u, r->headers.count("content-length"));
  ASSERT_TRUE(c.readUntil("6\r\nfirst\n\r\n")) << c.buffered();
  auto sink = waitForSink();
  ASSERT_TRUE(sink);
  // Nothing is held back until more arrives: each write goes out by itself.
  EXPECT_TRUE(sink->write("second\n"));
  ASSERT_TRUE(c.readUntil("7\r\nsecond\n\r\n")) << c.buffered();
  sink->end();
  ASSERT_TRUE(c.readUntil("0\r\n\r\n")) << c.buffered();
  EXPECT_TRUE(c.closedWithin(milliseconds(3000)));
  EXPECT_FALSE(sink->write("late\n"));
}

TEST_F(HttpServerTest, AStreamClosesWhenItsClientGoesAway) {
  start();
  auto c = std::make_unique<TestClient>(port());
  ASSERT_TRUE(c->send(get("/stream")));
  ASSERT_TRUE(c->readResponse());
  auto sink = waitForSink();
  ASSERT_TRUE(sink);
  EXPECT_FALSE(sink->closed());
  c.reset();  // hangs up
  bool closed = false;
  for (int i = 0; i < 300 && !closed; ++i) {
    closed = sink->closed();
    if (!closed) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(closed);
  EXPECT_FALSE(sink->write("anyone?\n"));
}

TEST_F(HttpServerTest, AStreamingClientThatDoesNotReadIsCutOffOnceFarBehind) {
  HttpServerOptions o;
  o.maxStreamBufferBytes = 256 * 1024;
  start(o);
  TestClient c(port(), /*receiveBuffer=*/4096);
  ASSERT_TRUE(c.send(get("/stream")));
  ASSERT_TRUE(c.readResponse());
  auto sink = waitForSink();
  ASSERT_TRUE(sink);
  // The socket buffers fill, then the queue: the sink refuses and closes,
  // instead of holding memory for a client that never reads.
  const std::string chunk(16 * 1024, 'z');
  bool refused = false;
  for (int i = 0; i < 2000 && !refused; ++i) {
    refused = !sink->write(chunk);
    if (i % 16 == 0) std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_TRUE(refused);
  EXPECT_TRUE(sink->closed());
}

TEST_F(HttpServerTest, ListensOnAUnixSocketAndTcpAtOnce) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("tender-http-" + std::to_string(::getpid()) + ".sock")).string();
  std::filesystem::remove(path);
  HttpServerOptions o;
  o.listen = {"127.0.0.1:0", "unix:" + path};
  startListening(o);
  EXPECT_TRUE(server_->localOnly());
  EXPECT_EQ(std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                std::filesystem::perms::group_read | std::filesystem::perms::group_write,
            std::filesystem::status(path).permissions());
  TestClient overUnix(path);
  ASSERT_TRUE(overUnix.connected());
  ASSERT_TRUE(overUnix.send(get("/hello/unix")));
  auto a = overUnix.readResponse();
  ASSERT_TRUE(a);
  EXPECT_EQ("unix", nlohmann::json::parse(a->body)["hello"]);
  TestClient overTcp(port());
  ASSERT_TRUE(overTcp.send(get("/hello/tcp")));
  auto b = overTcp.readResponse();
  ASSERT_TRUE(b);
  EXPECT_EQ("tcp", nlohmann::json::parse(b->body)["hello"]);

  // A second server may not take over a socket that still answers.
  HttpServerOptions same;
  same.listen = {"unix:" + path};
  HttpServer second(io_, router_, same);
  Status s = second.start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string::npos, s.message().find(path)) << s.message();
  EXPECT_TRUE(std::filesystem::exists(path));

  server_->stop();
  if (ioThread_.joinable()) ioThread_.join();
  server_.reset();
  EXPECT_FALSE(std::filesystem::exists(path)) << "the socket file is removed with the server";
}

TEST_F(HttpServerTest, ReplacesTheSocketFileOfAServerThatIsGone) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("tender-stale-" + std::to_string(::getpid()) + ".sock")).string();
  std::filesystem::remove(path);
  {  // A socket file nobody listens on any more, as a killed server leaves it.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    ASSERT_EQ(0, ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr));
    ::close(fd);
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  HttpServerOptions o;
  o.listen = {"unix:" + path};
  startListening(o);
  TestClient c(path);
  ASSERT_TRUE(c.send(get("/hello/again")));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(200, r->status);
}

TEST_F(HttpServerTest, AnAddressOtherHostsCanReachIsNotLocal) {
  HttpServerOptions o;
  o.listen = {"0.0.0.0:0"};
  startListening(o);
  EXPECT_FALSE(server_->localOnly());
}

}  // namespace
}  // namespace tender

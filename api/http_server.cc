// The one Boost.Beast translation unit of the API.
//
// Each connection lives on its own strand and moves through: wait for a
// request (idle deadline) -> read the header (header deadline) -> decide on
// the body from the header alone (413, 100 Continue) -> read the body (body
// deadline) -> run the handler on the pool -> write the response on the
// strand (write deadline) -> next request or close. Only one operation is
// outstanding per connection at a time, so no request pipelining: the next
// request is read after the response has been written.

#include "api/http_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

namespace tender {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

constexpr size_t kHeaderLimit = 16 * 1024;
constexpr size_t kReadChunk = 4096;
// After a response that ends the connection the server stops sending but
// keeps reading (and discarding) for a moment: closing with unread input
// makes the kernel reset the connection, and the client can lose the
// response (a 413 sent while the client is still sending its body).
constexpr std::chrono::milliseconds kLingerTime{2000};
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; in a query '+' is a space. False on a bad escape.
bool percentDecode(beast::string_view in, bool plusIsSpace, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hexValue(in[i + 1]), lo = hexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plusIsSpace) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

Status toHttpRequest(const http::request<http::string_body>& m, HttpRequest* req) {
  req->method = std::string(m.method_string());
  req->target = std::string(m.target());
  beast::string_view target = m.target();
  if (target.empty() || target.front() != '/') {
    return Status::Invalid("request target must be a path starting with '/': " + req->target);
  }
  size_t q = target.find('?');
  beast::string_view path = target.substr(0, q);
  if (!percentDecode(path, false, &req->path)) {
    return Status::Invalid("bad percent-encoding in path: " + std::string(path));
  }
  if (q != beast::string_view::npos) {
    beast::string_view query = target.substr(q + 1);
    while (!query.empty()) {
      size_t amp = query.find('&');
      beast::string_view pair = query.substr(0, amp);
      query = amp == beast::string_view::npos ? beast::string_view() : query.substr(amp + 1);
      if (pair.empty()) continue;
      size_t eq = pair.find('=');
      std::string key, value;
      if (!percentDecode(pair.substr(0, eq), true, &key) ||
          (eq != beast::string_view::npos && !percentDecode(pair.substr(eq + 1), true, &value))) {
        return Status::Invalid("bad percent-encoding in query: " + std::string(pair));
      }
      req->query.emplace(std::move(key), std::move(value));
    }
  }
  for (const auto& field : m) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto [it, inserted] = req->headers.emplace(name, std::string(field.value()));
    if (!inserted) it->second += ", " + std::string(field.value());
  }
  req->body = m.body();
  return Status::Ok();
}

bool iequals(beast::string_view a, beast::string_view b) { return beast::iequals(a, b); }

// "host:port", "[v6]:port", ":port". Port 0 lets the kernel pick.
Result<tcp::endpoint> parseListenAddress(net::io_context& io, const std::string& listen) {
  if (listen.rfind("unix:", 0) == 0) {
    return Status::Invalid("cannot listen on " + listen +
                           ": unix sockets are not supported yet; use host:port");
  }
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Status::Invalid("cannot listen on " + listen + ": expected host:port");
  }
  std::string host = listen.substr(0, colon);
  std::string portText = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  if (portText.empty() || portText.size() > 5 ||
      !std::all_of(portText.begin(), portText.end(),
                   [](unsigned char c) { return std::isdigit(c); }) ||
      std::stoi(portText) > 65535) {
    return Status::Invalid("cannot listen on " + listen + ": bad port '" + portText + "'");
  }
  auto port = static_cast<unsigned short>(std::stoi(portText));
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(address, port);
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, portText, ec);
  if (ec || results.empty()) {
    return Status::Invalid("cannot listen on " + listen + ": cannot resolve '" + host +
                           "': " + (ec ? ec.message() : std::string("no address")));
  }
  return results.begin()->endpoint();
}

}  // namespace

namespace {
class Connection;
}  // namespace

struct HttpServerState {
  HttpServerState(net::io_context& ctx, Router& r, HttpServerOptions o)
      : io(ctx),
        router(r),
        options(std::move(o)),
        acceptor(net::make_strand(ctx)),
        acceptRetry(acceptor.get_executor()) {}

  net::io_context& io;
  Router& router;
  const HttpServerOptions options;
  tcp::acceptor acceptor;  // used on its strand once accepting
  net::steady_timer acceptRetry;
  std::atomic<int> port{0};

  std::mutex mu;
  bool stopped = false;                    // guarded by mu
  std::unique_ptr<net::thread_pool> pool;  // guarded by mu; handlers run here
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;  // guarded by mu
};

namespace {

using State = HttpServerState;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<State> state, tcp::socket&& socket)
      : state_(std::move(state)), stream_(std::move(socket)) {}

  ~Connection() {
    std::lock_guard<std::mutex> l(state_->mu);
    state_->connections.erase(this);
  }

  void run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      {
        std::lock_guard<std::mutex> l(self->state_->mu);
        if (self->state_->stopped) {
          self->close();
          return;
        }
        self->state_->connections.emplace(self.get(), self);
      }
      self->waitForRequest();
    });
  }

  // From any thread: the close runs on the connection's strand.
  void closeFromServer() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

 private:
  const HttpServerOptions& options() const { return state_->options; }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  // Between requests: wait for the first byte under the idle deadline, then
  // the header must follow within the header deadline. The first request of a
  // connection has only the header deadline, counted from the accept.
  void waitForRequest() {
    if (firstRequest_ || buffer_.size() > 0) {
      readHeader();
      return;
    }
    stream_.expires_after(options().idleTimeout);
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) {
                                if (ec == beast::error::timeout)
                                  spdlog::debug("closing idle API connection");
                                self->close();
                                return;
                              }
                              self->buffer_.commit(n);
                              self->readHeader();
                            });
  }

  void readHeader() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    // The body limit is checked by hand once the header is in (413 before
    // any body byte is read), then set for chunked bodies. Not boost::none:
    // Beast 1.74 compares Content-Length against the optional, and any
    // length is "greater" than none.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(options().headerTimeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->onHeader(ec); });
  }

  void onHeader(beast::error_code ec) {
    if (closed_) return;
    started_ = SteadyClock::now();
    if (ec) {
      onReadError(ec, "header");
      return;
    }
    const auto& msg = parser_->get();
    method_ = std::string(msg.method_string());
    target_ = std::string(msg.target());
    head_ = msg.method() == http::verb::head;
    keepAlive_ = msg.keep_alive();

    const size_t limit = options().maxBodyBytes;
    if (auto length = parser_->content_length(); length && *length > limit) {
      respondAndClose(Status::TooLarge("request body of " + std::to_string(*length) +
                                       " bytes is over the limit of " + std::to_string(limit) +
                                       " bytes"));
      return;
    }
    parser_->body_limit(limit);
    if (parser_->is_done()) {
      dispatch();
      return;
    }
    if (msg.version() >= 11 && iequals(msg[http::field::expect], "100-continue")) {
      stream_.expires_after(options().writeTimeout);
      net::async_write(stream_, net::buffer(kContinue, sizeof(kContinue) - 1),
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         if (ec) {
                           self->close();
                           return;
                         }
                         self->readBody();
                       });
      return;
    }
    readBody();
  }

  void readBody() {
    stream_.expires_after(options().bodyTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (self->closed_) return;
                       if (ec) {
                         self->onReadError(ec, "body");
                         return;
                       }
                       self->dispatch();
                     });
  }

  void onReadError(beast::error_code ec, const char* what) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted) {
      close();
    } else if (ec == beast::error::timeout) {
      spdlog::debug("closing API connection: request {} did not arrive in time", what);
      close();
    } else if (ec == http::error::body_limit) {
      respondAndClose(Status::TooLarge("request body is over the limit of " +
                                       std::to_string(options().maxBodyBytes) + " bytes"));
    } else if (ec == http::error::header_limit) {
      respondAndClose(Status::Invalid("request header is over the limit of " +
                                      std::to_string(kHeaderLimit) + " bytes"));
    } else if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
      respondAndClose(Status::Invalid("malformed HTTP request: " + ec.message()));
    } else {
      close();  // reset by the peer and the like: nobody to answer
    }
  }

  // Hands the request to the handler pool; the answer comes back on the strand.
  void dispatch() {
    auto req = std::make_shared<HttpRequest>();
    Status s = toHttpRequest(parser_->get(), req.get());
    if (!s.ok()) {
      respond(HttpResponse::Error(s));
      return;
    }
    std::lock_guard<std::mutex> l(state_->mu);
    if (state_->stopped || !state_->pool) {
      close();
      return;
    }
    net::post(*state_->pool, [self = shared_from_this(), req] {
      HttpResponse res;
      try {
        res = self->state_->router.route(*req);
      } catch (...) {  // route() catches handlers' exceptions; this is the last guard
        res = HttpResponse::Error(Status::Internal("internal error"));
      }
      net::post(self->stream_.get_executor(),
                [self, res = std::move(res)]() mutable { self->respond(std::move(res)); });
    });
  }

  void respondAndClose(const Status& status) {
    keepAlive_ = false;
    respond(HttpResponse::Error(status));
  }

  // Extension point for streaming responses (watch): a handler result that
  // asks to stream would branch here to a writer that sends the header with
  // chunked encoding and then one chunk per event, each under the write
  // deadline, until the client goes away or the server stops.
  void respond(HttpResponse r) {
    if (closed_) return;
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(parser_ && parser_->get().version() == 10 ? 10 : 11);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "tender");
    for (auto& [name, value] : r.headers) res->set(name, value);
    res->set(http::field::content_type, r.contentType);
    const bool bodiless = (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304;
    if (!bodiless) {
      res->content_length(r.body.size());
      if (!head_) res->body() = std::move(r.body);
    }
    res->keep_alive(keepAlive_);

    spdlog::debug(
        "{} {} {} {}ms", method_.empty() ? "-" : method_, target_.empty() ? "-" : target_, r.status,
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started_)
            .count());

    stream_.expires_after(options().writeTimeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec) {
                          if (ec == beast::error::timeout) {
                            spdlog::debug(
                                "closing API connection: client did not read its "
                                "response in time");
                          }
                          self->close();
                          return;
                        }
                        if (!self->keepAlive_) {
                          self->lingeringClose();
                          return;
                        }
                        self->firstRequest_ = false;
                        self->parser_.reset();
                        self->method_.clear();
                        self->target_.clear();
                        self->waitForRequest();
                      });
  }

  void lingeringClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(kLingerTime);
    drain();
  }

  void drain() {
    stream_.async_read_some(net::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) {
                                self->close();
                                return;
                              }
                              self->drain();
                            });
  }

  std::shared_ptr<State> state_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool closed_ = false;
  bool firstRequest_ = true;
  bool keepAlive_ = true;
  bool head_ = false;
  std::string method_;
  std::string target_;
  SteadyClock::time_point started_ = SteadyClock::now();
  char drain_[kReadChunk];
};

void acceptNext(const std::shared_ptr<State>& state) {
  state->acceptor.async_accept(
      net::make_strand(state->io), [state](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !state->acceptor.is_open()) return;
        if (ec) {
          // Out of file descriptors and the like: wait a little instead of
          // spinning on an accept that keeps failing.
          spdlog::warn("API accept failed: {}", ec.message());
          state->acceptRetry.expires_after(std::chrono::milliseconds(100));
          state->acceptRetry.async_wait([state](beast::error_code ec) {
            if (!ec) acceptNext(state);
          });
          return;
        }
        std::make_shared<Connection>(state, std::move(socket))->run();
        acceptNext(state);
      });
}

}  // namespace

HttpServer::HttpServer(boost::asio::io_context& io, Router& router, HttpServerOptions options)
    : state_(std::make_shared<State>(io, router, std::move(options))) {}

HttpServer::~HttpServer() {
  stop();
  std::unique_ptr<net::thread_pool> pool;
  {
    std::lock_guard<std::mutex> l(state_->mu);
    pool = std::move(state_->pool);
  }
  // Waits for running handlers: they use the Router, which may go away with us.
  if (pool) pool->join();
}

Status HttpServer::start() {
  auto endpoint = parseListenAddress(state_->io, state_->options.listen);
  if (!endpoint.ok()) return endpoint.status();
  const std::string& listen = state_->options.listen;
  beast::error_code ec;
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint->protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(*endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    acceptor.close(ignored);
    return Status::Unavailable("cannot listen on " + listen + ": " + ec.message());
  }
  state_->port = acceptor.local_endpoint(ec).port();
  {
    std::lock_guard<std::mutex> l(state_->mu);
    if (state_->stopped) return Status::Unavailable("server was stopped before it started");
    state_->pool = std::make_unique<net::thread_pool>(std::max(1, state_->options.handlerThreads));
  }
  spdlog::info("API listening on {} (port {})", listen, state_->port.load());
  net::post(acceptor.get_executor(), [state = state_] { acceptNext(state); });
  return Status::Ok();
}

void HttpServer::stop() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard<std::mutex> l(state_->mu);
    if (state_->stopped) return;
    state_->stopped = true;
    for (auto& [ptr, weak] : state_->connections) {
      if (auto c = weak.lock()) open.push_back(std::move(c));
    }
    // Queued handlers that have not started are dropped; running ones finish
    // and their answers meet a closed connection.
    if (state_->pool) state_->pool->stop();
  }
  net::post(state_->acceptor.get_executor(), [state = state_] {
    beast::error_code ec;
    state->acceptor.close(ec);
    state->acceptRetry.cancel();
  });
  for (auto& c : open) c->closeFromServer();
}

int HttpServer::port() const { return state_->port.load(); }

}  // namespace tender

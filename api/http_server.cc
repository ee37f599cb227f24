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

#include "api/http_server_internal.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/un.h>

namespace tender {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
// TCP and unix-socket listeners share one connection type.
using Protocol = http_internal::Protocol;
using Stream = beast::basic_stream<Protocol>;
using SteadyClock = std::chrono::steady_clock;

constexpr size_t kHeaderLimit = 16 * 1024;
constexpr size_t kReadChunk = 4096;
// After a response that ends the connection the server stops sending but
// keeps reading (and discarding) for a moment: closing with unread input
// makes the kernel reset the connection, and the client can lose the
// response (a 413 sent while the client is still sending its body).
constexpr std::chrono::milliseconds kLingerTime{2000};
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

using http_internal::ListenAddress;

// The Beast message as an HttpRequest (http_target.cc decodes the target).
Status toHttpRequest(const http::request<http::string_body>& m, HttpRequest* req) {
  req->method = std::string(m.method_string());
  req->target = std::string(m.target());
  Status s = http_internal::parseTarget(req);
  if (!s.ok()) return s;
  for (const auto& field : m) {
    const beast::string_view name = field.name_string(), value = field.value();
    http_internal::addHeader(req, {name.data(), name.size()}, {value.data(), value.size()});
  }
  req->body = m.body();
  return Status::Ok();
}

bool iequals(beast::string_view a, beast::string_view b) { return beast::iequals(a, b); }


}  // namespace

namespace {
class Connection;
}  // namespace

// One listening socket, used on its own strand once accepting.
struct Listener {
  explicit Listener(net::io_context& io) : acceptor(net::make_strand(io)), retry(acceptor.get_executor()) {}
  net::basic_socket_acceptor<Protocol> acceptor;
  net::steady_timer retry;
  std::string unixPath;  // removed when the server goes
};

struct HttpServerState {
  HttpServerState(net::io_context& ctx, Router& r, HttpServerOptions o)
      : io(ctx), router(r), options(std::move(o)) {}

  net::io_context& io;
  Router& router;
  const HttpServerOptions options;
  std::vector<std::unique_ptr<Listener>> listeners;  // set by start(), then fixed
  std::atomic<int> port{0};
  bool localOnly = true;

  std::mutex mu;
  bool stopped = false;                    // guarded by mu
  std::unique_ptr<net::thread_pool> pool;  // guarded by mu; handlers run here
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;  // guarded by mu
};

namespace {

using State = HttpServerState;

// What a streaming response's source and its connection share: the chunks
// not yet written, and whether the stream has ended or closed.
class StreamState {
 public:
  explicit StreamState(size_t limit) : limit_(limit) {}

  // False (and the stream closed) when closed already or over the limit.
  // Sets *wake when the connection's writer must be woken.
  bool push(std::string data, bool* wake) {
    std::lock_guard<std::mutex> l(mu_);
    *wake = false;
    if (closed_ || ended_) return !closed_;
    if (data.empty()) return true;
    if (queuedBytes_ + data.size() > limit_) {
      closed_ = true;
      overflowed_ = true;
      *wake = true;  // the writer closes the connection
      return false;
    }
    queuedBytes_ += data.size();
    queue_.push_back(std::move(data));
    *wake = !writing_;
    writing_ = true;
    return true;
  }
  // Returns true when the writer must be woken to finish the body.
  bool end() {
    std::lock_guard<std::mutex> l(mu_);
    if (ended_ || closed_) return false;
    ended_ = true;
    bool wake = !writing_;
    writing_ = true;
    return wake;
  }
  void markClosed() {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
  }
  bool closed() const {
    std::lock_guard<std::mutex> l(mu_);
    return closed_;
  }
  // The writer takes everything queued in one go. When nothing is left it
  // stops (writing_ false) unless the stream has ended or overflowed.
  struct Batch {
    std::string data;
    bool ended = false;
    bool overflowed = false;
    bool idle = false;  // nothing to do: the writer sleeps until woken
  };
  Batch take() {
    std::lock_guard<std::mutex> l(mu_);
    Batch b;
    b.overflowed = overflowed_;
    for (auto& d : queue_) b.data += d;
    queue_.clear();
    queuedBytes_ = 0;
    b.ended = ended_;
    if (b.data.empty() && !b.ended && !b.overflowed) {
      writing_ = false;
      b.idle = true;
    }
    return b;
  }

 private:
  const size_t limit_;
  mutable std::mutex mu_;
  std::deque<std::string> queue_;
  size_t queuedBytes_ = 0;
  bool writing_ = false;
  bool ended_ = false;
  bool closed_ = false;
  bool overflowed_ = false;
};

class Connection;

class Sink : public StreamSink {
 public:
  Sink(std::shared_ptr<StreamState> state, std::weak_ptr<Connection> conn)
      : state_(std::move(state)), conn_(std::move(conn)) {}
  bool write(std::string data) override;
  void end() override;
  bool closed() const override { return state_->closed(); }

 private:
  void wake();
  std::shared_ptr<StreamState> state_;
  std::weak_ptr<Connection> conn_;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<State> state, Protocol::socket&& socket)
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
    if (streaming_) streaming_->markClosed();
    beast::error_code ec;
    stream_.socket().shutdown(Protocol::socket::shutdown_both, ec);
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
    // What can be answered from memory is answered here, sparing two thread
    // hand-offs (a cached list, a refusal).
    std::optional<HttpResponse> fast;
    try {
      fast = state_->router.routeFast(*req);
    } catch (...) {
      fast.reset();
    }
    if (fast) {
      respond(std::move(*fast));
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

  // On the strand: writes what the stream's source has queued.
  void pumpStream() {
    if (closed_ || !streaming_ || streamWriting_) return;
    StreamState::Batch b = streaming_->take();
    if (b.overflowed) {
      spdlog::debug("closing streaming API connection: the client fell {} bytes behind",
                    options().maxStreamBufferBytes);
      close();
      return;
    }
    if (b.idle) return;
    auto out = std::make_shared<std::string>();
    if (!b.data.empty()) {
      if (chunked_) {
        char size[20];
        std::snprintf(size, sizeof size, "%zx\r\n", b.data.size());
        *out = size + b.data + "\r\n";
      } else {
        *out = std::move(b.data);
      }
    }
    const bool last = b.ended;
    if (last && chunked_) *out += "0\r\n\r\n";
    streamWriting_ = true;
    stream_.expires_after(options().writeTimeout);
    net::async_write(stream_, net::buffer(*out), [self = shared_from_this(), out, last](beast::error_code ec, size_t) {
      self->streamWriting_ = false;
      if (ec) {
        self->close();
        return;
      }
      if (last) {
        // The hang-up watch's read is still pending: it ends the connection
        // when the client closes its side, or this timer does.
        self->streaming_->markClosed();
        beast::error_code ignored;
        self->stream_.socket().shutdown(Protocol::socket::shutdown_send, ignored);
        auto timer = std::make_shared<net::steady_timer>(self->stream_.get_executor(), kLingerTime);
        timer->async_wait([self, timer](beast::error_code) { self->close(); });
        return;
      }
      self->pumpStream();
    });
  }

  // A streaming response: the header now, then what the source writes. The
  // connection is not reused afterwards. Meanwhile the socket is read, only
  // to learn when the client goes away.
  void startStream(HttpResponse r) {
    keepAlive_ = false;
    const bool http10 = parser_ && parser_->get().version() == 10;
    chunked_ = !http10;
    std::string header = std::string(http10 ? "HTTP/1.0 " : "HTTP/1.1 ") + std::to_string(r.status) + " " +
                         std::string(http::obsolete_reason(static_cast<http::status>(r.status))) + "\r\n";
    header += "Server: tender\r\nContent-Type: " + r.contentType + "\r\nCache-Control: no-cache\r\n";
    for (auto& [name, value] : r.headers) header += name + ": " + value + "\r\n";
    if (chunked_) header += "Transfer-Encoding: chunked\r\n";
    header += "Connection: close\r\n\r\n";
    spdlog::debug("{} {} {} (stream)", method_, target_, r.status);
    auto out = std::make_shared<std::string>(std::move(header));
    streaming_ = std::make_shared<StreamState>(options().maxStreamBufferBytes);
    streamWriting_ = true;
    stream_.expires_after(options().writeTimeout);
    net::async_write(stream_, net::buffer(*out),
                     [self = shared_from_this(), out, start = std::move(r.stream)](beast::error_code ec, size_t) {
                       self->streamWriting_ = false;
                       if (ec) {
                         self->close();
                         return;
                       }
                       if (self->head_) {
                         self->streaming_->markClosed();
                         self->lingeringClose();
                         return;
                       }
                       self->watchForHangUp();
                       auto sink = std::make_shared<Sink>(self->streaming_, self);
                       std::lock_guard<std::mutex> l(self->state_->mu);
                       if (self->state_->stopped || !self->state_->pool) {
                         self->close();
                         return;
                       }
                       net::post(*self->state_->pool, [start, sink] {
                         try {
                           start(sink);
                         } catch (const std::exception& e) {
                           spdlog::error("stream source threw: {}", e.what());
                           sink->end();
                         }
                       });
                       self->pumpStream();
                     });
  }

  // Reads (and drops) whatever a streaming client sends; its end or an error
  // means the client has gone.
  void watchForHangUp() {
    // No deadline on this read (a watch may be quiet for long); the writes
    // keep theirs, since the stream applies a new expiry only to the
    // direction with nothing pending.
    stream_.expires_never();
    stream_.async_read_some(net::buffer(drain_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (self->closed_) return;
      if (ec) {
        spdlog::debug("streaming API client went away: {}", ec.message());
        self->close();
        return;
      }
      self->watchForHangUp();
    });
  }

 public:
  void wakeStream() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->pumpStream(); });
  }

 private:
  void respond(HttpResponse r) {
    if (closed_) return;
    if (r.stream) {
      startStream(std::move(r));
      return;
    }
    // The body is sent from where it lies: a shared (cached) string as is.
    std::shared_ptr<const std::string> body =
        r.sharedBody ? std::move(r.sharedBody) : std::make_shared<const std::string>(std::move(r.body));
    auto res = std::make_shared<http::response<http::buffer_body>>();
    res->version(parser_ && parser_->get().version() == 10 ? 10 : 11);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "tender");
    for (auto& [name, value] : r.headers) res->set(name, value);
    res->set(http::field::content_type, r.contentType);
    const bool bodiless = (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304;
    res->body().data = nullptr;
    res->body().size = 0;
    res->body().more = false;
    if (!bodiless) {
      res->content_length(body->size());
      if (!head_ && !body->empty()) {
        res->body().data = const_cast<char*>(body->data());
        res->body().size = body->size();
      }
    }
    res->keep_alive(keepAlive_);

    spdlog::debug(
        "{} {} {} {}ms", method_.empty() ? "-" : method_, target_.empty() ? "-" : target_, r.status,
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started_)
            .count());

    stream_.expires_after(options().writeTimeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, body](beast::error_code ec, size_t) {
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
    stream_.socket().shutdown(Protocol::socket::shutdown_send, ec);
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
  Stream stream_;
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
  std::shared_ptr<StreamState> streaming_;  // set once a streaming response began
  bool streamWriting_ = false;
  bool chunked_ = true;
};

bool Sink::write(std::string data) {
  bool wake = false;
  bool ok = state_->push(std::move(data), &wake);
  if (wake) this->wake();
  return ok;
}

void Sink::end() {
  if (state_->end()) wake();
}

void Sink::wake() {
  if (auto c = conn_.lock()) c->wakeStream();
}

void acceptNext(const std::shared_ptr<State>& state, Listener* listener) {
  listener->acceptor.async_accept(
      net::make_strand(state->io), [state, listener](beast::error_code ec, Protocol::socket socket) {
        if (ec == net::error::operation_aborted || !listener->acceptor.is_open()) return;
        if (ec) {
          // Out of file descriptors and the like: wait a little instead of
          // spinning on an accept that keeps failing.
          spdlog::warn("API accept failed: {}", ec.message());
          listener->retry.expires_after(std::chrono::milliseconds(100));
          listener->retry.async_wait([state, listener](beast::error_code ec) {
            if (!ec) acceptNext(state, listener);
          });
          return;
        }
        std::make_shared<Connection>(state, std::move(socket))->run();
        acceptNext(state, listener);
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
  for (const auto& l : state_->listeners) {
    if (l->unixPath.empty()) continue;
    std::error_code ec;
    std::filesystem::remove(l->unixPath, ec);
  }
}

Status HttpServer::start() {
  if (state_->options.listen.empty()) return Status::Invalid("no address to listen on");
  std::vector<ListenAddress> addresses;
  for (const std::string& text : state_->options.listen) {
    auto a = http_internal::parseListenAddress(state_->io, text);
    if (!a.ok()) return a.status();
    addresses.push_back(std::move(*a));
  }
  std::vector<std::unique_ptr<Listener>> listeners;
  auto closeAll = [&] {
    for (auto& l : listeners) {
      beast::error_code ignored;
      l->acceptor.close(ignored);
      if (!l->unixPath.empty()) {
        std::error_code fs;
        std::filesystem::remove(l->unixPath, fs);
      }
    }
  };
  int firstTcpPort = 0;
  bool localOnly = true;
  for (const ListenAddress& a : addresses) {
    if (!a.unixPath.empty()) {
      Status cleared = http_internal::clearStaleSocket(state_->io, a);
      if (!cleared.ok()) {
        closeAll();
        return cleared;
      }
    }
    auto l = std::make_unique<Listener>(state_->io);
    beast::error_code ec;
    auto& acceptor = l->acceptor;
    acceptor.open(a.endpoint.protocol(), ec);
    if (!ec && a.unixPath.empty()) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(a.endpoint, ec);
    if (!ec && !a.unixPath.empty()) {
      l->unixPath = a.unixPath;
      if (::chmod(a.unixPath.c_str(), 0660) != 0) ec = beast::error_code(errno, boost::system::system_category());
    }
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      beast::error_code ignored;
      acceptor.close(ignored);
      if (!l->unixPath.empty()) {
        std::error_code fs;
        std::filesystem::remove(l->unixPath, fs);
      }
      closeAll();
      return Status::Unavailable("cannot listen on " + a.text + ": " + ec.message());
    }
    if (a.unixPath.empty() && firstTcpPort == 0) firstTcpPort = http_internal::portOf(acceptor.local_endpoint(ec));
    localOnly = localOnly && a.local;
    spdlog::info("API listening on {}", a.text);
    listeners.push_back(std::move(l));
  }
  {
    std::lock_guard<std::mutex> l(state_->mu);
    if (state_->stopped) {
      closeAll();
      return Status::Unavailable("server was stopped before it started");
    }
    state_->pool = std::make_unique<net::thread_pool>(std::max(1, state_->options.handlerThreads));
    state_->listeners = std::move(listeners);
    state_->localOnly = localOnly;
  }
  state_->port = firstTcpPort;
  for (const auto& l : state_->listeners) {
    net::post(l->acceptor.get_executor(), [state = state_, listener = l.get()] { acceptNext(state, listener); });
  }
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
  for (const auto& l : state_->listeners) {
    net::post(l->acceptor.get_executor(), [state = state_, listener = l.get()] {
      beast::error_code ec;
      listener->acceptor.close(ec);
      listener->retry.cancel();
    });
  }
  for (auto& c : open) c->closeFromServer();
}

int HttpServer::port() const { return state_->port.load(); }

bool HttpServer::localOnly() const {
  std::lock_guard<std::mutex> l(state_->mu);
  return state_->localOnly;
}

}  // namespace tender

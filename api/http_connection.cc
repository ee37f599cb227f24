// One connection of the HTTP server: its requests read, handed to the
// router, and answered, and a streaming response written as its source
// queues it, or a WebSocket's messages both ways. The one Boost.Beast
// translation unit of the API.
//
// Each connection lives on its own strand and moves through: wait for a
// request (idle deadline) -> read the header (header deadline) -> decide on
// the body from the header alone (413, 100 Continue) -> read the body (body
// deadline) -> run the handler on the pool -> write the response on the
// strand (write deadline) -> next request or close. Only one operation is
// outstanding per connection at a time, so no request pipelining: the next
// request is read after the response has been written.
//
// Plain HTTP and HTTPS share this code: a connection is a template over its
// stream, beast::basic_stream (plain) or beast::ssl_stream over one (TLS),
// and the few steps that differ (the handshake first, how the sending side
// is shut) are chosen with `if constexpr`. Deadlines are always set on the
// TCP (or unix) stream underneath. An HTTPS connection first looks at the
// first bytes: a plain HTTP request gets a plain 400 saying the port speaks
// HTTPS, and is closed.

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

#include "api/http_server_internal.h"
#include "api/tls_context.h"

namespace tender {
namespace http_internal {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using PlainStream = beast::basic_stream<Protocol>;
using TlsStream = beast::ssl_stream<PlainStream>;
// Only for the debug log's request durations.
using SteadyClock = std::chrono::steady_clock;

constexpr size_t kHeaderLimit = 16 * 1024;
constexpr size_t kReadChunk = 4096;
// After a response that ends the connection the server stops sending but
// keeps reading (and discarding) for a moment: closing with unread input
// makes the kernel reset the connection, and the client can lose the
// response (a 413 sent while the client is still sending its body).
constexpr std::chrono::milliseconds kLingerTime{2000};
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

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

// What the server and a stream's Sink hold of a connection, whatever its
// stream: it can be closed and woken from any thread.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(std::shared_ptr<HttpServerState> state) : state_(std::move(state)) {}
  virtual ~Connection() { state_->removeConnection(this); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // From any thread: the close runs on the connection's strand.
  virtual void closeFromServer() = 0;
  // From any thread: the stream's writer runs on the connection's strand.
  virtual void wakeStream() = 0;

 protected:
  std::shared_ptr<HttpServerState> state_;
};

namespace {

// A connection over `Stream`: PlainStream, or TlsStream for HTTPS.
template <class Stream>
class StreamConnection final : public Connection {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // `streamArgs` make the stream: the accepted socket (and, for TLS, the
  // SSL context).
  template <class... StreamArgs>
  explicit StreamConnection(std::shared_ptr<HttpServerState> state, StreamArgs&&... streamArgs)
      : Connection(std::move(state)), stream_(std::forward<StreamArgs>(streamArgs)...) {}

  void run() {
    net::dispatch(stream_.get_executor(), [self = shared()] {
      if (!self->state_->addConnection(self)) {
        self->close();
        return;
      }
      if constexpr (kTls) {
        self->detectTls();
      } else {
        self->waitForRequest();
      }
    });
  }

  void closeFromServer() override {
    net::post(stream_.get_executor(), [self = shared()] { self->close(); });
  }

  void wakeStream() override {
    net::dispatch(stream_.get_executor(), [self = shared()] {
      if (self->ws_) {
        self->pumpMessages();
      } else {
        self->pumpStream();
      }
    });
  }

 private:
  std::shared_ptr<StreamConnection> shared() {
    return std::static_pointer_cast<StreamConnection>(shared_from_this());
  }

  // The TCP (or unix) stream underneath: its deadlines and its socket.
  PlainStream& lowest() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  const HttpServerOptions& options() const { return state_->options; }

  void close() {
    if (closed_) return;
    closed_ = true;
    if (streaming_) streaming_->markClosed();
    streamLease_.reset();  // the token's stream slot is free again
    notifyDuplexClosed();
    beast::error_code ec;
    lowest().socket().shutdown(Protocol::socket::shutdown_both, ec);
    lowest().close();
  }

  // HTTPS: the first bytes tell a TLS handshake from a plain request; the
  // handshake must be done within the header deadline from the accept.
  void detectTls() {
    lowest().expires_after(options().headerTimeout);
    beast::async_detect_ssl(lowest(), buffer_, [self = shared()](beast::error_code ec, bool isTls) {
      if (self->closed_) return;
      if (ec) {
        self->close();
        return;
      }
      if (!isTls) {
        self->refusePlaintext();
        return;
      }
      self->handshake();
    });
  }

  void handshake() {
    if constexpr (kTls) {
      stream_.async_handshake(net::ssl::stream_base::server, buffer_.data(),
                              [self = shared()](beast::error_code ec, size_t used) {
                                if (self->closed_) return;
                                if (ec) {
                                  spdlog::debug("closing API connection: TLS handshake failed: {}",
                                                ec.message());
                                  self->close();
                                  return;
                                }
                                self->buffer_.consume(used);
                                self->waitForRequest();
                              });
    }
  }

  // A plain HTTP request on an HTTPS port: a plain 400 with the API's error
  // body, then the connection closes.
  void refusePlaintext() {
    HttpResponse r =
        HttpResponse::Error(Status::Invalid("this port speaks HTTPS only: use an https:// URL"));
    auto out = std::make_shared<std::string>(
        "HTTP/1.1 400 Bad Request\r\nServer: tender\r\nContent-Type: " + r.contentType +
        "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n" +
        r.body);
    spdlog::debug("closing API connection: a plain HTTP request on an HTTPS port");
    lowest().expires_after(options().writeTimeout);
    net::async_write(lowest(), net::buffer(*out),
                     [self = shared(), out](beast::error_code ec, size_t) {
                       if (ec) {
                         self->close();
                         return;
                       }
                       self->lingerUnderneath();
                     });
  }

  // Between requests: wait for the first byte under the idle deadline, then
  // the header must follow within the header deadline. The first request of a
  // connection has only the header deadline, counted from the accept.
  void waitForRequest() {
    if (firstRequest_ || buffer_.size() > 0) {
      readHeader();
      return;
    }
    lowest().expires_after(options().idleTimeout);
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared()](beast::error_code ec, size_t n) {
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
    lowest().expires_after(options().headerTimeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared()](beast::error_code ec, size_t) { self->onHeader(ec); });
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

    upload_ = options().isUpload && options().isUpload(method_, target_);
    const size_t limit = bodyLimit();
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
      lowest().expires_after(options().writeTimeout);
      net::async_write(stream_, net::buffer(kContinue, sizeof(kContinue) - 1),
                       [self = shared()](beast::error_code ec, size_t) {
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
    lowest().expires_after(upload_ ? options().uploadTimeout : options().bodyTimeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared()](beast::error_code ec, size_t) {
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
                                       std::to_string(bodyLimit()) + " bytes"));
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
    const bool queued = state_->post([self = shared(), req] {
      HttpResponse res;
      try {
        res = self->state_->router.route(*req);
      } catch (...) {  // route() catches handlers' exceptions; this is the last guard
        res = HttpResponse::Error(Status::Internal("internal error"));
      }
      net::post(self->stream_.get_executor(),
                [self, res = std::move(res)]() mutable { self->respond(std::move(res)); });
    });
    if (!queued) close();
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
    const bool last = b.ended;
    auto out = std::make_shared<std::string>(frameStreamBatch(std::move(b.data), chunked_, last));
    streamWriting_ = true;
    lowest().expires_after(options().writeTimeout);
    net::async_write(stream_, net::buffer(*out),
                     [self = shared(), out, last](beast::error_code ec, size_t) {
                       self->streamWriting_ = false;
                       if (ec) {
                         self->close();
                         return;
                       }
                       if (last) {
                         // The hang-up watch's read is still pending: it ends the connection
                         // when the client closes its side, or this timer does. Over TLS
                         // the socket's send side is shut without a close_notify (the
                         // pending read forbids a TLS shutdown): the last chunk has told
                         // the client that the body is whole.
                         self->streaming_->markClosed();
                         self->streamLease_.reset();
                         beast::error_code ignored;
                         self->lowest().socket().shutdown(Protocol::socket::shutdown_send, ignored);
                         auto timer = std::make_shared<net::steady_timer>(
                             self->stream_.get_executor(), kLingerTime);
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
    std::string header =
        std::string(http10 ? "HTTP/1.0 " : "HTTP/1.1 ") + std::to_string(r.status) + " " +
        std::string(http::obsolete_reason(static_cast<http::status>(r.status))) + "\r\n";
    header +=
        "Server: tender\r\nContent-Type: " + r.contentType + "\r\nCache-Control: no-cache\r\n";
    for (auto& [name, value] : r.headers) header += name + ": " + value + "\r\n";
    if (chunked_) header += "Transfer-Encoding: chunked\r\n";
    header += "Connection: close\r\n\r\n";
    spdlog::debug("{} {} {} (stream)", method_, target_, r.status);
    streamLease_ = std::move(r.lease);
    auto out = std::make_shared<std::string>(std::move(header));
    streaming_ = std::make_shared<StreamState>(options().maxStreamBufferBytes);
    streamWriting_ = true;
    lowest().expires_after(options().writeTimeout);
    net::async_write(stream_, net::buffer(*out),
                     [self = shared(), out, start = std::move(r.stream)](beast::error_code ec,
                                                                         size_t) {
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
                       const bool queued = self->state_->post([start, sink] {
                         try {
                           start(sink);
                         } catch (const std::exception& e) {
                           spdlog::error("stream source threw: {}", e.what());
                           sink->end();
                         }
                       });
                       if (!queued) {
                         self->close();
                         return;
                       }
                       self->pumpStream();
                     });
  }

  // Reads (and drops) whatever a streaming client sends; its end or an error
  // means the client has gone.
  void watchForHangUp() {
    // No deadline on this read (a watch may be quiet for long); the writes
    // keep theirs, since the stream applies a new expiry only to the
    // direction with nothing pending.
    lowest().expires_never();
    stream_.async_read_some(net::buffer(drain_), [self = shared()](beast::error_code ec, size_t) {
      if (self->closed_) return;
      if (ec) {
        spdlog::debug("streaming API client went away: {}", ec.message());
        self->close();
        return;
      }
      self->watchForHangUp();
    });
  }

  // A WebSocket route's answer: the handshake (with the route's headers on
  // its 101), then the route's messages written one by one as it queues
  // them, and the client's read one by one and handed to the route. Its
  // deadlines are the WebSocket's own: the handshake's, and pings when the
  // client has sent nothing for a while, so a dead client is found even
  // when both sides are quiet (a shell waiting for input).
  void startDuplex(HttpResponse r) {
    keepAlive_ = false;
    if (!parser_ || !websocket::is_upgrade(parser_->get())) {
      respond(HttpResponse::Error(Status::Invalid(
          "this route speaks WebSocket: send the request with \"Connection: Upgrade\" and "
          "\"Upgrade: websocket\"")));
      return;
    }
    streamLease_ = std::move(r.lease);
    streaming_ = std::make_shared<StreamState>(options().maxStreamBufferBytes);
    lowest().expires_never();
    ws_.emplace(stream_);
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.handshake_timeout = options().headerTimeout;
    ws_->set_option(timeouts);
    ws_->read_message_max(options().maxBodyBytes);
    ws_->set_option(websocket::stream_base::decorator(
        [headers = std::move(r.headers)](websocket::response_type& res) {
          res.set(http::field::server, "tender");
          for (const auto& [name, value] : headers) res.set(name, value);
        }));
    spdlog::debug("{} {} 101 (websocket)", method_, target_);
    ws_->async_accept(parser_->get(), [self = shared(), start = std::move(r.duplex)](
                                          beast::error_code ec) {
      if (self->closed_) return;
      if (ec) {
        spdlog::debug("closing API connection: WebSocket handshake failed: {}", ec.message());
        self->close();
        return;
      }
      auto channel = std::make_shared<DuplexSink>(self->streaming_, self);
      const bool queued = self->state_->post([self, start, channel] {
        DuplexHandlers handlers;
        try {
          handlers = start(channel);
        } catch (const std::exception& e) {
          spdlog::error("WebSocket route threw: {}", e.what());
          channel->end();
        }
        net::post(self->stream_.get_executor(), [self, handlers = std::move(handlers)]() mutable {
          self->duplex_ = std::move(handlers);
          if (self->closed_) {
            self->notifyDuplexClosed();
            return;
          }
          self->readMessage();
        });
      });
      if (!queued) {
        self->close();
        return;
      }
      self->pumpMessages();
    });
  }

  // On the strand: writes the route's next message, or closes the socket
  // once the route has ended and everything is written.
  void pumpMessages() {
    if (closed_ || !streaming_ || streamWriting_) return;
    StreamState::Batch b = streaming_->takeOne();
    if (b.overflowed) {
      spdlog::debug("closing WebSocket API connection: the client fell {} bytes behind",
                    options().maxStreamBufferBytes);
      close();
      return;
    }
    if (b.idle) return;
    streamWriting_ = true;
    if (b.data.empty()) {
      ws_->async_close(websocket::close_code::normal, [self = shared()](beast::error_code) {
        self->streamWriting_ = false;
        self->close();
      });
      return;
    }
    auto out = std::make_shared<std::string>(std::move(b.data));
    ws_->binary(true);
    ws_->async_write(net::buffer(*out), [self = shared(), out](beast::error_code ec, size_t) {
      self->streamWriting_ = false;
      if (ec) {
        self->close();
        return;
      }
      self->pumpMessages();
    });
  }

  void readMessage() {
    ws_->async_read(wsBuffer_, [self = shared()](beast::error_code ec, size_t) {
      if (self->closed_) return;
      if (ec) {
        if (ec != websocket::error::closed)
          spdlog::debug("WebSocket API client went away: {}", ec.message());
        self->close();
        return;
      }
      std::string message = beast::buffers_to_string(self->wsBuffer_.data());
      self->wsBuffer_.consume(self->wsBuffer_.size());
      if (self->duplex_.onMessage) self->duplex_.onMessage(std::move(message));
      self->readMessage();
    });
  }

  // The route hears once that the socket has closed.
  void notifyDuplexClosed() {
    auto onClose = std::move(duplex_.onClose);
    duplex_ = DuplexHandlers();
    if (onClose) onClose();
  }

  void respond(HttpResponse r) {
    if (closed_) return;
    if (r.duplex) {
      startDuplex(std::move(r));
      return;
    }
    if (r.stream) {
      startStream(std::move(r));
      return;
    }
    // The body is sent from where it lies: a shared (cached) string as is.
    std::shared_ptr<const std::string> body =
        r.sharedBody ? std::move(r.sharedBody)
                     : std::make_shared<const std::string>(std::move(r.body));
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

    lowest().expires_after(options().writeTimeout);
    http::async_write(stream_, *res,
                      [self = shared(), res, body](beast::error_code ec, size_t) {
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

  // After a response that ends the connection. HTTPS says close_notify
  // first, so the client knows nothing was cut off; the shutdown waits for
  // the client's own close_notify (or its close) within the linger time.
  void lingeringClose() {
    if constexpr (kTls) {
      lowest().expires_after(kLingerTime);
      stream_.async_shutdown([self = shared()](beast::error_code) { self->lingerUnderneath(); });
    } else {
      lingerUnderneath();
    }
  }

  // Stops sending on the socket and reads (and drops) what still comes, for
  // the linger time at most, before closing.
  void lingerUnderneath() {
    beast::error_code ec;
    lowest().socket().shutdown(Protocol::socket::shutdown_send, ec);
    lowest().expires_after(kLingerTime);
    drain();
  }

  void drain() {
    lowest().async_read_some(net::buffer(drain_), [self = shared()](beast::error_code ec, size_t) {
      if (ec) {
        self->close();
        return;
      }
      self->drain();
    });
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool closed_ = false;
  bool firstRequest_ = true;
  bool keepAlive_ = true;
  bool head_ = false;
  bool upload_ = false;  // options().isUpload picked this request

  size_t bodyLimit() const { return upload_ ? options().maxUploadBytes : options().maxBodyBytes; }
  std::string method_;
  std::string target_;
  SteadyClock::time_point started_ = SteadyClock::now();
  char drain_[kReadChunk];
  std::shared_ptr<StreamState> streaming_;  // set once a streaming response began
  std::shared_ptr<void> streamLease_;        // the stream's slot, held until it closes
  bool streamWriting_ = false;
  bool chunked_ = true;
  // Set once a route answered with a WebSocket (over stream_).
  std::optional<websocket::stream<Stream&>> ws_;
  beast::flat_buffer wsBuffer_;
  DuplexHandlers duplex_;
};

}  // namespace

void serveConnection(const std::shared_ptr<HttpServerState>& state, Protocol::socket socket,
                     bool tls) {
  if (tls) {
    std::make_shared<StreamConnection<TlsStream>>(state, std::move(socket),
                                                  state->options.tls->asio())
        ->run();
  } else {
    std::make_shared<StreamConnection<PlainStream>>(state, std::move(socket))->run();
  }
}

void closeConnection(const std::shared_ptr<Connection>& c) { c->closeFromServer(); }

void wakeConnection(const std::shared_ptr<Connection>& c) { c->wakeStream(); }

}  // namespace http_internal
}  // namespace tender

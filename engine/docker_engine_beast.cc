// The Engine API client's transport over Boost.Beast: an Exchange is one
// HTTP request and its answer on its own connection (a unix socket or TCP).
// This is the only translation unit of tender_engine that includes Beast or
// Asio; the calls built on it are in docker_engine_calls.cc, the pure
// decoding in docker_engine_codec.cc.
//
// Shape: an Exchange runs entirely on the io_context with asynchronous
// operations whose deadline is set with expires_after (Beast's blocking calls
// cannot time out). The synchronous DockerEngine methods start an Exchange
// and wait on a future; streams feed the answer's body to a callback as it
// arrives.
#include "engine/docker_engine_beast.h"

#include <spdlog/spdlog.h>

#include <array>
#include <deque>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#include "engine/docker_engine_codec.h"
#include "engine/docker_engine_internal.h"

#ifndef TENDER_VERSION
#define TENDER_VERSION "dev"
#endif

namespace tender {
namespace engine_internal {

namespace net = boost::asio;

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using engine_codec::EngineAddress;

// The error body of a stream that was refused; the engine's messages are short.
constexpr size_t kErrorBodyLimit = size_t{1} << 20;

http::verb verbOf(HttpMethod method) {
  switch (method) {
    case HttpMethod::kGet:
      return http::verb::get;
    case HttpMethod::kPost:
      return http::verb::post;
    case HttpMethod::kPut:
      return http::verb::put;
    case HttpMethod::kDelete:
      return http::verb::delete_;
  }
  return http::verb::get;
}

bool isClosedByPeer(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == net::error::eof;
}

// One request and its answer on a fresh connection of type Protocol (a unix
// socket or TCP). Lives as long as an asynchronous operation holds it.
template <class Protocol>
class ExchangeImpl : public Exchange, public std::enable_shared_from_this<ExchangeImpl<Protocol>> {
 public:
  ExchangeImpl(net::io_context& ioc, EngineAddress address, ExchangeSpec spec,
               ExchangeHandlers handlers)
      : ioc_(ioc),
        stream_(ioc),
        address_(std::move(address)),
        spec_(std::move(spec)),
        handlers_(std::move(handlers)) {}

  void start() {
    if (done_) return;
    auto self = this->shared_from_this();
    // An ordinary call has one deadline for everything; a stream's covers
    // the part before its answer starts (see onHeader).
    Millis first = spec_.timeout.count() > 0 ? spec_.timeout : spec_.connectTimeout;
    stream_.expires_after(first);
    if constexpr (std::is_same_v<Protocol, net::ip::tcp>) {
      // Name resolution is not a stream operation: its deadline is a timer of its own.
      resolver_.emplace(ioc_);
      resolveTimer_.emplace(ioc_);
      resolveTimer_->expires_after(first);
      resolveTimer_->async_wait([self](error_code ec) {
        if (!ec && self->resolver_) {
          self->resolveTimedOut_ = true;
          self->resolver_->cancel();
        }
      });
      resolver_->async_resolve(address_.host, address_.port,
                               [self](error_code ec, net::ip::tcp::resolver::results_type results) {
                                 self->resolveTimer_->cancel();
                                 if (self->done_) return;
                                 if (self->resolveTimedOut_) ec = beast::error::timeout;
                                 if (ec) return self->fail(ec, /*connecting=*/true);
                                 self->stream_.async_connect(
                                     results, [self](error_code ec, const net::ip::tcp::endpoint&) {
                                       self->onConnect(ec);
                                     });
                               });
    } else {
      stream_.async_connect(typename Protocol::endpoint(address_.path),
                            [self](error_code ec) { self->onConnect(ec); });
    }
  }

  void cancel() override {
    if (done_) return;
    done_ = true;
    handlers_ = ExchangeHandlers();
    if (resolver_) resolver_->cancel();
    if (resolveTimer_) resolveTimer_->cancel();
    stream_.close();
  }

 private:
  void onConnect(error_code ec) {
    if (done_) return;
    if (ec) return fail(ec, /*connecting=*/true);
    request_.method(verbOf(spec_.method));
    request_.target(spec_.target);
    request_.version(11);
    request_.set(http::field::host, "docker");
    request_.set(http::field::user_agent, "tender/" TENDER_VERSION);
    if (!spec_.contentType.empty()) request_.set(http::field::content_type, spec_.contentType);
    request_.body() = std::move(spec_.body);
    request_.prepare_payload();
    auto self = this->shared_from_this();
    http::async_write(stream_, request_, [self](error_code ec, size_t) { self->onWrite(ec); });
  }

  void onWrite(error_code ec) {
    if (done_) return;
    if (ec) return fail(ec, /*connecting=*/false);
    // The limit is checked against Content-Length while the header is parsed,
    // so it is set before reading anything.
    // Not boost::none: Boost 1.74 compares a Content-Length with an empty
    // limit as "too large" and fails every streamed answer that has one.
    if (spec_.streaming) {
      parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
    } else {
      parser_.body_limit(spec_.bodyLimit);
    }
    auto self = this->shared_from_this();
    http::async_read_header(stream_, buffer_, parser_,
                            [self](error_code ec, size_t) { self->onHeader(ec); });
  }

  void onHeader(error_code ec) {
    if (done_) return;
    if (ec) return fail(ec, /*connecting=*/false);
    const auto& res = parser_.get();
    reply_.status = res.result_int();
    auto version = res.find("Api-Version");
    if (version != res.end()) reply_.apiVersion = std::string(version->value());
    streamingBody_ = spec_.streaming && reply_.status >= 200 && reply_.status < 300;
    if (streamingBody_ && spec_.timeout.count() == 0) stream_.expires_never();
    if (parser_.is_done()) return finish(Status::Ok());
    if (streamingBody_ && handlers_.onStarted) {
      auto onStarted = std::move(handlers_.onStarted);
      onStarted();
      if (done_) return;
    }
    if (streamingBody_ && spec_.duplex) {
      sending_ = true;
      writeNext();
    }
    readSome();
  }

 public:
  void send(std::string data) override {
    if (done_ || sendClosed_ || !spec_.duplex || data.empty()) return;
    outbox_.push_back(std::move(data));
    if (sending_ && !writing_) writeNext();
  }

  void closeSend() override {
    if (done_ || sendClosed_ || !spec_.duplex) return;
    sendClosed_ = true;
    if (sending_ && !writing_) writeNext();
  }

 private:
  // Writes what is queued, one piece at a time, beside the reads; a failed
  // write shows in them, so it is not reported here. The sending side is
  // shut once the queue is empty after closeSend().
  void writeNext() {
    if (done_ || writing_) return;
    if (outbox_.empty()) {
      if (sendClosed_ && !sendShut_) {
        sendShut_ = true;
        error_code ignored;
        stream_.socket().shutdown(net::socket_base::shutdown_send, ignored);
      }
      return;
    }
    writing_ = true;
    auto self = this->shared_from_this();
    net::async_write(stream_, net::buffer(outbox_.front()), [self](error_code ec, size_t) {
      self->writing_ = false;
      if (self->done_ || ec) return;
      self->outbox_.pop_front();
      self->writeNext();
    });
  }

  void readSome() {
    parser_.get().body().data = chunk_.data();
    parser_.get().body().size = chunk_.size();
    auto self = this->shared_from_this();
    http::async_read_some(stream_, buffer_, parser_,
                          [self](error_code ec, size_t) { self->onRead(ec); });
  }

  void onRead(error_code ec) {
    if (done_) return;
    if (ec == http::error::need_buffer) ec = {};
    size_t n = chunk_.size() - parser_.get().body().size;
    if (n > 0) {
      std::string_view piece(chunk_.data(), n);
      if (streamingBody_) {
        if (handlers_.onData) handlers_.onData(piece);
        if (done_) return;
      } else if (!spec_.streaming || reply_.body.size() + n <= kErrorBodyLimit) {
        reply_.body.append(piece.data(), piece.size());
      }
    }
    if (ec) return fail(ec, /*connecting=*/false);
    if (parser_.is_done()) return finish(Status::Ok());
    readSome();
  }

  void fail(error_code ec, bool connecting) {
    if (done_) return;
    ExchangeFailure failure = ExchangeFailure::kBroken;
    if (ec == beast::error::timeout) {
      failure = ExchangeFailure::kTimeout;
    } else if (connecting) {
      failure = ExchangeFailure::kConnect;
    } else if (ec == http::error::body_limit) {
      failure = ExchangeFailure::kBodyLimit;
    } else {
      reply_.peerClosed = isClosedByPeer(ec);
    }
    finish(exchangeFailure(failure, address_.text, spec_, ec.message()));
  }

  void finish(Status status) {
    if (done_) return;
    done_ = true;
    error_code ignored;
    stream_.socket().shutdown(net::socket_base::shutdown_both, ignored);
    stream_.close();
    auto onDone = std::move(handlers_.onDone);
    handlers_ = ExchangeHandlers();
    if (onDone) onDone(std::move(status), std::move(reply_));
  }

  net::io_context& ioc_;
  beast::basic_stream<Protocol, net::any_io_executor, beast::unlimited_rate_policy> stream_;
  EngineAddress address_;
  ExchangeSpec spec_;
  ExchangeHandlers handlers_;
  std::optional<net::ip::tcp::resolver> resolver_;
  std::optional<net::steady_timer> resolveTimer_;
  bool resolveTimedOut_ = false;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> parser_;
  std::array<char, 64 * 1024> chunk_;
  Reply reply_;
  bool streamingBody_ = false;
  bool done_ = false;  // finished or cancelled: no handler runs any more
  // A duplex exchange's sending side: what waits to be written, whether a
  // write is in flight, and whether the caller has ended it.
  std::deque<std::string> outbox_;
  bool sending_ = false;  // the answer's header has come: writes may go
  bool writing_ = false;
  bool sendClosed_ = false;
  bool sendShut_ = false;
};

// An exchange that cannot start (a bad address): reports its error from the loop.
class FailedExchange : public Exchange, public std::enable_shared_from_this<FailedExchange> {
 public:
  FailedExchange(Status status, ExchangeHandlers handlers)
      : status_(std::move(status)), handlers_(std::move(handlers)) {}
  void start() {
    if (cancelled_) return;
    cancelled_ = true;
    auto onDone = std::move(handlers_.onDone);
    if (onDone) onDone(status_, Reply());
  }
  void cancel() override {
    cancelled_ = true;
    handlers_ = ExchangeHandlers();
  }

 private:
  Status status_;
  ExchangeHandlers handlers_;
  bool cancelled_ = false;
};

}  // namespace

bool Transport::onLoopThread() const { return ioc_.get_executor().running_in_this_thread(); }

std::shared_ptr<Exchange> Transport::start(ExchangeSpec spec, ExchangeHandlers handlers) {
  if (!address_.ok()) {
    auto ex = std::make_shared<FailedExchange>(address_.status(), std::move(handlers));
    net::post(ioc_, [ex] { ex->start(); });
    return ex;
  }
  if (address_->kind == EngineAddress::Kind::kUnix) {
    return startAs<net::local::stream_protocol>(std::move(spec), std::move(handlers));
  }
  return startAs<net::ip::tcp>(std::move(spec), std::move(handlers));
}

void Transport::cancel(const std::shared_ptr<Exchange>& ex) {
  if (ex) net::post(ioc_, [ex] { ex->cancel(); });
}

void Transport::send(const std::shared_ptr<Exchange>& ex, std::string data) {
  if (ex) net::post(ioc_, [ex, data = std::move(data)]() mutable { ex->send(std::move(data)); });
}

void Transport::closeSend(const std::shared_ptr<Exchange>& ex) {
  if (ex) net::post(ioc_, [ex] { ex->closeSend(); });
}

template <class Protocol>
std::shared_ptr<Exchange> Transport::startAs(ExchangeSpec spec, ExchangeHandlers handlers) {
  auto ex = std::make_shared<ExchangeImpl<Protocol>>(ioc_, *address_, std::move(spec),
                                                     std::move(handlers));
  net::post(ioc_, [ex] { ex->start(); });
  return ex;
}

// An io_context with a thread running it, for the standalone engine.
class OwnedLoop {
 public:
  OwnedLoop() : work_(net::make_work_guard(ioc_)) {
    thread_ = std::thread([this] { run(); });
  }
  ~OwnedLoop() {
    work_.reset();
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }
  net::io_context& ioc() { return ioc_; }

 private:
  void run() {
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("engine event loop: a callback threw: {}", e.what());
      }
    }
  }

  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::thread thread_;
};

BeastDockerEngine::BeastDockerEngine(net::io_context& ioc, EngineOptions options)
    : transport_(std::make_shared<Transport>(ioc, std::move(options))) {}

BeastDockerEngine::BeastDockerEngine(std::unique_ptr<OwnedLoop> loop, EngineOptions options)
    : loop_(std::move(loop)),
      transport_(std::make_shared<Transport>(loop_->ioc(), std::move(options))) {}

BeastDockerEngine::~BeastDockerEngine() {
  // The loop stops (and its pending handlers go) before the transport does.
  loop_.reset();
}

}  // namespace engine_internal

std::unique_ptr<DockerEngine> makeBeastDockerEngine(boost::asio::io_context& ioc,
                                                    EngineOptions options) {
  return std::make_unique<engine_internal::BeastDockerEngine>(ioc, std::move(options));
}

std::unique_ptr<DockerEngine> makeStandaloneBeastDockerEngine(EngineOptions options) {
  return std::make_unique<engine_internal::BeastDockerEngine>(
      std::make_unique<engine_internal::OwnedLoop>(), std::move(options));
}

}  // namespace tender

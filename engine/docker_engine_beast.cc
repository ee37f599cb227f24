// The Engine API client over Boost.Beast. Everything that needs Beast or Asio
// lives in this one translation unit; the pure decoding is in
// docker_engine_codec.cc.
//
// Shape: an Exchange is one HTTP request/answer on its own connection, run
// entirely on the io_context with asynchronous operations whose deadline is
// set with expires_after (Beast's blocking calls cannot time out). The
// synchronous DockerEngine methods start an Exchange and wait on a future;
// streams feed the answer's body to a callback as it arrives.
#include "engine/docker_engine_beast.h"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#include "engine/docker_engine_codec.h"

#ifndef TENDER_VERSION
#define TENDER_VERSION "dev"
#endif

namespace tender {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using engine_codec::EngineAddress;
using Millis = std::chrono::milliseconds;
using nlohmann::json;

constexpr size_t kBodyLimit = size_t{64} << 20;
// The error body of a stream that was refused; the engine's messages are short.
constexpr size_t kErrorBodyLimit = size_t{1} << 20;
// How much longer than its own deadline a synchronous call waits for the event
// loop to report; only reached when the loop is not running.
constexpr Millis kLoopGrace{5000};
// The version to assume from an engine whose /_ping names none (as the docker CLI does).
constexpr const char* kFallbackApiVersion = "1.24";

// What came back from one HTTP exchange.
struct Reply {
  unsigned status = 0;      // 0: no answer header arrived
  std::string apiVersion;   // the Api-Version header
  std::string body;         // all of it, except the 2xx body of a streamed exchange
  bool peerClosed = false;  // the engine closed the connection before the body was complete
};

struct ExchangeSpec {
  http::verb method = http::verb::get;
  std::string target;
  std::string body;
  std::string contentType;
  // Connecting, sending, and reading the answer's header.
  Millis connectTimeout{30000};
  // The whole exchange; zero: no deadline once the answer has started.
  Millis timeout{0};
  size_t bodyLimit = kBodyLimit;  // not applied to a streamed 2xx body
  bool streaming = false;
};

struct ExchangeHandlers {
  // Streaming only: each piece of a 2xx body as it arrives.
  std::function<void(std::string_view)> onData;
  // Exactly once, unless cancelled first: the transport's outcome and the answer.
  std::function<void(Status, Reply)> onDone;
};

// A running exchange, as its owner sees it.
class Exchange {
 public:
  virtual ~Exchange() = default;
  // REQUIRES: called on the event loop. No handler runs afterwards.
  virtual void cancel() = 0;
};

std::string describe(const ExchangeSpec& spec) {
  return std::string(http::to_string(spec.method)) + " " + spec.target;
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
    request_.method(spec_.method);
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
    readSome();
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
    const std::string where = "the Docker engine at " + address_.text;
    if (ec == beast::error::timeout) {
      Millis limit = spec_.timeout.count() > 0 ? spec_.timeout : spec_.connectTimeout;
      return finish(Status::Timeout(where + " did not answer " + describe(spec_) + " within " +
                                    std::to_string(limit.count()) + " ms"));
    }
    if (connecting) {
      return finish(Status::Unavailable(where + " is not answering (" + ec.message() +
                                        "); is the engine running? DOCKER_HOST names another"));
    }
    if (ec == http::error::body_limit) {
      return finish(Status::Internal("the answer of " + where + " to " + describe(spec_) +
                                     " is larger than " + std::to_string(spec_.bodyLimit >> 20) +
                                     " MiB"));
    }
    reply_.peerClosed = isClosedByPeer(ec);
    finish(Status::Unavailable("the connection to " + where + " broke during " + describe(spec_) +
                               ": " + ec.message()));
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

// What the engine object and its streams share: where the engine is, and the
// negotiated API version. Streams keep it alive after the engine object goes.
class Transport {
 public:
  Transport(net::io_context& ioc, EngineOptions options)
      : ioc_(ioc), options_(std::move(options)), address_(Status::Internal("unset")) {
    options_.host = resolvedEngineHost(options_);
    address_ = engine_codec::parseEngineAddress(options_.host);
    pinnedVersion_ = options_.apiVersion;
    if (pinnedVersion_.empty()) {
      const char* env = std::getenv("DOCKER_API_VERSION");
      if (env) pinnedVersion_ = env;
    }
  }

  net::io_context& ioc() { return ioc_; }
  const EngineOptions& options() const { return options_; }
  bool onLoopThread() const { return ioc_.get_executor().running_in_this_thread(); }

  std::shared_ptr<Exchange> start(ExchangeSpec spec, ExchangeHandlers handlers) {
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

  void cancel(const std::shared_ptr<Exchange>& ex) {
    if (ex) net::post(ioc_, [ex] { ex->cancel(); });
  }

  std::string apiVersion() const {
    std::lock_guard<std::mutex> l(mu_);
    return apiVersion_;
  }

  // Takes the version to speak from a /_ping answer.
  void negotiate(const Reply& ping) {
    std::string v = pinnedVersion_;
    if (v.empty()) {
      v = engine_codec::negotiateApiVersion(
          ping.apiVersion.empty() ? kFallbackApiVersion : ping.apiVersion, kMaxEngineApiVersion);
    }
    std::lock_guard<std::mutex> l(mu_);
    apiVersion_ = v;
  }

  ExchangeSpec pingSpec() const {
    ExchangeSpec spec;
    spec.method = http::verb::get;
    spec.target = "/_ping";
    spec.connectTimeout = options_.callTimeout;
    spec.timeout = options_.callTimeout;
    return spec;
  }

 private:
  template <class Protocol>
  std::shared_ptr<Exchange> startAs(ExchangeSpec spec, ExchangeHandlers handlers) {
    auto ex = std::make_shared<ExchangeImpl<Protocol>>(ioc_, *address_, std::move(spec),
                                                       std::move(handlers));
    net::post(ioc_, [ex] { ex->start(); });
    return ex;
  }

  net::io_context& ioc_;
  EngineOptions options_;
  Result<EngineAddress> address_;
  std::string pinnedVersion_;
  mutable std::mutex mu_;
  std::string apiVersion_;
};

// The events stream handed to the caller. Callbacks run on the loop while
// holding `mu`, so cancel() from another thread waits for a callback already
// running; from inside a callback it re-enters the (recursive) lock.
class EventStream : public EngineStream {
 public:
  struct State {
    std::recursive_mutex mu;
    bool cancelled = false;
    bool ended = false;
    EventStreamCallbacks callbacks;
    std::shared_ptr<Exchange> exchange;  // the ping, then the stream itself
    engine_codec::LineSplitter lines;
  };

  EventStream(std::shared_ptr<Transport> transport, std::shared_ptr<State> state)
      : transport_(std::move(transport)), state_(std::move(state)) {}
  ~EventStream() override { cancel(); }

  void cancel() override {
    std::shared_ptr<Exchange> ex;
    {
      std::lock_guard<std::recursive_mutex> l(state_->mu);
      if (state_->cancelled) return;
      state_->cancelled = true;
      ex = std::move(state_->exchange);
    }
    transport_->cancel(ex);
  }

  // Opens the stream: negotiates the version first when no call has yet.
  static void open(const std::shared_ptr<Transport>& transport, const std::shared_ptr<State>& state,
                   const std::string& pathAndQuery) {
    if (!transport->apiVersion().empty()) return openEvents(transport, state, pathAndQuery);
    ExchangeHandlers h;
    h.onDone = [transport, state, pathAndQuery](Status s, Reply r) {
      if (s.ok()) s = engine_codec::statusFromHttp(r.status, r.body);
      if (!s.ok()) return end(state, s);
      transport->negotiate(r);
      openEvents(transport, state, pathAndQuery);
    };
    std::lock_guard<std::recursive_mutex> l(state->mu);
    if (state->cancelled) return;
    state->exchange = transport->start(transport->pingSpec(), std::move(h));
  }

 private:
  static void openEvents(const std::shared_ptr<Transport>& transport,
                         const std::shared_ptr<State>& state, const std::string& pathAndQuery) {
    ExchangeSpec spec;
    spec.method = http::verb::get;
    spec.target = "/v" + transport->apiVersion() + pathAndQuery;
    spec.connectTimeout = transport->options().callTimeout;
    spec.timeout = Millis(0);
    spec.streaming = true;
    ExchangeHandlers h;
    h.onData = [state](std::string_view piece) { deliver(state, piece); };
    h.onDone = [state](Status s, Reply r) {
      bool answered = r.status != 0;
      bool refused = answered && (r.status < 200 || r.status >= 300);
      if (refused) {
        s = engine_codec::statusFromHttp(r.status, r.body);
      } else if (answered && r.peerClosed) {
        s = Status::Ok();  // the engine ended the stream, for example when it restarts
      }
      end(state, s);
    };
    std::lock_guard<std::recursive_mutex> l(state->mu);
    if (state->cancelled) return;
    state->exchange = transport->start(std::move(spec), std::move(h));
  }

  static void deliverLine(State& state, std::string_view line) {
    if (state.cancelled || line.find_first_not_of(" \t\r") == std::string_view::npos) return;
    json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    auto event = engine_codec::parseEvent(j);
    if (!event) {
      spdlog::warn("events stream: skipped a line that is not an event: {}", line.substr(0, 200));
      return;
    }
    if (state.callbacks.onEvent) state.callbacks.onEvent(*event);
  }

  static void deliver(const std::shared_ptr<State>& state, std::string_view piece) {
    std::lock_guard<std::recursive_mutex> l(state->mu);
    if (state->cancelled) return;
    state->lines.feed(piece, [&](std::string_view line) { deliverLine(*state, line); });
  }

  static void end(const std::shared_ptr<State>& state, const Status& status) {
    std::lock_guard<std::recursive_mutex> l(state->mu);
    if (state->cancelled || state->ended) return;
    state->lines.finish([&](std::string_view line) { deliverLine(*state, line); });
    if (state->cancelled) return;
    state->ended = true;
    state->exchange.reset();
    auto onEnd = state->callbacks.onEnd;
    if (onEnd) onEnd(status);
  }

  std::shared_ptr<Transport> transport_;
  std::shared_ptr<State> state_;
};

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

std::string containerPath(const std::string& id) {
  return "/containers/" + engine_codec::pathEscape(id);
}

class BeastDockerEngine : public DockerEngine {
 public:
  BeastDockerEngine(net::io_context& ioc, EngineOptions options)
      : transport_(std::make_shared<Transport>(ioc, std::move(options))) {}

  // The standalone form: owns the loop it runs on.
  BeastDockerEngine(std::unique_ptr<OwnedLoop> loop, EngineOptions options)
      : loop_(std::move(loop)),
        transport_(std::make_shared<Transport>(loop_->ioc(), std::move(options))) {}

  ~BeastDockerEngine() override {
    // The loop stops (and its pending handlers go) before the transport does.
    loop_.reset();
  }

  Status ping() override {
    auto r = roundTrip(transport_->pingSpec());
    if (!r.ok()) return r.status();
    Status s = engine_codec::statusFromHttp(r->status, r->body);
    if (!s.ok()) return s;
    transport_->negotiate(*r);
    return Status::Ok();
  }

  std::string apiVersion() const override { return transport_->apiVersion(); }

  Result<EngineVersion> version() override {
    auto j = callJson(http::verb::get, "/version");
    if (!j.ok()) return j.status();
    return engine_codec::parseVersion(*j);
  }

  Result<EngineInfo> info() override {
    auto j = callJson(http::verb::get, "/info");
    if (!j.ok()) return j.status();
    return engine_codec::parseInfo(*j);
  }

  Result<std::vector<ContainerSummary>> listContainers(const Filters& filters, bool all) override {
    engine_codec::Query q;
    q.add("all", all ? "1" : "0");
    if (!filters.empty()) q.add("filters", engine_codec::filtersJson(filters));
    auto j = callJson(http::verb::get, "/containers/json" + q.str());
    if (!j.ok()) return j.status();
    std::vector<ContainerSummary> out;
    if (j->is_array()) {
      for (const auto& c : *j) out.push_back(engine_codec::parseContainerSummary(c));
    }
    return out;
  }

  Result<ContainerInfo> inspectContainer(const std::string& idOrName) override {
    auto j = callJson(http::verb::get, containerPath(idOrName) + "/json");
    if (!j.ok()) return j.status();
    return engine_codec::parseContainerInfo(std::move(*j));
  }

  Result<std::string> createContainer(const std::string& name, const json& body) override {
    engine_codec::Query q;
    if (!name.empty()) q.add("name", name);
    auto j = callJson(http::verb::post, "/containers/create" + q.str(), body);
    if (!j.ok()) return j.status();
    return idFrom(*j, "POST /containers/create");
  }

  Status startContainer(const std::string& id) override {
    Status s = callStatus(http::verb::post, containerPath(id) + "/start");
    if (s.IsNotModified()) return Status::NotModified("container " + id + " is already running");
    return s;
  }

  Status stopContainer(const std::string& id, int timeoutSeconds) override {
    engine_codec::Query q;
    q.add("t", std::to_string(timeoutSeconds));
    // The engine waits up to the grace period before it answers.
    Millis deadline =
        transport_->options().callTimeout + std::chrono::seconds(std::max(timeoutSeconds, 0));
    Status s = callStatusWithin(http::verb::post, containerPath(id) + "/stop" + q.str(), deadline);
    if (s.IsNotModified()) return Status::NotModified("container " + id + " is already stopped");
    return s;
  }

  Status killContainer(const std::string& id, const std::string& signal) override {
    engine_codec::Query q;
    if (!signal.empty()) q.add("signal", signal);
    return callStatus(http::verb::post, containerPath(id) + "/kill" + q.str());
  }

  Status removeContainer(const std::string& id, bool force, bool removeVolumes) override {
    engine_codec::Query q;
    q.add("force", force ? "1" : "0").add("v", removeVolumes ? "1" : "0");
    return callStatus(http::verb::delete_, containerPath(id) + q.str());
  }

  Result<std::vector<LogLine>> containerLogs(const std::string& id,
                                             const LogOptions& options) override {
    // The answer does not say whether it is framed; the container's TTY setting does.
    auto container = inspectContainer(id);
    if (!container.ok()) return container.status();
    engine_codec::Query q;
    q.add("stdout", options.stdoutStream ? "1" : "0")
        .add("stderr", options.stderrStream ? "1" : "0")
        .add("tail", options.tail < 0 ? "all" : std::to_string(options.tail));
    if (!options.until.empty()) q.add("until", options.until);
    if (options.timestamps) q.add("timestamps", "1");
    auto r = call(http::verb::get, containerPath(id) + "/logs" + q.str());
    if (!r.ok()) return r.status();
    return engine_codec::decodeLogs(r->body, container->tty);
  }

  Result<ContainerStats> containerStats(const std::string& id) override {
    auto j = callJson(http::verb::get, containerPath(id) + "/stats?stream=false&one-shot=true");
    if (!j.ok()) return j.status();
    return engine_codec::parseStats(*j);
  }

  std::unique_ptr<EngineStream> streamEvents(const Filters& filters, const std::string& since,
                                             EventStreamCallbacks callbacks) override {
    engine_codec::Query q;
    if (!filters.empty()) q.add("filters", engine_codec::filtersJson(filters));
    if (!since.empty()) q.add("since", since);
    auto state = std::make_shared<EventStream::State>();
    state->callbacks = std::move(callbacks);
    EventStream::open(transport_, state, "/events" + q.str());
    return std::make_unique<EventStream>(transport_, state);
  }

  Result<std::string> createNetwork(const std::string& name, const json& body) override {
    json request = body.is_object() ? body : json::object();
    request["Name"] = name;
    Status v = ensureVersion();
    if (!v.ok()) return v;
    // Before API 1.44 the engine creates a second network of the same name unless asked not to.
    if (!request.contains("CheckDuplicate") &&
        engine_codec::compareApiVersions(transport_->apiVersion(), "1.44") < 0) {
      request["CheckDuplicate"] = true;
    }
    auto j = callJson(http::verb::post, "/networks/create", request);
    if (!j.ok()) return j.status();
    return idFrom(*j, "POST /networks/create");
  }

  Result<std::vector<NetworkInfo>> listNetworks(const Filters& filters) override {
    engine_codec::Query q;
    if (!filters.empty()) q.add("filters", engine_codec::filtersJson(filters));
    auto j = callJson(http::verb::get, "/networks" + q.str());
    if (!j.ok()) return j.status();
    std::vector<NetworkInfo> out;
    if (j->is_array()) {
      for (const auto& n : *j) out.push_back(engine_codec::parseNetwork(n));
    }
    return out;
  }

  Result<NetworkInfo> inspectNetwork(const std::string& idOrName) override {
    auto j = callJson(http::verb::get, "/networks/" + engine_codec::pathEscape(idOrName));
    if (!j.ok()) return j.status();
    return engine_codec::parseNetwork(*j);
  }

  Status removeNetwork(const std::string& idOrName) override {
    return callStatus(http::verb::delete_, "/networks/" + engine_codec::pathEscape(idOrName));
  }

  Status connectNetwork(const std::string& network, const std::string& container,
                        const std::vector<std::string>& aliases) override {
    json body = {{"Container", container}, {"EndpointConfig", json::object()}};
    if (!aliases.empty()) body["EndpointConfig"]["Aliases"] = aliases;
    return callStatus(http::verb::post,
                      "/networks/" + engine_codec::pathEscape(network) + "/connect", body);
  }

  Result<VolumeInfo> createVolume(const std::string& name, const std::string& driver,
                                  const Labels& labels,
                                  const std::map<std::string, std::string>& driverOpts) override {
    json body = {{"Name", name}, {"Labels", labels}, {"DriverOpts", driverOpts}};
    if (!driver.empty()) body["Driver"] = driver;
    auto j = callJson(http::verb::post, "/volumes/create", body);
    if (!j.ok()) return j.status();
    return engine_codec::parseVolume(*j);
  }

  Result<std::vector<VolumeInfo>> listVolumes(const Filters& filters) override {
    engine_codec::Query q;
    if (!filters.empty()) q.add("filters", engine_codec::filtersJson(filters));
    auto j = callJson(http::verb::get, "/volumes" + q.str());
    if (!j.ok()) return j.status();
    std::vector<VolumeInfo> out;
    auto volumes = j->find("Volumes");
    if (volumes != j->end() && volumes->is_array()) {
      for (const auto& v : *volumes) out.push_back(engine_codec::parseVolume(v));
    }
    return out;
  }

  Result<VolumeInfo> inspectVolume(const std::string& name) override {
    auto j = callJson(http::verb::get, "/volumes/" + engine_codec::pathEscape(name));
    if (!j.ok()) return j.status();
    return engine_codec::parseVolume(*j);
  }

  Status removeVolume(const std::string& name, bool force) override {
    engine_codec::Query q;
    if (force) q.add("force", "1");
    return callStatus(http::verb::delete_, "/volumes/" + engine_codec::pathEscape(name) + q.str());
  }

  Status removeImage(const std::string& nameOrId, bool force) override {
    engine_codec::Query q;
    if (force) q.add("force", "1");
    return callStatus(http::verb::delete_, "/images/" + engine_codec::pathEscape(nameOrId) + q.str());
  }

  Result<std::vector<ImageInfo>> listImages(const Filters& filters) override {
    engine_codec::Query q;
    if (!filters.empty()) q.add("filters", engine_codec::filtersJson(filters));
    auto j = callJson(http::verb::get, "/images/json" + q.str());
    if (!j.ok()) return j.status();
    std::vector<ImageInfo> out;
    if (j->is_array()) {
      for (const auto& i : *j) out.push_back(engine_codec::parseImageSummary(i));
    }
    return out;
  }

  Result<DiskUsage> diskUsage() override {
    auto j = callJson(http::verb::get, "/system/df");
    if (!j.ok()) return j.status();
    return engine_codec::parseDiskUsage(*j);
  }

  Result<PruneReport> prune(const std::string& what, const Filters& filters) override {
    static const std::map<std::string, const char*> kLists = {{"containers", "ContainersDeleted"},
                                                              {"networks", "NetworksDeleted"},
                                                              {"images", "ImagesDeleted"},
                                                              {"volumes", "VolumesDeleted"}};
    auto list = kLists.find(what);
    if (list == kLists.end()) return Status::Invalid("cannot prune \"" + what + "\"");
    engine_codec::Query q;
    if (!filters.empty()) q.add("filters", engine_codec::filtersJson(filters));
    auto j = callJson(http::verb::post, "/" + what + "/prune" + q.str());
    if (!j.ok()) return j.status();
    return engine_codec::parsePruneReport(*j, list->second);
  }

  Result<ImageInfo> inspectImage(const std::string& nameOrId) override {
    auto j =
        callJson(http::verb::get,
                 "/images/" + engine_codec::pathEscape(nameOrId, /*keepSlashes=*/true) + "/json");
    if (!j.ok()) return j.status();
    return engine_codec::parseImage(*j);
  }

  Result<std::string> buildImage(const std::string& contextTar,
                                 const BuildOptions& options) override {
    Status v = ensureVersion();
    if (!v.ok()) return v;
    engine_codec::Query q;
    if (!options.tag.empty()) q.add("t", options.tag);
    if (!options.dockerfile.empty()) q.add("dockerfile", options.dockerfile);
    if (!options.buildArgs.empty()) q.add("buildargs", json(options.buildArgs).dump());
    if (!options.target.empty()) q.add("target", options.target);
    if (!options.labels.empty()) q.add("labels", json(options.labels).dump());
    q.add("rm", "1").add("forcerm", "1");

    ExchangeSpec spec;
    spec.method = http::verb::post;
    spec.target = "/v" + transport_->apiVersion() + "/build" + q.str();
    spec.body = contextTar;
    spec.contentType = "application/x-tar";
    spec.connectTimeout = transport_->options().buildTimeout;
    spec.timeout = transport_->options().buildTimeout;
    spec.streaming = true;  // the build's messages are read as they come, with no size limit

    // Fed on the loop; read here only after the exchange has finished.
    struct Progress {
      engine_codec::LineSplitter lines;
      engine_codec::BuildMessageScanner scanner;
    };
    auto progress = std::make_shared<Progress>();
    auto r = roundTrip(std::move(spec), [progress](std::string_view piece) {
      progress->lines.feed(piece, [&](std::string_view l) { progress->scanner.line(l); });
    });
    if (!r.ok()) return r.status();
    Status s = engine_codec::statusFromHttp(r->status, r->body);
    if (!s.ok()) return s;
    progress->lines.finish([&](std::string_view l) { progress->scanner.line(l); });
    const auto& scanner = progress->scanner;
    if (!scanner.error().empty()) return Status::Invalid(scanner.error());

    std::string id = scanner.imageId();
    if (id.compare(0, 7, "sha256:") == 0) return id;
    // An engine that did not say the full id: ask for it.
    std::string ref = !options.tag.empty() ? options.tag : id;
    if (ref.empty()) return Status::Internal("the engine's build output named no image");
    auto image = inspectImage(ref);
    if (!image.ok()) return image.status().WithContext("inspect the built image " + ref);
    return image->id;
  }

 private:
  // Waits for one exchange on the loop. `onData` (optional) makes it a stream.
  Result<Reply> roundTrip(ExchangeSpec spec,
                          std::function<void(std::string_view)> onData = nullptr) {
    const std::string what = describe(spec);
    if (transport_->onLoopThread()) {
      return Status::Internal("DockerEngine: " + what +
                              " was called on the engine's event-loop thread, where waiting for "
                              "the answer would block the loop that must produce it");
    }
    Millis budget = spec.timeout.count() > 0 ? spec.timeout : spec.connectTimeout;
    auto done = std::make_shared<std::promise<std::pair<Status, Reply>>>();
    auto answer = done->get_future();
    ExchangeHandlers h;
    h.onData = std::move(onData);
    h.onDone = [done](Status s, Reply r) { done->set_value({std::move(s), std::move(r)}); };
    auto ex = transport_->start(std::move(spec), std::move(h));
    if (answer.wait_for(budget + kLoopGrace) != std::future_status::ready) {
      transport_->cancel(ex);
      return Status::Timeout("DockerEngine: " + what + " got no answer within " +
                             std::to_string((budget + kLoopGrace).count()) +
                             " ms; is the engine's event loop running?");
    }
    auto [status, reply] = answer.get();
    if (!status.ok()) return status;
    return std::move(reply);
  }

  Status ensureVersion() {
    if (!transport_->apiVersion().empty()) return Status::Ok();
    return ping();
  }

  // A versioned call whose non-2xx answers become errors.
  Result<Reply> call(http::verb method, const std::string& path,
                     const std::optional<json>& body = std::nullopt, Millis timeout = Millis(0)) {
    Status v = ensureVersion();
    if (!v.ok()) return v;
    ExchangeSpec spec;
    spec.method = method;
    spec.target = "/v" + transport_->apiVersion() + path;
    if (body) {
      spec.body = body->dump();
      spec.contentType = "application/json";
    }
    spec.timeout = timeout.count() > 0 ? timeout : transport_->options().callTimeout;
    spec.connectTimeout = spec.timeout;
    auto r = roundTrip(std::move(spec));
    if (!r.ok()) return r.status();
    Status s = engine_codec::statusFromHttp(r->status, r->body);
    if (!s.ok()) return s;
    return r;
  }

  Status callStatus(http::verb method, const std::string& path,
                    const std::optional<json>& body = std::nullopt) {
    return call(method, path, body).status();
  }

  Status callStatusWithin(http::verb method, const std::string& path, Millis timeout) {
    return call(method, path, std::nullopt, timeout).status();
  }

  Result<json> callJson(http::verb method, const std::string& path,
                        const std::optional<json>& body = std::nullopt) {
    auto r = call(method, path, body);
    if (!r.ok()) return r.status();
    json j = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return Status::Internal("the engine's answer to " + std::string(http::to_string(method)) +
                              " " + path + " is not JSON");
    }
    return j;
  }

  static Result<std::string> idFrom(const json& j, const std::string& what) {
    auto it = j.find("Id");
    if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) {
      return Status::Internal("the engine's answer to " + what + " has no Id");
    }
    return it->get<std::string>();
  }

  std::unique_ptr<OwnedLoop> loop_;  // only in the standalone form; declared first, ended last
  std::shared_ptr<Transport> transport_;
};

}  // namespace

std::string resolvedEngineHost(const EngineOptions& options) {
  if (!options.host.empty()) return options.host;
  const char* env = std::getenv("DOCKER_HOST");
  if (env && *env) return env;
  return engine_codec::kDefaultEngineHost;
}

std::unique_ptr<DockerEngine> makeBeastDockerEngine(net::io_context& ioc, EngineOptions options) {
  return std::make_unique<BeastDockerEngine>(ioc, std::move(options));
}

std::unique_ptr<DockerEngine> makeStandaloneBeastDockerEngine(EngineOptions options) {
  return std::make_unique<BeastDockerEngine>(std::make_unique<OwnedLoop>(), std::move(options));
}

}  // namespace tender

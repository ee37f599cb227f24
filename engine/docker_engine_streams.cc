// The real client's streams beyond the events: a follow of a container's
// logs, and an exec (create, start attached, read the exit code). Each is a
// chain of exchanges run on the event loop, one after another, without
// blocking it; no Beast here (the exchanges run in docker_engine_beast.cc).
// An exec's stdin goes over its start exchange both ways (duplex), and a
// size for its terminal as a call of its own.
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

#include "engine/docker_engine_codec.h"
#include "engine/docker_engine_internal.h"

namespace tender {
namespace engine_internal {
namespace {

using nlohmann::json;

// How often an exec whose output has ended but which the engine still
// calls running is inspected again before giving up.
constexpr int kExecInspectTries = 50;

// What a chain of exchanges shares: its lock (held while a callback runs,
// so cancel() from another thread waits for it; recursive so a callback may
// cancel), whether it was cancelled or ended, and the exchange in flight.
struct Chain {
  std::recursive_mutex mu;
  bool cancelled = false;
  bool ended = false;
  std::shared_ptr<Exchange> exchange;
};

// Starts `spec` unless the chain was cancelled. REQUIRES: chain->mu held.
void startStep(const std::shared_ptr<Transport>& transport, Chain& chain, ExchangeSpec spec,
               ExchangeHandlers handlers) {
  if (chain.cancelled || chain.ended) return;
  chain.exchange = transport->start(std::move(spec), std::move(handlers));
}

// Runs `then` once the API version is known (a /_ping first when no call
// has negotiated it yet), or `fail` with why it could not be.
void withVersion(const std::shared_ptr<Transport>& transport, const std::shared_ptr<Chain>& chain,
                 std::function<void()> then, std::function<void(Status)> fail) {
  if (!transport->apiVersion().empty()) return then();
  ExchangeHandlers h;
  h.onDone = [transport, chain, then, fail](Status s, Reply r) {
    if (s.ok()) s = engine_codec::statusFromHttp(r.status, r.body);
    if (!s.ok()) return fail(s);
    transport->negotiate(r);
    then();
  };
  std::lock_guard<std::recursive_mutex> l(chain->mu);
  startStep(transport, *chain, transport->pingSpec(), std::move(h));
}

ExchangeSpec versioned(const Transport& transport, HttpMethod method, const std::string& path,
                       const std::optional<json>& body, bool streaming) {
  ExchangeSpec spec;
  spec.method = method;
  spec.target = "/v" + transport.apiVersion() + path;
  if (body) {
    spec.body = body->dump();
    spec.contentType = "application/json";
  }
  spec.connectTimeout = transport.options().callTimeout;
  spec.timeout = streaming ? Millis(0) : transport.options().callTimeout;
  spec.streaming = streaming;
  return spec;
}

// The stream handed to the caller: cancelling it cancels the chain.
class ChainStream : public EngineStream {
 public:
  ChainStream(std::shared_ptr<Transport> transport, std::shared_ptr<Chain> chain)
      : transport_(std::move(transport)), chain_(std::move(chain)) {}
  ~ChainStream() override { cancel(); }
  void cancel() override {
    std::shared_ptr<Exchange> ex;
    {
      std::lock_guard<std::recursive_mutex> l(chain_->mu);
      if (chain_->cancelled) return;
      chain_->cancelled = true;
      ex = std::move(chain_->exchange);
    }
    transport_->cancel(ex);
  }

 private:
  std::shared_ptr<Transport> transport_;
  std::shared_ptr<Chain> chain_;
};

// The Status of a streamed exchange's end: the engine's refusal, or ok when
// it answered and closed the stream itself.
Status streamEnd(Status s, const Reply& r) {
  bool answered = r.status != 0;
  if (answered && (r.status < 200 || r.status >= 300)) return engine_codec::statusFromHttp(r.status, r.body);
  if (answered && r.peerClosed) return Status::Ok();
  return s;
}

struct FollowState : Chain {
  explicit FollowState(bool tty) : lines(tty) {}
  LogStreamCallbacks callbacks;
  engine_codec::FrameLineSplitter lines;
};

void endFollow(const std::shared_ptr<FollowState>& st, const Status& s) {
  std::lock_guard<std::recursive_mutex> l(st->mu);
  if (st->cancelled || st->ended) return;
  st->lines.finish([&](const LogLine& line) {
    if (!st->cancelled && st->callbacks.onLine) st->callbacks.onLine(line);
  });
  if (st->cancelled) return;
  st->ended = true;
  st->exchange.reset();
  if (st->callbacks.onEnd) st->callbacks.onEnd(s);
}

struct ExecState : Chain {
  explicit ExecState(bool tty) : frames(tty) {}
  ExecCallbacks callbacks;
  engine_codec::FrameDecoder frames;
  std::string execId;
  int inspectTries = 0;
  // The caller's input until the start exchange exists, then that exchange.
  std::shared_ptr<Exchange> startExchange;
  std::deque<std::string> pendingStdin;
  bool stdinClosed = false;
  // The terminal: whether the command has started, and the size asked
  // before it had.
  bool tty = false;
  bool started = false;
  std::optional<std::pair<int, int>> pendingSize;
};

void endExec(const std::shared_ptr<ExecState>& st, const Status& s, int exitCode) {
  std::lock_guard<std::recursive_mutex> l(st->mu);
  if (st->cancelled || st->ended) return;
  st->ended = true;
  st->exchange.reset();
  st->startExchange.reset();
  if (st->callbacks.onEnd) st->callbacks.onEnd(s, exitCode);
}

// GET /exec/{id}/json until it no longer runs: its exit code.
void inspectExec(const std::shared_ptr<Transport>& transport, const std::shared_ptr<ExecState>& st) {
  ExchangeHandlers h;
  h.onDone = [transport, st](Status s, Reply r) {
    if (s.ok()) s = engine_codec::statusFromHttp(r.status, r.body);
    if (!s.ok()) return endExec(st, s.WithContext("inspect the exec"), -1);
    json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return endExec(st, Status::Internal("the engine's exec inspect is not JSON"), -1);
    if (j.value("Running", false) && ++st->inspectTries < kExecInspectTries) {
      return inspectExec(transport, st);
    }
    const auto code = j.find("ExitCode");
    endExec(st, Status::Ok(), code != j.end() && code->is_number_integer() ? code->get<int>() : -1);
  };
  std::lock_guard<std::recursive_mutex> l(st->mu);
  startStep(transport, *st,
            versioned(*transport, HttpMethod::kGet, "/exec/" + engine_codec::pathEscape(st->execId) + "/json",
                      std::nullopt, false),
            std::move(h));
}

// How often a resize the engine refused is tried again, and the wait
// before each try (times the try's number): the engine answers the start
// before the command runs, and refuses to size a command that does not run
// yet (Docker's own CLI retries alike).
constexpr int kResizeTries = 10;
constexpr Millis kResizeRetryStep{10};

// POST /exec/{id}/resize. A size the engine still refuses after the tries
// (the command has ended) changes nothing worth reporting.
// REQUIRES: st->mu held, the exec started.
void resizeExec(const std::shared_ptr<Transport>& transport, const std::shared_ptr<ExecState>& st,
                int width, int height, int attempt = 1) {
  if (st->cancelled || st->ended || !st->tty) return;
  engine_codec::Query q;
  q.add("h", std::to_string(height)).add("w", std::to_string(width));
  ExchangeHandlers h;
  h.onDone = [transport, st, width, height, attempt](Status s, Reply r) {
    if (s.ok()) s = engine_codec::statusFromHttp(r.status, r.body);
    if (s.ok() || attempt >= kResizeTries) return;
    auto timer = std::make_shared<boost::asio::steady_timer>(transport->ioc(), kResizeRetryStep * attempt);
    timer->async_wait([transport, st, width, height, attempt, timer](boost::system::error_code ec) {
      if (ec) return;
      std::lock_guard<std::recursive_mutex> l(st->mu);
      resizeExec(transport, st, width, height, attempt + 1);
    });
  };
  transport->start(versioned(*transport, HttpMethod::kPost,
                             "/exec/" + engine_codec::pathEscape(st->execId) + "/resize" + q.str(),
                             std::nullopt, false),
                   std::move(h));
}

// Runs on the event loop (the create's answer).
void startExec(const std::shared_ptr<Transport>& transport, const std::shared_ptr<ExecState>& st,
               bool duplex) {
  ExchangeHandlers h;
  h.onStarted = [transport, st] {
    std::lock_guard<std::recursive_mutex> l(st->mu);
    st->started = true;
    if (st->pendingSize) resizeExec(transport, st, st->pendingSize->first, st->pendingSize->second);
    st->pendingSize.reset();
  };
  h.onData = [st](std::string_view piece) {
    std::lock_guard<std::recursive_mutex> l(st->mu);
    if (st->cancelled || st->ended) return;
    st->frames.feed(piece, [&](LogLine::Stream s, std::string_view data) {
      if (!st->cancelled && st->callbacks.onOutput) st->callbacks.onOutput(s, data);
    });
  };
  h.onDone = [transport, st](Status s, Reply r) {
    s = streamEnd(std::move(s), r);
    {
      std::lock_guard<std::recursive_mutex> l(st->mu);
      st->startExchange.reset();
    }
    if (!s.ok()) return endExec(st, s.WithContext("start the exec"), -1);
    inspectExec(transport, st);
  };
  std::lock_guard<std::recursive_mutex> l(st->mu);
  ExchangeSpec spec =
      versioned(*transport, HttpMethod::kPost, "/exec/" + engine_codec::pathEscape(st->execId) + "/start",
                json{{"Detach", false}, {"Tty", st->tty}}, true);
  spec.duplex = duplex;
  startStep(transport, *st, std::move(spec), std::move(h));
  if (!duplex || !st->exchange) return;
  st->startExchange = st->exchange;
  for (std::string& piece : st->pendingStdin) st->startExchange->send(std::move(piece));
  st->pendingStdin.clear();
  if (st->stdinClosed) st->startExchange->closeSend();
}

// The caller's side of an exec: its input goes to the start exchange (or
// waits for it), its size to the engine once the command runs.
class ExecChainStream : public ExecStream {
 public:
  ExecChainStream(std::shared_ptr<Transport> transport, std::shared_ptr<ExecState> st, bool attachStdin)
      : transport_(std::move(transport)), st_(std::move(st)), attachStdin_(attachStdin), chain_(transport_, st_) {}

  void cancel() override { chain_.cancel(); }

  void sendStdin(std::string data) override {
    if (!attachStdin_ || data.empty()) return;
    std::lock_guard<std::recursive_mutex> l(st_->mu);
    if (st_->stdinClosed || st_->cancelled || st_->ended) return;
    if (st_->startExchange) return transport_->send(st_->startExchange, std::move(data));
    st_->pendingStdin.push_back(std::move(data));
  }

  void closeStdin() override {
    if (!attachStdin_) return;
    std::lock_guard<std::recursive_mutex> l(st_->mu);
    if (st_->stdinClosed) return;
    st_->stdinClosed = true;
    if (st_->startExchange) transport_->closeSend(st_->startExchange);
  }

  void resize(int width, int height) override {
    if (width <= 0 || height <= 0) return;
    std::lock_guard<std::recursive_mutex> l(st_->mu);
    if (!st_->started) {
      st_->pendingSize = std::make_pair(width, height);
      return;
    }
    resizeExec(transport_, st_, width, height);
  }

 private:
  std::shared_ptr<Transport> transport_;
  std::shared_ptr<ExecState> st_;
  const bool attachStdin_;
  ChainStream chain_;
};

}  // namespace

std::unique_ptr<EngineStream> BeastDockerEngine::followLogs(const std::string& id, bool tty,
                                                            const LogOptions& options,
                                                            LogStreamCallbacks callbacks) {
  engine_codec::Query q;
  q.add("follow", "1")
      .add("stdout", options.stdoutStream ? "1" : "0")
      .add("stderr", options.stderrStream ? "1" : "0")
      .add("tail", options.tail < 0 ? "all" : std::to_string(options.tail));
  if (!options.since.empty()) q.add("since", options.since);
  if (!options.until.empty()) q.add("until", options.until);
  if (options.timestamps) q.add("timestamps", "1");
  const std::string path = "/containers/" + engine_codec::pathEscape(id) + "/logs" + q.str();
  auto st = std::make_shared<FollowState>(tty);
  st->callbacks = std::move(callbacks);
  auto transport = transport_;
  auto fail = [st](Status s) { endFollow(st, s); };
  withVersion(
      transport, st,
      [transport, st, path] {
        ExchangeHandlers h;
        h.onData = [st](std::string_view piece) {
          std::lock_guard<std::recursive_mutex> l(st->mu);
          if (st->cancelled || st->ended) return;
          st->lines.feed(piece, [&](const LogLine& line) {
            if (!st->cancelled && st->callbacks.onLine) st->callbacks.onLine(line);
          });
        };
        h.onDone = [st](Status s, Reply r) { endFollow(st, streamEnd(std::move(s), r)); };
        std::lock_guard<std::recursive_mutex> l(st->mu);
        startStep(transport, *st, versioned(*transport, HttpMethod::kGet, path, std::nullopt, true),
                  std::move(h));
      },
      fail);
  return std::make_unique<ChainStream>(transport_, st);
}

std::unique_ptr<ExecStream> BeastDockerEngine::exec(const std::string& containerId,
                                                    const ExecOptions& options,
                                                    ExecCallbacks callbacks) {
  auto st = std::make_shared<ExecState>(options.tty);
  st->callbacks = std::move(callbacks);
  st->tty = options.tty;
  if (options.tty && options.width > 0 && options.height > 0)
    st->pendingSize = std::make_pair(options.width, options.height);
  auto transport = transport_;
  const bool duplex = options.attachStdin;
  json body = {{"AttachStdin", duplex},
               {"AttachStdout", true},
               {"AttachStderr", true},
               {"Tty", options.tty},
               {"Cmd", options.cmd}};
  // The terminal's size from its start where the engine takes it (API
  // 1.42); older ones are resized once the command runs, a moment late.
  std::optional<std::pair<int, int>> size = st->pendingSize;
  const std::string path = "/containers/" + engine_codec::pathEscape(containerId) + "/exec";
  withVersion(
      transport, st,
      [transport, st, body, path, duplex, size]() mutable {
        if (size && engine_codec::compareApiVersions(transport->apiVersion(), "1.42") >= 0)
          body["ConsoleSize"] = {size->second, size->first};
        ExchangeHandlers h;
        h.onDone = [transport, st, duplex](Status s, Reply r) {
          if (s.ok()) s = engine_codec::statusFromHttp(r.status, r.body);
          if (!s.ok()) return endExec(st, s.WithContext("create the exec"), -1);
          json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
          if (!j.is_object() || !j.contains("Id") || !j["Id"].is_string())
            return endExec(st, Status::Internal("the engine's exec create answer has no Id"), -1);
          {
            std::lock_guard<std::recursive_mutex> l(st->mu);
            st->execId = j["Id"].get<std::string>();
          }
          startExec(transport, st, duplex);
        };
        std::lock_guard<std::recursive_mutex> l(st->mu);
        startStep(transport, *st, versioned(*transport, HttpMethod::kPost, path, body, false),
                  std::move(h));
      },
      [st](Status s) { endExec(st, s, -1); });
  return std::make_unique<ExecChainStream>(transport_, st, options.attachStdin);
}

}  // namespace engine_internal
}  // namespace tender

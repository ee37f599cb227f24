// A command run in one replica of a service, through the engine's exec:
// POST .../exec for scripts (the command and its whole stdin in the body,
// NDJSON output back), and GET .../exec as a WebSocket for a person at a
// terminal (stdin as it is typed, the terminal's size, output as it comes:
// base/exec_channels.h). Both record an Exec event naming the command and
// who ran it. The router has already checked that the token may use the
// namespace.
#include <cctype>
#include <memory>
#include <mutex>

#include "api/container_replicas.h"
#include "api/http_status.h"
#include "api/resource_routes.h"
#include "api/route_helpers.h"
#include "base/exec_channels.h"

namespace tender {
namespace {

using nlohmann::json;

// The exec's NDJSON lines.
std::string outputLine(LogLine::Stream s, std::string_view data) {
  json j = {{"stream", s == LogLine::Stream::kStderr ? "stderr" : "stdout"},
            {"data", std::string(data)}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

json errorBody(const Status& s) {
  return {{"kind", "Error"},
          {"error", {{"code", httpStatusOf(s)}, {"reason", s.reason()}, {"message", s.message()}}}};
}

std::string errorLine(const Status& s) {
  return errorBody(s).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

// The engine's exec for as long as it runs. Its callbacks run under the
// stream's own lock, so the stream is called outside of `mu` (a copy of the
// pointer taken under it): the two locks are never held in both orders.
class ExecRun {
 public:
  void hold(std::unique_ptr<ExecStream> stream) {
    std::lock_guard<std::mutex> l(mu_);
    if (!ended_) stream_ = std::move(stream);
  }
  // The command has ended: the stream goes once nobody uses it.
  void ended() {
    std::shared_ptr<ExecStream> done;
    std::lock_guard<std::mutex> l(mu_);
    ended_ = true;
    done.swap(stream_);
  }
  std::shared_ptr<ExecStream> stream() {
    std::lock_guard<std::mutex> l(mu_);
    return stream_;
  }

 private:
  std::mutex mu_;
  bool ended_ = false;
  std::shared_ptr<ExecStream> stream_;
};

// The body's "stdin" (a string), when it has one.
std::optional<std::string> stdinOf(const std::string& body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("stdin") || !j["stdin"].is_string()) return std::nullopt;
  return j["stdin"].get<std::string>();
}

const char kCommandRule[] = "must be a non-empty list of strings";

Result<std::vector<std::string>> commandOf(const std::string& body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("command") || !j["command"].is_array() || j["command"].empty())
    return Status::Invalid(std::string("command: ") + kCommandRule, {{"command", kCommandRule}});
  std::vector<std::string> cmd;
  for (const json& a : j["command"]) {
    if (!a.is_string())
      return Status::Invalid(std::string("command: ") + kCommandRule, {{"command", kCommandRule}});
    cmd.push_back(a.get<std::string>());
  }
  return cmd;
}

bool isWebSocketUpgrade(const HttpRequest& req) {
  std::string v = req.header("upgrade");
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v == "websocket";
}

// The container an exec runs in: the replica asked (or the first
// running), which must run.
Result<ContainerSummary> execTarget(DockerEngine& engine, const std::string& instance, Store& store,
                                    const HttpRequest& req) {
  const std::string& ns = req.params.at("ns");
  const std::string& name = req.params.at("name");
  auto replica = nonNegative(req, "replica");
  if (!replica.ok()) return replica.status();
  if (Status s = serviceExists(store, ns, name); !s.ok()) return s;
  return runningReplica(engine, instance, ns, name, *replica);
}

// The Exec event: the command (its first 200 characters), where, and who.
void recordExec(Store& store, Clock& clock, const HttpRequest& req, const ContainerSummary& target,
                const std::vector<std::string>& cmd) {
  std::string shown;
  for (const std::string& a : cmd) shown += (shown.empty() ? "" : " ") + a;
  recordChange(store, clock, "Service", req.params.at("ns"), req.params.at("name"), "Exec",
               "ran \"" + shown.substr(0, 200) + "\" in " + target.name, principalName(req));
}

HttpResponse execIn(DockerEngine& engine, const std::string& instance, Store& store, Clock& clock,
                    const HttpRequest& req) {
  auto cmd = commandOf(req.body);
  if (!cmd.ok()) return HttpResponse::Error(cmd.status());
  auto target = execTarget(engine, instance, store, req);
  if (!target.ok()) return HttpResponse::Error(target.status());
  recordExec(store, clock, req, *target, *cmd);
  ExecOptions eo;
  eo.cmd = *cmd;
  eo.tty = truthy(req.queryParam("tty"));
  std::optional<std::string> input = stdinOf(req.body);
  eo.attachStdin = input.has_value();
  DockerEngine* e = &engine;
  return HttpResponse::Stream(
      200, "application/x-ndjson",
      [e, id = target->id, eo, input](std::shared_ptr<StreamSink> sink) {
        auto run = std::make_shared<ExecRun>();
        ExecCallbacks cb;
        // A client that goes away does not stop the command (as docker
        // exec's detach); its output is dropped.
        cb.onOutput = [sink](LogLine::Stream s, std::string_view data) {
          sink->write(outputLine(s, data));
        };
        cb.onEnd = [sink, run](const Status& s, int exitCode) {
          sink->write(s.ok() ? json{{"exitCode", exitCode}}.dump() + "\n" : errorLine(s));
          sink->end();
          run->ended();
        };
        std::unique_ptr<ExecStream> stream = e->exec(id, eo, std::move(cb));
        if (input) {
          stream->sendStdin(*input);
          stream->closeStdin();
        }
        run->hold(std::move(stream));
      });
}

// What the client asks of a running exec, one message at a time.
void onClientMessage(ExecRun& run, const std::string& message) {
  auto m = readExecMessage(message);
  auto stream = run.stream();
  if (!m || !stream) return;
  switch (m->channel) {
    case ExecChannel::kStdin:
      stream->sendStdin(std::string(m->data));
      break;
    case ExecChannel::kResize:
      if (auto size = readResize(m->data)) stream->resize(size->width, size->height);
      break;
    case ExecChannel::kClose:
      if (!m->data.empty() && m->data.front() == static_cast<char>(ExecChannel::kStdin))
        stream->closeStdin();
      break;
    default:
      break;  // the server's own channels, sent back: nothing to do
  }
}

// GET .../exec?command=sh&command=-c&...&stdin=true&tty=true&replica=N
// [&width=W&height=H] with "Upgrade: websocket".
// ?width=W&height=H: the terminal's first size, both or neither, each
// 1..65535; {0, 0} for none.
Result<TerminalSize> firstSize(const HttpRequest& req) {
  TerminalSize size;
  for (auto [param, side] : {std::pair{"width", &size.width}, std::pair{"height", &size.height}}) {
    const std::string v = req.queryParam(param);
    if (v.empty()) continue;
    auto n = parsePositive(param, v);
    if (!n.ok()) return n.status();
    if (*n > 65535)
      return Status::Invalid(std::string(param) + ": " + v + " is over 65535", {{param, "is over 65535"}});
    *side = *n;
  }
  if ((size.width == 0) != (size.height == 0))
    return Status::Invalid("width and height: give both or neither", {{size.width ? "height" : "width", "is missing"}});
  return size;
}

HttpResponse execSocket(DockerEngine& engine, const std::string& instance, Store& store,
                        Clock& clock, const HttpRequest& req) {
  std::vector<std::string> cmd = req.queryValues("command");
  if (cmd.empty())
    return HttpResponse::Error(Status::Invalid(
        std::string("command: ") + kCommandRule + " (?command=ARG, repeated)", {{"command", kCommandRule}}));
  auto size = firstSize(req);
  if (!size.ok()) return HttpResponse::Error(size.status());
  // What would refuse the command comes first, so that a client whose
  // WebSocket handshake failed learns why by asking the same plainly.
  auto target = execTarget(engine, instance, store, req);
  if (!target.ok()) return HttpResponse::Error(target.status());
  if (!isWebSocketUpgrade(req))
    return HttpResponse::Error(Status::Invalid(
        "GET .../exec is a WebSocket (\"Upgrade: websocket\", subprotocol " +
        std::string(kExecSubprotocol) + "); scripts POST the command instead"));
  const std::string asked = req.header("sec-websocket-protocol");
  if (!asked.empty() && asked.find(kExecSubprotocol) == std::string::npos)
    return HttpResponse::Error(Status::Invalid("Sec-WebSocket-Protocol: this route speaks " +
                                               std::string(kExecSubprotocol) + ", not " + asked));
  recordExec(store, clock, req, *target, cmd);
  ExecOptions eo;
  eo.cmd = cmd;
  eo.tty = truthy(req.queryParam("tty"));
  eo.attachStdin = truthy(req.queryParam("stdin"));
  eo.width = size->width;
  eo.height = size->height;
  DockerEngine* e = &engine;
  std::vector<std::pair<std::string, std::string>> headers;
  if (!asked.empty()) headers.emplace_back("Sec-WebSocket-Protocol", kExecSubprotocol);
  return HttpResponse::Duplex(
      [e, id = target->id, eo](std::shared_ptr<DuplexChannel> channel) {
        auto run = std::make_shared<ExecRun>();
        ExecCallbacks cb;
        cb.onOutput = [channel](LogLine::Stream s, std::string_view data) {
          channel->send(execMessage(
              s == LogLine::Stream::kStderr ? ExecChannel::kStderr : ExecChannel::kStdout, data));
        };
        cb.onEnd = [channel, run](const Status& s, int exitCode) {
          const json status = s.ok() ? json{{"exitCode", exitCode}} : errorBody(s);
          channel->send(execMessage(ExecChannel::kStatus,
                                    status.dump(-1, ' ', false, json::error_handler_t::replace)));
          channel->end();
          run->ended();
        };
        run->hold(e->exec(id, eo, std::move(cb)));
        DuplexHandlers handlers;
        handlers.onMessage = [run](std::string message) { onClientMessage(*run, message); };
        // A client that goes away ends the command's input, as the end of
        // a docker exec -i's input does: a shell reads it and exits.
        handlers.onClose = [run] {
          if (auto stream = run->stream()) stream->closeStdin();
        };
        return handlers;
      },
      std::move(headers));
}

}  // namespace

void registerExecRoutes(Router& router, Store& store, Clock& clock, const ResourceApiOptions& opts) {
  DockerEngine* engine = opts.engine;
  const std::string instance = opts.instance;
  const Status noEngine = Status::Unavailable("this server does not reach an engine");

  // Body {"command": [...], "stdin": "..."}; ?replica=N&tty=true. NDJSON back: output
  // pieces, then {"exitCode": N} (or an Error line).
  router.add("POST", "/api/v1/namespaces/{ns}/services/{name}/exec",
             [&store, &clock, engine, instance, noEngine](const HttpRequest& req) {
               if (!engine) return HttpResponse::Error(noEngine);
               return execIn(*engine, instance, store, clock, req);
             });

  // A WebSocket: ?command=ARG (repeated)&stdin=true&tty=true&replica=N&width=W&height=H.
  router.add("GET", "/api/v1/namespaces/{ns}/services/{name}/exec",
             [&store, &clock, engine, instance, noEngine](const HttpRequest& req) {
               if (!engine) return HttpResponse::Error(noEngine);
               return execSocket(*engine, instance, store, clock, req);
             });
}

}  // namespace tender

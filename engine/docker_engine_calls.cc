// The Engine API calls of the real client, without Beast: each DockerEngine
// method's request (path, query, body) and the reading of its answer, the
// API version's negotiation, the events stream, and the Status each failed
// exchange becomes. The exchanges themselves run in docker_engine_beast.cc;
// the types the two files share are in docker_engine_internal.h, the pure
// decoding in docker_engine_codec.cc.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "engine/docker_engine_beast.h"
#include "engine/docker_engine_codec.h"
#include "engine/docker_engine_internal.h"

namespace tender {
namespace engine_internal {
namespace {

using nlohmann::json;

// How much longer than its own deadline a synchronous call waits for the event
// loop to report; only reached when the loop is not running.
constexpr Millis kLoopGrace{5000};
// The version to assume from an engine whose /_ping names none (as the docker CLI does).
constexpr const char* kFallbackApiVersion = "1.24";

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
    spec.method = HttpMethod::kGet;
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

std::string containerPath(const std::string& id) {
  return "/containers/" + engine_codec::pathEscape(id);
}

}  // namespace

const char* methodName(HttpMethod method) {
  switch (method) {
    case HttpMethod::kGet:
      return "GET";
    case HttpMethod::kPost:
      return "POST";
    case HttpMethod::kPut:
      return "PUT";
    case HttpMethod::kDelete:
      return "DELETE";
  }
  return "GET";
}

std::string describe(const ExchangeSpec& spec) {
  return std::string(methodName(spec.method)) + " " + spec.target;
}

Status exchangeFailure(ExchangeFailure failure, const std::string& engine,
                       const ExchangeSpec& spec, const std::string& cause) {
  const std::string where = "the Docker engine at " + engine;
  switch (failure) {
    case ExchangeFailure::kTimeout: {
      Millis limit = spec.timeout.count() > 0 ? spec.timeout : spec.connectTimeout;
      return Status::Timeout(where + " did not answer " + describe(spec) + " within " +
                             std::to_string(limit.count()) + " ms");
    }
    case ExchangeFailure::kConnect:
      return Status::Unavailable(where + " is not answering (" + cause +
                                 "); is the engine running? DOCKER_HOST names another");
    case ExchangeFailure::kBodyLimit:
      return Status::Internal("the answer of " + where + " to " + describe(spec) +
                              " is larger than " + std::to_string(spec.bodyLimit >> 20) + " MiB");
    case ExchangeFailure::kBroken:
      break;
  }
  return Status::Unavailable("the connection to " + where + " broke during " + describe(spec) +
                             ": " + cause);
}

Transport::Transport(boost::asio::io_context& ioc, EngineOptions options)
    : ioc_(ioc), options_(std::move(options)), address_(Status::Internal("unset")) {
  options_.host = resolvedEngineHost(options_);
  address_ = engine_codec::parseEngineAddress(options_.host);
  pinnedVersion_ = options_.apiVersion;
  if (pinnedVersion_.empty()) {
    const char* env = std::getenv("DOCKER_API_VERSION");
    if (env) pinnedVersion_ = env;
  }
}

std::string Transport::apiVersion() const {
  std::lock_guard<std::mutex> l(mu_);
  return apiVersion_;
}

void Transport::negotiate(const Reply& ping) {
  std::string v = pinnedVersion_;
  if (v.empty()) {
    v = engine_codec::negotiateApiVersion(
        ping.apiVersion.empty() ? kFallbackApiVersion : ping.apiVersion, kMaxEngineApiVersion);
  }
  std::lock_guard<std::mutex> l(mu_);
  apiVersion_ = v;
}

ExchangeSpec Transport::pingSpec() const {
  ExchangeSpec spec;
  spec.method = HttpMethod::kGet;
  spec.target = "/_ping";
  spec.connectTimeout = options_.callTimeout;
  spec.timeout = options_.callTimeout;
  return spec;
}

Status BeastDockerEngine::ping() {
  auto r = roundTrip(transport_->pingSpec());
  if (!r.ok()) return r.status();
  Status s = engine_codec::statusFromHttp(r->status, r->body);
  if (!s.ok()) return s;
  transport_->negotiate(*r);
  return Status::Ok();
}

std::string BeastDockerEngine::apiVersion() const { return transport_->apiVersion(); }

Result<EngineVersion> BeastDockerEngine::version() {
  auto j = callJson(HttpMethod::kGet, "/version");
  if (!j.ok()) return j.status();
  return engine_codec::parseVersion(*j);
}

Result<EngineInfo> BeastDockerEngine::info() {
  auto j = callJson(HttpMethod::kGet, "/info");
  if (!j.ok()) return j.status();
  return engine_codec::parseInfo(*j);
}

Result<std::vector<ContainerSummary>> BeastDockerEngine::listContainers(const Filters& filters,
                                                                        bool all) {
  engine_codec::Query q;
  q.add("all", all ? "1" : "0");
  if (!filters.empty()) q.add("filters", engine_codec::filtersJson(filters));
  auto j = callJson(HttpMethod::kGet, "/containers/json" + q.str());
  if (!j.ok()) return j.status();
  std::vector<ContainerSummary> out;
  if (j->is_array()) {
    for (const auto& c : *j) out.push_back(engine_codec::parseContainerSummary(c));
  }
  return out;
}

Result<ContainerInfo> BeastDockerEngine::inspectContainer(const std::string& idOrName) {
  auto j = callJson(HttpMethod::kGet, containerPath(idOrName) + "/json");
  if (!j.ok()) return j.status();
  return engine_codec::parseContainerInfo(std::move(*j));
}

Result<std::string> BeastDockerEngine::createContainer(const std::string& name,
                                                       const json& body) {
  engine_codec::Query q;
  if (!name.empty()) q.add("name", name);
  auto j = callJson(HttpMethod::kPost, "/containers/create" + q.str(), body);
  if (!j.ok()) return j.status();
  return idFrom(*j, "POST /containers/create");
}

Status BeastDockerEngine::startContainer(const std::string& id) {
  Status s = callStatus(HttpMethod::kPost, containerPath(id) + "/start");
  if (s.IsNotModified()) return Status::NotModified("container " + id + " is already running");
  return s;
}

Status BeastDockerEngine::stopContainer(const std::string& id, int timeoutSeconds) {
  engine_codec::Query q;
  q.add("t", std::to_string(timeoutSeconds));
  // The engine waits up to the grace period before it answers.
  Millis deadline =
      transport_->options().callTimeout + std::chrono::seconds(std::max(timeoutSeconds, 0));
  Status s = callStatusWithin(HttpMethod::kPost, containerPath(id) + "/stop" + q.str(), deadline);
  if (s.IsNotModified()) return Status::NotModified("container " + id + " is already stopped");
  return s;
}

Status BeastDockerEngine::killContainer(const std::string& id, const std::string& signal) {
  engine_codec::Query q;
  if (!signal.empty()) q.add("signal", signal);
  return callStatus(HttpMethod::kPost, containerPath(id) + "/kill" + q.str());
}

Status BeastDockerEngine::removeContainer(const std::string& id, bool force,
                                          bool removeVolumes) {
  engine_codec::Query q;
  q.add("force", force ? "1" : "0").add("v", removeVolumes ? "1" : "0");
  return callStatus(HttpMethod::kDelete, containerPath(id) + q.str());
}

Status BeastDockerEngine::copyToContainer(const std::string& id, const std::string& path,
                                          const std::string& tar) {
  Status v = ensureVersion();
  if (!v.ok()) return v;
  engine_codec::Query q;
  q.add("path", path);
  ExchangeSpec spec;
  spec.method = HttpMethod::kPut;
  spec.target = "/v" + transport_->apiVersion() + containerPath(id) + "/archive" + q.str();
  spec.body = tar;
  spec.contentType = "application/x-tar";
  spec.timeout = transport_->options().callTimeout;
  spec.connectTimeout = spec.timeout;
  auto r = roundTrip(std::move(spec));
  if (!r.ok()) return r.status();
  return engine_codec::statusFromHttp(r->status, r->body);
}

Result<std::vector<LogLine>> BeastDockerEngine::containerLogs(const std::string& id,
                                                              const LogOptions& options) {
  // The answer does not say whether it is framed; the container's TTY setting does.
  auto container = inspectContainer(id);
  if (!container.ok()) return container.status();
  engine_codec::Query q;
  q.add("stdout", options.stdoutStream ? "1" : "0")
      .add("stderr", options.stderrStream ? "1" : "0")
      .add("tail", options.tail < 0 ? "all" : std::to_string(options.tail));
  if (!options.since.empty()) q.add("since", options.since);
  if (!options.until.empty()) q.add("until", options.until);
  if (options.timestamps) q.add("timestamps", "1");
  auto r = call(HttpMethod::kGet, containerPath(id) + "/logs" + q.str());
  if (!r.ok()) return r.status();
  return engine_codec::decodeLogs(r->body, container->tty);
}

Result<ContainerStats> BeastDockerEngine::containerStats(const std::string& id) {
  auto j = callJson(HttpMethod::kGet, containerPath(id) + "/stats?stream=false&one-shot=true");
  if (!j.ok()) return j.status();
  return engine_codec::parseStats(*j);
}

std::unique_ptr<EngineStream> BeastDockerEngine::streamEvents(const Filters& filters,
                                                              const std::string& since,
                                                              EventStreamCallbacks callbacks) {
  engine_codec::Query q;
  if (!filters.empty()) q.add("filters", engine_codec::filtersJson(filters));
  if (!since.empty()) q.add("since", since);
  auto state = std::make_shared<EventStream::State>();
  state->callbacks = std::move(callbacks);
  EventStream::open(transport_, state, "/events" + q.str());
  return std::make_unique<EventStream>(transport_, state);
}

Result<std::string> BeastDockerEngine::createNetwork(const std::string& name,
                                                     const json& body) {
  json request = body.is_object() ? body : json::object();
  request["Name"] = name;
  Status v = ensureVersion();
  if (!v.ok()) return v;
  // Before API 1.44 the engine creates a second network of the same name unless asked not to.
  if (!request.contains("CheckDuplicate") &&
      engine_codec::compareApiVersions(transport_->apiVersion(), "1.44") < 0) {
    request["CheckDuplicate"] = true;
  }
  auto j = callJson(HttpMethod::kPost, "/networks/create", request);
  if (!j.ok()) return j.status();
  return idFrom(*j, "POST /networks/create");
}

Result<std::vector<NetworkInfo>> BeastDockerEngine::listNetworks(const Filters& filters) {
  engine_codec::Query q;
  if (!filters.empty()) q.add("filters", engine_codec::filtersJson(filters));
  auto j = callJson(HttpMethod::kGet, "/networks" + q.str());
  if (!j.ok()) return j.status();
  std::vector<NetworkInfo> out;
  if (j->is_array()) {
    for (const auto& n : *j) out.push_back(engine_codec::parseNetwork(n));
  }
  return out;
}

Result<NetworkInfo> BeastDockerEngine::inspectNetwork(const std::string& idOrName) {
  auto j = callJson(HttpMethod::kGet, "/networks/" + engine_codec::pathEscape(idOrName));
  if (!j.ok()) return j.status();
  return engine_codec::parseNetwork(*j);
}

Status BeastDockerEngine::removeNetwork(const std::string& idOrName) {
  return callStatus(HttpMethod::kDelete, "/networks/" + engine_codec::pathEscape(idOrName));
}

Status BeastDockerEngine::connectNetwork(const std::string& network,
                                         const std::string& container,
                                         const std::vector<std::string>& aliases) {
  json body = {{"Container", container}, {"EndpointConfig", json::object()}};
  if (!aliases.empty()) body["EndpointConfig"]["Aliases"] = aliases;
  return callStatus(HttpMethod::kPost,
                    "/networks/" + engine_codec::pathEscape(network) + "/connect", body);
}

Result<VolumeInfo> BeastDockerEngine::createVolume(
    const std::string& name, const std::string& driver, const Labels& labels,
    const std::map<std::string, std::string>& driverOpts) {
  json body = {{"Name", name}, {"Labels", labels}, {"DriverOpts", driverOpts}};
  if (!driver.empty()) body["Driver"] = driver;
  auto j = callJson(HttpMethod::kPost, "/volumes/create", body);
  if (!j.ok()) return j.status();
  return engine_codec::parseVolume(*j);
}

Result<std::vector<VolumeInfo>> BeastDockerEngine::listVolumes(const Filters& filters) {
  engine_codec::Query q;
  if (!filters.empty()) q.add("filters", engine_codec::filtersJson(filters));
  auto j = callJson(HttpMethod::kGet, "/volumes" + q.str());
  if (!j.ok()) return j.status();
  std::vector<VolumeInfo> out;
  auto volumes = j->find("Volumes");
  if (volumes != j->end() && volumes->is_array()) {
    for (const auto& v : *volumes) out.push_back(engine_codec::parseVolume(v));
  }
  return out;
}

Result<VolumeInfo> BeastDockerEngine::inspectVolume(const std::string& name) {
  auto j = callJson(HttpMethod::kGet, "/volumes/" + engine_codec::pathEscape(name));
  if (!j.ok()) return j.status();
  return engine_codec::parseVolume(*j);
}

Status BeastDockerEngine::removeVolume(const std::string& name, bool force) {
  engine_codec::Query q;
  if (force) q.add("force", "1");
  return callStatus(HttpMethod::kDelete, "/volumes/" + engine_codec::pathEscape(name) + q.str());
}

Status BeastDockerEngine::removeImage(const std::string& nameOrId, bool force) {
  engine_codec::Query q;
  if (force) q.add("force", "1");
  return callStatus(HttpMethod::kDelete, "/images/" + engine_codec::pathEscape(nameOrId) + q.str());
}

Result<std::vector<ImageInfo>> BeastDockerEngine::listImages(const Filters& filters) {
  engine_codec::Query q;
  if (!filters.empty()) q.add("filters", engine_codec::filtersJson(filters));
  auto j = callJson(HttpMethod::kGet, "/images/json" + q.str());
  if (!j.ok()) return j.status();
  std::vector<ImageInfo> out;
  if (j->is_array()) {
    for (const auto& i : *j) out.push_back(engine_codec::parseImageSummary(i));
  }
  return out;
}

Result<DiskUsage> BeastDockerEngine::diskUsage() {
  auto j = callJson(HttpMethod::kGet, "/system/df");
  if (!j.ok()) return j.status();
  return engine_codec::parseDiskUsage(*j);
}

Result<PruneReport> BeastDockerEngine::prune(const std::string& what,
                                             const Filters& filters) {
  static const std::map<std::string, const char*> kLists = {{"containers", "ContainersDeleted"},
                                                            {"networks", "NetworksDeleted"},
                                                            {"images", "ImagesDeleted"},
                                                            {"volumes", "VolumesDeleted"}};
  auto list = kLists.find(what);
  if (list == kLists.end()) return Status::Invalid("cannot prune \"" + what + "\"");
  engine_codec::Query q;
  if (!filters.empty()) q.add("filters", engine_codec::filtersJson(filters));
  auto j = callJson(HttpMethod::kPost, "/" + what + "/prune" + q.str());
  if (!j.ok()) return j.status();
  return engine_codec::parsePruneReport(*j, list->second);
}

Result<ImageInfo> BeastDockerEngine::inspectImage(const std::string& nameOrId) {
  auto j =
      callJson(HttpMethod::kGet,
               "/images/" + engine_codec::pathEscape(nameOrId, /*keepSlashes=*/true) + "/json");
  if (!j.ok()) return j.status();
  return engine_codec::parseImage(*j);
}

Result<std::string> BeastDockerEngine::buildImage(const std::string& contextTar,
                                                  const BuildOptions& options) {
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
  spec.method = HttpMethod::kPost;
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

Result<Reply> BeastDockerEngine::roundTrip(ExchangeSpec spec,
                                           std::function<void(std::string_view)> onData) {
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

Status BeastDockerEngine::ensureVersion() {
  if (!transport_->apiVersion().empty()) return Status::Ok();
  return ping();
}

Result<Reply> BeastDockerEngine::call(HttpMethod method, const std::string& path,
                                      const std::optional<json>& body, Millis timeout) {
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

Status BeastDockerEngine::callStatus(HttpMethod method, const std::string& path,
                                     const std::optional<json>& body) {
  return call(method, path, body).status();
}

Status BeastDockerEngine::callStatusWithin(HttpMethod method, const std::string& path,
                                           Millis timeout) {
  return call(method, path, std::nullopt, timeout).status();
}

Result<json> BeastDockerEngine::callJson(HttpMethod method, const std::string& path,
                                         const std::optional<json>& body) {
  auto r = call(method, path, body);
  if (!r.ok()) return r.status();
  json j = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status::Internal("the engine's answer to " + std::string(methodName(method)) +
                            " " + path + " is not JSON");
  }
  return j;
}

Result<std::string> BeastDockerEngine::idFrom(const json& j, const std::string& what) {
  auto it = j.find("Id");
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) {
    return Status::Internal("the engine's answer to " + what + " has no Id");
  }
  return it->get<std::string>();
}

}  // namespace engine_internal

std::string resolvedEngineHost(const EngineOptions& options) {
  if (!options.host.empty()) return options.host;
  const char* env = std::getenv("DOCKER_HOST");
  if (env && *env) return env;
  return engine_codec::kDefaultEngineHost;
}

}  // namespace tender

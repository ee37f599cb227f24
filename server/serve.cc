// `tender serve`: the composition root. Checks the flags, opens the store,
// builds every part (engine client, loop, reconcilers, background parts, API)
// in dependency order, starts them, and on SIGINT/SIGTERM stops them in the
// reverse order (server/components.h).
#include "server/serve.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <condition_variable>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include <unistd.h>

#include "api/auth.h"
#include "api/backup_api.h"
#include "api/event_watch.h"
#include "api/eviction_api.h"
#include "api/fair_share.h"
#include "api/http_server.h"
#include "api/live_tokens.h"
#include "api/metrics.h"
#include "api/resource_api.h"
#include "base/byte_format.h"
#include "base/state_dir.h"
#include "controller/controller.h"
#include "controller/informer.h"
#include "controller/scheduler.h"
#include "engine/compose_project.h"
#include "engine/docker_engine_beast.h"
#include "engine/engine_wait.h"
#include "engine/own_container.h"
#include "engine/instrumented_engine.h"
#include "manifests/service_status.h"
#include "reconcilers/admission.h"
#include "reconcilers/eviction.h"
#include "reconcilers/host_monitor.h"
#include "reconcilers/janitor.h"
#include "reconcilers/memory_sampler.h"
#include "reconcilers/post_mortem.h"
#include "reconcilers/prober.h"
#include "reconcilers/resource_reconcilers.h"
#include "reconcilers/service_reconciler.h"
#include "reconcilers/start_gate.h"
#include "server/admin_token.h"
#include "server/components.h"
#include "server/engine_health.h"
#include "server/housekeeping.h"
#include "server/serve_config.h"
#include "server/serve_config_file.h"
#include "server/store_recovery.h"
#include "server/systemd_notify.h"
#include "server/tls_files.h"
#include "store/store.h"

namespace tender {
namespace {

// The message as the inside of a JSON string: a line of --log-format json
// stays one JSON object whatever the message holds (quotes, a path's
// backslash, a newline from the engine).
class JsonEscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static const char* kHex = "0123456789abcdef";
    for (char ch : std::string_view(msg.payload.data(), msg.payload.size())) {
      const auto u = static_cast<unsigned char>(ch);
      if (ch == '"' || ch == '\\') {
        dest.push_back('\\');
        dest.push_back(ch);
      } else if (ch == '\n') {
        dest.push_back('\\');
        dest.push_back('n');
      } else if (ch == '\t') {
        dest.push_back('\\');
        dest.push_back('t');
      } else if (u < 0x20) {
        const char esc[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 15]};
        dest.append(esc, esc + sizeof esc);
      } else {
        dest.push_back(ch);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

void setUpLogging(const ServeOptions& o) {
  spdlog::set_level(spdlog::level::from_str(o.logLevel));
  if (o.jsonLogs) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonEscapedMessage>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})");
    spdlog::set_formatter(std::move(formatter));
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%L%$ %v");
  }
}

// What the server runs with: the flags, over the --config file's settings
// when one is given, and what they mean.
struct Settings {
  ServeOptions options;
  ServeConfig config;
};

// Reads the --config file (when given), puts the flags given over it and
// checks the result. Errors name the file's keys and lines, and the flags.
Result<Settings> readSettings(const ServeOptions& flags) {
  const unsigned cpus = std::thread::hardware_concurrency();
  if (flags.configFile.empty()) {
    auto config = serveConfigFrom(flags, cpus);
    if (!config.ok()) return config.status();
    return Settings{flags, *config};
  }
  std::ifstream in(flags.configFile, std::ios::binary);
  if (!in) {
    return Status::Invalid("cannot read --config " + flags.configFile + ": " +
                           std::strerror(errno));
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto file = parseServeConfigFile(text);
  if (!file.ok()) return file.status();
  ServeOptions options = withFlagsOver(file->options, flags, flags.flagsGiven);
  auto config = serveConfigFrom(options, cpus);
  if (!config.ok()) return inTermsOfFile(config.status(), *file, flags.flagsGiven);
  return Settings{options, *config};
}

// One line per bad setting: a key of the file with its line, or a flag.
std::vector<std::string> settingErrors(const Status& s, const std::string& configFile) {
  if (s.details().empty()) return {s.message()};
  std::vector<std::string> out;
  for (const FieldError& d : s.details()) {
    std::string line;
    if (d.field.rfind("--", 0) == 0 || configFile.empty()) {
      line = d.field + ": " + d.message;
    } else {
      line = configFile + ": " + (d.field.empty() ? "" : d.field + ": ") + d.message;
    }
    out.push_back(line);
  }
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

void pruneHistory(Store& store, const Retention& retention) {
  auto pruned = store.pruneHistory(retention);
  if (!pruned.ok()) {
    spdlog::warn("cannot prune the store's history: {}", pruned.status().ToString());
  } else if (pruned->events + pruned->terminations > 0) {
    spdlog::info("pruned {} events and {} post-mortems from the store ({} pages freed)",
                 pruned->events, pruned->terminations, pruned->freedPages);
  }
}

// The options of the service reconciler, pointing at the parts it uses.
ServiceReconcilerOptions serviceOptions(const ServeOptions& o, Prober& prober,
                                        MemorySampler& memory, HostMonitor& host,
                                        AdmissionLedger& admission, ContainerSnapshot& snapshot,
                                        const UploadStore& contexts, const UploadStore& files,
                                        std::function<void(const Key&)> enqueue) {
  ServiceReconcilerOptions so;
  so.prober = &prober;
  so.instance = o.instance;
  so.memory = &memory;
  so.host = &host;
  so.logTailLines = o.postMortemLogLines;
  so.admission = &admission;
  so.snapshot = &snapshot;
  so.buildContexts = &contexts;
  so.files = &files;
  so.logs.maxSize = o.logMaxSize;
  so.logs.maxFile = o.logMaxFile;
  so.enqueue = std::move(enqueue);
  return so;
}

// One running `tender serve`. Members are declared (and so built) in the
// order they depend on each other and destroyed in the reverse.
class Server {
 public:
  // `tls`: the HTTPS listeners' context, or null for plain HTTP.
  // `flags`: the command line's settings, re-read with the --config file
  // on SIGHUP; `o` and `c` the settings it started with.
  Server(const ServeOptions& flags, const ServeOptions& o, const ServeConfig& c, Store& store,
         LiveTokens& tokens, std::shared_ptr<TlsContext> tls);
  ~Server() { stop(); }

  // Starts the event loop, the engine's health check and the API; then, on
  // a thread of its own, the pre-flight and the reconciling parts.
  Status start();
  // Blocks until SIGINT or SIGTERM; returns the signal. Meanwhile the token
  // file is re-read on SIGHUP and when it changes, and the --config file
  // on SIGHUP.
  int waitForSignal();
  void stop();

 private:
  void preflight();
  void schedulePrune();
  bool stopping() const;
  void registerRoutes();
  void refreshTokenBudgets();  // the token file's rate= and burst= after a re-read
  // Re-reads the --config file and applies the settings that change at
  // run time; logs what changed and what waits for a restart.
  void reloadConfig();
  ServeConfig liveConfig() const;
  MetricsSnapshot metrics() const;
  std::string dataRootToWatch();

  const ServeOptions flags_;
  const ServeOptions o_;
  const ServeConfig c_;
  // The settings in force: o_ and c_ with the run-time ones a re-read
  // changed. Guarded by liveMu_.
  mutable std::mutex liveMu_;
  ServeOptions liveOptions_;
  ServeConfig liveConfig_;
  Store& store_;
  LiveTokens& tokens_;  // the admin's and --token-file's, re-read while serving
  RealClock clock_;
  Components components_;

  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread ioThread_;
  EngineOptions engineOptions_;
  const std::string host_;
  const bool engineIsLocal_;
  std::unique_ptr<DockerEngine> beastEngine_;
  InstrumentedEngine engine_;  // every call the controller makes is timed for /metrics
  std::unique_ptr<DockerEngine> healthEngine_;

  StartGate gate_;
  Scheduler scheduler_;
  Controller controller_;
  std::function<void(const Key&)> enqueue_;
  MemorySampler memory_;
  const MemorySource memorySource_;
  HostMonitor hostMemory_;
  ContainerSnapshot snapshot_;
  AdmissionLedger admission_;
  Prober prober_;
  UploadStore contexts_;  // uploaded build contexts, in the state directory
  UploadStore files_;     // uploaded files of secrets and configs, beside them
  ServiceReconciler services_;
  NetworkReconciler networks_;
  VolumeReconciler volumes_;
  NamespaceReconciler namespaces_;
  ResyncReconciler resync_;
  Janitor janitor_;
  Housekeeping housekeeping_;
  Evictor evictor_;
  EngineHealth health_;
  EventWatchHub watch_;
  ObjectWatchHub objectWatch_;  // the lists' ?watch=true
  Informer informer_;
  FairShare fairShare_;  // each token's request budget and stream cap, asked by the router
  Router router_;
  HttpServer http_;

  std::atomic<bool> preflightDone_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread startup_;
};

EngineOptions engineOptionsFor(const ServeOptions& o, std::chrono::milliseconds callTimeout = {}) {
  EngineOptions eo;
  eo.host = o.engineHost;
  if (callTimeout.count() > 0) eo.callTimeout = callTimeout;
  return eo;
}

InformerOptions informerOptions(const ServeOptions& o) {
  InformerOptions io;
  io.resyncPeriod = std::chrono::seconds(std::max(1, o.resyncSeconds));
  return io;
}

ControllerOptions controllerOptions(const ServeConfig& c) {
  ControllerOptions co;
  co.workers = c.workers;
  return co;
}

HttpServerOptions httpOptions(const ServeOptions& o, const ServeConfig& c,
                              std::shared_ptr<TlsContext> tls) {
  HttpServerOptions ho;
  ho.listen = o.listen;
  ho.tls = std::move(tls);
  ho.maxBodyBytes = o.maxBodyBytes;
  // A build context's tar is the one body that may be large.
  ho.isUpload = [](const std::string& method, const std::string& target) {
    const std::string path = target.substr(0, target.find('?'));
    const std::string suffix = "/buildcontexts";
    return method == "POST" && path.rfind("/api/v1/namespaces/", 0) == 0 &&
           path.size() > suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  ho.maxUploadBytes = static_cast<size_t>(c.buildContexts.maxBytes);
  return ho;
}

Server::Server(const ServeOptions& flags, const ServeOptions& o, const ServeConfig& c,
               Store& store, LiveTokens& tokens, std::shared_ptr<TlsContext> tls)
    : flags_(flags),
      o_(o),
      c_(c),
      liveOptions_(o),
      liveConfig_(c),
      store_(store),
      tokens_(tokens),
      work_(boost::asio::make_work_guard(ioc_)),
      engineOptions_(engineOptionsFor(o)),
      host_(resolvedEngineHost(engineOptions_)),
      engineIsLocal_(host_.rfind("unix://", 0) == 0),
      beastEngine_(makeBeastDockerEngine(ioc_, engineOptions_)),
      engine_(*beastEngine_, clock_),
      healthEngine_(makeBeastDockerEngine(ioc_, engineOptionsFor(o, std::chrono::seconds(3)))),
      gate_(c.startLimit),
      scheduler_(clock_),
      controller_(clock_, controllerOptions(c)),
      enqueue_([this](const Key& k) { controller_.enqueue(k); }),
      memory_(engine_, clock_, o.instance,
              std::chrono::seconds(std::max(1, o.memorySampleSeconds))),
      memorySource_(memorySourceFor(o.procRoot, ::access((o.procRoot + "/meminfo").c_str(), R_OK) == 0)),
      hostMemory_(clock_, memorySource_.procRoot),
      admission_(c.admission,
                 [this]() -> std::optional<int64_t> {
                   if (!engineIsLocal_) return std::nullopt;  // the engine's host is not this one
                   HostMemory m = hostMemory_.read();
                   if (m.memTotalBytes <= 0) return std::nullopt;
                   return m.memAvailableBytes;
                 }),
      prober_(clock_, enqueue_),
      contexts_(o.stateDir + "/build-contexts", c.buildContexts),
      files_(o.stateDir + "/files", kFileUploadLimits, UploadKind::files()),
      services_(store, engine_, clock_, gate_,
                serviceOptions(o, prober_, memory_, hostMemory_, admission_, snapshot_, contexts_,
                               files_, enqueue_)),
      networks_(store, engine_, clock_, o.instance),
      volumes_(store, engine_, clock_, o.instance),
      namespaces_(store, clock_, enqueue_, &engine_, o.instance),
      resync_(store, engine_, o.instance, enqueue_, &snapshot_),
      janitor_(store, engine_, clock_, o.instance),
      housekeeping_(janitor_, store, clock_, o.instance, &contexts_, &files_),
      evictor_(
          store, clock_, services_,
          [this]() -> std::optional<HostMemory> {
            if (!engineIsLocal_) return std::nullopt;
            return hostMemory_.read();
          },
          [this] { return memory_.snapshot(); }, enqueue_, c.eviction),
      health_(*healthEngine_, clock_, host_),
      watch_(store, clock_),
      objectWatch_(store, clock_),
      informer_(
          engine_, scheduler_, clock_, o.instance, enqueue_,
          [this] { controller_.enqueue(ResyncReconciler::key()); }, informerOptions(o)),
      fairShare_(clock_, c.fairShare),
      http_(ioc_, router_, httpOptions(o, c, std::move(tls))) {
  auto enqueueService = [this](const std::string& ns, const std::string& service) {
    controller_.enqueue(Key{"Service", ns, service});
  };
  memory_.setOnPressureChange(enqueueService);
  admission_.setOnFreed(enqueueService);
  controller_.registerReconciler("Service", &services_);
  controller_.registerReconciler("Network", &networks_);
  controller_.registerReconciler("Volume", &volumes_);
  controller_.registerReconciler("Namespace", &namespaces_);
  controller_.registerReconciler("Resync", &resync_);
  store_.setEventObserver([this](int64_t) { watch_.notify(); });
  informer_.setOnEvent([this](const EngineEvent& e) { services_.noteEngineEvent(e); });
  informer_.setOnOutage(
      [this](WallTime lost, WallTime back) { services_.noteEngineOutage(lost, back); });
  std::stringstream mountinfo;
  mountinfo << std::ifstream("/proc/self/mountinfo").rdbuf();
  if (auto self = ownContainerId(mountinfo.str())) {
    janitor_.protect(*self);
    spdlog::info("running in container {}: no cleanup removes it, whatever its labels", self->substr(0, 12));
  }
  registerRoutes();
}

void Server::registerRoutes() {
  ResourceApiOptions ao;
  ao.readiness = [this] {
    Status engineUp = health_.readiness();
    if (!engineUp.ok()) return engineUp;
    if (!preflightDone_) return Status::Unavailable("pre-flight cleanup has not finished");
    return Status::Ok();
  };
  ao.readinessDetail = [this] {
    const Status engineUp = health_.readiness();
    return std::vector<std::string>{
        engineUp.ok() ? "[+]engine ok" : "[-]engine: " + engineUp.message(),
        preflightDone_ ? "[+]pre-flight cleanup ok" : "[-]pre-flight cleanup has not finished",
        "memory: the total from " +
            std::string(c_.admission.hostMemoryBytes > 0 ? "--host-memory" : "the engine's info") +
            ", MemAvailable from " + memorySource_.description};
  };
  ao.prune = [this](const CleanupOptions& co) -> Result<nlohmann::json> {
    auto r = janitor_.run(co);
    if (!r.ok()) return r.status();
    return r->toJson();
  };
  ao.versionInfo = [this] { return health_.versionInfo(); };
  ao.enqueue = enqueue_;
  ao.planService = [this](const Resource& r) { return services_.dryRun(r); };
  ao.restartService = [this](const Key& k) { return services_.requestRestart(k); };
  ao.engine = &engine_;
  ao.instance = o_.instance;
  ao.watch = &watch_;
  ao.objectWatch = &objectWatch_;
  ao.contexts = &contexts_;
  ao.files = &files_;
  ao.composeProject = [this](const std::string& project) {
    return findComposeProject(engine_, project);
  };
  ao.removeComposeContainers = [this](const ComposeFootprint& f) {
    return removeComposeContainers(engine_, f, /*stopTimeoutSeconds=*/10);
  };
  registerResourceApi(router_, store_, clock_, ao);
  router_.setAuthenticator([this](const HttpRequest& req) { return tokens_.authenticate(req); });
  router_.setAdmission(&fairShare_);
  registerEvictionApi(router_, evictor_);
  registerBackupApi(router_, store_, o_.stateDir);
  registerMetricsRoute(router_, [this] { return metrics(); });
}

MetricsSnapshot Server::metrics() const {
  MetricsSnapshot m;
  auto services = store_.list("Service", std::nullopt);
  if (services.ok()) {
    for (const auto& r : *services) {
      // A status that does not decode (another version of tender wrote it)
      // counts as phase Unknown, its restarts as not known.
      auto st = serviceStatusFromJson(r.status);
      if (!st.ok()) {
        m.servicesByPhase["Unknown"]++;
        continue;
      }
      m.servicesByPhase[st->phase.value_or("Pending")]++;
      m.restarts[{r.namespace_, r.name}] = st->restartCount.value_or(0);
    }
  }
  m.controller = controller_.metrics();
  m.eventStreamReconnects = informer_.reconnects();
  m.engineUp = health_.readiness().ok();
  m.engineCalls = engine_.snapshot();
  m.memory = memory_.snapshot();
  m.watchers = watch_.watchers();
  m.tokens = fairShare_.stats();
  nlohmann::json ledger = admission_.snapshot();
  m.allocatableBytes = ledger.value("allocatable", int64_t{0});
  for (auto& [ns, bytes] : ledger["namespaces"].items()) m.reservedBytes[ns] = bytes.get<int64_t>();
  return m;
}

Status Server::start() {
  ioThread_ = std::thread([this] { ioc_.run(); });
  components_.started("the event loop", [this] {
    work_.reset();
    ioc_.stop();
    if (ioThread_.joinable()) ioThread_.join();
  });
  // Started and stopped with the server, whatever else has started.
  components_.started("the timers", [this] { scheduler_.shutDown(); });
  components_.started("the health probes", [this] { prober_.stop(); });
  health_.start();
  components_.started("the engine health check", [this] { health_.stop(); });
  components_.started("the event watchers", [this] {
    store_.setEventObserver({});
    watch_.stop();
    objectWatch_.stop();
  });
  Status listening = http_.start();
  if (!listening.ok()) return listening;
  components_.started("the API", [this] { http_.stop(); });
  if (o_.tokenFile.empty() && !http_.localOnly()) {
    return Status::Invalid(
        "refusing to serve the API on an address other hosts can reach with the admin token only; "
        "listen on 127.0.0.1, ::1 or unix:/path, or give --token-file with the tokens of its users");
  }
  for (const std::string& listen : c_.plaintextReachable) {
    spdlog::warn(
        "serving the API in plaintext on {}, which other hosts may reach (--allow-plaintext): "
        "tokens cross the network readable unless something else keeps the port private",
        listen);
  }
  spdlog::info("API requires bearer tokens: the admin's in {}/{}{}", o_.stateDir, kAdminTokenFile,
               o_.tokenFile.empty() ? std::string() : " and " + std::to_string(tokens_.size() - 1) + " from " + o_.tokenFile);
  const FairShareOptions& fair = c_.fairShare;
  std::string exempt;
  for (const auto& name : fair.exempt) exempt += (exempt.empty() ? "" : ", ") + name;
  spdlog::info("API fair share per token: {}, {}{}",
               fair.rate.unlimited()
                   ? std::string("no request budget")
                   : formatRate(fair.rate.perSecond) + " requests/s in bursts of " +
                         formatRate(fair.rate.burst),
               fair.maxStreamsPerToken == 0
                   ? std::string("no cap on watches")
                   : "at most " + std::to_string(fair.maxStreamsPerToken) + " watches open",
               exempt.empty() ? std::string() : " (exempt: " + exempt + ")");
  std::string listenList;
  for (const auto& l : o_.listen) listenList += (listenList.empty() ? "" : ", ") + l;
  spdlog::info(
      "tender serve: listening on {}, state in {}, instance \"{}\", engine {}, {} workers, "
      "{} concurrent starts",
      listenList, o_.stateDir, o_.instance, host_, c_.workers, c_.startLimit);
  schedulePrune();
  // The API answers from here on, while the engine is awaited: ready for systemd.
  notifySystemd("READY=1\nSTATUS=API listening on " + listenList +
                "; waiting for the Docker engine at " + host_);
  startup_ = std::thread([this] { preflight(); });
  return Status::Ok();
}

// The history stays bounded for as long as tender runs: pruned every ten
// minutes.
void Server::schedulePrune() {
  scheduler_.schedule(std::chrono::minutes(10), [this] {
    pruneHistory(store_, liveConfig().retention);
    schedulePrune();
  });
}

bool Server::stopping() const {
  std::lock_guard<std::mutex> l(mu_);
  return done_;
}

std::string Server::dataRootToWatch() {
  // Only when the engine's disk is this machine's (a unix socket) and its
  // data root can be seen from here.
  if (!engineIsLocal_) return "";
  auto info = engine_.info();
  if (info.ok() && !info->dockerRootDir.empty() && diskSpaceOf(info->dockerRootDir).ok())
    return info->dockerRootDir;
  return "";
}

// Off the main thread so a signal still stops tender while it waits: the
// engine, then this instance's leftovers, then the first reconcile. The API
// answers meanwhile (/readyz says what is awaited).
void Server::preflight() {
  EngineWaitOptions wo;
  wo.host = host_;
  wo.deadline = c_.engineWait;
  auto sleep = [this](std::chrono::milliseconds d) {
    Status engineUp = health_.readiness();
    notifyStatus("waiting for the Docker engine at " + host_ +
                 (engineUp.ok() ? std::string() : ": " + engineUp.message()));
    std::unique_lock<std::mutex> l(mu_);
    clock_.waitFor(l, cv_, d, [this] { return done_; });
  };
  if (!waitForEngine(
           engine_, wo, [this] { return stopping(); }, sleep)
           .ok())
    return;
  notifyStatus("the engine answers; removing instance \"" + o_.instance + "\"'s leftovers");
  CleanupOptions pre;
  pre.trigger = "pre-flight";
  auto cleaned = janitor_.run(pre);
  if (!cleaned.ok()) {
    spdlog::warn("{} (the periodic cleanup will try again)", cleaned.status().message());
  } else if (cleaned->removed.empty() && cleaned->failed.empty()) {
    spdlog::info("pre-flight cleanup: nothing of instance \"{}\" was left behind", o_.instance);
  }
  if (stopping()) return;
  // Admission starts from what the host holds: its memory, and the replicas
  // that already run.
  if (c_.admission.hostMemoryBytes <= 0) {
    auto info = engine_.info();
    if (info.ok() && info->memTotal > 0) admission_.setHostMemory(info->memTotal);
  }
  Status primed = services_.primeAdmission();
  if (!primed.ok())
    spdlog::warn("admission: cannot list the running replicas: {}", primed.ToString());
  spdlog::info("host memory: the total from {}, MemAvailable from {}",
               c_.admission.hostMemoryBytes > 0 ? "--host-memory" : "the engine's info",
               memorySource_.description);
  spdlog::info("admission: {} allocatable ({} reserved by running replicas)",
               formatBytes(admission_.allocatableBytes()), formatBytes(admission_.reservedBytes()));
  Status started = controller_.start();
  if (!started.ok()) {
    spdlog::error("{}", started.message());
    return;
  }
  components_.started("the controller", [this] { controller_.stop(); });
  controller_.enqueue(ResyncReconciler::key());
  informer_.start();
  components_.started("the informer", [this] { informer_.stop(); });
  memory_.start();
  components_.started("the memory sampler", [this] { memory_.stop(); });
  hostMemory_.start();
  components_.started("the host monitor", [this] { hostMemory_.stop(); });
  const ServeConfig live = liveConfig();
  housekeeping_.start(live.cleanupInterval, dataRootToWatch(), live.lowDisk);
  components_.started("housekeeping", [this] { housekeeping_.stop(); });
  evictor_.start();
  components_.started("the evictor", [this] { evictor_.stop(); });
  preflightDone_ = true;
  spdlog::info("tender serve: reconciling");
  notifyStatus("reconciling: engine " + host_ + ", " + std::to_string(c_.workers) + " workers");
}

namespace {

void logReload(const Status& s, const std::string& file, const char* why) {
  if (s.ok()) {
    spdlog::info("--token-file {} re-read ({})", file, why);
  } else {
    spdlog::error("--token-file {} not taken ({}), the tokens in force stay: {}", file, why,
                  s.ToString());
  }
}

}  // namespace

void Server::refreshTokenBudgets() {
  FairShareOptions base = c_.fairShare;
  base.rates.clear();
  fairShare_.setRates(withTokenBudgets(base, tokens_.budgets()).rates);
}

ServeConfig Server::liveConfig() const {
  std::lock_guard<std::mutex> l(liveMu_);
  return liveConfig_;
}

void Server::reloadConfig() {
  auto next = readSettings(flags_);
  if (!next.ok()) {
    spdlog::error("--config {} not taken (SIGHUP), the settings in force stay: {}",
                  flags_.configFile, joined(settingErrors(next.status(), flags_.configFile)));
    return;
  }
  std::vector<std::string> applied, needRestart;
  ServeConfig live;
  {
    std::lock_guard<std::mutex> l(liveMu_);
    for (const std::string& key : changedSettings(liveOptions_, next->options)) {
      (changesAtRunTime(key) ? applied : needRestart).push_back(key);
    }
    liveOptions_ = withRunTimeSettingsOf(liveOptions_, next->options);
    liveConfig_.eviction = next->config.eviction;
    liveConfig_.retention = next->config.retention;
    liveConfig_.cleanupInterval = next->config.cleanupInterval;
    liveConfig_.lowDisk = next->config.lowDisk;
    live = liveConfig_;
  }
  auto changed = [&](const char* key) {
    return std::find(applied.begin(), applied.end(), key) != applied.end();
  };
  // The line saying what changed is logged at the more verbose of the old
  // and the new level: a switch to "error" still says that it happened.
  const auto level = spdlog::level::from_str(next->options.logLevel);
  const bool quieter = changed("logLevel") && level > spdlog::get_level();
  if (changed("logLevel") && !quieter) spdlog::set_level(level);
  if (changed("evictionThreshold") || changed("evictionPriorityFloor") ||
      changed("evictionRecovery")) {
    EvictionConfig e = evictor_.config();
    e.thresholdBytes = live.eviction.thresholdBytes;
    e.priorityFloor = live.eviction.priorityFloor;
    e.recoverAfter = live.eviction.recoverAfter;
    evictor_.setConfig(e);
  }
  if (changed("cleanupInterval") || changed("minFreeDisk"))
    housekeeping_.setSchedule(live.cleanupInterval, live.lowDisk);
  // Retention is read by each pruning pass (schedulePrune).
  if (applied.empty() && needRestart.empty()) {
    spdlog::info("--config {} re-read (SIGHUP): nothing changed", flags_.configFile);
  } else {
    spdlog::info("--config {} re-read (SIGHUP): {}{}{}", flags_.configFile,
                 applied.empty() ? std::string() : "applied " + joined(applied),
                 applied.empty() || needRestart.empty() ? "" : "; ",
                 needRestart.empty() ? std::string()
                                     : "changed but needs a restart: " + joined(needRestart));
  }
  if (quieter) spdlog::set_level(level);
}

int Server::waitForSignal() {
  // SIGHUP, and every two seconds a look at the file's inode, size and time.
  boost::asio::signal_set hup(ioc_, SIGHUP);
  boost::asio::steady_timer poll(ioc_);
  std::function<void()> onHup = [&] {
    hup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      if (!flags_.configFile.empty()) reloadConfig();
      if (!tokens_.file().empty()) {
        Status s = tokens_.reload();
        logReload(s, tokens_.file(), "SIGHUP");
        if (s.ok()) refreshTokenBudgets();
      } else if (flags_.configFile.empty()) {
        spdlog::info("SIGHUP: no --config or --token-file to re-read");
      }
      onHup();
    });
  };
  std::function<void()> onPoll = [&] {
    poll.expires_after(std::chrono::seconds(2));
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      bool reread = false;
      Status s = tokens_.reloadIfChanged(&reread);
      if (reread) logReload(s, tokens_.file(), "it changed");
      if (reread && s.ok()) refreshTokenBudgets();
      onPoll();
    });
  };
  // Always: SIGHUP's default would end the process (systemd's reload sends it).
  onHup();
  if (!tokens_.file().empty()) onPoll();
  int signalled = 0;
  boost::asio::signal_set signals(ioc_, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    std::lock_guard<std::mutex> l(mu_);
    done_ = true;
    signalled = sig;
    cv_.notify_all();
  });
  {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return done_; });
  }
  signals.cancel();
  // The handlers run on the event loop: wait until it has seen the cancels.
  std::promise<void> cancelled;
  boost::asio::post(ioc_, [&] {
    hup.cancel();
    poll.cancel();
    cancelled.set_value();
  });
  cancelled.get_future().wait();
  return signalled;
}

void Server::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    done_ = true;
  }
  cv_.notify_all();
  if (startup_.joinable()) startup_.join();
  components_.stopAll();
}

}  // namespace

int runServe(const ServeOptions& flags) {
  setUpLogging(flags);
  auto settings = readSettings(flags);
  if (!settings.ok()) {
    for (const auto& line : settingErrors(settings.status(), flags.configFile))
      spdlog::error("{}", line);
    return 1;
  }
  const ServeOptions& o = settings->options;
  setUpLogging(o);
  if (!flags.configFile.empty()) spdlog::info("settings read from --config {}", flags.configFile);
  const Result<ServeConfig> config = settings->config;
  std::shared_ptr<TlsContext> tls;
  if (config->tls) {
    auto loaded = loadServerTls(o.tlsCert, o.tlsKey);
    if (!loaded.ok()) {
      spdlog::error("{}", loaded.status().message());
      return 1;
    }
    tls = std::move(*loaded);
  }
  auto lock = StateDirLock::acquire(o.stateDir);
  if (!lock.ok()) {
    spdlog::error("{}", lock.status().message());
    return 1;
  }
  // Before the API listens: no request is ever served without a token.
  auto admin = ensureAdminToken(o.stateDir);
  if (!admin.ok()) {
    spdlog::error("{}", admin.status().message());
    return 1;
  }
  Principal adminPrincipal;
  adminPrincipal.name = kAdminPrincipal;
  adminPrincipal.allNamespaces = true;
  // The tokens as they are now, read once; the server re-reads the file
  // while it runs.
  LiveTokens live(*admin, adminPrincipal, o.tokenFile);
  Status read = live.reload();
  if (!read.ok()) {
    spdlog::error("--token-file: {}", read.ToString());
    return 1;
  }
  RealClock clock;
  const std::string dbPath = o.stateDir + "/tender.db";
  if (int stale = removeStaleBackupCopies(o.stateDir); stale > 0) {
    spdlog::info("removed {} backup copies a stopped server had not sent", stale);
  }
  auto recovered = recoverStoreAtStart(
      dbPath, o.backupDir,
      std::chrono::duration_cast<Millis>(clock.now().time_since_epoch()).count());
  if (!recovered.ok()) {
    spdlog::error("{}", recovered.status().message());
    return 1;
  }
  auto store = Store::open(dbPath, clock);
  if (!store.ok()) {
    spdlog::error("cannot open the store {}: {}", dbPath, store.status().message());
    return 1;
  }
  pruneHistory(**store, config->retention);

  ServeConfig c = *config;
  c.fairShare = withTokenBudgets(c.fairShare, live.budgets());
  for (const auto& [name, rate] : c.fairShare.rates) {
    spdlog::info("token \"{}\" has a request budget of its own: {}", name,
                 rate.unlimited() ? std::string("none")
                                  : formatRate(rate.perSecond) + " requests/s in bursts of " +
                                        formatRate(rate.burst));
  }
  Server server(flags, o, c, **store, live, std::move(tls));
  Status started = server.start();
  if (!started.ok()) {
    spdlog::error("{}", started.message());
    return 1;
  }
  const int signalled = server.waitForSignal();
  notifySystemd("STOPPING=1\nSTATUS=shutting down (signal " + std::to_string(signalled) + ")");
  spdlog::info("tender serve: signal {} received, shutting down", signalled);
  server.stop();
  spdlog::info("tender serve: stopped");
  return 0;
}

}  // namespace tender

// `tender serve`: the only place that wires the real parts together.
#include "cli/serve.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>

#include "api/auth.h"
#include "api/event_watch.h"
#include "api/http_server.h"
#include "api/metrics.h"
#include "api/resource_api.h"
#include "controller/controller.h"
#include "controller/docker_engine_beast.h"
#include "controller/engine_wait.h"
#include "controller/instrumented_engine.h"
#include "controller/informer.h"
#include "controller/scheduler.h"
#include "manifests/manifest.h"
#include "reconcilers/admission.h"
#include "reconcilers/eviction.h"
#include "reconcilers/events.h"
#include "reconcilers/host_monitor.h"
#include "reconcilers/janitor.h"
#include "reconcilers/post_mortem.h"
#include "reconcilers/memory_sampler.h"
#include "reconcilers/prober.h"
#include "reconcilers/resource_reconcilers.h"
#include "reconcilers/service_reconciler.h"
#include "reconcilers/start_gate.h"
#include "store/store.h"

namespace tender {

namespace {

// Watches the engine with short pings, so /readyz answers from memory and
// says why the engine is not answering.
class EngineHealth {
 public:
  EngineHealth(DockerEngine& engine, std::string host) : engine_(engine), host_(std::move(host)) {
    thread_ = std::thread([this] { run(); });
  }
  ~EngineHealth() { stop(); }
  // Stops pinging (before the event loop stops: a ping needs it). The last
  // answer stays readable.
  void stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  Status readiness() const {
    std::lock_guard<std::mutex> l(mu_);
    return status_;
  }
  nlohmann::json versionInfo() const {
    std::lock_guard<std::mutex> l(mu_);
    return version_;
  }

 private:
  void run() {
    bool wasOk = false;
    bool first = true;
    std::unique_lock<std::mutex> l(mu_);
    while (!stop_) {
      l.unlock();
      Status s = engine_.ping();
      nlohmann::json v = nlohmann::json::object();
      if (s.ok() && first) {
        auto ver = engine_.version();
        if (ver.ok()) v = {{"engine", {{"version", ver->version}, {"apiVersion", engine_.apiVersion()}}}};
      }
      l.lock();
      // The first answer (or its absence) is the start-up wait's to report.
      if (s.ok()) {
        if (!wasOk && !first) spdlog::info("the Docker engine at {} answers again (API {})", host_, engine_.apiVersion());
        status_ = Status::Ok();
        if (!v.empty()) {
          version_ = v;
          first = false;
        }
      } else {
        const std::string why = explainEngineProblem(host_, s);
        if (wasOk) spdlog::warn("the Docker engine at {} stopped answering: {}", host_, why);
        first = false;
        status_ = Status::Unavailable(why);
      }
      wasOk = s.ok();
      cv_.wait_for(l, std::chrono::seconds(2), [&] { return stop_; });
    }
  }

  DockerEngine& engine_;
  std::string host_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  Status status_ = Status::Unavailable("the engine has not been reached yet");
  nlohmann::json version_ = nlohmann::json::object();
  std::thread thread_;
};

// Removes this instance's leftovers every `interval`, and early when the
// engine's disk runs low (checked every 30 s when the engine is on this
// machine). Runs on its own thread: a cleanup waits on the engine.
class Housekeeping {
 public:
  Housekeeping(Janitor& janitor, Store& store, Clock& clock, std::string instance)
      : janitor_(janitor), store_(store), clock_(clock), instance_(std::move(instance)) {}
  ~Housekeeping() { stop(); }

  // `dataRoot` "" when the engine's disk is not this machine's to look at.
  void start(std::chrono::milliseconds interval, std::string dataRoot, LowDiskThreshold threshold) {
    interval_ = interval;
    dataRoot_ = std::move(dataRoot);
    threshold_ = threshold;
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    using SteadyClock = std::chrono::steady_clock;
    const auto diskEvery = std::chrono::seconds(30);
    auto nextCleanup = SteadyClock::now() + interval_;
    auto nextDisk = SteadyClock::now();
    auto quietUntil = SteadyClock::now();  // no second low-disk cleanup before this
    std::unique_lock<std::mutex> l(mu_);
    while (!stop_) {
      auto wake = dataRoot_.empty() ? nextCleanup : std::min(nextCleanup, nextDisk);
      if (interval_.count() <= 0 && dataRoot_.empty()) wake = SteadyClock::now() + std::chrono::hours(24);
      cv_.wait_until(l, wake, [&] { return stop_; });
      if (stop_) break;
      l.unlock();
      const auto now = SteadyClock::now();
      if (!dataRoot_.empty() && now >= nextDisk) {
        nextDisk = now + diskEvery;
        auto space = diskSpaceOf(dataRoot_);
        if (space.ok() && diskIsLow(*space, threshold_) && now >= quietUntil) {
          quietUntil = now + std::chrono::minutes(5);
          const std::string message =
              "the engine's disk at " + dataRoot_ + " is low: " + formatBytes(space->freeBytes) + " free of " +
              formatBytes(space->totalBytes) + "; cleaning up now";
          spdlog::warn("{}", message);
          recordEvent(store_, clock_, Key{"Host", "", instance_}, "Warning", "LowDisk", message);
          cleanUp("low-disk");
          auto after = diskSpaceOf(dataRoot_);
          if (after.ok()) spdlog::info("the engine's disk at {} now has {} free", dataRoot_, formatBytes(after->freeBytes));
        }
      }
      if (interval_.count() > 0 && now >= nextCleanup) {
        nextCleanup = now + interval_;
        cleanUp("periodic");
      }
      l.lock();
    }
  }
  void cleanUp(const std::string& trigger) {
    CleanupOptions o;
    o.trigger = trigger;
    auto r = janitor_.run(o);
    if (!r.ok()) spdlog::warn("{}", r.status().message());
  }

  Janitor& janitor_;
  Store& store_;
  Clock& clock_;
  std::string instance_;
  std::chrono::milliseconds interval_{0};
  std::string dataRoot_;
  LowDiskThreshold threshold_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Durations given as flags: an error naming the flag, or the milliseconds.
Result<int64_t> durationFlag(const std::string& flag, const std::string& text) {
  auto ms = parseDurationMs(text);
  if (!ms.ok() || *ms < 0) {
    return Status::Invalid(flag + ": \"" + text + "\" is not a duration (30s, 10m, 1h)");
  }
  return *ms;
}

void setUpLogging(const ServeOptions& o) {
  spdlog::set_level(spdlog::level::from_str(o.logLevel));
  if (o.jsonLogs) {
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})", spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%L%$ %v");
  }
}

}  // namespace

int runServe(const ServeOptions& o) {
  setUpLogging(o);
  RealClock clock;

  std::optional<TokenTable> tokens;
  if (!o.tokenFile.empty()) {
    auto loaded = TokenTable::load(o.tokenFile);
    if (!loaded.ok()) {
      spdlog::error("--token-file: {}", loaded.status().ToString());
      return 1;
    }
    tokens = std::move(*loaded);
  }

  auto lock = StateDirLock::acquire(o.stateDir);
  if (!lock.ok()) {
    spdlog::error("{}", lock.status().message());
    return 1;
  }
  const std::string dbPath = o.stateDir + "/tender.db";
  auto store = Store::open(dbPath, clock);
  if (!store.ok()) {
    spdlog::error("cannot open the store {}: {}", dbPath, store.status().message());
    return 1;
  }

  if (!parseDockerMemory(o.logMaxSize).ok()) {
    spdlog::error("--log-max-size: \"{}\" is not a size (10m, 1g)", o.logMaxSize);
    return 1;
  }
  AdmissionConfig admissionConfig;
  {
    if (!o.hostMemory.empty()) {
      auto bytes = parseMemoryQuantity(o.hostMemory);
      if (!bytes.ok() || *bytes <= 0) {
        spdlog::error("--host-memory: \"{}\" is not a memory size (2Gi, 512Mi)", o.hostMemory);
        return 1;
      }
      admissionConfig.hostMemoryBytes = *bytes;
    }
    auto reservation = parseMemoryQuantity(o.defaultReservation);
    if (!reservation.ok() || *reservation < 0) {
      spdlog::error("--default-reservation: \"{}\" is not a memory size (64Mi)", o.defaultReservation);
      return 1;
    }
    admissionConfig.defaultReservationBytes = *reservation;
    auto reserve = parsePercentage(o.systemReserve);
    if (!reserve.ok()) {
      spdlog::error("--system-reserve: {}", reserve.status().message());
      return 1;
    }
    admissionConfig.systemReserveFraction = *reserve;
    admissionConfig.headroom = o.memoryHeadroom;
  }
  EvictionConfig evictionConfig;
  evictionConfig.priorityFloor = o.evictionPriorityFloor;
  if (!o.evictionThreshold.empty()) {
    auto bytes = parseMemoryQuantity(o.evictionThreshold);
    if (!bytes.ok() || *bytes <= 0) {
      spdlog::error("--eviction-threshold: \"{}\" is not a memory size (512Mi, 2Gi)", o.evictionThreshold);
      return 1;
    }
    evictionConfig.thresholdBytes = *bytes;
  }
  auto recoveryMs = durationFlag("--eviction-recovery", o.evictionRecovery);
  if (!recoveryMs.ok()) {
    spdlog::error("{}", recoveryMs.status().message());
    return 1;
  }
  evictionConfig.recoverAfter = Millis(*recoveryMs);
  auto keepDeletedMs = durationFlag("--keep-deleted", o.keepDeleted);
  auto engineWaitMs = durationFlag("--engine-wait", o.engineWait);
  auto cleanupMs = durationFlag("--cleanup-interval", o.cleanupInterval);
  auto lowDisk = o.minFreeDisk == "0" ? Result<LowDiskThreshold>(LowDiskThreshold{0, 0})
                                      : parseLowDiskThreshold(o.minFreeDisk, "--min-free-disk");
  for (const Status& s : {keepDeletedMs.status(), engineWaitMs.status(), cleanupMs.status(), lowDisk.status()}) {
    if (!s.ok()) {
      spdlog::error("{}", s.message());
      return 1;
    }
  }

  Retention retention;
  retention.deletedGraceMs = *keepDeletedMs;
  retention.eventsPerObject = o.keepEvents;
  retention.terminationsPerReplica = o.keepPostMortems;
  retention.maxEventAgeMs = retention.maxTerminationAgeMs = int64_t{o.keepHistoryDays} * 24 * 3600 * 1000;
  auto pruneHistory = [&store, retention] {
    auto pruned = (*store)->pruneHistory(retention);
    if (!pruned.ok()) {
      spdlog::warn("cannot prune the store's history: {}", pruned.status().ToString());
    } else if (pruned->events + pruned->terminations > 0) {
      spdlog::info("pruned {} events and {} post-mortems from the store ({} pages freed)", pruned->events,
                   pruned->terminations, pruned->freedPages);
    }
  };
  pruneHistory();

  boost::asio::io_context ioc;
  auto work = boost::asio::make_work_guard(ioc);
  std::thread ioThread([&] { ioc.run(); });

  EngineOptions eo;
  eo.host = o.engineHost;
  auto beastEngine = makeBeastDockerEngine(ioc, eo);
  // Every call the controller makes is timed for /metrics.
  auto instrumented = std::make_unique<InstrumentedEngine>(*beastEngine, clock);
  DockerEngine* engine = instrumented.get();
  EngineOptions healthOptions = eo;
  healthOptions.callTimeout = std::chrono::seconds(3);
  auto healthEngine = makeBeastDockerEngine(ioc, healthOptions);
  const std::string host = resolvedEngineHost(eo);

  int startLimit = o.startConcurrency > 0
                       ? o.startConcurrency
                       : 4 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  StartGate gate(startLimit);
  Scheduler scheduler(clock);
  ControllerOptions co;
  co.workers = std::max(1, o.workers);
  Controller controller(clock, co);
  auto enqueue = [&controller](const Key& k) { controller.enqueue(k); };

  MemorySampler memory(*engine, o.instance, std::chrono::seconds(std::max(1, o.memorySampleSeconds)));
  HostMonitor hostMemory(clock);
  ContainerSnapshot snapshot;
  const bool engineIsLocal = resolvedEngineHost(eo).rfind("unix://", 0) == 0;
  AdmissionLedger admission(admissionConfig, [&hostMemory, engineIsLocal]() -> std::optional<int64_t> {
    if (!engineIsLocal) return std::nullopt;  // the engine's host is not this one
    HostMemory m = hostMemory.read();
    if (m.memTotalBytes <= 0) return std::nullopt;
    return m.memAvailableBytes;
  });
  Prober prober(clock, enqueue);
  ServiceReconcilerOptions so;
  so.prober = &prober;
  so.instance = o.instance;
  so.memory = &memory;
  so.host = &hostMemory;
  so.logTailLines = o.postMortemLogLines;
  so.admission = &admission;
  so.snapshot = &snapshot;
  so.logs.maxSize = o.logMaxSize;
  so.logs.maxFile = o.logMaxFile;
  so.enqueue = enqueue;
  ServiceReconciler services(**store, *engine, clock, gate, so);
  NetworkReconciler networks(**store, *engine, clock, o.instance);
  VolumeReconciler volumes(**store, *engine, clock, o.instance);
  NamespaceReconciler namespaces(**store, clock, enqueue, engine, o.instance);
  ResyncReconciler resync(**store, *engine, o.instance, enqueue, &snapshot);
  memory.setOnPressureChange([&controller](const std::string& ns, const std::string& service) {
    controller.enqueue(Key{"Service", ns, service});
  });
  admission.setOnFreed([&controller](const std::string& ns, const std::string& service) {
    controller.enqueue(Key{"Service", ns, service});
  });
  controller.registerReconciler("Service", &services);
  controller.registerReconciler("Network", &networks);
  controller.registerReconciler("Volume", &volumes);
  controller.registerReconciler("Namespace", &namespaces);
  controller.registerReconciler("Resync", &resync);

  Janitor janitor(**store, *engine, clock, o.instance);
  Housekeeping housekeeping(janitor, **store, clock, o.instance);
  std::atomic<bool> preflightDone{false};

  Evictor evictor(
      **store, services,
      [&hostMemory, engineIsLocal]() -> std::optional<HostMemory> {
        if (!engineIsLocal) return std::nullopt;
        return hostMemory.read();
      },
      [&memory] { return memory.snapshot(); }, enqueue, evictionConfig);

  EngineHealth health(*healthEngine, host);
  EventWatchHub watch(**store);
  (*store)->setEventObserver([&watch](int64_t) { watch.notify(); });

  InformerOptions io;
  io.resyncPeriod = std::chrono::seconds(std::max(1, o.resyncSeconds));
  Informer informer(*engine, scheduler, clock, o.instance, enqueue,
                    [&controller] { controller.enqueue(ResyncReconciler::key()); }, io);
  informer.setOnEvent([&services](const EngineEvent& e) { services.noteEngineEvent(e); });
  informer.setOnOutage([&services](WallTime lost, WallTime back) { services.noteEngineOutage(lost, back); });

  Router router;
  ResourceApiOptions ao;
  ao.readiness = [&health, &preflightDone] {
    Status engineUp = health.readiness();
    if (!engineUp.ok()) return engineUp;
    if (!preflightDone) return Status::Unavailable("pre-flight cleanup has not finished");
    return Status::Ok();
  };
  ao.prune = [&janitor](const CleanupOptions& co) -> Result<nlohmann::json> {
    auto r = janitor.run(co);
    if (!r.ok()) return r.status();
    return r->toJson();
  };
  ao.versionInfo = [&health] { return health.versionInfo(); };
  ao.enqueue = enqueue;
  ao.planService = [&services](const Resource& r) { return services.dryRun(r); };
  ao.restartService = [&services](const Key& k) { services.requestRestart(k); };
  ao.serviceLogs = [engine, instance = o.instance](const Key& k, int tail) {
    return serviceLogs(*engine, instance, k, tail);
  };
  ao.watch = &watch;
  registerResourceApi(router, **store, clock, ao);
  if (tokens) {
    router.setAuthenticator([&tokens](const HttpRequest& req) { return tokens->authenticate(req); });
  }
  // Eviction settings, readable and changeable while tender runs.
  auto mayConfigure = [](const HttpRequest& req) -> std::optional<HttpResponse> {
    if (req.principal && !req.principal->allNamespaces) {
      return HttpResponse::Error(Status::Forbidden("token \"" + req.principal->name +
                                                   "\" may not configure eviction: it needs all namespaces (\"*\")"));
    }
    return std::nullopt;
  };
  router.add("GET", "/api/v1/eviction", [&](const HttpRequest& req) {
    if (auto refused = mayConfigure(req)) return *refused;
    return HttpResponse::Json(200, evictor.describe());
  });
  router.add("PUT", "/api/v1/eviction", [&](const HttpRequest& req) {
    if (auto refused = mayConfigure(req)) return *refused;
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return HttpResponse::Error(Status::Invalid("the body is not a JSON object: send {\"threshold\": \"2Gi\"}"));
    }
    EvictionConfig c = evictor.config();
    std::vector<FieldError> errors;
    for (auto& [k, v] : body.items()) {
      if (k == "threshold") {
        auto bytes = v.is_string() ? (v.get<std::string>().empty() ? Result<int64_t>(int64_t{0})
                                                                    : parseMemoryQuantity(v.get<std::string>()))
                                   : Result<int64_t>(Status::Invalid("not a string"));
        if (!bytes.ok() || *bytes < 0) {
          errors.push_back({"threshold", v.dump() + " is not a memory size (\"2Gi\"; \"\" for the default)"});
        } else {
          c.thresholdBytes = *bytes;
        }
      } else if (k == "priorityFloor") {
        if (!v.is_number_integer()) {
          errors.push_back({"priorityFloor", v.dump() + " is not an integer"});
        } else {
          c.priorityFloor = v.get<int>();
        }
      } else if (k == "recoverAfter") {
        auto ms = v.is_string() ? parseDurationMs(v.get<std::string>()) : Result<int64_t>(Status::Invalid("x"));
        if (!ms.ok() || *ms < 0) {
          errors.push_back({"recoverAfter", v.dump() + " is not a duration (\"30s\")"});
        } else {
          c.recoverAfter = Millis(*ms);
        }
      } else {
        errors.push_back({k, "unknown field (threshold, priorityFloor, recoverAfter)"});
      }
    }
    if (!errors.empty()) return HttpResponse::Error(Status::Invalid("the eviction settings are invalid", errors));
    evictor.setConfig(c);
    spdlog::info("eviction settings changed: threshold {}, priority floor {}, recovery {} ms",
                 c.thresholdBytes > 0 ? formatBytes(c.thresholdBytes) : std::string("the default"), c.priorityFloor,
                 c.recoverAfter.count());
    return HttpResponse::Json(200, evictor.describe());
  });
  router.add("GET", "/metrics", [&](const HttpRequest& req) {
    // Metrics name every namespace: only a token for all of them reads them.
    if (req.principal && !req.principal->allNamespaces) {
      return HttpResponse::Error(Status::Forbidden("token \"" + req.principal->name +
                                                   "\" may not read /metrics: it needs all namespaces (\"*\")"));
    }
    MetricsSnapshot m;
    auto services = (*store)->list("Service", std::nullopt);
    if (services.ok()) {
      for (const auto& r : *services) {
        m.servicesByPhase[r.status.value("phase", std::string("Pending"))]++;
        m.restarts[{r.namespace_, r.name}] = r.status.value("restartCount", int64_t{0});
      }
    }
    m.controller = controller.metrics();
    m.eventStreamReconnects = informer.reconnects();
    m.engineUp = health.readiness().ok();
    m.engineCalls = instrumented->snapshot();
    m.memory = memory.snapshot();
    m.watchers = watch.watchers();
    nlohmann::json ledger = admission.snapshot();
    m.allocatableBytes = ledger.value("allocatable", int64_t{0});
    for (auto& [ns, bytes] : ledger["namespaces"].items()) m.reservedBytes[ns] = bytes.get<int64_t>();
    return HttpResponse::Text(200, renderMetrics(m), "text/plain; version=0.0.4; charset=utf-8");
  });
  HttpServerOptions ho;
  ho.listen = o.listen;
  ho.maxBodyBytes = o.maxBodyBytes;
  HttpServer server(ioc, router, ho);
  // Whatever calls the engine stops before the loop its calls need.
  auto stopLoop = [&] {
    evictor.stop();
    housekeeping.stop();
    memory.stop();
    hostMemory.stop();
    health.stop();
    work.reset();
    ioc.stop();
    ioThread.join();
  };
  Status listening = server.start();
  if (!listening.ok()) {
    spdlog::error("{}", listening.message());
    stopLoop();
    return 1;
  }
  if (!tokens && !server.localOnly()) {
    spdlog::error("refusing to serve the API without tokens on an address other hosts can reach; "
                  "listen on 127.0.0.1, ::1 or unix:/path, or give --token-file");
    server.stop();
    stopLoop();
    return 1;
  }
  if (tokens) {
    spdlog::info("API requires bearer tokens: {} loaded from {}", tokens->size(), o.tokenFile);
  } else {
    spdlog::warn("API is unauthenticated (no --token-file): it listens on local addresses only");
  }

  std::string listenList;
  for (const auto& l : o.listen) listenList += (listenList.empty() ? "" : ", ") + l;
  spdlog::info("tender serve: listening on {}, state in {}, instance \"{}\", engine {}, {} workers, "
               "{} concurrent starts",
               listenList, o.stateDir, o.instance, host, co.workers, startLimit);

  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int signalled = 0;

  // Pre-flight, off the main thread so a signal still stops tender while it
  // waits: the engine, then this instance's leftovers, then the first
  // reconcile. The API answers meanwhile (/readyz says what is awaited).
  std::thread startup([&] {
    EngineWaitOptions wo;
    wo.host = host;
    wo.deadline = std::chrono::milliseconds(*engineWaitMs);
    auto stopping = [&] {
      std::lock_guard<std::mutex> l(mu);
      return done;
    };
    auto sleep = [&](std::chrono::milliseconds d) {
      std::unique_lock<std::mutex> l(mu);
      cv.wait_for(l, d, [&] { return done; });
    };
    if (!waitForEngine(*engine, wo, stopping, sleep).ok()) return;
    CleanupOptions pre;
    pre.trigger = "pre-flight";
    auto cleaned = janitor.run(pre);
    if (!cleaned.ok()) {
      spdlog::warn("{} (the periodic cleanup will try again)", cleaned.status().message());
    } else if (cleaned->removed.empty() && cleaned->failed.empty()) {
      spdlog::info("pre-flight cleanup: nothing of instance \"{}\" was left behind", o.instance);
    }
    if (stopping()) return;
    // Admission starts from what the host holds: its memory, and the
    // replicas that already run.
    if (admissionConfig.hostMemoryBytes <= 0) {
      auto info = engine->info();
      if (info.ok() && info->memTotal > 0) admission.setHostMemory(info->memTotal);
    }
    Status primed = services.primeAdmission();
    if (!primed.ok()) spdlog::warn("admission: cannot list the running replicas: {}", primed.ToString());
    spdlog::info("admission: {} allocatable ({} reserved by running replicas)",
                 formatBytes(admission.allocatableBytes()), formatBytes(admission.reservedBytes()));
    Status started = controller.start();
    if (!started.ok()) {
      spdlog::error("{}", started.message());
      return;
    }
    controller.enqueue(ResyncReconciler::key());
    informer.start();
    memory.start();
    hostMemory.start();
    // Housekeeping looks at the engine's disk only when that disk is this
    // machine's (a unix socket) and its data root can be seen from here.
    std::string dataRoot;
    if (host.rfind("unix://", 0) == 0) {
      auto info = engine->info();
      if (info.ok() && !info->dockerRootDir.empty() && diskSpaceOf(info->dockerRootDir).ok()) {
        dataRoot = info->dockerRootDir;
      }
    }
    housekeeping.start(std::chrono::milliseconds(*cleanupMs), dataRoot, *lowDisk);
    evictor.start();
    preflightDone = true;
    spdlog::info("tender serve: reconciling");
  });
  // The history stays bounded for as long as tender runs.
  std::function<void()> prunePeriodically = [&] {
    pruneHistory();
    scheduler.schedule(std::chrono::minutes(10), prunePeriodically);
  };
  scheduler.schedule(std::chrono::minutes(10), prunePeriodically);
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    std::lock_guard<std::mutex> l(mu);
    done = true;
    signalled = sig;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return done; });
  }
  spdlog::info("tender serve: signal {} received, shutting down", signalled);
  startup.join();
  server.stop();
  (*store)->setEventObserver({});
  watch.stop();
  informer.stop();
  controller.stop();
  prober.stop();
  scheduler.shutDown();
  signals.cancel();
  stopLoop();
  spdlog::info("tender serve: stopped");
  return 0;
}

}  // namespace tender

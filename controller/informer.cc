// Informer: the engine's events stream as work-queue keys, with reconnects,
// pings and periodic resyncs on the Scheduler (controller/informer.h).
#include "controller/informer.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdio>
#include <exception>
#include <optional>
#include <set>
#include <utility>

#include "engine/labels.h"

namespace tender {

namespace {

std::string labelOf(const Labels& labels, const char* name) {
  auto it = labels.find(name);
  return it == labels.end() ? std::string() : it->second;
}

// The service a container (or its event) belongs to, if it is one of ours.
std::optional<Key> serviceKey(const Labels& labels, const std::string& instance) {
  if (!ownedBy(labels, instance)) return std::nullopt;
  std::string ns = labelOf(labels, kLabelNamespace);
  std::string service = labelOf(labels, kLabelService);
  if (ns.empty() || service.empty()) return std::nullopt;
  return Key{"Service", std::move(ns), std::move(service)};
}

}  // namespace

struct Informer::Life {
  std::mutex mu;
  std::condition_variable idle;
  int inFlight = 0;
  bool stopped = false;

  // Runs fn unless the informer is stopped; stop() waits for a run in progress.
  // Exceptions from the owner's callbacks stop here: they must not unwind
  // into the engine's event loop or the scheduler.
  template <typename Fn>
  static void guarded(const std::shared_ptr<Life>& life, Fn&& fn) {
    {
      std::lock_guard<std::mutex> l(life->mu);
      if (life->stopped) return;
      ++life->inFlight;
    }
    try {
      fn();
    } catch (const std::exception& e) {
      spdlog::error("informer callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("informer callback threw a non-standard exception");
    }
    std::lock_guard<std::mutex> l(life->mu);
    if (--life->inFlight == 0) life->idle.notify_all();
  }
};

Informer::Informer(DockerEngine& engine, Scheduler& scheduler, Clock& clock, std::string instance,
                   KeyCallback onKey, ResyncCallback onResync, InformerOptions options)
    : engine_(engine),
      scheduler_(scheduler),
      clock_(clock),
      instance_(std::move(instance)),
      onKey_(std::move(onKey)),
      onResync_(std::move(onResync)),
      options_(options),
      life_(std::make_shared<Life>()),
      backoff_(options.reconnectInitial, options.reconnectMax) {}

Informer::~Informer() { stop(); }

Filters Informer::eventFilters(const std::string& instance) {
  Filters f = ownedFilters(instance);
  f["type"] = {"container"};
  f["event"] = {"create", "start", "die", "oom", "kill", "stop", "destroy", "health_status"};
  return f;
}

std::string Informer::formatSince(int64_t timeNano) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%lld.%09lld", static_cast<long long>(timeNano / 1'000'000'000),
                static_cast<long long>(timeNano % 1'000'000'000));
  return buf;
}

void Informer::setOnEvent(EventCallback onEvent) {
  std::lock_guard<std::mutex> l(mu_);
  onEvent_ = std::move(onEvent);
}

void Informer::setOnOutage(OutageCallback onOutage) {
  std::lock_guard<std::mutex> l(mu_);
  onOutage_ = std::move(onOutage);
}

void Informer::start() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (started_ || stopped_) return;
    started_ = true;
    scheduleResyncLocked();
    schedulePingLocked();
  }
  Life::guarded(life_, [this] { connect(); });
}

void Informer::stop() {
  std::unique_ptr<EngineStream> stream;
  TimerId timers[3];
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_) return;
    stopped_ = true;
    stream = std::move(stream_);
    timers[0] = reconnectTimer_;
    timers[1] = pingTimer_;
    timers[2] = resyncTimer_;
    reconnectTimer_ = pingTimer_ = resyncTimer_ = 0;
    liveGeneration_ = 0;
    connected_ = false;
  }
  {
    std::lock_guard<std::mutex> l(life_->mu);
    life_->stopped = true;
  }
  for (TimerId id : timers) {
    if (id != 0) scheduler_.cancel(id);
  }
  if (stream) stream->cancel();
  {
    std::unique_lock<std::mutex> l(life_->mu);
    life_->idle.wait(l, [this] { return life_->inFlight == 0; });
  }
}

void Informer::connect() {
  uint64_t generation;
  std::string since;
  std::unique_ptr<EngineStream> ended;
  {
    std::lock_guard<std::mutex> l(mu_);
    reconnectTimer_ = 0;
    if (stopped_ || liveGeneration_ != 0) return;
    generation = ++generation_;  // callbacks of any earlier stream are stale from now on
    ended = std::move(stream_);
    if (lastTimeNano_ > 0) since = formatSince(lastTimeNano_);
  }
  ended.reset();  // not inside its own callback, so it can be destroyed here

  const Status ping = engine_.ping();
  if (!ping.ok()) {
    std::lock_guard<std::mutex> l(mu_);
    if (lostAt_) unreachable_ = true;
    spdlog::warn("docker engine unreachable, events stream not opened: {}", ping.ToString());
    scheduleReconnectLocked();
    return;
  }

  std::shared_ptr<Life> life = life_;
  EventStreamCallbacks callbacks;
  callbacks.onEvent = [this, life, generation](const EngineEvent& event) {
    Life::guarded(life, [&] { onStreamEvent(generation, event); });
  };
  callbacks.onEnd = [this, life, generation](const Status& status) {
    Life::guarded(life, [&] { onStreamEnd(generation, status); });
  };
  std::unique_ptr<EngineStream> stream =
      engine_.streamEvents(eventFilters(instance_), since, std::move(callbacks));
  std::optional<std::pair<WallTime, WallTime>> outage;
  OutageCallback onOutage;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!stopped_) {
      if (!stream) {
        spdlog::warn("docker engine returned no events stream");
        scheduleReconnectLocked();
        return;
      }
      stream_ = std::move(stream);
      // A stream that ended before streamEvents() returned is not connected;
      // onStreamEnd has already scheduled the retry.
      if (endedGeneration_ == generation) return;
      liveGeneration_ = generation;
      connectedAt_ = clock_.monotonic();
      connected_ = true;
      if (everConnected_) ++reconnects_;
      everConnected_ = true;
      if (lostAt_ && unreachable_) {
        outage.emplace(*lostAt_, clock_.now());
        onOutage = onOutage_;
      }
      lostAt_.reset();
      unreachable_ = false;
      spdlog::info("watching docker events{}", since.empty() ? "" : " since " + since);
    }
  }
  if (stream) {  // stop() ran meanwhile and never saw this stream
    stream->cancel();
    return;
  }
  if (outage && onOutage) {
    spdlog::info("docker engine was unreachable for {} ms",
                 std::chrono::duration_cast<Millis>(outage->second - outage->first).count());
    onOutage(outage->first, outage->second);
  }
  resync();
}

void Informer::resync() {
  // One list for the whole resync, made by its handler: listing here too
  // would look at every service twice.
  if (onResync_) onResync_();
}

void Informer::onStreamEvent(uint64_t generation, const EngineEvent& event) {
  EventCallback onEvent;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_ || generation != generation_) return;
    if (event.timeNano > 0) {
      // After a reconnect the engine replays from `since` on, the last event
      // seen included.
      if (event.timeNano < lastTimeNano_ ||
          (event.timeNano == lastTimeNano_ && event.id == lastId_ && event.action == lastAction_)) {
        return;
      }
      lastTimeNano_ = event.timeNano;
      lastId_ = event.id;
      lastAction_ = event.action;
    }
    onEvent = onEvent_;
  }
  if (event.type != "container") return;
  auto key = serviceKey(event.attributes, instance_);
  if (!key) return;
  // What the event says is noted before the key is queued, so the pass it
  // starts can use it.
  if (onEvent) onEvent(event);
  onKey_(*key);
  const bool ended = event.action == "die" || event.action == "oom" || event.action == "stop" ||
                     event.action == "kill";
  if (ended) {
    std::shared_ptr<Life> life = life_;
    for (Millis delay : options_.settleDelays) {
      scheduler_.schedule(delay, [this, life, k = *key] { Life::guarded(life, [this, &k] { onKey_(k); }); });
    }
  }
}

void Informer::onStreamEnd(uint64_t generation, const Status& status) {
  std::lock_guard<std::mutex> l(mu_);
  if (stopped_ || generation != generation_) return;
  endedGeneration_ = generation;
  if (liveGeneration_ == generation) {
    if (!lostAt_) lostAt_ = clock_.now();
    if (clock_.monotonic() - connectedAt_ >= options_.healthyAfter) backoff_.reset();
    liveGeneration_ = 0;
  }
  connected_ = false;
  if (status.ok()) {
    spdlog::info("docker events stream closed by the engine; reconnecting");
  } else {
    spdlog::warn("docker events stream failed: {}; reconnecting", status.ToString());
  }
  scheduleReconnectLocked();
}

void Informer::ping() {
  uint64_t generation;
  {
    std::lock_guard<std::mutex> l(mu_);
    pingTimer_ = 0;
    if (stopped_) return;
    generation = liveGeneration_;
    if (generation == 0) {  // reconnecting: connect() pings anyway
      schedulePingLocked();
      return;
    }
  }
  const Status status = engine_.ping();
  std::unique_ptr<EngineStream> silent;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_) return;
    if (!status.ok() && liveGeneration_ == generation) {
      spdlog::warn("docker engine stopped answering pings ({}); reopening the events stream",
                   status.ToString());
      if (clock_.monotonic() - connectedAt_ >= options_.healthyAfter) backoff_.reset();
      silent = std::move(stream_);
      if (!lostAt_) lostAt_ = clock_.now();
      unreachable_ = true;
      liveGeneration_ = 0;
      ++generation_;  // whatever the old stream still delivers is stale
      connected_ = false;
      scheduleReconnectLocked();
    }
    schedulePingLocked();
  }
  if (silent) silent->cancel();
}

void Informer::periodicResync() {
  {
    std::lock_guard<std::mutex> l(mu_);
    resyncTimer_ = 0;
    if (stopped_) return;
  }
  resync();
  std::lock_guard<std::mutex> l(mu_);
  scheduleResyncLocked();
}

void Informer::scheduleReconnectLocked() {
  if (stopped_ || reconnectTimer_ != 0) return;
  const Millis delay = backoff_.next();
  spdlog::debug("reconnecting to docker events in {} ms", delay.count());
  std::shared_ptr<Life> life = life_;
  reconnectTimer_ =
      scheduler_.schedule(delay, [this, life] { Life::guarded(life, [this] { connect(); }); });
}

void Informer::schedulePingLocked() {
  if (stopped_ || options_.pingInterval.count() <= 0 || pingTimer_ != 0) return;
  std::shared_ptr<Life> life = life_;
  pingTimer_ = scheduler_.schedule(options_.pingInterval,
                                   [this, life] { Life::guarded(life, [this] { ping(); }); });
}

void Informer::scheduleResyncLocked() {
  if (stopped_ || options_.resyncPeriod.count() <= 0 || resyncTimer_ != 0) return;
  std::shared_ptr<Life> life = life_;
  resyncTimer_ = scheduler_.schedule(
      options_.resyncPeriod, [this, life] { Life::guarded(life, [this] { periodicResync(); }); });
}

}  // namespace tender

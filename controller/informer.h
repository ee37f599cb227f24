// Informer: turns the engine's /events stream into keys for the work queue.
//
// It subscribes to the container events that matter (create, start, die, oom,
// kill, stop, destroy, health_status) of containers labelled
// tender.managed=true and tender.instance=<instance>, and for each one that
// names a service (labels tender.namespace and tender.service) calls
// onKey(Key{"Service", ns, service}) and then the optional onEvent hook.
// Events are hints, the container list is the truth: after every connection
// it calls onResync(), as it does every `resyncPeriod`, and the resync lists
// this instance's containers once and looks at every service found (so
// leftovers of deleted services get reconciled too). The engine replays only
// its last 256 events and drops events to slow readers, hence the relist.
//
// When the stream ends or breaks, or a periodic ping fails (a frozen engine
// keeps its stream open but silent), it reconnects with exponential backoff,
// asking for events since the last one seen. Replayed events already seen are
// skipped.
//
// Threads: the first connection attempt runs on the thread calling start();
// reconnects, pings and resyncs run on the Scheduler (see scheduler.h), and
// events arrive on the engine's event-loop thread. So onKey, onResync and
// onEvent may be called from any of these threads, and none of them runs once
// stop() has returned. They must be cheap and must not block (enqueueing a key
// is fine).
//
// Thread-safety: all methods are safe from any thread, but stop() and the
// destructor must not be called from inside the callbacks.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/backoff.h"
#include "base/clock.h"
#include "engine/docker_engine.h"
#include "controller/reconciler.h"
#include "controller/scheduler.h"

namespace tender {

struct InformerOptions {
  Millis resyncPeriod{std::chrono::seconds(30)};  // 0 disables the periodic resync
  Millis pingInterval{std::chrono::seconds(10)};  // 0 disables the liveness ping
  Millis reconnectInitial{100};
  Millis reconnectMax{std::chrono::seconds(5)};
  // A stream that stayed up this long resets the reconnect backoff.
  Millis healthyAfter{std::chrono::seconds(30)};
  // A container's end ("die", "oom", "stop", "kill") is sent again after
  // each of these delays: the engine emits "die" before its container list
  // shows the container stopped, so a pass run at once can still see it
  // running. A second, later look covers an engine slow to catch up.
  std::vector<Millis> settleDelays{Millis(100), Millis(1000)};
};

class Informer {
 public:
  using KeyCallback = std::function<void(const Key&)>;
  using ResyncCallback = std::function<void()>;
  using EventCallback = std::function<void(const EngineEvent&)>;

  // `engine`, `scheduler` and `clock` must outlive the informer.
  Informer(DockerEngine& engine, Scheduler& scheduler, Clock& clock, std::string instance,
           KeyCallback onKey, ResyncCallback onResync, InformerOptions options = {});
  ~Informer();  // stop()
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Called with every event that produced a key, before onKey.
  // REQUIRES: before start().
  void setOnEvent(EventCallback onEvent);

  // Called when the stream is back after the engine was unreachable (its
  // stream ended and at least one ping failed: most likely it restarted),
  // with the time the stream was lost and the time it came back, before
  // the resync. Deaths in between are the engine's doing.
  // REQUIRES: before start().
  using OutageCallback = std::function<void(WallTime lost, WallTime back)>;
  void setOnOutage(OutageCallback onOutage);

  // Connects (one attempt on the calling thread; failures are retried on the
  // scheduler) and starts the periodic timers. Once only.
  void start();
  // Cancels the stream and the timers, and waits for a callback in progress
  // (an engine call in progress is bounded by its deadline). Idempotent.
  void stop();

  // True while an event stream is open and the last ping succeeded.
  bool connected() const { return connected_.load(); }
  // Streams opened after the first one.
  uint64_t reconnects() const { return reconnects_.load(); }

  // The filters the informer subscribes with.
  static Filters eventFilters(const std::string& instance);
  // "<seconds>.<nanoseconds>" with 9 digits of nanoseconds, as /events?since= wants.
  static std::string formatSince(int64_t timeNano);

 private:
  // What timer and stream callbacks check before touching the informer; they
  // share it, so a callback that starts after stop() sees `stopped` safely.
  struct Life;

  void connect();
  void resync();
  void onStreamEvent(uint64_t generation, const EngineEvent& event);
  void onStreamEnd(uint64_t generation, const Status& status);
  void ping();
  void periodicResync();
  // REQUIRES: mu_ held.
  void scheduleReconnectLocked();
  void schedulePingLocked();
  void scheduleResyncLocked();

  DockerEngine& engine_;
  Scheduler& scheduler_;
  Clock& clock_;
  const std::string instance_;
  const KeyCallback onKey_;
  const ResyncCallback onResync_;
  EventCallback onEvent_;
  const InformerOptions options_;

  std::shared_ptr<Life> life_;

  mutable std::mutex mu_;  // guards the members below
  bool started_ = false;
  bool stopped_ = false;
  uint64_t generation_ = 0;       // one per connection attempt; stale callbacks are ignored
  uint64_t liveGeneration_ = 0;   // the attempt whose stream is open, 0 if none
  uint64_t endedGeneration_ = 0;  // the last attempt whose stream ended
  std::unique_ptr<EngineStream> stream_;
  MonoTime connectedAt_{};
  bool everConnected_ = false;
  std::optional<WallTime> lostAt_;  // when a live stream ended, until it is back
  bool unreachable_ = false;        // a ping failed since then
  OutageCallback onOutage_;
  ExponentialBackoff backoff_;
  TimerId reconnectTimer_ = 0;
  TimerId pingTimer_ = 0;
  TimerId resyncTimer_ = 0;
  // The last event seen: where a reconnect resumes, and how replays are spotted.
  int64_t lastTimeNano_ = 0;
  std::string lastId_;
  std::string lastAction_;

  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> reconnects_{0};
};

}  // namespace tender

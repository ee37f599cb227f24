#include "api/log_follow.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "api/container_replicas.h"
#include "base/time_format.h"

namespace tender {

bool followGoesOn(bool stored, bool deleting, const std::string& phase) {
  if (!stored || deleting) return false;
  return phase != "Stopped" && phase != "Completed" && phase != "Failed";
}

namespace {

// Where a container's stream starts again: after the last line sent.
std::string sinceAfter(const TimedLogLine& last) {
  if (last.time.empty()) return "";
  auto t = parseRfc3339(last.time);
  return t ? engineTime(*t) : "";
}

class LogFollow : public std::enable_shared_from_this<LogFollow> {
 public:
  LogFollow(std::shared_ptr<StreamSink> sink, bool timestamps, FollowScope scope)
      : sink_(std::move(sink)), timestamps_(timestamps), scope_(std::move(scope)) {}

  void start(std::vector<FollowedContainer> containers, EventWatchHub* hub) {
    std::vector<FollowedContainer> running;
    {
      std::lock_guard<std::mutex> l(mu_);
      for (FollowedContainer& c : containers) {
        if (c.running) running.push_back(c);
        known_[c.id] = std::make_shared<Known>(Known{c, false, c.last});
      }
    }
    if (hub) rescans_ = hub->add(std::make_shared<Nudges>(weak_from_this()),
                                 EventQuery{scope_.ns, std::string("Service"), scope_.name}, true,
                                 std::nullopt)
                            .ok();
    if (rescans_) std::thread([self = shared_from_this()] { self->lookWhenNudged(); }).detach();
    for (FollowedContainer& c : running) open(c.id);
    bool done = false;
    {
      std::lock_guard<std::mutex> l(mu_);
      done = open_ == 0 && !rescans_;
    }
    if (done) finish();
  }

 private:
  struct Known {
    FollowedContainer c;  // c.last: lines up to it were sent (cleared once past)
    bool open = false;
    TimedLogLine lastSent;  // where a stream opened again starts
  };

  // The hub's side: every write is an event of the service or a heartbeat,
  // each a reason to look again; false once the follow is over, which
  // drops the watcher.
  class Nudges : public StreamSink {
   public:
    explicit Nudges(std::weak_ptr<LogFollow> follow) : follow_(std::move(follow)) {}
    bool write(std::string) override {
      auto f = follow_.lock();
      return f && f->nudge();
    }
    void end() override {}
    bool closed() const override {
      auto f = follow_.lock();
      return !f || f->over();
    }

   private:
    std::weak_ptr<LogFollow> follow_;
  };

  bool over() {
    std::lock_guard<std::mutex> l(mu_);
    return closed_;
  }

  bool nudge() {
    std::lock_guard<std::mutex> l(mu_);
    if (closed_) return false;
    lookWanted_ = true;
    cv_.notify_all();
    return true;
  }

  // The looker's thread: a look per nudge, until the follow is over.
  void lookWhenNudged() {
    while (true) {
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return lookWanted_ || closed_; });
        if (closed_) return;
        lookWanted_ = false;
      }
      if (sink_->closed()) return close();
      look();
    }
  }

  // Follows each running container not followed; ends the follow when none
  // is and the service will run none.
  void look() {
    auto replicas = replicasOf(*scope_.engine, scope_.instance, scope_.ns, scope_.name, scope_.replica);
    if (!replicas.ok()) {
      spdlog::debug("log follow of {}/{}: {}", scope_.ns, scope_.name, replicas.status().ToString());
      return;
    }
    for (const Replica& r : *replicas) {
      if (r.container.state != "running") continue;
      {
        std::lock_guard<std::mutex> l(mu_);
        auto it = known_.find(r.container.id);
        if (it != known_.end() && it->second->open) continue;
        if (it == known_.end()) {
          auto info = scope_.engine->inspectContainer(r.container.id);
          if (!info.ok()) continue;
          FollowedContainer c;
          c.id = r.container.id;
          c.tty = info->tty;
          c.prefix = replicaPrefix(scope_.name, r.index);
          known_[c.id] = std::make_shared<Known>(Known{c, false, {}});
        } else {
          // Restarted in place: its log holds the earlier runs' lines too.
          it->second->c.last = it->second->lastSent;
          it->second->c.since = sinceAfter(it->second->lastSent);
        }
      }
      open(r.container.id);
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      if (open_ > 0 || closed_) return;
    }
    auto rec = scope_.store->get("Service", scope_.ns, scope_.name);
    const bool stored = rec.ok();
    const std::string phase = stored ? rec->status.value("phase", std::string()) : "";
    if (!followGoesOn(stored, stored && rec->deletedAt.has_value(), phase)) finish();
  }

  void open(const std::string& id) {
    std::shared_ptr<Known> k;
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = known_.find(id);
      if (closed_ || it == known_.end() || it->second->open) return;
      k = it->second;
      k->open = true;
      ++open_;
    }
    auto self = shared_from_this();
    LogOptions lo;
    lo.timestamps = true;
    lo.since = k->c.since;
    LogStreamCallbacks cb;
    cb.onLine = [self, k](const LogLine& line) { self->line(*k, line); };
    cb.onEnd = [self, k](const Status&) { self->streamEnded(*k); };
    std::unique_ptr<EngineStream> stream = scope_.engine->followLogs(id, k->c.tty, lo, std::move(cb));
    std::vector<std::unique_ptr<EngineStream>> drop;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (auto it = streams_.find(id); it != streams_.end()) drop.push_back(std::move(it->second));
      streams_[id] = std::move(stream);
      if (closed_) drop = takeStreamsLocked();
    }
    cancel(std::move(drop));
  }

  // On the engine's loop: one container's line.
  void line(Known& k, const LogLine& raw) {
    TimedLogLine l = splitTimestamp(raw.text);
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (closed_) return;
      if (!k.c.last.time.empty() && !writtenBefore(k.c.last, l)) return;  // sent already
      k.c.last.time.clear();  // past the overlap
      k.lastSent = l;
    }
    if (!sink_->write(renderLogLine(k.c.prefix, l, timestamps_))) close();
  }

  // On the engine's loop, in the ended stream's callback (its stream stays
  // in streams_ until it is replaced or the follow closes).
  void streamEnded(Known& k) {
    bool done = false;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!k.open) return;
      k.open = false;
      --open_;
      if (open_ > 0 || closed_) return;
      if (rescans_) {
        lookWanted_ = true;  // whether the service runs again: a look now, and at its next event
        cv_.notify_all();
      } else {
        done = true;
      }
    }
    if (done) finish();
  }

  void close() {
    std::vector<std::unique_ptr<EngineStream>> streams;
    {
      std::lock_guard<std::mutex> l(mu_);
      closed_ = true;
      cv_.notify_all();
      streams = takeStreamsLocked();
    }
    cancel(std::move(streams));
  }

  void finish() {
    std::vector<std::unique_ptr<EngineStream>> streams;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (closed_) return;
      closed_ = true;
      cv_.notify_all();
      streams = takeStreamsLocked();
    }
    sink_->end();
    cancel(std::move(streams));
  }

  // REQUIRES: mu_ held.
  std::vector<std::unique_ptr<EngineStream>> takeStreamsLocked() {
    std::vector<std::unique_ptr<EngineStream>> streams;
    for (auto& [id, s] : streams_) streams.push_back(std::move(s));
    streams_.clear();
    return streams;
  }

  // Never with mu_ held: a stream's cancel() waits for its running
  // callback, which may be waiting for mu_. A stream whose callback is
  // the caller may be cancelled (its lock is recursive).
  static void cancel(std::vector<std::unique_ptr<EngineStream>> streams) {
    for (auto& s : streams) s->cancel();
  }

  std::shared_ptr<StreamSink> sink_;
  const bool timestamps_;
  const FollowScope scope_;
  bool rescans_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  bool lookWanted_ = false;
  bool closed_ = false;
  size_t open_ = 0;
  std::map<std::string, std::shared_ptr<Known>> known_;
  std::map<std::string, std::unique_ptr<EngineStream>> streams_;
};

}  // namespace

void followServiceLogs(std::shared_ptr<StreamSink> sink, bool timestamps, FollowScope scope,
                       std::vector<FollowedContainer> containers, EventWatchHub* hub) {
  auto follow = std::make_shared<LogFollow>(std::move(sink), timestamps, std::move(scope));
  follow->start(std::move(containers), hub);
}

}  // namespace tender

// EventWatchHub (event_watch.h): the watchers of the event stream, each fed
// the events after its resume point, then every new one.

#include "api/event_watch.h"

#include <spdlog/spdlog.h>

#include "base/time_format.h"

namespace tender {

nlohmann::json eventJson(const EventRecord& e) {
  nlohmann::json involved = {{"kind", e.kind}, {"name", e.name}};
  if (!e.namespace_.empty()) involved["namespace"] = e.namespace_;
  nlohmann::json out = {{"id", e.id},
                        {"time", formatRfc3339Millis(e.time)},
                        {"type", e.type},
                        {"reason", e.reason},
                        {"involvedObject", involved},
                        {"message", e.message}};
  if (!e.data.empty()) out["data"] = e.data;
  return out;
}

std::string eventNamespace(const EventRecord& e) { return e.kind == "Namespace" ? e.name : e.namespace_; }

namespace {

constexpr int kPage = 500;

std::string line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

EventWatchHub::EventWatchHub(Store& store, Clock& clock, WatchOptions options)
    : store_(store), clock_(clock), options_(options) {
  thread_ = std::thread([this] { run(); });
}

EventWatchHub::~EventWatchHub() { stop(); }

void EventWatchHub::notify() {
  {
    std::lock_guard<std::mutex> l(mu_);
    pending_ = true;
  }
  cv_.notify_all();
}

Status EventWatchHub::add(std::shared_ptr<StreamSink> sink, EventQuery filter, bool fromNow,
                          std::optional<Principal> principal) {
  if (fromNow) {
    // Everything after the newest event now stored.
    EventQuery newest;
    newest.latest = true;
    newest.limit = 1;
    auto last = store_.events(newest);
    if (!last.ok()) return last.status();
    filter.sinceId = last->empty() ? 0 : last->back().id;
  }
  auto w = std::make_shared<Watcher>();
  w->sink = std::move(sink);
  w->filter = std::move(filter);
  w->principal = std::move(principal);
  w->lastSent = clock_.monotonic();
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_) return Status::Unavailable("the server is stopping");
    if (count_ >= options_.maxWatchers) {
      return Status::Unavailable("too many watchers (" + std::to_string(options_.maxWatchers) + "); try again later");
    }
    ++count_;
    incoming_.push_back(std::move(w));
    pending_ = true;
  }
  cv_.notify_all();
  return Status::Ok();
}

size_t EventWatchHub::watchers() const {
  std::lock_guard<std::mutex> l(mu_);
  return count_;
}

bool EventWatchHub::full() const {
  std::lock_guard<std::mutex> l(mu_);
  return count_ >= options_.maxWatchers;
}

void EventWatchHub::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_ && !thread_.joinable()) return;
    stopped_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool EventWatchHub::matches(const Watcher& w, const EventRecord& e) const {
  if (w.filter.namespace_ && e.namespace_ != *w.filter.namespace_) return false;
  if (w.filter.kind && e.kind != *w.filter.kind) return false;
  if (w.filter.name && e.name != *w.filter.name) return false;
  if (w.principal && !w.principal->mayUse(eventNamespace(e))) return false;
  return true;
}

bool EventWatchHub::deliver(Watcher& w, const std::vector<EventRecord>& events) {
  std::string out;
  int64_t last = w.filter.sinceId;
  for (const EventRecord& e : events) {
    if (e.id <= w.filter.sinceId) continue;
    last = e.id;
    if (!matches(w, e)) continue;
    nlohmann::json j = eventJson(e);
    j["kind"] = "Event";
    out += line(j);
  }
  w.filter.sinceId = last;
  if (out.empty()) return !w.sink->closed();
  w.lastSent = clock_.monotonic();
  return w.sink->write(std::move(out));
}

bool EventWatchHub::catchUp(Watcher& w, int64_t upTo) {
  while (w.filter.sinceId < upTo) {
    EventQuery q = w.filter;
    q.latest = false;
    q.limit = kPage;
    auto page = store_.events(q);
    if (!page.ok()) {
      spdlog::warn("watch: cannot read events: {}", page.status().ToString());
      return true;  // try again on the next round
    }
    std::vector<EventRecord>& events = *page;
    while (!events.empty() && events.back().id > upTo) events.pop_back();
    if (events.empty()) {
      w.filter.sinceId = upTo;
      break;
    }
    if (!deliver(w, events)) return false;
    if (static_cast<int>(page->size()) < kPage) {
      w.filter.sinceId = upTo;
      break;
    }
  }
  return true;
}

void EventWatchHub::run() {
  std::vector<std::shared_ptr<Watcher>> watchers;
  // The newest event the hub has read; every watcher is caught up to it.
  int64_t hubLast = 0;
  {
    EventQuery newest;
    newest.latest = true;
    newest.limit = 1;
    auto last = store_.events(newest);
    if (last.ok() && !last->empty()) hubLast = last->back().id;
  }
  std::unique_lock<std::mutex> l(mu_);
  while (!stopped_) {
    clock_.waitFor(l, cv_, options_.poll, [&] { return stopped_ || pending_; });
    if (stopped_) break;
    pending_ = false;
    for (auto& w : incoming_) watchers.push_back(std::move(w));
    incoming_.clear();
    l.unlock();

    // New events, read once for everyone.
    std::vector<EventRecord> fresh;
    if (!watchers.empty()) {
      while (true) {
        EventQuery q;
        q.sinceId = hubLast;
        q.limit = kPage;
        auto page = store_.events(q);
        if (!page.ok()) {
          spdlog::warn("watch: cannot read events: {}", page.status().ToString());
          break;
        }
        const bool full = static_cast<int>(page->size()) == kPage;
        for (auto& e : *page) fresh.push_back(std::move(e));
        if (!fresh.empty()) hubLast = fresh.back().id;
        if (!full) break;
      }
    }
    const int64_t before = fresh.empty() ? hubLast : fresh.front().id - 1;
    const MonoTime now = clock_.monotonic();
    size_t gone = 0;
    for (auto it = watchers.begin(); it != watchers.end();) {
      Watcher& w = **it;
      bool alive = catchUp(w, before) && deliver(w, fresh);
      if (alive && w.filter.sinceId < hubLast) w.filter.sinceId = hubLast;
      if (alive && now - w.lastSent >= options_.heartbeat) {
        nlohmann::json hb = {{"kind", "Heartbeat"},
                             {"time", formatRfc3339Millis(clock_.nowMillis())},
                             {"lastEventId", w.filter.sinceId}};
        alive = w.sink->write(line(hb));
        w.lastSent = now;
      }
      if (alive) {
        ++it;
      } else {
        ++gone;
        it = watchers.erase(it);
      }
    }
    l.lock();
    count_ -= gone;
  }
  l.unlock();
  for (auto& w : watchers) w->sink->end();
  std::lock_guard<std::mutex> relock(mu_);
  for (auto& w : incoming_) w->sink->end();
  incoming_.clear();
  count_ = 0;
}

}  // namespace tender

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
    : WatchHub(clock, options), store_(store) {
  start();
}

EventWatchHub::~EventWatchHub() { stop(); }

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
  auto w = std::make_shared<EventWatcher>();
  w->sink = std::move(sink);
  w->filter = std::move(filter);
  w->principal = std::move(principal);
  return admit(std::move(w));
}

bool EventWatchHub::matches(const EventWatcher& w, const EventRecord& e) const {
  if (w.filter.namespace_ && e.namespace_ != *w.filter.namespace_) return false;
  if (w.filter.kind && e.kind != *w.filter.kind) return false;
  if (w.filter.name && e.name != *w.filter.name) return false;
  if (w.principal && !w.principal->mayUse(eventNamespace(e))) return false;
  return true;
}

bool EventWatchHub::deliver(EventWatcher& w, const std::vector<EventRecord>& events) {
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
  return send(w, std::move(out));
}

bool EventWatchHub::catchUp(EventWatcher& w, int64_t upTo) {
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

void EventWatchHub::beforeRounds() {
  EventQuery newest;
  newest.latest = true;
  newest.limit = 1;
  auto last = store_.events(newest);
  if (last.ok() && !last->empty()) hubLast_ = last->back().id;
}

void EventWatchHub::beginRound(bool anyWatchers) {
  // New events, read once for everyone.
  fresh_.clear();
  if (!anyWatchers) return;
  while (true) {
    EventQuery q;
    q.sinceId = hubLast_;
    q.limit = kPage;
    auto page = store_.events(q);
    if (!page.ok()) {
      spdlog::warn("watch: cannot read events: {}", page.status().ToString());
      break;
    }
    const bool full = static_cast<int>(page->size()) == kPage;
    for (auto& e : *page) fresh_.push_back(std::move(e));
    if (!fresh_.empty()) hubLast_ = fresh_.back().id;
    if (!full) break;
  }
}

bool EventWatchHub::serve(Watcher& base) {
  auto& w = static_cast<EventWatcher&>(base);
  const int64_t before = fresh_.empty() ? hubLast_ : fresh_.front().id - 1;
  bool alive = catchUp(w, before) && deliver(w, fresh_);
  if (alive && w.filter.sinceId < hubLast_) w.filter.sinceId = hubLast_;
  return alive;
}

std::string EventWatchHub::heartbeatLine(const Watcher& base) {
  const auto& w = static_cast<const EventWatcher&>(base);
  return line({{"kind", "Heartbeat"},
               {"time", formatRfc3339Millis(clock_.nowMillis())},
               {"lastEventId", w.filter.sinceId}});
}

}  // namespace tender

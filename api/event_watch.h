// EventWatchHub: the live side of GET /api/v1/events?watch=true.
//
// Each watcher gets the events after the id it resumes from, then every new
// one as it is appended, as newline-delimited JSON written to its stream:
//
//   {"kind":"Event","id":41,"time":"...","type":"Warning","reason":"Died",...}
//   {"kind":"Heartbeat","time":"...","lastEventId":41}
//
// A heartbeat line goes out whenever a watcher has been sent nothing for the
// heartbeat interval, so idle clients and proxies keep the connection, and a
// watcher whose client has gone is noticed and dropped by that time at the
// latest.
//
// One thread serves every watcher (api/watch_hub.h): it wakes when the
// store says an event was appended (Store::setEventObserver -> notify()) or
// at the poll interval, reads the new events once, and hands each watcher
// those that match it.
//
// Thread-safety: all public methods from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/router.h"
#include "api/watch_hub.h"
#include "base/clock.h"
#include "store/store.h"

namespace tender {

// Events are read at least every `poll` even without a notify().
using WatchOptions = WatchHubOptions;

// The API's view of an event (as in an EventList): id, time, type, reason,
// involvedObject, message.
nlohmann::json eventJson(const EventRecord& e);

// The namespace an event belongs to: a Namespace's own name for events about
// namespaces, the object's namespace otherwise.
std::string eventNamespace(const EventRecord& e);

class EventWatchHub : public WatchHub {
 public:
  EventWatchHub(Store& store, Clock& clock, WatchOptions options = {});
  ~EventWatchHub() override;

  // Starts a watcher: events matching `filter` (namespace, kind, name) with
  // id > filter.sinceId, or, when `fromNow`, only those appended from now on.
  // `principal`, when set, limits it to the namespaces it may use.
  // Unavailable when the hub is full or stopped.
  Status add(std::shared_ptr<StreamSink> sink, EventQuery filter, bool fromNow,
             std::optional<Principal> principal);

 private:
  struct EventWatcher : Watcher {
    EventQuery filter;
    std::optional<Principal> principal;
  };

  void beforeRounds() override;
  void beginRound(bool anyWatchers) override;
  bool serve(Watcher& w) override;
  std::string heartbeatLine(const Watcher& w) override;

  bool matches(const EventWatcher& w, const EventRecord& e) const;
  // Sends `events` (ascending ids) that match and are newer than the
  // watcher's last; false when its client has gone.
  bool deliver(EventWatcher& w, const std::vector<EventRecord>& events);
  // Reads what a watcher missed before `upTo` (its resume point is behind
  // the hub's): false when its client has gone.
  bool catchUp(EventWatcher& w, int64_t upTo);

  Store& store_;
  // On the hub's thread: the newest event read (every watcher is caught up
  // to it), and this round's new events.
  int64_t hubLast_ = 0;
  std::vector<EventRecord> fresh_;
};

}  // namespace tender

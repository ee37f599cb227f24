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
// One thread serves every watcher: it wakes when the store says an event was
// appended (Store::setEventObserver -> notify()) or at the poll interval,
// reads the new events once, and hands each watcher those that match it.
//
// Thread-safety: all public methods from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/router.h"
#include "base/clock.h"
#include "store/store.h"

namespace tender {

struct WatchOptions {
  std::chrono::milliseconds heartbeat{10'000};
  // Events are read at least this often even without a notify().
  std::chrono::milliseconds poll{1'000};
  size_t maxWatchers = 256;
};

// The API's view of an event (as in an EventList): id, time, type, reason,
// involvedObject, message.
nlohmann::json eventJson(const EventRecord& e);

// The namespace an event belongs to: a Namespace's own name for events about
// namespaces, the object's namespace otherwise.
std::string eventNamespace(const EventRecord& e);

class EventWatchHub {
 public:
  EventWatchHub(Store& store, Clock& clock, WatchOptions options = {});
  ~EventWatchHub();
  EventWatchHub(const EventWatchHub&) = delete;
  EventWatchHub& operator=(const EventWatchHub&) = delete;

  // Wakes the hub: an event was appended.
  void notify();

  // Starts a watcher: events matching `filter` (namespace, kind, name) with
  // id > filter.sinceId, or, when `fromNow`, only those appended from now on.
  // `principal`, when set, limits it to the namespaces it may use.
  // Unavailable when the hub is full or stopped.
  Status add(std::shared_ptr<StreamSink> sink, EventQuery filter, bool fromNow,
             std::optional<Principal> principal);

  size_t watchers() const;
  // Whether add() would be refused for want of room.
  bool full() const;

  // Ends every stream and stops the thread. Idempotent.
  void stop();

 private:
  struct Watcher {
    std::shared_ptr<StreamSink> sink;
    EventQuery filter;
    std::optional<Principal> principal;
    MonoTime lastSent;
  };

  void run();
  bool matches(const Watcher& w, const EventRecord& e) const;
  // Sends `events` (ascending ids) that match and are newer than the
  // watcher's last; false when its client has gone.
  bool deliver(Watcher& w, const std::vector<EventRecord>& events);
  // Reads what a watcher missed before `upTo` (its resume point is behind
  // the hub's): false when its client has gone.
  bool catchUp(Watcher& w, int64_t upTo);

  Store& store_;
  Clock& clock_;
  const WatchOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  bool pending_ = false;                       // a notify() not yet handled
  std::vector<std::shared_ptr<Watcher>> incoming_;  // added, not yet served
  size_t count_ = 0;                           // watchers, incoming included
  std::thread thread_;
};

}  // namespace tender

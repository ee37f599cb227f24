// ObjectWatchHub: the live side of GET .../services?watch=true (and of the
// other kinds' lists): each watcher is sent the objects its list holds, then
// a line whenever one of them changes (its status included), appears or
// goes, as newline-delimited JSON:
//
//   {"type":"ADDED","object":{...}}      the list's objects first, then new ones
//   {"type":"SYNCED"}                    after the first list: what follows is change
//   {"type":"MODIFIED","object":{...}}
//   {"type":"DELETED","object":{...}}
//   {"type":"HEARTBEAT"}                 when nothing was sent for the heartbeat interval
//
// One thread serves every watcher (api/watch_hub.h): it looks at
// Store::resourceWrites() every poll interval and, when the store was
// written, lists each watcher's objects again and sends what differs from
// what it sent last.
//
// Thread-safety: all public methods from any thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/label_selector.h"
#include "api/router.h"
#include "api/watch_hub.h"
#include "base/clock.h"
#include "store/store.h"

namespace tender {

struct ObjectWatchOptions : WatchHubOptions {
  ObjectWatchOptions() { poll = std::chrono::milliseconds(200); }
};

// What one watcher follows: a kind's objects, in one namespace or (nullopt)
// every one its principal may use, matching a label selector.
struct ObjectWatchQuery {
  std::string kind;  // "Service", "Network", "Volume", "Namespace"
  std::optional<std::string> ns;
  LabelSelector selector;
  std::optional<Principal> principal;
};

class ObjectWatchHub : public WatchHub {
 public:
  ObjectWatchHub(Store& store, Clock& clock, ObjectWatchOptions options = {});
  ~ObjectWatchHub() override;

  // Starts a watcher. Unavailable when the hub is full or stopped.
  Status add(std::shared_ptr<StreamSink> sink, ObjectWatchQuery query);

 private:
  struct ObjectWatcher : Watcher {
    ObjectWatchQuery query;
    bool synced = false;
    std::map<std::string, std::string> sent;  // "ns/name" -> the object's JSON as sent
  };

  void beginRound(bool anyWatchers) override;
  bool serve(Watcher& w) override;
  std::string heartbeatLine(const Watcher& w) override;
  // Sends what changed for `w`; false when its client has gone.
  bool refresh(ObjectWatcher& w);

  Store& store_;
  // On the hub's thread: the store's resourceWrites() at the last round,
  // and whether this round's differs.
  int64_t seen_ = -1;
  bool changed_ = false;
};

}  // namespace tender

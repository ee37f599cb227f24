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
// One thread serves every watcher: it looks at Store::resourceWrites() every
// poll interval and, when the store was written, lists each watcher's
// objects again and sends what differs from what it sent last.
//
// Thread-safety: all public methods from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/label_selector.h"
#include "api/router.h"
#include "base/clock.h"
#include "store/store.h"

namespace tender {

struct ObjectWatchOptions {
  std::chrono::milliseconds poll{200};
  std::chrono::milliseconds heartbeat{10'000};
  size_t maxWatchers = 256;
};

// What one watcher follows: a kind's objects, in one namespace or (nullopt)
// every one its principal may use, matching a label selector.
struct ObjectWatchQuery {
  std::string kind;  // "Service", "Network", "Volume", "Namespace"
  std::optional<std::string> ns;
  LabelSelector selector;
  std::optional<Principal> principal;
};

class ObjectWatchHub {
 public:
  ObjectWatchHub(Store& store, Clock& clock, ObjectWatchOptions options = {});
  ~ObjectWatchHub();
  ObjectWatchHub(const ObjectWatchHub&) = delete;
  ObjectWatchHub& operator=(const ObjectWatchHub&) = delete;

  // Starts a watcher. Unavailable when the hub is full or stopped.
  Status add(std::shared_ptr<StreamSink> sink, ObjectWatchQuery query);

  size_t watchers() const;
  bool full() const;

  // Ends every stream and stops the thread. Idempotent.
  void stop();

 private:
  struct Watcher {
    std::shared_ptr<StreamSink> sink;
    ObjectWatchQuery query;
    bool synced = false;
    std::map<std::string, std::string> sent;  // "ns/name" -> the object's JSON as sent
    MonoTime lastSent;
  };

  void run();
  // Sends what changed for `w`; false when its client has gone.
  bool refresh(Watcher& w);

  Store& store_;
  Clock& clock_;
  const ObjectWatchOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::vector<std::shared_ptr<Watcher>> incoming_;
  size_t count_ = 0;
  std::thread thread_;
};

}  // namespace tender

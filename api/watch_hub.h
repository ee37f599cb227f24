// WatchHub: what the API's two watch hubs share (EventWatchHub for
// /api/v1/events?watch=true, ObjectWatchHub for the lists' ?watch=true).
// Each serves its watchers, each a stream, from one thread of its own:
//  - watchers are added from any thread, up to a cap, and refused once the
//    hub has stopped;
//  - the thread runs rounds, woken by notify() or a new watcher, and at the
//    poll interval anyway; a round reads what is new once for everyone
//    (beginRound), then gives each watcher its share (serve);
//  - a watcher sent nothing for the heartbeat interval is sent its feed's
//    heartbeat line, so idle clients and proxies keep the connection and a
//    client that has gone is noticed by then;
//  - a watcher whose client has gone is dropped; stop() ends every stream.
//
// A feed is a subclass: it says what a round reads, what a watcher is sent
// and what its heartbeat says. Its destructor must call stop() (the thread
// calls its functions).
//
// Thread-safety: the public functions from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/router.h"
#include "base/clock.h"
#include "base/status.h"

namespace tender {

struct WatchHubOptions {
  std::chrono::milliseconds poll{1'000};
  std::chrono::milliseconds heartbeat{10'000};
  size_t maxWatchers = 256;
};

class WatchHub {
 public:
  virtual ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Wakes the hub for a round now.
  void notify();
  size_t watchers() const;
  // Whether a new watcher would be refused for want of room.
  bool full() const;
  // Ends every stream and stops the thread. Idempotent.
  void stop();

 protected:
  // One watcher, as a feed extends it.
  struct Watcher {
    virtual ~Watcher() = default;
    std::shared_ptr<StreamSink> sink;
    MonoTime lastSent{};
  };

  WatchHub(Clock& clock, WatchHubOptions options);
  // Starts the thread: the last step of a feed's constructor.
  void start();
  // Takes `w` (its sink set) into the next round. Unavailable when the hub
  // is full or stopped.
  Status admit(std::shared_ptr<Watcher> w);

  // On the hub's thread, once before the first round.
  virtual void beforeRounds() {}
  // On the hub's thread, once per round before the watchers are served.
  virtual void beginRound(bool anyWatchers) = 0;
  // Sends `w` what this round has for it; false once its client has gone.
  // A fresh watcher is served in its first round too.
  virtual bool serve(Watcher& w) = 0;
  virtual std::string heartbeatLine(const Watcher& w) = 0;

  // Writes `data` to the watcher's stream, noting when (an empty `data`
  // writes nothing): false once its client has gone.
  bool send(Watcher& w, std::string data);

  Clock& clock_;
  const WatchHubOptions options_;

 private:
  void run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  bool pending_ = false;                            // a round is asked for
  std::vector<std::shared_ptr<Watcher>> incoming_;  // admitted, not yet served
  size_t count_ = 0;                                // watchers, incoming included
  std::thread thread_;
};

}  // namespace tender

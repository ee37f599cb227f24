// The live half of GET .../services/{name}/logs?follow=true: one engine
// stream per running container, each line written to the response as it
// arrives (so in time order across replicas, to the engine's delivery).
//
// With the event hub, a follow outlives its containers' runs, as `docker
// compose logs -f` does: each event of the service (a restart in place, a
// recreation, a scale-up, a death) and each of the hub's heartbeats makes
// it look at the service's containers again, on a thread of its own, and
// follow those that run and are not followed (a restarted one from the
// last line already sent, a new one from its first). It ends when no
// stream is open and the service is gone, being deleted, stopped
// (replicas 0), completed or failed for good (followGoesOn), or when the
// client goes away. Without the hub it ends when the first containers'
// streams have all ended.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/event_watch.h"
#include "api/log_query.h"
#include "api/router.h"
#include "engine/docker_engine.h"
#include "store/store.h"

namespace tender {

// One container a follow knows, as the backlog left it.
struct FollowedContainer {
  std::string id;
  bool tty = false;
  std::string prefix;  // "web.0 | "
  TimedLogLine last;   // the last line already sent ("" time: none)
  std::string since;   // where its stream starts, the engine's form
  bool running = false;
};

// Whose containers a follow looks for.
struct FollowScope {
  DockerEngine* engine = nullptr;
  Store* store = nullptr;
  std::string instance;
  std::string ns;
  std::string name;
  int replica = -1;  // >= 0: that replica only
};

// Starts the follow; returns at once. `hub` may be null.
void followServiceLogs(std::shared_ptr<StreamSink> sink, bool timestamps, FollowScope scope,
                       std::vector<FollowedContainer> containers, EventWatchHub* hub);

// Whether a follow with no stream open waits for the service's next run:
// the service is stored, not being deleted, and its phase may still run a
// container (not Stopped, Completed or Failed).
bool followGoesOn(bool stored, bool deleting, const std::string& phase);

}  // namespace tender

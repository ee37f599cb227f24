// Post-mortems: what a container's death was, told from the facts gathered
// when it was noticed (the engine's inspect, an `oom` event, the kernel's
// OOM count, tender's own stop, the last memory sample, the host's memory).
//
// Pure functions; the reconciler gathers the facts and stores the record.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/docker_engine.h"
#include "reconcilers/host_monitor.h"
#include "reconcilers/memory_sampler.h"
#include "store/store.h"

namespace tender {

struct DeathFacts {
  std::string ns, service;
  int replica = -1;
  ContainerInfo info;            // inspected after the death
  bool oomEvent = false;         // the engine sent `oom` for the container during this run
  bool hostOomKill = false;      // the kernel's oom_kill count rose as it died
  std::string killedByTender;    // why tender stopped it ("" when it did not)
  std::string evicted;           // why tender evicted it under memory pressure ("" when it did not)
  bool unhealthy = false;        // tender restarted it for failing its health check
  bool engineRestart = false;    // the engine's own restart stopped it
  std::optional<ContainerMemory> memory;  // its last sample while running
  std::optional<HostMemory> host;
};

// Facts tender writes down about a container's run as they happen
// (Store::mergeContainerFacts), so that the reason of its death survives a
// restart of tender: {"oomAt": ms of an `oom` event, "stop": {"by", "why"}}.
// A stop is written before tender asks the engine for it.
inline constexpr const char kStopKilled[] = "Killed";        // replaced, removed, restarted
inline constexpr const char kStopUnhealthy[] = "Unhealthy";  // failed its health check
inline constexpr const char kStopEvicted[] = "Evicted";      // memory pressure
nlohmann::json oomFact(WallTime at);
nlohmann::json stopFact(const std::string& by, const std::string& why);
// The patch that takes a stop back (the engine refused it).
nlohmann::json noStopFact();
// Reads the recorded facts of the run that started at `startedAt` into `f`:
// an `oom` heard during this run (or within a second before its start, as
// the clocks disagree), and the stop tender made.
void addRecordedFacts(const nlohmann::json& recorded, std::optional<WallTime> startedAt, DeathFacts& f);

// The reason, in this order: EngineRestart, Evicted, Killed (by tender), Unhealthy,
// OOMKilled (the inspect flag, an oom event, or — for a 137 — the host's OOM
// killer), Completed (exit 0), Error.
TerminationRecord postMortem(const DeathFacts& facts);

// "SIGKILL" for 9; "signal 42" when unnamed.
std::string signalName(int signal);

// One line for events and messages: "exited with code 137 (SIGKILL):
// OOMKilled: the container reached its memory limit of 8.0MiB".
std::string deathSummary(const TerminationRecord& t);

// The API's view: exitCode, signal, reason, message, startedAt, finishedAt,
// ranSeconds, oomKilled, logs, memory, host (what is known).
nlohmann::json terminationJson(const TerminationRecord& t);

}  // namespace tender

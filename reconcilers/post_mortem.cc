// Post-mortems (post_mortem.h): a death's reason and record from its facts,
// and the facts tender writes down as a run goes.

#include "reconcilers/post_mortem.h"

#include <chrono>
#include <cstdio>

#include "base/byte_format.h"
#include "base/time_format.h"

namespace tender {
namespace {

int64_t toMillis(WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// A start time of a container that never started is year 1.
int64_t millisOf(const std::string& rfc3339) {
  auto t = parseRfc3339(rfc3339);
  if (!t) return 0;
  int64_t ms = toMillis(*t);
  return ms > 0 ? ms : 0;
}

}  // namespace

std::string signalName(int signal) {
  switch (signal) {
    case 1: return "SIGHUP";
    case 2: return "SIGINT";
    case 3: return "SIGQUIT";
    case 4: return "SIGILL";
    case 6: return "SIGABRT";
    case 7: return "SIGBUS";
    case 8: return "SIGFPE";
    case 9: return "SIGKILL";
    case 11: return "SIGSEGV";
    case 13: return "SIGPIPE";
    case 14: return "SIGALRM";
    case 15: return "SIGTERM";
  }
  return "signal " + std::to_string(signal);
}

nlohmann::json oomFact(WallTime at) { return {{"oomAt", toMillis(at)}}; }

nlohmann::json stopFact(const std::string& by, const std::string& why) {
  return {{"stop", {{"by", by}, {"why", why}}}};
}

nlohmann::json noStopFact() { return {{"stop", nullptr}}; }

void addRecordedFacts(const nlohmann::json& recorded, std::optional<WallTime> startedAt, DeathFacts& f) {
  if (!recorded.is_object()) return;
  auto oom = recorded.find("oomAt");
  if (oom != recorded.end() && oom->is_number_integer()) {
    const WallTime at{std::chrono::milliseconds(oom->get<int64_t>())};
    if (!startedAt || at >= *startedAt - std::chrono::seconds(1)) f.oomEvent = true;
  }
  auto stop = recorded.find("stop");
  if (stop == recorded.end() || !stop->is_object()) return;
  const std::string by = stop->value("by", "");
  const std::string why = stop->value("why", "");
  if (by == kStopKilled) f.killedByTender = why.empty() ? "stopped" : why;
  if (by == kStopEvicted) f.evicted = why.empty() ? "memory pressure" : why;
  if (by == kStopUnhealthy) f.unhealthy = true;
}

TerminationRecord postMortem(const DeathFacts& f) {
  TerminationRecord t;
  t.namespace_ = f.ns;
  t.service = f.service;
  t.replica = f.replica;
  t.containerId = f.info.id;
  t.startedAt = millisOf(f.info.state.startedAt);
  t.finishedAt = millisOf(f.info.state.finishedAt);
  t.exitCode = f.info.state.exitCode;
  nlohmann::json& d = t.data;
  // Shells and Docker report death by signal N as 128 + N.
  if (t.exitCode > 128 && t.exitCode < 160) d["signal"] = signalName(t.exitCode - 128);
  const bool oom = f.info.state.oomKilled || f.oomEvent;
  d["oomKilled"] = oom || (f.hostOomKill && t.exitCode == 137);
  if (t.startedAt > 0 && t.finishedAt >= t.startedAt) d["ranSeconds"] = (t.finishedAt - t.startedAt) / 1000.0;
  if (!f.info.state.error.empty()) d["engineError"] = f.info.state.error;
  if (f.memory) {
    d["memory"] = {{"usedBytes", f.memory->bytes}};
    if (f.memory->limitBytes > 0) d["memory"]["limitBytes"] = f.memory->limitBytes;
  }
  if (f.info.memoryLimit > 0) d["memoryLimitBytes"] = f.info.memoryLimit;
  if (f.host) d["host"] = f.host->toJson();

  std::string message;
  if (f.engineRestart) {
    t.reason = "EngineRestart";
    message = "stopped by the restart of the Docker engine";
  } else if (!f.evicted.empty()) {
    t.reason = "Evicted";
    message = "evicted by tender: " + f.evicted;
  } else if (!f.killedByTender.empty()) {
    t.reason = "Killed";
    message = "stopped by tender: " + f.killedByTender;
  } else if (f.unhealthy) {
    t.reason = "Unhealthy";
    message = "restarted by tender: its health check kept failing";
  } else if (oom) {
    t.reason = "OOMKilled";
    message = f.info.memoryLimit > 0
                  ? "killed by the kernel's OOM killer: the container reached its memory limit of " +
                        formatBytes(f.info.memoryLimit)
                  : "killed by the kernel's OOM killer";
  } else if (f.hostOomKill && t.exitCode == 137) {
    t.reason = "OOMKilled";
    d["hostOomKill"] = true;
    message = "killed by the host's OOM killer: the machine ran short of memory";
    if (f.host && f.host->memAvailableBytes > 0) {
      message += " (MemAvailable " + formatBytes(f.host->memAvailableBytes) + " after)";
    }
  } else if (t.exitCode == 0) {
    t.reason = "Completed";
    message = "exited with code 0";
  } else {
    t.reason = "Error";
    message = d.contains("signal") ? "killed by " + d["signal"].get<std::string>() + " (exit code " +
                                         std::to_string(t.exitCode) + ")"
                                   : "exited with code " + std::to_string(t.exitCode);
  }
  d["message"] = message;
  return t;
}

std::string deathSummary(const TerminationRecord& t) {
  std::string s = "replica " + std::to_string(t.replica) + " exited with code " + std::to_string(t.exitCode);
  if (t.data.contains("signal")) s += " (" + t.data["signal"].get<std::string>() + ")";
  s += ": " + t.reason;
  if (t.data.contains("message") && t.reason != "Completed" && t.reason != "Error") {
    s += ": " + t.data["message"].get<std::string>();
  }
  if (t.data.contains("ranSeconds")) {
    char buf[48];
    std::snprintf(buf, sizeof buf, " after %.1fs", t.data["ranSeconds"].get<double>());
    s += buf;
  }
  return s;
}

nlohmann::json terminationJson(const TerminationRecord& t) {
  nlohmann::json j = {{"exitCode", t.exitCode},
                      {"reason", t.reason},
                      {"containerId", t.containerId},
                      {"finishedAt", formatRfc3339Precise(t.finishedAt)}};
  if (t.startedAt > 0) j["startedAt"] = formatRfc3339Precise(t.startedAt);
  for (const char* key : {"signal", "message", "oomKilled", "hostOomKill", "ranSeconds", "logs", "memory",
                          "memoryLimitBytes", "host", "engineError"}) {
    if (t.data.contains(key)) j[key] = t.data[key];
  }
  return j;
}

}  // namespace tender

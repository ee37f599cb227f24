// HostMonitor: the host's memory, as the kernel reports it, for post-mortems
// (and admission): MemAvailable and MemTotal (/proc/meminfo), memory pressure
// (/proc/pressure/memory, when the kernel has PSI) and the kernel's count of
// OOM kills (/proc/vmstat oom_kill).
//
// A container killed by the host's own OOM killer (no limit of its own, the
// whole machine short of memory) dies with 137 and OOMKilled=false, like any
// SIGKILL. What tells it apart is the kernel's oom_kill count rising at that
// moment: the monitor samples the count every second and keeps two minutes
// of history, so a death can be checked against it afterwards.
//
// Thread-safety: all methods from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/clock.h"

namespace tender {

struct HostMemory {
  int64_t memTotalBytes = 0;
  int64_t memAvailableBytes = 0;
  // "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" etc., as the kernel
  // writes them; empty without PSI.
  std::string pressureSome, pressureFull;
  std::optional<int64_t> oomKills;  // /proc/vmstat oom_kill; absent on old kernels

  nlohmann::json toJson() const;
};

class HostMonitor {
 public:
  // `procRoot` is "/proc" (a test gives a folder of its own). `clock` dates
  // the samples and must outlive the monitor.
  HostMonitor(Clock& clock, std::string procRoot = "/proc",
              std::chrono::milliseconds period = std::chrono::seconds(1));
  ~HostMonitor();
  HostMonitor(const HostMonitor&) = delete;
  HostMonitor& operator=(const HostMonitor&) = delete;

  // Samples every period on a thread of its own, until stop().
  void start();
  void stop();

  // Reads the files now.
  HostMemory read() const;
  // Reads and remembers the oom_kill count (the thread does this).
  void sample();

  // Whether the kernel's oom_kill count rose between the last sample taken
  // at or before `at - before` and the first taken at or after `at + after`
  // (the newest one when none is that late yet). False without the counter
  // or without samples on both sides.
  bool oomKillAround(WallTime at, std::chrono::milliseconds before = std::chrono::seconds(2),
                     std::chrono::milliseconds after = std::chrono::seconds(1)) const;

 private:
  void run();

  Clock& clock_;
  const std::string root_;
  const std::chrono::milliseconds period_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::deque<std::pair<WallTime, int64_t>> oomHistory_;
  std::thread thread_;
};

}  // namespace tender

// MemorySampler: how much memory each running container of this instance
// uses, sampled in the background so GET /metrics answers from memory.
//
// Every period it lists the instance's running containers (one call) and
// asks each for one stats sample (one-shot, so a call does not wait out the
// engine's usual one-second pair of readings).
//
// Thread-safety: snapshot() from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <functional>
#include <mutex>
#include <set>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "engine/docker_engine.h"

namespace tender {

struct ContainerMemory {
  std::string ns, service, container;
  std::string containerId;
  int64_t bytes = 0;
  int64_t limitBytes = 0;
};

// Whether a sample is above 90% of its container's memory limit.
bool nearMemoryLimit(const ContainerMemory& m);

class MemorySampler {
 public:
  // `engine` must outlive this (or its stop()).
  MemorySampler(DockerEngine& engine, Clock& clock, std::string instance,
                std::chrono::milliseconds period = std::chrono::seconds(15));
  ~MemorySampler();

  // Samples at once, then every period, on a thread of its own.
  void start();
  // Stops the thread (waiting out a sample in progress). Idempotent.
  void stop();
  MemorySampler(const MemorySampler&) = delete;
  MemorySampler& operator=(const MemorySampler&) = delete;

  // The last complete sample, ordered by container name.
  std::vector<ContainerMemory> snapshot() const;
  // The last sample of a container (by id) while it ran, kept for ten
  // minutes after it stopped showing up: a post-mortem's "memory when last
  // sampled".
  std::optional<ContainerMemory> lastSampleOf(const std::string& containerId) const;
  // Called after a sample, off the lock, with each service one of whose
  // containers went above (or came back below) 90% of its memory limit.
  void setOnPressureChange(std::function<void(const std::string& ns, const std::string& service)> f);
  // Takes a sample now, on the caller's thread (tests; the thread does this).
  void sampleOnce();

 private:
  void run();

  DockerEngine& engine_;
  Clock& clock_;
  const std::string instance_;
  const std::chrono::milliseconds period_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<ContainerMemory> last_;
  struct Seen {
    ContainerMemory sample;
    MonoTime at;
  };
  std::map<std::string, Seen> byId_;
  std::set<std::string> pressured_;  // container ids above 90% of their limit at the last sample
  std::function<void(const std::string&, const std::string&)> onPressureChange_;
  std::thread thread_;
};

}  // namespace tender

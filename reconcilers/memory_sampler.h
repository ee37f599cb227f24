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
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/docker_engine.h"

namespace tender {

struct ContainerMemory {
  std::string ns, service, container;
  int64_t bytes = 0;
  int64_t limitBytes = 0;
};

class MemorySampler {
 public:
  // Starts sampling at once, then every `period`. `engine` must outlive this.
  MemorySampler(DockerEngine& engine, std::string instance,
                std::chrono::milliseconds period = std::chrono::seconds(15));
  ~MemorySampler();
  MemorySampler(const MemorySampler&) = delete;
  MemorySampler& operator=(const MemorySampler&) = delete;

  // The last complete sample, ordered by container name.
  std::vector<ContainerMemory> snapshot() const;
  // Takes a sample now, on the caller's thread (tests; the thread does this).
  void sampleOnce();

 private:
  void run();

  DockerEngine& engine_;
  const std::string instance_;
  const std::chrono::milliseconds period_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<ContainerMemory> last_;
  std::thread thread_;
};

}  // namespace tender

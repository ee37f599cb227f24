// Prober: the health checks tender runs itself (HTTP and TCP), reaching each
// container on its network address from the host, so no process is spawned
// inside it (Docker's exec checks are set at create and run by Docker).
//
// Each watched container is checked every interval (with up to a tenth of it
// as jitter, so many services' checks do not fire together; the first check
// comes within a second of the watch). A check that passes makes it
// healthy; `retries` failures in a row after its start period make it
// unhealthy. Checks run on a small pool of threads, each bounded by its
// timeout, so a hung check holds neither the reconcile loop nor the others.
// A change of health calls onChange with the service's key.
//
// Thread-safety: all public methods from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "controller/reconciler.h"
#include "base/status.h"
#include "manifests/resource.h"

namespace tender {

struct ProbeState {
  std::string health = "starting";  // starting | healthy | unhealthy
  int failingStreak = 0;
  std::string lastError;            // the last failure's reason
};

class Prober {
 public:
  Prober(Clock& clock, std::function<void(const Key&)> onChange, int threads = 4);
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  // Starts checking a container at `address` (its IPv4 address) with
  // `check` (kHttp or kTcp). A container already watched keeps its state.
  void watch(const std::string& containerId, const Key& service, const HealthCheck& check,
             const std::string& address);
  bool watching(const std::string& containerId) const;
  // Stops checking a container (its run ended: a new run starts afresh).
  void forget(const std::string& containerId);
  // Stops checking the containers of `service` that are not in `keep`.
  void forgetExcept(const Key& service, const std::set<std::string>& keep);
  std::optional<ProbeState> state(const std::string& containerId) const;

  void stop();

  // One check, on the calling thread: ok when a TCP connection opens (kTcp)
  // or an HTTP GET of the path answers 2xx or 3xx (kHttp), within `timeout`.
  static Status check(const HealthCheck& c, const std::string& address, std::chrono::milliseconds timeout);

 private:
  struct Entry {
    Key service;
    HealthCheck check;
    std::string address;
    MonoTime watchedAt;
    MonoTime nextAt;
    bool running = false;
    ProbeState state;
  };

  void schedule();                    // the timing thread
  void work();                        // a checking thread
  void finish(const std::string& id, const Status& result);
  std::chrono::milliseconds jitter(std::chrono::milliseconds upTo);

  Clock& clock_;
  std::function<void(const Key&)> onChange_;
  mutable std::mutex mu_;
  std::condition_variable cv_;      // the timing thread
  std::condition_variable workCv_;  // the checking threads
  bool stop_ = false;
  std::map<std::string, Entry> entries_;  // by container id
  std::deque<std::string> due_;           // ids to check now
  std::mt19937 random_{std::random_device{}()};
  std::thread timer_;
  std::vector<std::thread> workers_;
};

}  // namespace tender

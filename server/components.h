// Components: the server's running parts, stopped in the reverse of the order
// they were started. A part is registered once it has started, with what
// stops it; stopAll() then stops the last started first, so nothing stops
// while a part started after it (and so possibly using it) still runs.
//
// Thread-safety: started() and stopAll() may be called from any thread;
// stopAll() runs the stops on the caller's thread, outside the lock.
#pragma once

#include <spdlog/spdlog.h>

#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace tender {

class Components {
 public:
  // Records that `name` has started and how to stop it.
  void started(std::string name, std::function<void()> stop) {
    std::lock_guard<std::mutex> l(mu_);
    spdlog::debug("started: {}", name);
    parts_.emplace_back(std::move(name), std::move(stop));
  }
  // Stops every started part, the last started first. Idempotent.
  void stopAll() {
    for (;;) {
      std::pair<std::string, std::function<void()>> part;
      {
        std::lock_guard<std::mutex> l(mu_);
        if (parts_.empty()) return;
        part = std::move(parts_.back());
        parts_.pop_back();
      }
      spdlog::debug("stopping: {}", part.first);
      part.second();
    }
  }
  // Names of the running parts, in start order.
  std::vector<std::string> running() const {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<std::string> out;
    for (const auto& p : parts_) out.push_back(p.first);
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, std::function<void()>>> parts_;
};

}  // namespace tender

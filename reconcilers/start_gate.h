// StartGate: the host-wide limit on concurrent container starts, so a large
// apply never starts everything at once. A counting semaphore shared by every
// worker.
//
// Thread-safety: all methods.
#pragma once

#include <condition_variable>
#include <mutex>

namespace tender {

class StartGate {
 public:
  explicit StartGate(int limit) : free_(limit < 1 ? 1 : limit) {}

  class Ticket {
   public:
    explicit Ticket(StartGate& g) : g_(g) { g_.acquire(); }
    ~Ticket() { g_.release(); }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;

   private:
    StartGate& g_;
  };

 private:
  void acquire() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return free_ > 0; });
    --free_;
  }
  void release() {
    {
      std::lock_guard<std::mutex> l(mu_);
      ++free_;
    }
    cv_.notify_one();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
};

}  // namespace tender

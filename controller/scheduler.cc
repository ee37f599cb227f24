// Scheduler: one-shot timers kept in due order and fired through the Clock's
// timer driver (controller/scheduler.h).
#include "controller/scheduler.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace tender {

struct Scheduler::Core {
  explicit Core(Clock& c) : clock(c) {}

  Clock& clock;
  mutable std::mutex mu;
  // Ordered by due time, then by id (ids grow, so ties fire in schedule order).
  std::map<std::pair<MonoTime, TimerId>, std::function<void()>> timers;
  std::unordered_map<TimerId, MonoTime> dueOf;
  TimerId nextId = 1;
  bool stopped = false;

  // Pops the earliest timer if it is due. REQUIRES: mu held.
  std::function<void()> popDueLocked() {
    if (stopped || timers.empty() || timers.begin()->first.first > clock.monotonic()) return {};
    auto node = timers.extract(timers.begin());
    dueOf.erase(node.key().second);
    return std::move(node.mapped());
  }

  static void run(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      spdlog::error("timer callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("timer callback threw a non-standard exception");
    }
  }

  // Fires everything due, including timers that the callbacks themselves
  // schedule for a time already passed; returns when the next one is due.
  std::optional<MonoTime> fireDue() {
    for (;;) {
      std::function<void()> fn;
      {
        std::lock_guard<std::mutex> l(mu);
        fn = popDueLocked();
        if (!fn) {
          if (stopped || timers.empty()) return std::nullopt;
          return timers.begin()->first.first;
        }
      }
      run(fn);
      fn = nullptr;  // destroy captured state outside the lock too
    }
  }
};

Scheduler::Scheduler(Clock& clock) : core_(std::make_shared<Core>(clock)) {
  driver_ = clock.driveTimers([core = core_] { return core->fireDue(); });
}

Scheduler::~Scheduler() {
  shutDown();
  driver_.reset();
}

TimerId Scheduler::schedule(Millis delay, std::function<void()> fn) {
  Core& c = *core_;
  std::lock_guard<std::mutex> l(c.mu);
  if (c.stopped || !fn) return 0;
  const TimerId id = c.nextId++;
  const MonoTime due = c.clock.monotonic() + delay;
  const bool earliest = c.timers.empty() || due < c.timers.begin()->first.first;
  c.timers.emplace(std::make_pair(due, id), std::move(fn));
  c.dueOf.emplace(id, due);
  // Under the lock, so a destructor running shutDown() never races it.
  if (earliest && driver_) driver_->rearm();
  return id;
}

bool Scheduler::cancel(TimerId id) {
  std::function<void()> fn;  // destroyed after the lock is released
  Core& c = *core_;
  std::lock_guard<std::mutex> l(c.mu);
  auto it = c.dueOf.find(id);
  if (it == c.dueOf.end()) return false;
  auto node = c.timers.extract({it->second, id});
  c.dueOf.erase(it);
  fn = std::move(node.mapped());
  return true;
}

void Scheduler::shutDown() {
  std::map<std::pair<MonoTime, TimerId>, std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> l(core_->mu);
    core_->stopped = true;
    dropped.swap(core_->timers);
    core_->dueOf.clear();
  }
}

size_t Scheduler::pending() const {
  std::lock_guard<std::mutex> l(core_->mu);
  return core_->timers.size();
}

}  // namespace tender

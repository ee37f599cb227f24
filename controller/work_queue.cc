// WorkQueue: the dirty and processing sets and the delayed keys, waited for
// through the Clock (controller/work_queue.h).
#include "controller/work_queue.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace tender {

struct WorkQueue::Core {
  explicit Core(Clock& c) : clock(c) {}

  Clock& clock;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<Key> ready;               // FIFO of keys to hand out
  std::unordered_set<Key> dirty;       // keys that need a pass (in `ready` unless processing)
  std::unordered_set<Key> processing;  // keys handed out and not yet done()
  std::unordered_map<Key, MonoTime> waitingDue;  // delayed keys -> due time
  std::set<std::pair<MonoTime, Key>> waiting;    // the same, ordered by due time
  bool shutdown = false;

  // REQUIRES: mu held.
  void addLocked(const Key& key) {
    if (shutdown || dirty.count(key)) return;
    dirty.insert(key);
    if (processing.count(key)) return;  // done() will put it back
    ready.push_back(key);
    cv.notify_one();
  }

  // Moves delayed keys whose time has come to the ready list.
  // REQUIRES: mu held.
  void promoteDueLocked() {
    if (waiting.empty()) return;
    const MonoTime now = clock.monotonic();
    while (!waiting.empty() && waiting.begin()->first <= now) {
      Key key = waiting.begin()->second;
      waiting.erase(waiting.begin());
      waitingDue.erase(key);
      addLocked(key);
    }
  }

};

WorkQueue::WorkQueue(Clock& clock) : core_(std::make_unique<Core>(clock)) {}

WorkQueue::~WorkQueue() { shutDown(); }

void WorkQueue::add(const Key& key) {
  std::lock_guard<std::mutex> l(core_->mu);
  core_->addLocked(key);
}

void WorkQueue::addAfter(const Key& key, Millis delay) {
  if (delay.count() <= 0) {
    add(key);
    return;
  }
  Core& c = *core_;
  std::lock_guard<std::mutex> l(c.mu);
  if (c.shutdown) return;
  const MonoTime due = c.clock.monotonic() + delay;
  auto it = c.waitingDue.find(key);
  if (it != c.waitingDue.end()) {
    if (it->second <= due) return;  // the earlier add wins
    c.waiting.erase({it->second, key});
    it->second = due;
  } else {
    c.waitingDue.emplace(key, due);
  }
  c.waiting.emplace(due, key);
  // A getter sleeping until a later due time must shorten its wait.
  c.cv.notify_all();
}

std::optional<Key> WorkQueue::get() {
  Core& c = *core_;
  std::unique_lock<std::mutex> l(c.mu);
  for (;;) {
    if (c.shutdown) return std::nullopt;
    c.promoteDueLocked();
    if (!c.ready.empty()) break;
    std::optional<MonoTime> due;
    if (!c.waiting.empty()) due = c.waiting.begin()->first;
    c.clock.waitOnce(l, c.cv, due);
  }
  Key key = std::move(c.ready.front());
  c.ready.pop_front();
  c.dirty.erase(key);
  c.processing.insert(key);
  return key;
}

void WorkQueue::done(const Key& key) {
  Core& c = *core_;
  std::lock_guard<std::mutex> l(c.mu);
  c.processing.erase(key);
  if (c.dirty.count(key) && !c.shutdown) {
    c.ready.push_back(key);
    c.cv.notify_one();
  }
}

void WorkQueue::shutDown() {
  std::lock_guard<std::mutex> l(core_->mu);
  core_->shutdown = true;
  core_->cv.notify_all();
}

bool WorkQueue::shuttingDown() const {
  std::lock_guard<std::mutex> l(core_->mu);
  return core_->shutdown;
}

size_t WorkQueue::len() const {
  std::lock_guard<std::mutex> l(core_->mu);
  core_->promoteDueLocked();
  return core_->ready.size();
}

size_t WorkQueue::pendingDelayed() const {
  std::lock_guard<std::mutex> l(core_->mu);
  core_->promoteDueLocked();
  return core_->waiting.size();
}

}  // namespace tender

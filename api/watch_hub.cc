#include "api/watch_hub.h"

namespace tender {

WatchHub::WatchHub(Clock& clock, WatchHubOptions options) : clock_(clock), options_(options) {}

WatchHub::~WatchHub() { stop(); }

void WatchHub::start() {
  thread_ = std::thread([this] { run(); });
}

void WatchHub::notify() {
  {
    std::lock_guard<std::mutex> l(mu_);
    pending_ = true;
  }
  cv_.notify_all();
}

Status WatchHub::admit(std::shared_ptr<Watcher> w) {
  w->lastSent = clock_.monotonic();
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_) return Status::Unavailable("the server is stopping");
    if (count_ >= options_.maxWatchers) {
      return Status::Unavailable("too many watchers (" + std::to_string(options_.maxWatchers) +
                                 "); try again later");
    }
    ++count_;
    incoming_.push_back(std::move(w));
    pending_ = true;
  }
  cv_.notify_all();
  return Status::Ok();
}

size_t WatchHub::watchers() const {
  std::lock_guard<std::mutex> l(mu_);
  return count_;
}

bool WatchHub::full() const {
  std::lock_guard<std::mutex> l(mu_);
  return count_ >= options_.maxWatchers;
}

void WatchHub::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_ && !thread_.joinable()) return;
    stopped_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool WatchHub::send(Watcher& w, std::string data) {
  if (data.empty()) return !w.sink->closed();
  w.lastSent = clock_.monotonic();
  return w.sink->write(std::move(data));
}

void WatchHub::run() {
  beforeRounds();
  std::vector<std::shared_ptr<Watcher>> watchers;
  std::unique_lock<std::mutex> l(mu_);
  while (!stopped_) {
    clock_.waitFor(l, cv_, options_.poll, [&] { return stopped_ || pending_; });
    if (stopped_) break;
    pending_ = false;
    for (auto& w : incoming_) watchers.push_back(std::move(w));
    incoming_.clear();
    l.unlock();

    beginRound(!watchers.empty());
    const MonoTime now = clock_.monotonic();
    size_t gone = 0;
    for (auto it = watchers.begin(); it != watchers.end();) {
      Watcher& w = **it;
      bool alive = serve(w);
      if (alive && now - w.lastSent >= options_.heartbeat) alive = send(w, heartbeatLine(w));
      if (alive) {
        ++it;
      } else {
        ++gone;
        it = watchers.erase(it);
      }
    }
    l.lock();
    count_ -= gone;
  }
  l.unlock();
  for (auto& w : watchers) w->sink->end();
  std::lock_guard<std::mutex> relock(mu_);
  for (auto& w : incoming_) w->sink->end();
  incoming_.clear();
  count_ = 0;
}

}  // namespace tender

// Prober (prober.h): the HTTP and TCP health checks tender runs itself, on a
// small pool of threads, each check bounded by its timeout.

#include "reconcilers/prober.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tender {
namespace {

constexpr int64_t kDefaultIntervalMs = 10'000;
constexpr int64_t kDefaultTimeoutMs = 5'000;
constexpr int kDefaultRetries = 3;

using SteadyClock = std::chrono::steady_clock;

int remainingMs(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// A non-blocking connect bounded by the deadline.
Status connectWithin(int fd, const std::string& address, int port, SteadyClock::time_point deadline) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1) {
    return Status::Invalid("\"" + address + "\" is not an IPv4 address");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return Status::Ok();
  if (errno != EINPROGRESS) return Status::Unavailable(std::string("connect: ") + std::strerror(errno));
  pollfd p{fd, POLLOUT, 0};
  int r = ::poll(&p, 1, remainingMs(deadline));
  if (r == 0) return Status::Timeout("connect timed out");
  if (r < 0) return Status::Unavailable(std::string("poll: ") + std::strerror(errno));
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return Status::Unavailable(std::string("connect: ") + std::strerror(err));
  return Status::Ok();
}

}  // namespace

Status Prober::check(const HealthCheck& c, const std::string& address, std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  if (fd.get() < 0) return Status::Unavailable(std::string("socket: ") + std::strerror(errno));
  const std::string where = address + ":" + std::to_string(c.port);
  Status connected = connectWithin(fd.get(), address, c.port, deadline);
  if (!connected.ok()) return connected.WithContext(where);
  if (c.kind == HealthCheck::Kind::kTcp) return Status::Ok();

  const std::string path = c.path.empty() ? "/" : c.path;
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: " + where +
                              "\r\nUser-Agent: tender-probe\r\nConnection: close\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN) return Status::Unavailable(std::string("send: ") + std::strerror(errno));
    pollfd p{fd.get(), POLLOUT, 0};
    if (::poll(&p, 1, remainingMs(deadline)) <= 0) return Status::Timeout(where + ": sending the request timed out");
  }
  std::string head;
  while (head.find("\r\n") == std::string::npos && head.size() < 1024) {
    pollfd p{fd.get(), POLLIN, 0};
    int r = ::poll(&p, 1, remainingMs(deadline));
    if (r == 0) return Status::Timeout(where + ": no answer within " + std::to_string(timeout.count()) + " ms");
    if (r < 0) return Status::Unavailable(std::string("poll: ") + std::strerror(errno));
    char buf[512];
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN) continue;
      return Status::Unavailable(std::string("recv: ") + std::strerror(errno));
    }
    head.append(buf, static_cast<size_t>(n));
  }
  // "HTTP/1.1 200 OK"
  if (head.rfind("HTTP/", 0) != 0 || head.size() < 12) {
    return Status::Unavailable(where + path + ": not an HTTP answer");
  }
  int code = std::atoi(head.c_str() + head.find(' ') + 1);
  if (code >= 200 && code < 400) return Status::Ok();
  return Status::Unavailable(where + path + " answered " + std::to_string(code));
}

Prober::Prober(Clock& clock, std::function<void(const Key&)> onChange, int threads)
    : clock_(clock), onChange_(std::move(onChange)) {
  timer_ = std::thread([this] { schedule(); });
  for (int i = 0; i < std::max(1, threads); ++i) workers_.emplace_back([this] { work(); });
}

Prober::~Prober() { stop(); }

void Prober::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stop_ && !timer_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  workCv_.notify_all();
  if (timer_.joinable()) timer_.join();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
}

std::chrono::milliseconds Prober::jitter(std::chrono::milliseconds upTo) {
  if (upTo.count() <= 0) return std::chrono::milliseconds(0);
  std::uniform_int_distribution<int64_t> d(0, upTo.count());
  return std::chrono::milliseconds(d(random_));
}

void Prober::watch(const std::string& containerId, const Key& service, const HealthCheck& check,
                   const std::string& address) {
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = entries_.find(containerId);
    if (it != entries_.end() && it->second.address == address) return;
    Entry e;
    e.service = service;
    e.check = check;
    e.address = address;
    e.watchedAt = clock_.monotonic();
    const auto interval = std::chrono::milliseconds(check.intervalMs.value_or(kDefaultIntervalMs));
    e.nextAt = e.watchedAt + jitter(std::min(interval, std::chrono::milliseconds(1000)));
    entries_[containerId] = std::move(e);
  }
  cv_.notify_all();
}

bool Prober::watching(const std::string& containerId) const {
  std::lock_guard<std::mutex> l(mu_);
  return entries_.count(containerId) > 0;
}

void Prober::forget(const std::string& containerId) {
  std::lock_guard<std::mutex> l(mu_);
  entries_.erase(containerId);
}

void Prober::forgetExcept(const Key& service, const std::set<std::string>& keep) {
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    const bool ofService = it->second.service.ns == service.ns && it->second.service.name == service.name;
    it = ofService && !keep.count(it->first) ? entries_.erase(it) : std::next(it);
  }
}

std::optional<ProbeState> Prober::state(const std::string& containerId) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = entries_.find(containerId);
  if (it == entries_.end()) return std::nullopt;
  return it->second.state;
}

void Prober::schedule() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    const MonoTime now = clock_.monotonic();
    std::optional<MonoTime> next;
    bool queued = false;
    for (auto& [id, e] : entries_) {
      if (e.running) continue;
      if (e.nextAt <= now) {
        e.running = true;
        due_.push_back(id);
        queued = true;
      } else if (!next || e.nextAt < *next) {
        next = e.nextAt;
      }
    }
    if (queued) workCv_.notify_all();
    // Until the next probe is due; adding or removing an entry notifies cv_.
    if (!queued) clock_.waitOnce(l, cv_, next);
  }
}

void Prober::work() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    workCv_.wait(l, [&] { return stop_ || !due_.empty(); });
    if (stop_) return;
    const std::string id = due_.front();
    due_.pop_front();
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;
    const HealthCheck check = it->second.check;
    const std::string address = it->second.address;
    l.unlock();
    Status result = Prober::check(check, address, std::chrono::milliseconds(check.timeoutMs.value_or(kDefaultTimeoutMs)));
    finish(id, result);
    l.lock();
  }
}

void Prober::finish(const std::string& id, const Status& result) {
  std::optional<Key> changed;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return;  // forgotten meanwhile
    Entry& e = it->second;
    e.running = false;
    const MonoTime now = clock_.monotonic();
    const std::string before = e.state.health;
    if (result.ok()) {
      e.state.failingStreak = 0;
      e.state.lastError.clear();
      e.state.health = "healthy";
    } else {
      e.state.lastError = result.message();
      // Failures while the container starts up do not count (startPeriod).
      const auto startPeriod = std::chrono::milliseconds(e.check.startPeriodMs.value_or(0));
      if (now - e.watchedAt >= startPeriod || e.state.health == "healthy") {
        ++e.state.failingStreak;
        if (e.state.failingStreak >= e.check.retries.value_or(kDefaultRetries)) e.state.health = "unhealthy";
      }
    }
    const auto interval = std::chrono::milliseconds(e.check.intervalMs.value_or(kDefaultIntervalMs));
    e.nextAt = now + interval + jitter(interval / 10);
    if (e.state.health != before) changed = e.service;
  }
  cv_.notify_all();
  if (changed && onChange_) onChange_(*changed);
}

}  // namespace tender

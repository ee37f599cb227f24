// The evictor (eviction.h): the order in which replicas go under memory
// pressure, and the thread that evicts and readmits them.

#include "reconcilers/eviction.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/byte_format.h"
#include "manifests/manifest.h"

namespace tender {

int64_t evictionThreshold(const EvictionConfig& config, int64_t memTotal) {
  if (config.thresholdBytes > 0) return config.thresholdBytes;
  return std::max<int64_t>(memTotal / 20, 256LL << 20);
}

std::vector<EvictionCandidate> evictionOrder(std::vector<EvictionCandidate> candidates, int priorityFloor) {
  candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                  [&](const EvictionCandidate& c) { return c.priority >= priorityFloor; }),
                   candidates.end());
  std::stable_sort(candidates.begin(), candidates.end(), [](const EvictionCandidate& a, const EvictionCandidate& b) {
    if (a.priority != b.priority) return a.priority < b.priority;
    return a.usageBytes - a.reservationBytes > b.usageBytes - b.reservationBytes;
  });
  return candidates;
}

Evictor::Evictor(Store& store, Clock& clock, ServiceReconciler& services, std::function<std::optional<HostMemory>()> host,
                 std::function<std::vector<ContainerMemory>()> usage, std::function<void(const Key&)> enqueue,
                 EvictionConfig config)
    : store_(store),
      clock_(clock),
      services_(services),
      host_(std::move(host)),
      usage_(std::move(usage)),
      enqueue_(std::move(enqueue)),
      config_(config) {}

Evictor::~Evictor() { stop(); }

void Evictor::start() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> l(mu_);
    while (!stop_) {
      l.unlock();
      check();
      l.lock();
      clock_.waitFor(l, cv_, config_.checkEvery, [&] { return stop_; });
    }
  });
}

void Evictor::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

EvictionConfig Evictor::config() const {
  std::lock_guard<std::mutex> l(mu_);
  return config_;
}

void Evictor::setConfig(const EvictionConfig& config) {
  {
    std::lock_guard<std::mutex> l(mu_);
    config_ = config;
  }
  cv_.notify_all();
}

nlohmann::json Evictor::describe() const {
  std::lock_guard<std::mutex> l(mu_);
  return {{"thresholdBytes", config_.thresholdBytes},
          {"priorityFloor", config_.priorityFloor},
          {"memAvailableBytes", lastAvailable_},
          {"underPressure", pressure_}};
}

void Evictor::check() {
  auto memory = host_ ? host_() : std::nullopt;
  if (!memory || memory->memTotalBytes <= 0) return;  // the engine's host is not this one
  const MonoTime now = clock_.monotonic();
  EvictionConfig config;
  {
    std::lock_guard<std::mutex> l(mu_);
    config = config_;
    lastAvailable_ = memory->memAvailableBytes;
  }
  const int64_t threshold = evictionThreshold(config, memory->memTotalBytes);
  const bool pressure = memory->memAvailableBytes < threshold;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (pressure_ && !pressure) {
      pressureEnded_ = now;
      spdlog::info("memory pressure is over: MemAvailable {} is above the eviction threshold {}",
                   formatBytes(memory->memAvailableBytes), formatBytes(threshold));
    }
    if (!pressure_ && pressure) pressureEnded_.reset();
    // No pressure since tender started: the time counts from now (a
    // restart of tender does not readmit what it evicted before).
    if (!pressure && !pressureEnded_) pressureEnded_ = now;
    pressure_ = pressure;
  }

  if (!pressure) {
    bool readmit = false;
    {
      std::lock_guard<std::mutex> l(mu_);
      readmit = now - *pressureEnded_ >= config.recoverAfter;
    }
    if (!readmit) return;
    // The evictions are in the store: one read, usually of nothing.
    auto keys = services_.readmitEvicted();
    if (keys.empty()) return;
    spdlog::info("memory pressure has been gone for {} ms: {} evicted services may start again",
                 config.recoverAfter.count(), keys.size());
    for (const Key& k : keys) enqueue_(k);
    return;
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    if (lastEviction_ && now - *lastEviction_ < config.between) return;  // let the last one free its memory
  }

  // Candidates: what runs now, with each service's priority and reservation.
  std::vector<EvictionCandidate> candidates;
  std::map<std::string, std::optional<ServiceSpec>> specs;
  for (const ContainerMemory& m : usage_ ? usage_() : std::vector<ContainerMemory>{}) {
    auto dot = m.container.rfind('.');
    if (dot == std::string::npos) continue;
    int replica = -1;
    try {
      replica = std::stoi(m.container.substr(dot + 1));
    } catch (...) {
      continue;
    }
    const Key key{"Service", m.ns, m.service};
    if (services_.evicted(key, replica)) continue;
    auto it = specs.find(key.str());
    if (it == specs.end()) {
      std::optional<ServiceSpec> spec;
      auto rec = store_.get("Service", m.ns, m.service);
      if (rec.ok() && !rec->deletedAt) {
        auto decoded = decodeStored("Service", m.ns, m.service, rec->labels, rec->spec);
        if (decoded.ok()) spec = decoded->service();
      }
      it = specs.emplace(key.str(), spec).first;
    }
    if (!it->second) continue;
    const ServiceSpec& spec = *it->second;
    EvictionCandidate c;
    c.key = key;
    c.replica = replica;
    c.priority = spec.priority.value_or(0);
    c.usageBytes = m.bytes;
    c.reservationBytes = spec.resources.memoryReservation.value_or(spec.resources.memoryLimit.value_or(0));
    candidates.push_back(c);
  }
  auto order = evictionOrder(std::move(candidates), config.priorityFloor);
  if (order.empty()) {
    spdlog::warn("memory pressure: MemAvailable {} is below the eviction threshold {}, and nothing below "
                 "priority {} runs to evict",
                 formatBytes(memory->memAvailableBytes), formatBytes(threshold), config.priorityFloor);
    std::lock_guard<std::mutex> l(mu_);
    lastEviction_ = now;  // say it again later, not every second
    return;
  }
  const EvictionCandidate& victim = order.front();
  std::string why = "the host's MemAvailable (" + formatBytes(memory->memAvailableBytes) +
                    ") is below the eviction threshold (" + formatBytes(threshold) + "); priority " +
                    std::to_string(victim.priority) + ", using " + formatBytes(victim.usageBytes);
  if (victim.reservationBytes > 0) why += " against a reservation of " + formatBytes(victim.reservationBytes);
  spdlog::warn("{}: evicting replica {}: {}", victim.key.str(), victim.replica, why);
  services_.evict(victim.key, victim.replica, why);
  {
    std::lock_guard<std::mutex> l(mu_);
    lastEviction_ = now;
  }
  enqueue_(victim.key);
}

}  // namespace tender

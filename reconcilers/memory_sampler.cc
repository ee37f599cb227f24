// MemorySampler (memory_sampler.h): each running container's memory, sampled
// in the background.

#include "reconcilers/memory_sampler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "engine/labels.h"

namespace tender {

MemorySampler::MemorySampler(DockerEngine& engine, Clock& clock, std::string instance, std::chrono::milliseconds period)
    : engine_(engine), clock_(clock), instance_(std::move(instance)), period_(period) {}

MemorySampler::~MemorySampler() { stop(); }

void MemorySampler::start() {
  std::lock_guard<std::mutex> l(mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { run(); });
}

void MemorySampler::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<ContainerMemory> MemorySampler::snapshot() const {
  std::lock_guard<std::mutex> l(mu_);
  return last_;
}

void MemorySampler::sampleOnce() {
  auto listed = engine_.listContainers(ownedFilters(instance_), /*all=*/false);
  if (!listed.ok()) {
    spdlog::debug("memory sample: cannot list containers: {}", listed.status().ToString());
    return;
  }
  std::vector<ContainerMemory> sample;
  for (const ContainerSummary& c : *listed) {
    if (c.state != "running") continue;
    auto stats = engine_.containerStats(c.id);
    if (!stats.ok()) continue;  // gone meanwhile, most likely
    ContainerMemory m;
    auto label = [&](const char* key) {
      auto it = c.labels.find(key);
      return it == c.labels.end() ? std::string() : it->second;
    };
    m.ns = label(kLabelNamespace);
    m.service = label(kLabelService);
    m.container = c.name;
    m.containerId = c.id;
    m.bytes = stats->memoryUsageBytes;
    m.limitBytes = stats->memoryLimitBytes;
    sample.push_back(std::move(m));
  }
  std::sort(sample.begin(), sample.end(),
            [](const ContainerMemory& a, const ContainerMemory& b) { return a.container < b.container; });
  std::set<std::pair<std::string, std::string>> changed;  // services to tell
  std::function<void(const std::string&, const std::string&)> onChange;
  {
    std::lock_guard<std::mutex> l(mu_);
    const MonoTime now = clock_.monotonic();
    for (const auto& m : sample) byId_[m.containerId] = Seen{m, now};
    for (auto it = byId_.begin(); it != byId_.end();) {
      it = now - it->second.at > std::chrono::minutes(10) ? byId_.erase(it) : std::next(it);
    }
    std::set<std::string> pressured;
    for (const auto& m : sample) {
      if (nearMemoryLimit(m)) pressured.insert(m.containerId);
    }
    for (const auto& m : sample) {
      if (pressured.count(m.containerId) != pressured_.count(m.containerId)) changed.insert({m.ns, m.service});
    }
    pressured_ = std::move(pressured);
    last_ = std::move(sample);
    onChange = onPressureChange_;
  }
  if (onChange) {
    for (const auto& [ns, service] : changed) onChange(ns, service);
  }
}

void MemorySampler::setOnPressureChange(std::function<void(const std::string&, const std::string&)> f) {
  std::lock_guard<std::mutex> l(mu_);
  onPressureChange_ = std::move(f);
}

bool nearMemoryLimit(const ContainerMemory& m) {
  return m.limitBytes > 0 && static_cast<double>(m.bytes) > 0.9 * static_cast<double>(m.limitBytes);
}

std::optional<ContainerMemory> MemorySampler::lastSampleOf(const std::string& containerId) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = byId_.find(containerId);
  if (it == byId_.end()) return std::nullopt;
  return it->second.sample;
}

void MemorySampler::run() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    l.unlock();
    sampleOnce();
    l.lock();
    clock_.waitFor(l, cv_, period_, [&] { return stop_; });
  }
}

}  // namespace tender

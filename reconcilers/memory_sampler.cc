#include "reconcilers/memory_sampler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "reconcilers/naming.h"

namespace tender {

MemorySampler::MemorySampler(DockerEngine& engine, std::string instance, std::chrono::milliseconds period)
    : engine_(engine), instance_(std::move(instance)), period_(period) {
  thread_ = std::thread([this] { run(); });
}

MemorySampler::~MemorySampler() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
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
    m.bytes = stats->memoryUsageBytes;
    m.limitBytes = stats->memoryLimitBytes;
    sample.push_back(std::move(m));
  }
  std::sort(sample.begin(), sample.end(),
            [](const ContainerMemory& a, const ContainerMemory& b) { return a.container < b.container; });
  std::lock_guard<std::mutex> l(mu_);
  last_ = std::move(sample);
}

void MemorySampler::run() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    l.unlock();
    sampleOnce();
    l.lock();
    cv_.wait_for(l, period_, [&] { return stop_; });
  }
}

}  // namespace tender

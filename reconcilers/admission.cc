// The admission ledger (admission.h): the host's memory, the reservations it
// holds, and the decision for each replica about to start.

#include "reconcilers/admission.h"

#include <cstdio>
#include <vector>

#include "base/byte_format.h"

namespace tender {

namespace {

std::string percent(double fraction) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%g%%", fraction * 100);
  return buf;
}

std::string times(double factor) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%g", factor);
  return buf;
}

}  // namespace

AdmissionLedger::AdmissionLedger(AdmissionConfig config, std::function<std::optional<int64_t>()> memAvailable)
    : config_(config), memAvailable_(std::move(memAvailable)) {}

void AdmissionLedger::setHostMemory(int64_t bytes) {
  std::lock_guard<std::mutex> l(mu_);
  config_.hostMemoryBytes = bytes;
}

AdmissionConfig AdmissionLedger::config() const {
  std::lock_guard<std::mutex> l(mu_);
  return config_;
}

int64_t AdmissionLedger::allocatableLocked() const {
  if (config_.hostMemoryBytes <= 0) return 0;
  return static_cast<int64_t>(static_cast<double>(config_.hostMemoryBytes) * (1.0 - config_.systemReserveFraction));
}

int64_t AdmissionLedger::allocatableBytes() const {
  std::lock_guard<std::mutex> l(mu_);
  return allocatableLocked();
}

int64_t AdmissionLedger::reservedBytes() const {
  std::lock_guard<std::mutex> l(mu_);
  int64_t sum = 0;
  for (const auto& [k, b] : reserved_) sum += b;
  return sum;
}

AdmissionDecision AdmissionLedger::admit(const AdmissionRequest& r) {
  const ReplicaKey key{r.ns, r.service, r.replica};
  // Read outside the lock: it may read /proc.
  const std::optional<int64_t> available = memAvailable_ ? memAvailable_() : std::nullopt;
  std::lock_guard<std::mutex> l(mu_);
  auto mine = reserved_.find(key);
  if (mine != reserved_.end()) {
    mine->second = r.bytes;
    return {};
  }
  const std::string who = "replica " + std::to_string(r.replica) + " of " + r.service + " needs " +
                          formatBytes(r.bytes) + " (" + r.source + ")";
  auto refuse = [&](const char* reason, const std::string& why) {
    refused_.insert({r.ns, r.service});
    return AdmissionDecision{false, reason, who + ": " + why};
  };

  int64_t total = 0, inNamespace = 0;
  std::set<std::string> servicesInNamespace;
  for (const auto& [k, b] : reserved_) {
    total += b;
    if (std::get<0>(k) == r.ns) {
      inNamespace += b;
      servicesInNamespace.insert(std::get<1>(k));
    }
  }
  if (r.quotaServices && !servicesInNamespace.count(r.service) &&
      static_cast<int>(servicesInNamespace.size()) + 1 > *r.quotaServices) {
    std::string names;
    for (const auto& s : servicesInNamespace) names += (names.empty() ? "" : ", ") + s;
    return refuse("QuotaExceeded", "namespace " + r.ns + "'s quota allows " + std::to_string(*r.quotaServices) +
                                       " services, and " + std::to_string(servicesInNamespace.size()) +
                                       " run already (" + names + ")");
  }
  if (r.quotaMemory && inNamespace + r.bytes > *r.quotaMemory) {
    return refuse("QuotaExceeded", "namespace " + r.ns + "'s memory quota is " + formatBytes(*r.quotaMemory) + ", of which " +
                                       formatBytes(inNamespace) + " is reserved (" +
                                       formatBytes(*r.quotaMemory - inNamespace) + " left)");
  }
  const int64_t allocatable = allocatableLocked();
  if (allocatable > 0 && total + r.bytes > allocatable) {
    return refuse("InsufficientMemory",
                  formatBytes(total) + " of the host's " + formatBytes(allocatable) + " allocatable is reserved (" +
                      formatBytes(std::max<int64_t>(0, allocatable - total)) + " free; " +
                      formatBytes(config_.hostMemoryBytes) + " minus a " + percent(config_.systemReserveFraction) +
                      " system reserve)");
  }
  if (available) {
    const double needed = static_cast<double>(r.bytes) * config_.headroom;
    if (static_cast<double>(*available) < needed) {
      return refuse("InsufficientMemory", "the host has " + formatBytes(*available) +
                                              " available, less than that times the headroom of " +
                                              times(config_.headroom) + " (" +
                                              formatBytes(static_cast<int64_t>(needed)) + ")");
    }
  }
  reserved_[key] = r.bytes;
  return {};
}

void AdmissionLedger::hold(const AdmissionRequest& r) {
  std::lock_guard<std::mutex> l(mu_);
  reserved_[ReplicaKey{r.ns, r.service, r.replica}] = r.bytes;
}

void AdmissionLedger::release(const std::string& ns, const std::string& service, int replica) {
  bool freed;
  {
    std::lock_guard<std::mutex> l(mu_);
    freed = reserved_.erase(ReplicaKey{ns, service, replica}) > 0;
  }
  if (freed) notifyFreed();
}

void AdmissionLedger::releaseService(const std::string& ns, const std::string& service, int fromReplica) {
  bool freed = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = reserved_.begin(); it != reserved_.end();) {
      if (std::get<0>(it->first) == ns && std::get<1>(it->first) == service && std::get<2>(it->first) >= fromReplica) {
        it = reserved_.erase(it);
        freed = true;
      } else {
        ++it;
      }
    }
  }
  if (freed) notifyFreed();
}

void AdmissionLedger::setOnFreed(std::function<void(const std::string&, const std::string&)> onFreed) {
  std::lock_guard<std::mutex> l(mu_);
  onFreed_ = std::move(onFreed);
}

void AdmissionLedger::notifyFreed() {
  std::set<std::pair<std::string, std::string>> refused;
  std::function<void(const std::string&, const std::string&)> onFreed;
  {
    std::lock_guard<std::mutex> l(mu_);
    refused.swap(refused_);
    onFreed = onFreed_;
  }
  if (!onFreed) return;
  for (const auto& [ns, service] : refused) onFreed(ns, service);
}

nlohmann::json AdmissionLedger::snapshot() const {
  std::lock_guard<std::mutex> l(mu_);
  nlohmann::json ns = nlohmann::json::object();
  int64_t total = 0;
  for (const auto& [k, b] : reserved_) {
    total += b;
    ns[std::get<0>(k)] = ns.value(std::get<0>(k), int64_t{0}) + b;
  }
  return {{"allocatable", allocatableLocked()}, {"reserved", total}, {"namespaces", ns}};
}

}  // namespace tender

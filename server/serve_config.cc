// serveConfigFrom (serve_config.h): `tender serve`'s flags checked and turned
// into what they mean. Pure.

#include "server/serve_config.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "api/http_server.h"
#include "manifests/manifest.h"

namespace tender {
namespace {

// Collects one error per bad flag.
class FlagErrors {
 public:
  void add(const std::string& flag, const std::string& message) {
    // Some parsers already name the flag: do not name it twice.
    const std::string prefix = flag + ": ";
    errors_.push_back(
        {flag, message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message});
  }
  bool empty() const { return errors_.empty(); }
  std::vector<FieldError> take() { return std::move(errors_); }

 private:
  std::vector<FieldError> errors_;
};

// A memory size that must be > 0 (or >= 0 when `zeroOk`).
void memoryFlag(FlagErrors& errors, const std::string& flag, const std::string& text,
                const std::string& example, bool zeroOk, int64_t& out) {
  auto bytes = parseMemoryQuantity(text);
  if (!bytes.ok() || *bytes < 0 || (!zeroOk && *bytes == 0)) {
    errors.add(flag, "\"" + text + "\" is not a memory size (" + example + ")");
    return;
  }
  out = *bytes;
}

void durationFlag(FlagErrors& errors, const std::string& flag, const std::string& text,
                  int64_t& outMs) {
  auto ms = parseDurationMs(text);
  if (!ms.ok() || *ms < 0) {
    errors.add(flag, "\"" + text + "\" is not a duration (30s, 10m, 1h)");
    return;
  }
  outMs = *ms;
}

// --request-rate, --request-burst, --max-watches-per-token, --budget-exempt.
void fairShareFlags(FlagErrors& errors, const ServeOptions& o, FairShareOptions& out) {
  if (!std::isfinite(o.requestRate) || o.requestRate < 0) {
    errors.add("--request-rate", "\"" + formatRate(o.requestRate) +
                                     "\" is not a rate: give requests a second per token (20, 0.5), "
                                     "or 0 for no budget");
  } else {
    out.rate.perSecond = o.requestRate;
  }
  if (o.requestBurst < 1 && o.requestRate != 0) {
    errors.add("--request-burst", std::to_string(o.requestBurst) +
                                      " would let no request through: give 1 or more (the "
                                      "requests a token may send at once)");
  } else {
    out.rate.burst = std::max(1, o.requestBurst);
  }
  if (o.maxWatchesPerToken < 0) {
    errors.add("--max-watches-per-token", std::to_string(o.maxWatchesPerToken) +
                                              " is not a number of streams: give 1 or more, "
                                              "or 0 for no cap");
  } else {
    out.maxStreamsPerToken = static_cast<size_t>(o.maxWatchesPerToken);
  }
  std::istringstream names(o.budgetExempt);
  std::string name;
  while (std::getline(names, name, ',')) {
    const size_t first = name.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    name = name.substr(first, name.find_last_not_of(" \t") - first + 1);
    if (name.find_first_of(" \t") != std::string::npos) {
      errors.add("--budget-exempt", "\"" + name + "\" is not a token name (names are single words, "
                                    "separated by commas)");
      continue;
    }
    out.exempt.insert(name);
  }
}

}  // namespace

Result<ServeConfig> serveConfigFrom(const ServeOptions& o, unsigned hardwareThreads) {
  ServeConfig c;
  FlagErrors errors;

  if (!parseDockerMemory(o.logMaxSize).ok())
    errors.add("--log-max-size", "\"" + o.logMaxSize + "\" is not a size (10m, 1g)");

  if (!o.hostMemory.empty())
    memoryFlag(errors, "--host-memory", o.hostMemory, "2Gi, 512Mi", false,
               c.admission.hostMemoryBytes);
  memoryFlag(errors, "--default-reservation", o.defaultReservation, "64Mi", true,
             c.admission.defaultReservationBytes);
  auto reserve = parsePercentage(o.systemReserve);
  if (reserve.ok()) {
    c.admission.systemReserveFraction = *reserve;
  } else {
    errors.add("--system-reserve", reserve.status().message());
  }
  c.admission.headroom = o.memoryHeadroom;

  c.eviction.priorityFloor = o.evictionPriorityFloor;
  if (!o.evictionThreshold.empty()) {
    memoryFlag(errors, "--eviction-threshold", o.evictionThreshold, "512Mi, 2Gi", false,
               c.eviction.thresholdBytes);
  }
  int64_t recoveryMs = 0, keepDeletedMs = 0, engineWaitMs = 0, cleanupMs = 0;
  durationFlag(errors, "--eviction-recovery", o.evictionRecovery, recoveryMs);
  durationFlag(errors, "--keep-deleted", o.keepDeleted, keepDeletedMs);
  durationFlag(errors, "--engine-wait", o.engineWait, engineWaitMs);
  durationFlag(errors, "--cleanup-interval", o.cleanupInterval, cleanupMs);
  c.eviction.recoverAfter = Millis(recoveryMs);
  c.engineWait = Millis(engineWaitMs);
  c.cleanupInterval = Millis(cleanupMs);

  if (o.minFreeDisk == "0") {
    c.lowDisk = LowDiskThreshold{0, 0};
  } else {
    auto lowDisk = parseLowDiskThreshold(o.minFreeDisk, "--min-free-disk");
    if (lowDisk.ok()) {
      c.lowDisk = *lowDisk;
    } else {
      errors.add("--min-free-disk", lowDisk.status().message());
    }
  }

  c.retention.deletedGraceMs = keepDeletedMs;
  c.retention.eventsPerObject = o.keepEvents;
  c.retention.terminationsPerReplica = o.keepPostMortems;
  c.retention.maxEventAgeMs = c.retention.maxTerminationAgeMs =
      int64_t{o.keepHistoryDays} * 24 * 3600 * 1000;

  fairShareFlags(errors, o, c.fairShare);
  memoryFlag(errors, "--max-build-context-size", o.maxBuildContextSize, "512Mi", false,
             c.buildContexts.maxBytes);
  memoryFlag(errors, "--build-context-storage", o.buildContextStorage, "2Gi", false,
             c.buildContexts.maxNamespaceBytes);

  c.workers = std::max(1, o.workers);
  c.startLimit = o.startConcurrency > 0 ? o.startConcurrency
                                        : 4 * static_cast<int>(std::max(1u, hardwareThreads));

  if (o.tlsCert.empty() != o.tlsKey.empty()) {
    if (o.tlsKey.empty()) {
      errors.add("--tls-key", "is needed with --tls-cert: the certificate's private key (PEM)");
    } else {
      errors.add("--tls-cert", "is needed with --tls-key: the key's certificate (PEM)");
    }
  }
  c.tls = !o.tlsCert.empty() && !o.tlsKey.empty();
  if (!c.tls && o.tlsCert.empty() && o.tlsKey.empty()) {
    for (const std::string& listen : o.listen) {
      if (isLoopbackListen(listen)) continue;
      if (o.allowPlaintext) {
        c.plaintextReachable.push_back(listen);
        continue;
      }
      errors.add("--listen",
                 "refusing to serve the API in plaintext on " + listen +
                     ", which other hosts may reach (tokens would cross the network readable): "
                     "give --tls-cert and --tls-key to serve HTTPS, or --allow-plaintext when "
                     "something else keeps the port private (a container's port published on "
                     "the host's loopback only)");
    }
  }

  if (!errors.empty()) return Status::Invalid("the serve flags are invalid", errors.take());
  return c;
}

FairShareOptions withTokenBudgets(FairShareOptions fairShare,
                                  const std::map<std::string, TokenBudget>& budgets) {
  for (const auto& [name, budget] : budgets) {
    RequestRate rate = fairShare.rate;
    if (budget.rate) rate.perSecond = *budget.rate;
    if (budget.burst) rate.burst = *budget.burst;
    fairShare.rates[name] = rate;
  }
  return fairShare;
}

MemorySource memorySourceFor(const std::string& asked, bool askedReadable) {
  if (askedReadable && asked != "/proc") return {asked, asked + "/meminfo (the host's, mounted)"};
  if (askedReadable) return {"/proc", "/proc/meminfo"};
  return {"/proc", "/proc/meminfo (" + asked + "/meminfo cannot be read: the kernel's view from here, " +
                       "which in a container on Docker Desktop or Colima is the VM's)"};
}

}  // namespace tender

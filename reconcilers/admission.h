// Memory-aware admission: one ledger for the whole host, through which
// every replica passes before it is started, so a stack that works service
// by service does not exhaust the host when started together.
//
// A replica counts its memory reservation, else its limit, else the
// namespace's default reservation, else the host-wide default (most Compose
// files set none). It is admitted when
//   - the reservations of the replicas admitted so far plus its own stay
//     within the host's allocatable memory (MemTotal minus the system
//     reserve), and
//   - the host's MemAvailable exceeds its request times the headroom factor
//     (when MemAvailable is known: the engine is on this machine), and
//   - its namespace's quota (memory, number of services) still holds it.
// The reservation is taken in the same step as the check (under one lock),
// so two workers never admit against the same free memory. It is kept while
// the replica runs or waits to be restarted, and given back when the replica
// is removed, scaled away or done; then the services that were refused are
// told to try again.
//
// Thread-safety: every method, from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace tender {

struct AdmissionConfig {
  int64_t hostMemoryBytes = 0;            // MemTotal (the engine's, or configured); 0: unknown, not checked
  double systemReserveFraction = 0.10;    // kept back for the system
  double headroom = 1.2;                  // MemAvailable must exceed request x this
  int64_t defaultReservationBytes = 64LL << 20;
};

struct AdmissionRequest {
  std::string ns, service;
  int replica = 0;
  int64_t bytes = 0;
  std::string source;  // "its reservation", "its memory limit", "the namespace's default reservation", ...
  std::optional<int64_t> quotaMemory;   // the namespace's
  std::optional<int> quotaServices;
};

struct AdmissionDecision {
  bool admitted = true;
  std::string reason;   // InsufficientMemory | QuotaExceeded
  std::string message;  // with the numbers
};

class AdmissionLedger {
 public:
  // `memAvailable` gives the host's MemAvailable now, or nullopt when it
  // cannot be known (a remote engine).
  AdmissionLedger(AdmissionConfig config, std::function<std::optional<int64_t>()> memAvailable);

  // Reserves for the replica, or says why not. A replica that holds a
  // reservation already keeps it (updated to `bytes`) without a check.
  AdmissionDecision admit(const AdmissionRequest& request);
  // Records a replica found running (at start, or adopted): no check.
  void hold(const AdmissionRequest& request);
  // Gives a replica's reservation back; every replica from `fromReplica`
  // on with releaseService.
  void release(const std::string& ns, const std::string& service, int replica);
  void releaseService(const std::string& ns, const std::string& service, int fromReplica = 0);
  // Called (outside the lock) with each service that was refused, once some
  // memory was given back.
  void setOnFreed(std::function<void(const std::string& ns, const std::string& service)> onFreed);

  // The host's MemTotal, once known (the engine answered).
  void setHostMemory(int64_t bytes);
  int64_t allocatableBytes() const;  // 0 when the host's memory is unknown
  int64_t reservedBytes() const;
  AdmissionConfig config() const;
  // {"allocatable", "reserved", "namespaces": {ns: bytes}} for /metrics and tests.
  nlohmann::json snapshot() const;

 private:
  using ReplicaKey = std::tuple<std::string, std::string, int>;
  void notifyFreed();
  int64_t allocatableLocked() const;  // REQUIRES: mu_ held

  AdmissionConfig config_;
  std::function<std::optional<int64_t>()> memAvailable_;
  mutable std::mutex mu_;
  std::map<ReplicaKey, int64_t> reserved_;
  std::set<std::pair<std::string, std::string>> refused_;
  std::function<void(const std::string&, const std::string&)> onFreed_;
};

}  // namespace tender

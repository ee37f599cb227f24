// Reconciler: the one contract every reconciler keeps.
//
// A key names an object, never the event that made it dirty ("level-based":
// the reconciler reads the world afresh each time).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "base/status.h"

namespace tender {

struct Key {
  std::string kind;  // "Service", "Network", "Volume", "Namespace"
  std::string ns;    // "" for Namespace keys
  std::string name;

  std::string str() const { return kind + "/" + ns + "/" + name; }
  static Key parse(const std::string& s);  // inverse of str(); {} fields on bad input
  bool operator==(const Key& o) const { return kind == o.kind && ns == o.ns && name == o.name; }
  bool operator<(const Key& o) const { return str() < o.str(); }
};

struct ReconcileResult {
  Status status;  // !ok(): retried with per-key exponential backoff
  std::optional<std::chrono::milliseconds> requeueAfter;  // a timer the policy wants

  static ReconcileResult Done() { return {}; }
  static ReconcileResult Error(Status s) { return {std::move(s), std::nullopt}; }
  static ReconcileResult After(std::chrono::milliseconds d) { return {Status::Ok(), d}; }
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  // Reads desired (store), observed (engine) and runtime state; acts; writes status.
  // REQUIRES: never called for the same key by two workers at once.
  virtual ReconcileResult reconcile(const Key& key) = 0;
};

}  // namespace tender

template <>
struct std::hash<tender::Key> {
  size_t operator()(const tender::Key& k) const { return std::hash<std::string>()(k.str()); }
};

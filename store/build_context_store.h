// Build contexts uploaded through the API: each namespace's tars in a
// folder of their own under the state directory, each named by its
// SHA-256, so a service's spec.build.contextDigest says exactly which bytes
// its image is built from and the same upload twice is stored once. The
// server builds only from here; it never reads a folder a request names.
//
// A context that no stored service names is removed by sweep() once it is
// older than the grace period (an upload is followed by its apply within
// seconds; uploading it again renews it). A namespace may hold at most
// maxNamespaceBytes, so one tenant cannot fill the state directory's disk.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "base/status.h"

namespace tender {

struct BuildContextLimits {
  int64_t maxContextBytes = int64_t{512} << 20;     // one upload
  int64_t maxNamespaceBytes = int64_t{2048} << 20;  // everything one namespace holds
};

struct StoredContext {
  std::string digest;  // "sha256:<hex>"
  int64_t bytes = 0;
  bool created = false;  // false: the same bytes were there already
};

class BuildContextStore {
 public:
  // `root`: the folder that holds one folder per namespace (created on the
  // first upload, mode 0700).
  BuildContextStore(std::string root, BuildContextLimits limits = {});

  // Stores `tar` for `ns`. Invalid when it is not a tar; TooLarge past
  // either limit, the message naming the limit and what counts.
  // REQUIRES: ns is a namespace name (isNamespaceName).
  Result<StoredContext> put(const std::string& ns, const std::string& tar);

  bool contains(const std::string& ns, const std::string& digest) const;

  // The tar's bytes; NotFound naming the digest and the namespace.
  Result<std::string> read(const std::string& ns, const std::string& digest) const;

  // Removes each context not in `referenced` ({namespace, digest}) whose
  // last upload is older than `grace`, and namespace folders left empty.
  // Returns how many contexts went.
  Result<int> sweep(const std::set<std::pair<std::string, std::string>>& referenced,
                    std::chrono::seconds grace);

  // Bytes `ns` holds.
  int64_t namespaceBytes(const std::string& ns) const;

 private:
  std::string pathOf(const std::string& ns, const std::string& digest) const;
  int64_t namespaceBytesLocked(const std::string& ns) const;

  const std::string root_;
  const BuildContextLimits limits_;
  mutable std::mutex mu_;
};

}  // namespace tender

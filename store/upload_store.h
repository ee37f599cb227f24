// What the tender command uploads for a namespace because the server reads
// no path a request names: build contexts (tars) and the files of secrets
// and configs. Each namespace's uploads are in a folder of their own under
// the state directory, each named by its SHA-256, so a spec's digest
// (spec.build.contextDigest, spec.secrets[].digest) says exactly which
// bytes it uses and the same upload twice is stored once.
//
// An upload that no stored service names is removed by sweep() once it is
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

struct UploadLimits {
  int64_t maxBytes = int64_t{512} << 20;     // one upload
  int64_t maxNamespaceBytes = int64_t{2048} << 20;  // everything one namespace holds
};

// What a store holds, for its checks and its messages.
struct UploadKind {
  std::string what;       // "build context": names an upload in messages
  std::string suffix;     // of the files on disk: ".tar"
  bool tar = false;       // an upload must be a tar archive
  std::string limitFlag;  // the serve flag that sets maxBytes
  std::string smaller;    // how to make one smaller
  std::string uploadHow;  // how to upload one again

  static UploadKind buildContexts();
  static UploadKind files();  // secrets' and configs' files: any bytes
};

// A secret's or config's file: at most 1 MiB (a Kubernetes Secret's
// limit), 64 MiB per namespace.
inline constexpr UploadLimits kFileUploadLimits{int64_t{1} << 20, int64_t{64} << 20};

struct StoredUpload {
  std::string digest;  // "sha256:<hex>"
  int64_t bytes = 0;
  bool created = false;  // false: the same bytes were there already
};

class UploadStore;

// The stores whose uploads a spec may name by digest (null: nothing was
// uploaded there).
struct Uploads {
  const UploadStore* contexts = nullptr;  // spec.build.contextDigest
  const UploadStore* files = nullptr;     // spec.secrets[].digest, spec.configs[].digest
};

class UploadStore {
 public:
  // `root`: the folder that holds one folder per namespace (created on the
  // first upload, mode 0700).
  UploadStore(std::string root, UploadLimits limits = {},
              UploadKind kind = UploadKind::buildContexts());

  // Stores `bytes` for `ns`. Invalid when a tar is required and it is not one; TooLarge past
  // either limit, the message naming the limit and what counts.
  // REQUIRES: ns is a namespace name (isNamespaceName).
  Result<StoredUpload> put(const std::string& ns, const std::string& bytes);

  bool contains(const std::string& ns, const std::string& digest) const;

  // The upload's bytes; NotFound naming the digest and the namespace.
  Result<std::string> read(const std::string& ns, const std::string& digest) const;

  // Removes each upload not in `referenced` ({namespace, digest}) whose
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
  const UploadLimits limits_;
  const UploadKind kind_;
  mutable std::mutex mu_;
};

}  // namespace tender

// Uploads on disk (upload_store.h).

#include "store/upload_store.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/byte_format.h"
#include "base/context_tar.h"
#include "base/private_file.h"
#include "base/sha256.h"

namespace tender {

namespace fs = std::filesystem;

namespace {

constexpr size_t kDigestPrefix = 7;  // "sha256:"

}  // namespace

UploadKind UploadKind::buildContexts() {
  return {"build context", ".tar", true, "--max-build-context-size",
          ": leave more out with .dockerignore",
          ": apply the manifest again with the tender command, which uploads it"};
}

UploadKind UploadKind::files() {
  return {"secret or config file", ".file", false, "per file, as a Kubernetes Secret's",
          "", ": apply the manifest again with the tender command, which uploads it"};
}

UploadStore::UploadStore(std::string root, UploadLimits limits, UploadKind kind)
    : root_(std::move(root)), limits_(limits), kind_(std::move(kind)) {}

std::string UploadStore::pathOf(const std::string& ns, const std::string& digest) const {
  return root_ + "/" + ns + "/" + digest.substr(kDigestPrefix) + kind_.suffix;
}

int64_t UploadStore::namespaceBytesLocked(const std::string& ns) const {
  std::error_code ec;
  int64_t total = 0;
  for (fs::directory_iterator it(fs::path(root_) / ns, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().extension() != kind_.suffix) continue;
    std::error_code sizeError;
    auto size = it->file_size(sizeError);
    if (!sizeError) total += static_cast<int64_t>(size);
  }
  return total;
}

int64_t UploadStore::namespaceBytes(const std::string& ns) const {
  std::lock_guard<std::mutex> l(mu_);
  return namespaceBytesLocked(ns);
}

Result<StoredUpload> UploadStore::put(const std::string& ns, const std::string& bytes) {
  const auto size = static_cast<int64_t>(bytes.size());
  if (size > limits_.maxBytes) {
    return Status::TooLarge("the " + kind_.what + " is " + formatBytes(size) + ", over the limit of " +
                            formatBytes(limits_.maxBytes) + " (" + kind_.limitFlag + ")" +
                            kind_.smaller);
  }
  if (kind_.tar && !looksLikeTar(bytes)) {
    return Status::Invalid("the body is not a tar archive (an uncompressed tar of the build "
                           "context, as the tender command sends)");
  }
  StoredUpload out;
  out.digest = "sha256:" + sha256Hex(bytes);
  out.bytes = size;
  const std::string path = pathOf(ns, out.digest);
  std::lock_guard<std::mutex> l(mu_);
  std::error_code ec;
  if (fs::exists(path, ec)) {
    // Renewed: a sweep counts its age from this upload.
    fs::last_write_time(path, fs::file_time_type::clock::now(), ec);
    return out;
  }
  const int64_t held = namespaceBytesLocked(ns);
  if (held + size > limits_.maxNamespaceBytes) {
    return Status::TooLarge("namespace " + ns + " holds " + formatBytes(held) +
                            " of " + kind_.what + "s; this one (" + formatBytes(size) +
                            ") would pass its limit of " + formatBytes(limits_.maxNamespaceBytes) +
                            " (uploads no service uses are removed an hour after their upload)");
  }
  for (const std::string& dir : {root_, root_ + "/" + ns}) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::Unavailable("cannot create " + dir + ": " + std::strerror(errno));
    }
  }
  Status written = writePrivateFile(path, bytes);
  if (!written.ok()) return written;
  out.created = true;
  return out;
}

bool UploadStore::contains(const std::string& ns, const std::string& digest) const {
  std::error_code ec;
  return fs::is_regular_file(pathOf(ns, digest), ec);
}

Result<std::string> UploadStore::read(const std::string& ns,
                                            const std::string& digest) const {
  if (!contains(ns, digest)) {
    return Status::NotFound("no " + kind_.what + " " + digest + " was uploaded to namespace " + ns +
                            kind_.uploadHow);
  }
  return readFile(pathOf(ns, digest), kind_.what + " " + digest);
}

Result<int> UploadStore::sweep(
    const std::set<std::pair<std::string, std::string>>& referenced, std::chrono::seconds grace) {
  std::lock_guard<std::mutex> l(mu_);
  std::error_code ec;
  if (!fs::exists(root_, ec)) return 0;
  const auto cutoff = fs::file_time_type::clock::now() - grace;
  int removed = 0;
  for (fs::directory_iterator ns(root_, ec), end; !ec && ns != end; ns.increment(ec)) {
    if (!ns->is_directory()) continue;
    const std::string name = ns->path().filename().string();
    std::error_code inner;
    for (fs::directory_iterator f(ns->path(), inner), fend; !inner && f != fend;
         f.increment(inner)) {
      const fs::path& p = f->path();
      // "<hex><suffix>", or "<hex><suffix>.tmp<pid>" that an upload cut short left.
      const bool partial = p.extension().string().rfind(".tmp", 0) == 0;
      if (!partial && p.extension() != kind_.suffix) continue;
      if (!partial && referenced.count({name, "sha256:" + p.stem().string()})) continue;
      std::error_code timeError;
      auto written = fs::last_write_time(p, timeError);
      if (timeError || written > cutoff) continue;
      if (fs::remove(p, timeError) && !partial) ++removed;
    }
    if (fs::is_empty(ns->path(), inner)) fs::remove(ns->path(), inner);
  }
  if (ec) return Status::Unavailable("cannot read " + root_ + ": " + ec.message());
  return removed;
}

}  // namespace tender

// Secrets and configs as the tar copied into a container (file_mounts.h).
#include "reconcilers/file_mounts.h"

#include <string_view>
#include <vector>

#include "base/context_tar.h"
#include "manifests/manifest.h"

namespace tender {

namespace {

// Calls `each(secret, mount)` for every secret, then every config; stops
// at the first error.
template <typename F>
Status forEachMount(const ServiceSpec& spec, F each) {
  Status failed = Status::Ok();
  forEachFileMount(spec, [&](const char* field, size_t, const FileMount& m) {
    if (failed.ok()) failed = each(std::string_view(field) == "secrets", m);
  });
  return failed;
}

std::string what(bool secret, const FileMount& m) { return (secret ? "secret " : "config ") + m.name; }

Status uploaded(const UploadStore* files, const std::string& ns, bool secret, const FileMount& m) {
  if (m.digest.empty()) return Status::Invalid(what(secret, m) + " names no upload (spec digest)");
  if (!files) return Status::NotFound(what(secret, m) + ": this server keeps no uploaded files");
  if (!files->contains(ns, m.digest)) {
    return Status::NotFound(what(secret, m) + ": no file " + m.digest + " was uploaded to namespace " + ns +
                            ": apply the manifest again with the tender command, which uploads it");
  }
  return Status::Ok();
}

}  // namespace

Status checkFileMounts(const UploadStore* files, const std::string& ns, const ServiceSpec& spec) {
  return forEachMount(spec, [&](bool secret, const FileMount& m) { return uploaded(files, ns, secret, m); });
}

Result<std::string> fileMountsTar(const UploadStore* files, const std::string& ns,
                                  const ServiceSpec& spec) {
  if (spec.secrets.empty() && spec.configs.empty()) return std::string();
  std::vector<TarEntry> entries;
  Status read = forEachMount(spec, [&](bool secret, const FileMount& m) {
    if (Status s = uploaded(files, ns, secret, m); !s.ok()) return s;
    auto bytes = files->read(ns, m.digest);
    if (!bytes.ok()) return Status::NotFound(what(secret, m) + ": " + bytes.status().message());
    TarEntry e;
    e.name = (secret ? secretTarget(m) : configTarget(m)).substr(1);  // relative to "/"
    e.content = std::move(*bytes);
    e.mode = static_cast<unsigned>(fileMountMode(m));
    e.uid = static_cast<uint64_t>(m.uid.value_or(0));
    e.gid = static_cast<uint64_t>(m.gid.value_or(0));
    entries.push_back(std::move(e));
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return tarFiles(entries);
}

}  // namespace tender

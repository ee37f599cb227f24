// Secrets and configs as the tar copied into a container (file_mounts.h).
#include "reconcilers/file_mounts.h"

#include <vector>

#include "base/context_tar.h"
#include "manifests/manifest.h"

namespace tender {

Result<std::string> fileMountsTar(const UploadStore* files, const std::string& ns,
                                  const ServiceSpec& spec) {
  if (spec.secrets.empty() && spec.configs.empty()) return std::string();
  std::vector<TarEntry> entries;
  for (const auto& [kind, mounts] :
       {std::pair{"secret", &spec.secrets}, std::pair{"config", &spec.configs}}) {
    const bool secret = std::string(kind) == "secret";
    for (const FileMount& m : *mounts) {
      const std::string what = std::string(kind) + " " + m.name;
      if (m.digest.empty()) return Status::Invalid(what + " names no upload (spec digest)");
      if (!files) return Status::NotFound(what + ": this server keeps no uploaded files");
      auto bytes = files->read(ns, m.digest);
      if (!bytes.ok()) return Status::NotFound(what + ": " + bytes.status().message());
      TarEntry e;
      e.name = (secret ? secretTarget(m) : configTarget(m)).substr(1);  // relative to "/"
      e.content = std::move(*bytes);
      e.mode = static_cast<unsigned>(fileMountMode(m));
      e.uid = static_cast<uint64_t>(m.uid.value_or(0));
      e.gid = static_cast<uint64_t>(m.gid.value_or(0));
      entries.push_back(std::move(e));
    }
  }
  return tarFiles(entries);
}

}  // namespace tender

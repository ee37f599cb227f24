// A service's secrets and configs as one tar: what tender copies into each
// of its containers between create and start (DockerEngine::copyToContainer
// at "/"), each file with its target, owner and mode. The bytes come from
// the namespace's uploads (store/upload_store.h), named by digest in the
// spec; they are never written to a log or an event, only their names.
#pragma once

#include <string>

#include "base/status.h"
#include "manifests/resource.h"
#include "store/upload_store.h"

namespace tender {

// Whether every upload the spec names is there: NotFound naming the secret
// or config (never its content) when one is missing. A stat per file: a
// pass checks it; the bytes are read only when a container is created.
// `files` may be null (no uploads).
Status checkFileMounts(const UploadStore* files, const std::string& ns, const ServiceSpec& spec);

// "" when the spec has neither; the same errors as checkFileMounts.
Result<std::string> fileMountsTar(const UploadStore* files, const std::string& ns,
                                  const ServiceSpec& spec);

}  // namespace tender

// The tender command's side of build contexts. A service's
// spec.build.context names a folder on this machine; the server reads no
// folder a request names. So before an apply the command tars each such
// folder here (as Docker does: its .dockerignore honoured, a Dockerfile
// from outside the folder added to the tar), uploads it to the service's
// namespace (POST /api/v1/namespaces/{ns}/buildcontexts) and sends the
// spec with spec.build.contextDigest, the upload's digest, in its place.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "manifests/resource.h"

namespace tender {

class ApiClient;

// Stores `tar` in namespace `ns`; returns its digest ("sha256:<hex>").
using UploadContext =
    std::function<Result<std::string>(const std::string& ns, const std::string& tar)>;

// Whether any service names a build folder (and so needs uploading).
bool hasBuildFolders(const std::vector<Resource>& resources);

// Uploads each service's build folder (relative ones resolve against
// `baseDir`) and rewrites the spec to name the upload; a folder several
// services of a namespace share is uploaded once. Errors name the service
// and the field: a folder that is missing or holds what a tar cannot, or
// the server's refusal of the upload.
Status uploadBuildContexts(std::vector<Resource>& resources, const std::string& baseDir,
                           const UploadContext& upload);

// Uploads through the API.
UploadContext apiUploader(ApiClient& client);

// Secrets' and configs' bytes go the same way: read here from a file
// (relative to `baseDir`), an environment variable (`lookup`) or inline
// content, uploaded to the service's namespace (POST .../files), and
// named by digest in the spec sent; nothing else of them leaves the client.
using LookupVariable = std::function<std::optional<std::string>(const std::string& name)>;
bool hasFilesToUpload(const std::vector<Resource>& resources);
// Errors name the service and the field ("spec.secrets[0].file").
Status uploadFiles(std::vector<Resource>& resources, const std::string& baseDir,
                   const LookupVariable& lookup, const UploadContext& upload);
UploadContext apiFileUploader(ApiClient& client);

}  // namespace tender

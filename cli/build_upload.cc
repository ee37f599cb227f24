// Build contexts tarred and uploaded by the tender command (build_upload.h).

#include "cli/build_upload.h"

#include <filesystem>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

#include "base/context_tar.h"
#include "base/private_file.h"
#include "base/sha256.h"
#include "cli/api_client.h"
#include "manifests/manifest_syntax.h"

namespace tender {

namespace fs = std::filesystem;

namespace {

struct Upload {
  std::string digest;
  std::string dockerfile;  // as the tar names it
};

// The folder's tar, with the Dockerfile inside it or added to it.
Result<Upload> tarContext(const fs::path& folder, const std::string& dockerfile,
                          const UploadContext& upload, const std::string& ns) {
  const std::string name = dockerfile.empty() ? "Dockerfile" : dockerfile;
  const fs::path file = (folder / name).lexically_normal();
  const std::string inside = file.lexically_relative(folder).generic_string();
  std::vector<TarFile> extra;
  std::string tarName = inside;
  if (inside.empty() || inside.rfind("..", 0) == 0) {
    // A Dockerfile from elsewhere travels in the tar under a name of its own.
    auto content = readFile(file.string(), "the Dockerfile " + file.string());
    if (!content.ok()) return content.status();
    tarName = ".dockerfile." + sha256Hex(*content).substr(0, 12);
    extra.push_back({tarName, *content});
  }
  auto tar = tarDirectory(folder.string(), tarName, extra);
  if (!tar.ok()) return tar.status();
  auto digest = upload(ns, *tar);
  if (!digest.ok()) return digest.status();
  if (!isContextDigest(*digest)) {
    return Status::Internal("the server answered the upload with \"" + *digest +
                            "\", which is not a digest");
  }
  return Upload{*digest, tarName == "Dockerfile" && dockerfile.empty() ? "" : tarName};
}

}  // namespace

bool hasBuildFolders(const std::vector<Resource>& resources) {
  for (const Resource& r : resources) {
    if (r.kind == "Service" && r.service().build && !r.service().build->context.empty()) {
      return true;
    }
  }
  return false;
}

Status uploadBuildContexts(std::vector<Resource>& resources, const std::string& baseDir,
                           const UploadContext& upload) {
  std::map<std::tuple<std::string, std::string, std::string>, Upload> done;
  for (Resource& r : resources) {
    if (r.kind != "Service") continue;
    auto& spec = std::get<ServiceSpec>(r.spec);
    if (!spec.build || spec.build->context.empty()) continue;
    BuildSpec& b = *spec.build;
    fs::path folder = (fs::path(baseDir) / b.context).lexically_normal();
    if (!folder.has_filename()) folder = folder.parent_path();  // "app/" is "app"
    const auto key = std::make_tuple(r.metadata.namespace_, folder.string(), b.dockerfile);
    auto it = done.find(key);
    if (it == done.end()) {
      auto made = tarContext(folder, b.dockerfile, upload, r.metadata.namespace_);
      if (!made.ok()) {
        const std::string field = "spec.build.context";
        return made.status()
            .WithContext("service \"" + r.metadata.name + "\": " + field + " \"" + b.context +
                         "\"")
            .WithDetails({{field, made.status().message()}});
      }
      it = done.emplace(key, *made).first;
    }
    b.context.clear();
    b.contextDigest = it->second.digest;
    b.dockerfile = it->second.dockerfile;
  }
  return Status::Ok();
}

bool hasFilesToUpload(const std::vector<Resource>& resources) {
  bool any = false;
  for (const Resource& r : resources) {
    if (r.kind != "Service") continue;
    forEachFileMount(r.service(), [&](const char*, size_t, const FileMount& m) { any = any || m.digest.empty(); });
  }
  return any;
}

namespace {

// A mount's bytes, from where the manifest says they are; `at` gets the
// field they came from.
Result<std::string> mountBytes(const FileMount& m, const std::string& baseDir, const LookupVariable& lookup,
                               std::string* at) {
  if (!m.file.empty()) {
    *at += ".file";
    return readFile((fs::path(baseDir) / m.file).lexically_normal().string(), "\"" + m.file + "\"");
  }
  if (!m.environment.empty()) {
    *at += ".environment";
    auto value = lookup ? lookup(m.environment) : std::nullopt;
    if (!value) return Status::Invalid("the variable " + m.environment + " is not set");
    return *value;
  }
  *at += ".content";
  return m.content.value_or("");
}

}  // namespace

Status uploadFiles(std::vector<Resource>& resources, const std::string& baseDir,
                   const LookupVariable& lookup, const UploadContext& upload) {
  Status failed = Status::Ok();
  for (Resource& r : resources) {
    if (r.kind != "Service") continue;
    forEachFileMount(std::get<ServiceSpec>(r.spec), [&](const char* field, size_t i, FileMount& m) {
      if (!failed.ok() || !m.digest.empty()) return;
      std::string at = std::string("spec.") + field + "[" + std::to_string(i) + "]";
      Result<std::string> bytes = mountBytes(m, baseDir, lookup, &at);
      Result<std::string> digest = bytes.ok() ? upload(r.metadata.namespace_, *bytes) : bytes.status();
      if (digest.ok() && !isContextDigest(*digest)) {
        digest = Status::Internal("the server answered the upload with \"" + *digest + "\", which is not a digest");
      }
      if (!digest.ok()) {
        failed = digest.status()
                     .WithContext("service \"" + r.metadata.name + "\": " + at)
                     .WithDetails({{at, digest.status().message()}});
        return;
      }
      m.digest = *digest;
      m.file.clear();
      m.environment.clear();
      m.content.reset();
    });
    if (!failed.ok()) return failed;
  }
  return Status::Ok();
}

namespace {

UploadContext uploaderTo(ApiClient& client, const std::string& what, const std::string& type) {
  return [&client, what, type](const std::string& ns, const std::string& bytes) -> Result<std::string> {
    auto response = client.call("POST", "/api/v1/namespaces/" + ns + "/" + what, bytes, type);
    if (!response.ok()) return response.status();
    nlohmann::json answer = nlohmann::json::parse(response->body, nullptr, false);
    if (!answer.is_object() || !answer.contains("digest") || !answer["digest"].is_string()) {
      return Status::Internal("the server's answer to the upload names no digest");
    }
    return answer["digest"].get<std::string>();
  };
}

}  // namespace

UploadContext apiUploader(ApiClient& client) {
  return uploaderTo(client, "buildcontexts", "application/x-tar");
}

UploadContext apiFileUploader(ApiClient& client) {
  return uploaderTo(client, "files", "application/octet-stream");
}

}  // namespace tender

// Building a service's image through the engine's /build endpoint
// (build_context.h): from an uploaded context, and the built image's tag.

#include "reconcilers/build_context.h"

#include <nlohmann/json.hpp>

#include "engine/labels.h"
#include "reconcilers/spec_hash.h"

namespace tender {

namespace {

constexpr const char* kLabelBuildHash = "tender.build-hash";

}  // namespace

std::string builtImageTag(const std::string& ns, const std::string& service, const ServiceSpec& spec) {
  if (!spec.image.empty()) return spec.image;
  return "tender-" + ns + "-" + service + ":latest";
}

Result<BuiltImage> ensureBuiltImage(DockerEngine& engine, const UploadStore& contexts,
                                    const std::string& instance, const std::string& ns,
                                    const std::string& service, const ServiceSpec& spec) {
  const BuildSpec& b = *spec.build;
  // A spec stored before contexts were uploaded names a folder: its hash
  // is the one its image was labelled with then, so that image is kept.
  nlohmann::json buildJson = {{"context", b.contextDigest.empty() ? b.context : b.contextDigest},
                              {"dockerfile", b.dockerfile},
                              {"args", b.args},
                              {"target", b.target}};
  const std::string buildHash = sha256Hex("tender-build-v1\n" + buildJson.dump());
  BuiltImage out;
  out.tag = builtImageTag(ns, service, spec);
  auto existing = engine.inspectImage(out.tag);
  if (existing.ok()) {
    auto it = existing->labels.find(kLabelBuildHash);
    if (it != existing->labels.end() && it->second == buildHash) {
      out.id = existing->id;
      return out;
    }
  } else if (!existing.status().IsNotFound()) {
    return existing.status();
  }
  if (b.contextDigest.empty()) {
    return Status::Invalid("spec.build.context names the folder " + b.context +
                           ", and the server reads no folder a request names: apply the "
                           "manifest again with the tender command, which uploads it");
  }
  auto tar = contexts.read(ns, b.contextDigest);
  if (!tar.ok()) return tar.status();
  BuildOptions o;
  o.tag = out.tag;
  o.dockerfile = b.dockerfile.empty() ? "Dockerfile" : b.dockerfile;
  o.buildArgs = b.args;
  o.target = b.target;
  o.labels = ownerLabels(instance, ns);
  o.labels[kLabelService] = service;
  o.labels[kLabelBuildHash] = buildHash;
  auto id = engine.buildImage(*tar, o);
  if (!id.ok()) return id.status().WithContext("build " + out.tag);
  out.id = *id;
  out.built = true;
  return out;
}

}  // namespace tender

// The spec hash (spec_hash.h): what decides whether a container is recreated.

#include "reconcilers/spec_hash.h"

#include <openssl/evp.h>

#include <cstdio>

#include "manifests/manifest.h"

namespace tender {

namespace {
// Bump only when the hashed form must change; every bump recreates every
// container on upgrade, so it should almost never happen.
constexpr const char* kHashFormat = "tender-spec-hash-v1";
}  // namespace

std::string sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, data.data(), data.size());
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  hex.reserve(len * 2);
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

std::string serviceSpecHash(const Resource& service, const std::string& imageId) {
  nlohmann::json spec = encodeSpec(service);
  for (const char* key : {"replicas", "dependsOn", "backoff", "restartPolicy", "priority"}) {
    spec.erase(key);
  }
  if (spec.contains("healthcheck")) {
    auto& hc = spec["healthcheck"];
    if (hc.contains("http") || hc.contains("tcp")) {
      spec.erase("healthcheck");  // tender runs these itself
    } else {
      hc.erase("restartWhenUnhealthy");
    }
  }
  return sha256Hex(std::string(kHashFormat) + "\n" + spec.dump() + "\n" + imageId);
}

}  // namespace tender

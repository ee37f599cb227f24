// Building a service's image through the engine's /build endpoint
// (build_context.h): the context directory as a tar, and the built image's tag.

#include "reconcilers/build_context.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/docker_ignore.h"
#include "engine/labels.h"
#include "reconcilers/spec_hash.h"

namespace tender {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLabelBuildHash = "tender.build-hash";
constexpr size_t kMaxContextBytes = size_t{2} << 30;

void putOctal(char* field, size_t width, uint64_t value) {
  // width includes the terminating NUL.
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1),
                static_cast<unsigned long long>(value));
}

// One 512-byte ustar header. Names longer than 100 bytes use the prefix
// field (up to 155 more); longer paths are refused by the caller.
std::string header(const std::string& name, char type, uint64_t size, unsigned mode,
                   const std::string& linkTarget) {
  char h[512];
  std::memset(h, 0, sizeof h);
  std::string prefix, base = name;
  if (name.size() > 100) {
    size_t cut = name.rfind('/', 155);
    prefix = name.substr(0, cut);
    base = name.substr(cut + 1);
  }
  std::memcpy(h, base.data(), std::min<size_t>(base.size(), 100));
  putOctal(h + 100, 8, mode & 07777);
  putOctal(h + 108, 8, 0);
  putOctal(h + 116, 8, 0);
  putOctal(h + 124, 12, size);
  putOctal(h + 136, 12, 0);  // mtime 0: the same tree gives the same bytes
  h[156] = type;
  std::memcpy(h + 157, linkTarget.data(), std::min<size_t>(linkTarget.size(), 100));
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  std::memcpy(h + 345, prefix.data(), std::min<size_t>(prefix.size(), 155));
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h + 148, 8, "%06o", sum);
  return std::string(h, sizeof h);
}

}  // namespace

Result<std::string> tarDirectory(const std::string& dir, const std::string& dockerfile) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::Invalid("build context " + dir + " is not a directory");
  DockerIgnore ignore;
  {
    std::ifstream f(fs::path(dir) / ".dockerignore", std::ios::binary);
    if (f) {
      std::stringstream text;
      text << f.rdbuf();
      ignore = DockerIgnore::parse(text.str());
    }
  }
  const std::string keptFile = fs::path(dockerfile).lexically_normal().generic_string();
  std::vector<fs::path> entries;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end; !ec && it != end;
       it.increment(ec)) {
    entries.push_back(it->path());
  }
  if (ec) return Status::Invalid("cannot read build context " + dir + ": " + ec.message());
  std::sort(entries.begin(), entries.end());
  std::string out;
  for (const fs::path& p : entries) {
    std::string rel = fs::relative(p, dir, ec).generic_string();
    if (ec) return Status::Invalid("cannot read build context " + dir + ": " + ec.message());
    if (ignore.excluded(rel) && rel != keptFile && rel != ".dockerignore") continue;
    if (rel.size() > 255 || (rel.size() > 100 && rel.rfind('/', 155) == std::string::npos)) {
      return Status::Invalid("build context path too long for a tar: " + rel);
    }
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) return Status::Invalid("cannot stat " + p.string());
    if (S_ISDIR(st.st_mode)) {
      out += header(rel + "/", '5', 0, st.st_mode, "");
    } else if (S_ISLNK(st.st_mode)) {
      std::string target = fs::read_symlink(p, ec).string();
      if (ec || target.size() > 100) return Status::Invalid("cannot archive the link " + rel);
      out += header(rel, '2', 0, st.st_mode, target);
    } else if (S_ISREG(st.st_mode)) {
      std::ifstream f(p, std::ios::binary);
      std::stringstream data;
      data << f.rdbuf();
      if (!f) return Status::Invalid("cannot read " + p.string());
      std::string bytes = data.str();
      out += header(rel, '0', bytes.size(), st.st_mode, "");
      out += bytes;
      out.append((512 - bytes.size() % 512) % 512, '\0');
    } else {
      return Status::Invalid("build context holds " + rel + ", which is neither a file, a directory nor a link");
    }
    if (out.size() > kMaxContextBytes) return Status::TooLarge("build context " + dir + " is larger than 2 GiB");
  }
  out.append(1024, '\0');
  return out;
}

std::string builtImageTag(const std::string& ns, const std::string& service, const ServiceSpec& spec) {
  if (!spec.image.empty()) return spec.image;
  return "tender-" + ns + "-" + service + ":latest";
}

Result<BuiltImage> ensureBuiltImage(DockerEngine& engine, const std::string& instance,
                                    const std::string& ns, const std::string& service,
                                    const ServiceSpec& spec) {
  const BuildSpec& b = *spec.build;
  nlohmann::json buildJson = {{"context", b.context}, {"dockerfile", b.dockerfile},
                              {"args", b.args}, {"target", b.target}};
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
  auto tar = tarDirectory(b.context, b.dockerfile.empty() ? "Dockerfile" : b.dockerfile);
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

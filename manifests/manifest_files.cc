// Decoding spec.secrets and spec.configs (resource.h FileMount): the files
// tender copies into a service's containers.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "manifests/manifest.h"
#include "manifests/manifest_internal.h"
#include "manifests/manifest_syntax.h"

namespace tender {
namespace manifest_internal {
namespace {

// A mode as an integer (YAML's 0440 is octal already) or an octal string.
std::optional<int> decodeMode(Decoder& d, const std::string& path, const json& v) {
  if (v.is_string()) {
    const std::string& text = v.get_ref<const std::string&>();
    int mode = 0;
    bool octal = !text.empty() && text.size() <= 5;
    for (char c : text) {
      octal = octal && c >= '0' && c <= '7';
      mode = mode * 8 + (c - '0');
    }
    if (!octal || mode > 07777) {
      d.error(path, quoteJson(v) + " is not an octal file mode (0444, 0400...)");
      return std::nullopt;
    }
    return mode;
  }
  auto n = d.integer(path, v, 0, 07777);
  if (!n) return std::nullopt;
  return static_cast<int>(*n);
}

std::optional<FileMount> decodeFileMount(Decoder& d, const std::string& path, const json& v) {
  FileMount m;
  if (!d.object(path, &v)) return std::nullopt;
  Fields f(d, &v, path);
  if (const json* name = f.get("name")) {
    if (auto n = d.name(f.at("name"), *name, "Volume")) m.name = *n;  // Compose's object names
  } else {
    d.error(f.at("name"), "is required");
  }
  if (auto s = getString(d, f, "digest")) {
    if (isContextDigest(*s)) {
      m.digest = *s;
    } else {
      d.error(f.at("digest"), quoteJson(*s) + " is not a digest (sha256: and 64 lowercase hex digits)");
    }
  }
  if (auto s = getString(d, f, "file")) m.file = *s;
  if (auto s = getString(d, f, "environment")) m.environment = *s;
  if (const json* c = f.get("content")) m.content = d.string(f.at("content"), *c);
  const int sources = !m.digest.empty() + !m.file.empty() + !m.environment.empty() + m.content.has_value();
  const bool malformed = (f.get("digest") && m.digest.empty()) || (f.get("file") && m.file.empty()) ||
                         (f.get("environment") && m.environment.empty());
  if (sources != 1 && !malformed) {
    d.error(path, sources == 0 ? "one of digest, file, environment or content is required"
                               : "names its bytes more than once: give one of digest, file, "
                                 "environment or content");
  }
  if (auto s = getString(d, f, "target")) {
    if (s->empty() || (*s)[0] != '/') {
      d.error(f.at("target"), quoteJson(*s) + " is not an absolute path");
    } else if (s->find("/../") != std::string::npos || s->size() < 2 || s->back() == '/' ||
               (s->size() >= 3 && s->compare(s->size() - 3, 3, "/..") == 0)) {
      d.error(f.at("target"), quoteJson(*s) + " does not name a file");
    } else {
      m.target = *s;
    }
    // The target becomes a tar entry's name: at most 100 bytes after a '/'
    // within the first 155.
    const std::string name = m.target.substr(std::min<size_t>(1, m.target.size()));
    const size_t cut = name.size() > 100 ? name.rfind('/', 155) : 0;
    if (!m.target.empty() && name.size() > 100 && (cut == std::string::npos || name.size() - cut - 1 > 100)) {
      d.error(f.at("target"), quoteJson(*s) + " is too long (at most 100 bytes after a '/' within the first 155)");
      m.target.clear();
    }
  }
  constexpr int64_t kMaxId = 07777777;  // what a tar header holds
  if (const json* uid = f.get("uid")) m.uid = d.integer(f.at("uid"), *uid, 0, kMaxId);
  if (const json* gid = f.get("gid")) m.gid = d.integer(f.at("gid"), *gid, 0, kMaxId);
  if (const json* mode = f.get("mode")) m.mode = decodeMode(d, f.at("mode"), *mode);
  f.rejectUnknown();
  return m;
}

}  // namespace

std::vector<FileMount> decodeFileMounts(Decoder& d, Fields& f, const char* field) {
  std::vector<FileMount> out;
  const json* list = d.list(f.at(field), f.get(field));
  if (!list) return out;
  std::set<std::string> names;
  for (size_t i = 0; i < list->size(); ++i) {
    std::string at = indexed(f.at(field), i);
    auto m = decodeFileMount(d, at, (*list)[i]);
    if (!m) continue;
    if (!m->name.empty() && !names.insert(m->name + "\n" + m->target).second) {
      d.error(at, quoteJson(m->name) + " is listed twice at the same target");
      continue;
    }
    out.push_back(std::move(*m));
  }
  return out;
}

}  // namespace manifest_internal
}  // namespace tender

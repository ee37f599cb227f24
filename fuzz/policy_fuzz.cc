// libFuzzer target: the security policy over whatever the manifest decoder
// accepts. For every Service admitted at baseline, no bind may resolve
// outside the namespace's allowed host paths or hold the Docker socket,
// and none of privileged, a host namespace or a device may pass; a breach
// aborts, as a crash. Host paths resolve through a fixed table of links
// (a climb out of an allowed path among them), so runs are repeatable.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "manifests/manifest.h"
#include "policy/security_policy.h"

using namespace tender;

namespace {

std::string resolve(const std::string& path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  if (p.size() > 1 && p.back() == '/') p.pop_back();
  struct Link {
    const char* from;
    const char* to;
  };
  static const Link kLinks[] = {
      {"/var/run", "/run"}, {"/srv/alice/link", "/etc"}, {"/srv/alice/up", "/srv"}};
  for (const Link& l : kLinks) {
    const std::string from = l.from;
    if (p == from || p.rfind(from + "/", 0) == 0) {
      return std::filesystem::path(l.to + p.substr(from.size())).lexically_normal().string();
    }
  }
  return p;
}

// `path` is `folder` or below it, component by component.
bool below(const std::filesystem::path& path, const std::filesystem::path& folder) {
  auto p = path.begin();
  for (auto f = folder.begin(); f != folder.end(); ++f, ++p) {
    if (p == path.end() || *p != *f) return false;
  }
  return true;
}

[[noreturn]] void breach(const char* what, const std::string& detail) {
  std::fprintf(stderr, "baseline admitted %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ParseOptions options;
  options.defaultNamespace = "alice";
  options.maxDocumentBytes = 1 << 20;
  auto parsed = parseManifests(text, options);
  if (!parsed.ok()) return 0;
  PolicyScope scope;
  scope.namespace_ = "alice";
  scope.level = SecurityLevel::kBaseline;
  scope.security.allowedHostPaths = {{"/srv/alice", false}, {"/srv/shared", true}};
  for (const Resource& r : *parsed) {
    if (r.kind != "Service" || !securityViolations(r, scope, resolve).empty()) continue;
    const ServiceSpec& s = r.service();
    if (s.privileged) breach("privileged", r.metadata.name);
    if (s.networkMode == "host" || s.pid == "host" || s.ipc == "host" || s.uts == "host")
      breach("a host namespace", r.metadata.name);
    if (!s.devices.empty()) breach("a device", s.devices.front());
    for (const VolumeMount& m : s.volumes) {
      if (m.type != "bind") continue;
      const std::filesystem::path resolved = resolve(m.source);
      bool allowed = false;
      for (const HostPathRule& rule : scope.security.allowedHostPaths) {
        allowed |= below(resolved, resolve(rule.path));
      }
      if (!allowed) breach("a host path outside the allowed ones", m.source);
      for (const std::string& socket : scope.engineSockets) {
        if (below(resolve(socket), resolved)) breach("the Docker socket", m.source);
      }
    }
  }
  return 0;
}

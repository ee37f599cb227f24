// The security levels' checks (see security_policy.h): one function per
// kind of object, one small check per field, each refusal naming the field
// and the level.
#include "policy/security_policy.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <system_error>

#include "manifests/manifest_syntax.h"

namespace tender {
namespace {

// Docker's default capabilities: baseline allows adding back what a
// capDrop took away, nothing else.
const std::set<std::string>& dockerDefaultCapabilities() {
  static const std::set<std::string> kCaps = {
      "AUDIT_WRITE", "CHOWN",  "DAC_OVERRIDE", "FOWNER",  "FSETID",     "KILL",      "MKNOD",
      "NET_BIND_SERVICE",      "NET_RAW",      "SETFCAP", "SETGID",     "SETPCAP",   "SETUID",
      "SYS_CHROOT"};
  return kCaps;
}

// "cap_sys_admin" and "SYS_ADMIN" are the same capability to Docker.
std::string capabilityName(std::string cap) {
  std::transform(cap.begin(), cap.end(), cap.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (cap.rfind("CAP_", 0) == 0) cap = cap.substr(4);
  return cap;
}

bool isWithin(const std::string& path, const std::string& folder) {
  if (folder == "/") return true;
  return path == folder || (path.size() > folder.size() && path.compare(0, folder.size(), folder) == 0 &&
                            path[folder.size()] == '/');
}

std::string quoted(const std::string& s) { return quoteJson(s); }

// The checks of one object: errors collect under `prefix`, each message
// ending with the level.
class Checker {
 public:
  Checker(const PolicyScope& scope, const ResolveHostPath& resolve, const std::string& prefix)
      : scope_(scope), resolve_(resolve), prefix_(prefix),
        level_(std::string(" at level ") + securityLevelName(scope.level)) {}

  std::vector<FieldError> take() { return std::move(errors_); }

  bool restricted() const { return scope_.level == SecurityLevel::kRestricted; }

  void refuse(const std::string& field, const std::string& why) {
    errors_.push_back({prefix_ + field, why + level_});
  }

  void service(const ServiceSpec& s) {
    if (s.privileged) refuse("spec.privileged", "privileged containers are not allowed");
    capabilities(s);
    if (s.networkMode == "host") refuse("spec.networkMode", "the host's network is not allowed");
    if (s.networkMode == "bridge") {
      refuse("spec.networkMode",
             "the engine's default bridge is shared with every other namespace's containers: not "
             "allowed");
    }
    joined("spec.networkMode", s.networkMode, "network");
    hostNamespace("spec.pid", s.pid, "pid");
    joined("spec.pid", s.pid, "pid");
    hostNamespace("spec.ipc", s.ipc, "ipc");
    joined("spec.ipc", s.ipc, "ipc");
    hostNamespace("spec.uts", s.uts, "uts");
    for (size_t i = 0; i < s.devices.size(); ++i) {
      refuse(indexed("spec.devices", i), quoted(s.devices[i]) + ": host devices are not allowed");
    }
    for (size_t i = 0; i < s.volumes.size(); ++i) bind(s.volumes[i], indexed("spec.volumes", i));
    for (size_t i = 0; i < s.securityOpt.size(); ++i) securityOption(s.securityOpt[i], i);
    hostTuning(s);
    ports(s.ports);
    if (s.logging && !s.logging->driver.empty() && s.logging->driver != "json-file" &&
        s.logging->driver != "local") {
      refuse("spec.logging.driver", quoted(s.logging->driver) +
                                        " writes logs outside the container's own log files: only "
                                        "json-file and local are allowed");
    }
    if (restricted()) restrictedOnly(s);
  }

  void external(bool external, const char* kind) {
    if (!external) return;
    refuse("spec.external", std::string("an external ") + kind +
                                " is the engine's, not this namespace's: it is not allowed");
  }

  void network(const NetworkSpec& n) {
    external(n.external, "network");
    if (!n.driver.empty() && n.driver != "bridge") {
      refuse("spec.driver", quoted(n.driver) +
                                " reaches past the namespace's own bridge (the host's interfaces, "
                                "other hosts): only bridge networks are allowed");
    }
  }

  void volume(const VolumeSpec& v) {
    external(v.external, "volume");
    if (!v.driver.empty() && v.driver != "local") {
      refuse("spec.driver", quoted(v.driver) + " is a plugin the host's admin chose: only the local "
                                               "driver is allowed");
    }
    if (!v.driverOpts.empty()) {
      refuse("spec.driverOpts",
             "the local driver's options mount host paths and devices (type, o, device): not "
             "allowed");
    }
  }

 private:
  static std::string indexed(const std::string& path, size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }

  void capabilities(const ServiceSpec& s) {
    for (size_t i = 0; i < s.capAdd.size(); ++i) {
      const std::string cap = capabilityName(s.capAdd[i]);
      const std::string at = indexed("spec.capAdd", i);
      if (cap == "ALL") {
        refuse(at, "ALL capabilities are not allowed");
      } else if (restricted() && cap != "NET_BIND_SERVICE") {
        refuse(at, quoted(s.capAdd[i]) + ": only NET_BIND_SERVICE may be added");
      } else if (!dockerDefaultCapabilities().count(cap)) {
        refuse(at, quoted(s.capAdd[i]) + " is not one of Docker's default capabilities");
      }
    }
  }

  void hostNamespace(const std::string& field, const std::string& mode, const char* what) {
    if (mode == "host") refuse(field, std::string("the host's ") + what + " namespace is not allowed");
  }

  // container:NAME joins a container's namespace: only one of this
  // namespace's own (service:NAME always is).
  void joined(const std::string& field, const std::string& mode, const char* what) {
    if (mode.rfind("container:", 0) != 0) return;
    const std::string container = mode.substr(10);
    if (containerOfNamespace(container, scope_.namespace_)) return;
    refuse(field, "container " + quoted(container) + " is not in namespace " +
                      quoted(scope_.namespace_) + ": sharing another namespace's " + what +
                      " namespace is not allowed");
  }

  // Kernel parameters, the OOM killer's order and pinned CPUs reach past the
  // container: only what Kubernetes' baseline calls safe is allowed.
  void hostTuning(const ServiceSpec& s) {
    static const std::set<std::string> kSafeSysctls = {
        "kernel.shm_rmid_forced",          "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",       "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",     "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",    "net.ipv4.tcp_keepalive_probes"};
    for (const auto& [key, value] : s.sysctls) {
      if (!kSafeSysctls.count(key)) {
        refuse("spec.sysctls." + key, quoted(key) +
                                          " is not one of the safe sysctls (net.ipv4.ip_local_port_range, "
                                          "net.ipv4.tcp_keepalive_time...): not allowed");
      }
    }
    if (s.oomScoreAdj && *s.oomScoreAdj < 0) {
      refuse("spec.oomScoreAdj", std::to_string(*s.oomScoreAdj) +
                                     " makes the kernel kill other namespaces' containers first: "
                                     "only 0 and above are allowed");
    }
    if (!s.cpuset.empty()) {
      refuse("spec.cpuset", quoted(s.cpuset) + " pins the host's CPUs: not allowed (cpus and "
                                               "cpuShares share them instead)");
    }
  }

  void bind(const VolumeMount& m, const std::string& at) {
    if (m.type != "bind") return;
    if (auto refusal = hostPathRefusal(m.source, m.readOnly, scope_, resolve_)) {
      refuse(at + "." + refusal->field, refusal->message);
    }
  }

  void securityOption(const std::string& option, size_t i) {
    size_t sep = option.find_first_of("=:");
    if (sep == std::string::npos) return;
    const std::string key = option.substr(0, sep);
    const std::string value = option.substr(sep + 1);
    const bool off = ((key == "seccomp" || key == "apparmor" || key == "systempaths") &&
                      value == "unconfined") ||
                     (key == "label" && value == "disable");
    if (off) {
      refuse(indexed("spec.securityOpt", i), quoted(option) + " turns confinement off: not allowed");
    }
  }

  void ports(const std::vector<PortMapping>& ports) {
    const SecuritySpec& sec = scope_.security;
    if (sec.hostPortMax == 0) return;
    for (size_t i = 0; i < ports.size(); ++i) {
      const PortMapping& p = ports[i];
      if (p.hostPort == 0) continue;  // the engine picks one
      const int last = std::max(p.hostPort, p.hostPortEnd);
      if (p.hostPort >= sec.hostPortMin && last <= sec.hostPortMax) continue;
      refuse(indexed("spec.ports", i),
             "host port " + std::to_string(p.hostPort) +
                 (last != p.hostPort ? "-" + std::to_string(last) : "") + " is outside namespace " +
                 quoted(scope_.namespace_) + "'s host ports " + std::to_string(sec.hostPortMin) +
                 "-" + std::to_string(sec.hostPortMax) + ": not allowed");
    }
  }

  void restrictedOnly(const ServiceSpec& s) {
    const std::string user = s.user.substr(0, s.user.find(':'));
    if (user.empty()) {
      refuse("spec.user", "is required: name a non-root user (a name or a uid)");
    } else if (user == "root" || user == "0") {
      refuse("spec.user", quoted(s.user) + " is root: not allowed");
    }
    const bool noNewPrivileges = std::any_of(
        s.securityOpt.begin(), s.securityOpt.end(), [](const std::string& o) {
          return o == "no-new-privileges" || o == "no-new-privileges=true" ||
                 o == "no-new-privileges:true";
        });
    if (!noNewPrivileges) refuse("spec.securityOpt", "must hold no-new-privileges");
    const bool dropsAll = std::any_of(s.capDrop.begin(), s.capDrop.end(), [](const std::string& c) {
      return capabilityName(c) == "ALL";
    });
    if (!dropsAll) refuse("spec.capDrop", "must hold ALL (add back NET_BIND_SERVICE if needed)");
  }

  const PolicyScope& scope_;
  const ResolveHostPath& resolve_;
  const std::string& prefix_;
  const std::string level_;
  std::vector<FieldError> errors_;
};

}  // namespace

ResolveHostPath hostPathResolver() {
  return [](const std::string& path) {
    std::error_code ec;
    std::filesystem::path resolved = std::filesystem::weakly_canonical(path, ec);
    std::string out = (ec ? std::filesystem::path(path).lexically_normal() : resolved).string();
    if (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
  };
}

bool containerOfNamespace(const std::string& container, const std::string& ns) {
  // tender names containers "ns.service.replica"; a namespace is a DNS
  // label, so it holds no '.', and the prefix is unambiguous.
  return !ns.empty() && container.size() > ns.size() + 1 &&
         container.compare(0, ns.size(), ns) == 0 && container[ns.size()] == '.';
}

std::optional<FieldError> hostPathRefusal(const std::string& source, bool readOnly,
                                          const PolicyScope& scope,
                                          const ResolveHostPath& resolve) {
  const std::string resolved = resolve(source);
  const std::string shown =
      quoteJson(source) + (resolved != source ? " (which resolves to " + quoteJson(resolved) + ")" : "");
  for (const std::string& socket : scope.engineSockets) {
    const std::string s = resolve(socket);
    if (isWithin(s, resolved)) {
      return FieldError{"source", shown + (s == resolved ? " is" : " holds") +
                                      " the Docker engine's socket: never allowed"};
    }
  }
  const HostPathRule* best = nullptr;
  std::string bestPath;
  for (const HostPathRule& rule : scope.security.allowedHostPaths) {
    const std::string allowed = resolve(rule.path);
    if (isWithin(resolved, allowed) && (!best || allowed.size() > bestPath.size())) {
      best = &rule;
      bestPath = allowed;
    }
  }
  if (!best) {
    std::string allowed;
    for (const HostPathRule& rule : scope.security.allowedHostPaths) {
      allowed += (allowed.empty() ? "" : ", ") + rule.path;
    }
    return FieldError{"source", shown + " is not below an allowed host path of namespace " +
                                    quoteJson(scope.namespace_) + " (" +
                                    (allowed.empty() ? "it allows none" : "allowed: " + allowed) +
                                    "): not allowed"};
  }
  if (!readOnly && !best->writable) {
    return FieldError{"readOnly", "must be true: allowed host path " + quoteJson(best->path) +
                                      " is read-only, so a bind below it is not allowed "
                                      "read-write"};
  }
  return std::nullopt;
}

std::vector<FieldError> securityViolations(const Resource& resource, const PolicyScope& scope,
                                           const ResolveHostPath& resolve,
                                           const std::string& prefix) {
  if (scope.level == SecurityLevel::kPrivileged) return {};
  Checker check(scope, resolve, prefix);
  if (resource.kind == "Service") {
    check.service(resource.service());
  } else if (resource.kind == "Network") {
    check.network(resource.network());
  } else if (resource.kind == "Volume") {
    check.volume(resource.volume());
  }
  return check.take();
}

}  // namespace tender

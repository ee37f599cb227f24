// Decoding a Service's spec: image or build, command, env, ports, volumes,
// networks, resources, restart policy and backoff, healthcheck, dependsOn and
// the container settings Compose users expect (cap_add, ulimits, logging...).
#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "manifests/manifest.h"
#include "manifests/manifest_internal.h"
#include "manifests/manifest_syntax.h"

namespace tender {
namespace manifest_internal {
namespace {

constexpr int64_t kDockerMinMemory = 6 * 1024 * 1024;  // the engine refuses less

std::optional<BuildSpec> decodeBuild(Decoder& d, const std::string& path, const json& v) {
  BuildSpec build;
  if (v.is_string()) {
    build.context = v.get<std::string>();
  } else if (v.is_object()) {
    Fields f(d, &v, path);
    if (auto s = getString(d, f, "context")) build.context = *s;
    if (auto s = getString(d, f, "contextDigest")) {
      if (isContextDigest(*s)) {
        build.contextDigest = *s;
      } else {
        d.error(join(path, "contextDigest"),
                quoteJson(*s) + " is not a context digest (sha256: and 64 lowercase hex digits)");
      }
    }
    if (auto s = getString(d, f, "dockerfile")) build.dockerfile = *s;
    if (const json* args = f.get("args")) {
      build.args =
          args->is_array() ? decodeEnv(d, f.at("args"), *args) : d.stringMap(f.at("args"), args);
    }
    if (auto s = getString(d, f, "target")) build.target = *s;
    f.rejectUnknown();
  } else {
    d.error(path, quoteJson(v) + " is not an object or a string");
    return std::nullopt;
  }
  if (!build.context.empty() && !build.contextDigest.empty()) {
    d.error(join(path, "contextDigest"),
            "names an uploaded context, so context (a folder) must not be set too");
    return std::nullopt;
  }
  if (build.context.empty() && build.contextDigest.empty()) {
    if (v.is_object() && v.contains("contextDigest")) return std::nullopt;  // reported above
    d.error(v.is_string() ? path : join(path, "context"), "is required");
    return std::nullopt;
  }
  return build;
}

std::optional<PortMapping> decodePort(Decoder& d, const std::string& path, const json& v) {
  if (v.is_string()) {
    auto port = parsePortSpec(v.get<std::string>());
    if (!port.ok()) {
      d.error(path, port.status().message());
      return std::nullopt;
    }
    return *port;
  }
  if (v.is_number()) {
    // A bare container port, published on a port the engine picks.
    auto p = d.port(path, v);
    if (!p) return std::nullopt;
    PortMapping port;
    port.containerPort = port.containerPortEnd = *p;
    return port;
  }
  if (!v.is_object()) {
    d.error(path, quoteJson(v) + " is not a port mapping");
    return std::nullopt;
  }
  // Compose's long syntax.
  Fields f(d, &v, path);
  PortMapping port;
  bool ok = true;
  if (const json* target = f.get("target")) {
    auto p = d.port(f.at("target"), *target);
    ok = ok && p.has_value();
    if (p) port.containerPort = port.containerPortEnd = *p;
  } else {
    d.error(f.at("target"), "is required");
    ok = false;
  }
  if (const json* published = f.get("published")) {
    if (published->is_string()) {
      // "8080" or a range "8000-8002"; parsePortSpec knows both.
      auto parsed = parsePortSpec(published->get<std::string>());
      if (!parsed.ok() || parsed->hostPort != 0) {
        d.error(f.at("published"), quoteJson(*published) + " is not a port or a port range");
        ok = false;
      } else {
        port.hostPort = parsed->containerPort;
        port.hostPortEnd = parsed->containerPortEnd;
      }
    } else if (auto p = d.port(f.at("published"), *published)) {
      port.hostPort = port.hostPortEnd = *p;
    } else {
      ok = false;
    }
    if (ok && port.hostPortEnd != port.hostPort) {
      d.error(f.at("published"), quoteJson(*published) + " is a range but target is one port");
      ok = false;
    }
  }
  if (auto ip = getString(d, f, "host_ip")) {
    if (!isIpAddress(*ip)) {
      d.error(f.at("host_ip"), quoteJson(*ip) + " is not an IP address");
      ok = false;
    }
    port.hostIp = *ip;
  }
  if (auto protocol = getString(d, f, "protocol")) {
    if (*protocol != "tcp" && *protocol != "udp" && *protocol != "sctp") {
      d.error(f.at("protocol"), quoteJson(*protocol) + " is not one of tcp, udp, sctp");
      ok = false;
    }
    port.protocol = *protocol;
  }
  f.rejectUnknown();
  if (!ok) return std::nullopt;
  return port;
}

std::optional<VolumeMount> decodeVolume(Decoder& d, const std::string& path, const json& v) {
  if (v.is_string()) {
    auto mount = parseVolumeSpec(v.get<std::string>());
    if (!mount.ok()) {
      d.error(path, mount.status().message());
      return std::nullopt;
    }
    return *mount;
  }
  if (!v.is_object()) {
    d.error(path, quoteJson(v) + " is not a volume");
    return std::nullopt;
  }
  // Compose's long syntax.
  Fields f(d, &v, path);
  VolumeMount mount;
  bool ok = true;
  auto type = getString(d, f, "type");
  auto source = getString(d, f, "source");
  auto target = getString(d, f, "target");
  if (auto ro = getBool(d, f, "read_only")) mount.readOnly = *ro;
  std::string tmpfsPath = f.at("tmpfs");
  const json* tmpfs = f.get("tmpfs");
  Fields t(d, d.object(tmpfsPath, tmpfs), tmpfsPath);
  mount.tmpfsSize = getMemory(d, t, "size");
  t.rejectUnknown();
  f.rejectUnknown();
  if (!type) {
    if (!f.get("type")) d.error(f.at("type"), "is required");
    return std::nullopt;
  }
  mount.type = *type;
  mount.source = source.value_or("");
  if (mount.type == "volume") {
    if (!mount.source.empty() && !isObjectName(mount.source)) {
      d.error(f.at("source"), quoteJson(mount.source) + resourceNameRule("Volume"));
      ok = false;
    }
  } else if (mount.type == "bind") {
    if (mount.source.empty()) {
      d.error(f.at("source"), "is required for a bind mount");
      ok = false;
    }
  } else if (mount.type == "tmpfs") {
    if (!mount.source.empty()) {
      d.error(f.at("source"), "must not be set for a tmpfs mount");
      ok = false;
    }
  } else {
    ok = false;
  }
  if (tmpfs != nullptr && mount.type != "tmpfs" && ok) {
    d.error(tmpfsPath, "is only for a tmpfs mount");
    ok = false;
  }
  if (mount.type != "volume" && mount.type != "bind" && mount.type != "tmpfs") {
    d.error(f.at("type"), quoteJson(mount.type) + " is not one of volume, bind, tmpfs");
    ok = false;
  }
  if (!target) {
    if (!f.get("target")) d.error(f.at("target"), "is required");
    return std::nullopt;
  }
  mount.target = *target;
  if (mount.target.empty() || mount.target[0] != '/') {
    d.error(f.at("target"), quoteJson(mount.target) + " is not an absolute path");
    ok = false;
  }
  if (!ok) return std::nullopt;
  return mount;
}

void decodeResources(Decoder& d, const std::string& path, const json* v, Resources* out) {
  Fields r(d, d.object(path, v), path);
  std::string limitsPath = r.at("limits");
  Fields limits(d, d.object(limitsPath, r.get("limits")), limitsPath);
  std::string reservationsPath = r.at("reservations");
  Fields reservations(d, d.object(reservationsPath, r.get("reservations")), reservationsPath);
  r.rejectUnknown();

  const json* memory = limits.get("memory");
  if (memory) {
    out->memoryLimit = d.memory(limits.at("memory"), *memory);
    if (out->memoryLimit && *out->memoryLimit < kDockerMinMemory) {
      d.error(limits.at("memory"),
              quoteJson(*memory) + " is below 6Mi, the least Docker accepts for a container");
      out->memoryLimit.reset();
    }
  }
  const char* cpusKey = d.stored() ? "nanoCpus" : "cpus";
  if (const json* cpus = limits.get(cpusKey)) out->nanoCpus = d.cpus(limits.at(cpusKey), *cpus);
  if (const json* swap = limits.get("memorySwap")) {
    std::string swapPath = limits.at("memorySwap");
    bool unlimited = (swap->is_number_integer() && swap->get<int64_t>() == -1) ||
                     (swap->is_string() && swap->get<std::string>() == "-1");
    if (unlimited) {
      out->memorySwap = -1;
    } else {
      out->memorySwap = d.memory(swapPath, *swap);
    }
    if (out->memorySwap && !memory) {
      d.error(swapPath, "needs limits.memory to be set as well");
      out->memorySwap.reset();
    } else if (out->memorySwap && *out->memorySwap != -1 && out->memoryLimit &&
               *out->memorySwap < *out->memoryLimit) {
      d.error(swapPath, quoteJson(*swap) + " must be at least limits.memory (" +
                            quoteJson(*memory) + "); -1 means unlimited");
      out->memorySwap.reset();
    }
  }
  limits.rejectUnknown();

  if (const json* reserved = reservations.get("memory")) {
    out->memoryReservation = d.memory(reservations.at("memory"), *reserved);
    if (out->memoryReservation && out->memoryLimit && *out->memoryReservation > *out->memoryLimit) {
      d.error(reservations.at("memory"),
              quoteJson(*reserved) + " must not exceed limits.memory (" + quoteJson(*memory) + ")");
      out->memoryReservation.reset();
    }
  }
  reservations.rejectUnknown();
}

void decodeBackoff(Decoder& d, const std::string& path, const json* v, BackoffSpec* out) {
  Fields f(d, d.object(path, v), path);
  out->initialMs = getDuration(d, f, "initial");
  if (const json* factor = f.get("factor")) {
    if (!factor->is_number() || !std::isfinite(factor->get<double>())) {
      d.error(f.at("factor"), quoteJson(*factor) + " is not a number");
    } else if (factor->get<double>() < 1) {
      d.error(f.at("factor"), quoteJson(*factor) + " must be at least 1");
    } else {
      out->factor = factor->get<double>();
    }
  }
  out->maxMs = getDuration(d, f, "max");
  out->resetAfterMs = getDuration(d, f, "resetAfter");
  if (const json* n = f.get("maxRestarts"))
    out->maxRestarts = d.smallInt(f.at("maxRestarts"), *n, 0);
  out->windowMs = getDuration(d, f, "window");
  if (out->maxMs && out->initialMs && *out->maxMs < *out->initialMs) {
    std::string key = durationKey(d, "max");
    d.error(f.at(key), quoteJson(*f.get(key)) + " must be at least backoff." +
                           durationKey(d, "initial") + " (" +
                           quoteJson(*f.get(durationKey(d, "initial"))) + ")");
    out->maxMs.reset();
  }
  f.rejectUnknown();
}

std::optional<HealthCheck> decodeHealthCheck(Decoder& d, const std::string& path, const json* v) {
  if (d.object(path, v) == nullptr) return std::nullopt;
  Fields f(d, v, path);
  HealthCheck hc;
  bool ok = true;
  const json* exec = f.get("exec");
  const json* http = f.get("http");
  const json* tcp = f.get("tcp");
  int kinds = (exec ? 1 : 0) + (http ? 1 : 0) + (tcp ? 1 : 0);
  if (kinds == 0) {
    d.error(path, "one of exec, http or tcp is required");
    ok = false;
  } else if (kinds > 1) {
    d.error(path, "only one of exec, http or tcp may be set");
    ok = false;
  }
  if (exec) {
    hc.kind = HealthCheck::Kind::kExec;
    std::string execPath = f.at("exec");
    if (exec->is_string()) {
      // A string runs in a shell, as Compose's "test: curl -f ... || exit 1".
      if (exec->get<std::string>().empty()) {
        d.error(execPath, "must not be empty");
        ok = false;
      }
      hc.exec = {"CMD-SHELL", exec->get<std::string>()};
    } else if (auto argv = decodeArgv(d, execPath, *exec)) {
      hc.exec = *argv;
      if (hc.exec.empty() || (hc.exec[0] != "CMD" && hc.exec[0] != "CMD-SHELL")) {
        hc.exec.insert(hc.exec.begin(), "CMD");
      }
      if (hc.exec.size() < 2) {
        d.error(execPath, quoteJson(*exec) + " has no command");
        ok = false;
      } else if (hc.exec[0] == "CMD-SHELL" && hc.exec.size() != 2) {
        d.error(execPath, quoteJson(*exec) + ": CMD-SHELL takes one command string");
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  auto decodeTarget = [&](const json* target, const std::string& targetPath, bool withPath) {
    Fields t(d, d.object(targetPath, target), targetPath);
    if (const json* port = t.get("port")) {
      auto p = d.port(t.at("port"), *port);
      ok = ok && p.has_value();
      if (p) hc.port = *p;
    } else if (target && target->is_object()) {
      d.error(t.at("port"), "is required");
      ok = false;
    }
    if (withPath) {
      if (auto p = getString(d, t, "path")) {
        if (p->empty() || (*p)[0] != '/') {
          d.error(t.at("path"), quoteJson(*p) + " does not start with /");
          ok = false;
        }
        hc.path = *p;
      }
    }
    t.rejectUnknown();
  };
  if (http) {
    hc.kind = HealthCheck::Kind::kHttp;
    decodeTarget(http, f.at("http"), true);
  }
  if (tcp) {
    hc.kind = HealthCheck::Kind::kTcp;
    decodeTarget(tcp, f.at("tcp"), false);
  }
  for (const char* name : {"interval", "timeout"}) {
    auto ms = getDuration(d, f, name);
    if (ms && *ms == 0) {
      std::string key = durationKey(d, name);
      d.error(f.at(key), quoteJson(*f.get(key)) + " must be more than 0");
      ms.reset();
    }
    (std::string(name) == "interval" ? hc.intervalMs : hc.timeoutMs) = ms;
  }
  if (const json* retries = f.get("retries")) hc.retries = d.smallInt(f.at("retries"), *retries, 1);
  hc.startPeriodMs = getDuration(d, f, "startPeriod");
  hc.startIntervalMs = getDuration(d, f, "startInterval");
  if (hc.startIntervalMs && *hc.startIntervalMs == 0) {
    const std::string key = durationKey(d, "startInterval");
    d.error(f.at(key), quoteJson(*f.get(key)) + " must be more than 0");
    hc.startIntervalMs.reset();
  }
  if (auto restart = getBool(d, f, "restartWhenUnhealthy")) hc.restartWhenUnhealthy = *restart;
  f.rejectUnknown();
  if (!ok) return std::nullopt;
  return hc;
}

std::optional<DependencyCondition> parseCondition(const std::string& s) {
  // Compose's spellings are accepted too, so a pasted depends_on block works.
  if (s == "started" || s == "service_started") return DependencyCondition::kStarted;
  if (s == "healthy" || s == "service_healthy") return DependencyCondition::kHealthy;
  if (s == "completed" || s == "service_completed_successfully") {
    return DependencyCondition::kCompleted;
  }
  return std::nullopt;
}

std::map<std::string, Dependency> decodeDependsOn(Decoder& d, const std::string& path,
                                                  const json& v, const std::string& self) {
  std::map<std::string, Dependency> out;
  auto checkName = [&](const std::string& where, const std::string& name) {
    if (!isDnsLabel(name)) {
      d.error(where, quoteJson(name) + kDnsLabelRule);
      return false;
    }
    if (!self.empty() && name == self) {
      d.error(where, "a service cannot depend on itself");
      return false;
    }
    return true;
  };
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      auto name = d.string(indexed(path, i), v[i]);
      if (!name || !checkName(indexed(path, i), *name)) continue;
      if (!out.emplace(*name, Dependency{}).second) {
        d.error(indexed(path, i), quoteJson(*name) + " is listed twice");
      }
    }
    return out;
  }
  if (!v.is_object()) {
    d.error(path, quoteJson(v) + " is not an object or a list");
    return out;
  }
  for (const auto& [name, value] : v.items()) {
    std::string depPath = join(path, name);
    if (!checkName(depPath, name)) continue;
    Dependency dep;
    // "db:" with nothing after it means the defaults.
    Fields f(d, value.is_null() ? nullptr : d.object(depPath, &value), depPath);
    bool ok = value.is_null() || value.is_object();
    if (auto condition = getString(d, f, "condition")) {
      if (auto c = parseCondition(*condition)) {
        dep.condition = *c;
      } else {
        d.error(f.at("condition"),
                quoteJson(*condition) + " is not one of started, healthy, completed");
        ok = false;
      }
    }
    if (auto restart = getBool(d, f, "restart")) dep.restart = *restart;
    if (auto required = getBool(d, f, "required")) dep.required = *required;
    f.rejectUnknown();
    if (ok) out[name] = dep;
  }
  return out;
}

// pid, ipc and uts: the kernel namespaces shared with the host or another
// container.
void decodeKernelNamespaces(Decoder& d, Fields& f, ServiceSpec* s) {
  struct Mode {
    const char* field;
    std::string ServiceSpec::*value;
    std::vector<std::string> words;  // besides "host"
    bool containers;                 // service:NAME and container:NAME
  };
  const Mode modes[] = {{"pid", &ServiceSpec::pid, {}, true},
                        {"ipc", &ServiceSpec::ipc, {"private", "shareable", "none"}, true},
                        {"uts", &ServiceSpec::uts, {}, false}};
  for (const Mode& mode : modes) {
    auto text = getString(d, f, mode.field);
    if (!text || text->empty()) continue;
    const std::string& m = *text;
    bool known = m == "host" || std::find(mode.words.begin(), mode.words.end(), m) != mode.words.end();
    if (mode.containers && m.rfind("service:", 0) == 0) known = isDnsLabel(m.substr(8));
    if (mode.containers && m.rfind("container:", 0) == 0) known = m.size() > 10;
    if (!known) {
      std::string allowed = "host";
      for (const std::string& w : mode.words) allowed += ", " + w;
      if (mode.containers) allowed += ", service:NAME, container:NAME";
      d.error(f.at(mode.field), quoteJson(m) + " is not one of " + allowed);
      continue;
    }
    s->*mode.value = m;
  }
}

// Why a security option is not one Docker takes, or nullopt. tender never
// reads a seccomp profile from a file: a profile is given inline as JSON.
std::optional<std::string> securityOptError(const std::string& option) {
  if (option == "no-new-privileges") return std::nullopt;
  size_t sep = option.find_first_of("=:");
  if (sep == std::string::npos || sep + 1 == option.size()) {
    return std::string("is not KEY=VALUE (no-new-privileges, seccomp=..., apparmor=..., label=...)");
  }
  const std::string key = option.substr(0, sep);
  const std::string value = option.substr(sep + 1);
  if (key == "no-new-privileges") {
    if (value == "true" || value == "false") return std::nullopt;
    return std::string("is not no-new-privileges=true or =false");
  }
  if (key == "seccomp") {
    if (value == "unconfined" || value == "builtin" || value.front() == '{') return std::nullopt;
    return std::string(
        "names a profile file: give the profile inline as JSON, or unconfined or builtin");
  }
  if (key == "apparmor" || key == "label" || key == "systempaths") return std::nullopt;
  return std::string("is not a security option tender knows (no-new-privileges, seccomp, "
                     "apparmor, label, systempaths)");
}

// expose: ports listened on, not published.
void decodeExpose(Decoder& d, Fields& f, ServiceSpec* s) {
  if (const json* expose = d.list(f.at("expose"), f.get("expose"))) {
    for (size_t i = 0; i < expose->size(); ++i) {
      std::string at = indexed(f.at("expose"), i);
      const json& item = (*expose)[i];
      auto text = item.is_number_integer() || item.is_string() ? d.text(at, item) : std::nullopt;
      if (!text) {
        if (!item.is_number_integer() && !item.is_string()) {
          d.error(at, quoteJson(item) + " is not a port (8080, \"53/udp\", \"9000-9002\")");
        }
        continue;
      }
      auto port = parsePortSpec(*text);
      if (!port.ok()) {
        d.error(at, port.status().message());
      } else if (port->hostPort != 0 || !port->hostIp.empty()) {
        d.error(at, quoteJson(*text) + " publishes a port: use ports");
      } else {
        s->expose.push_back(formatPortSpec(*port));
      }
    }
  }
}

// extraHosts: "host:ip" lines for /etc/hosts.
void decodeExtraHosts(Decoder& d, Fields& f, ServiceSpec* s) {
  std::vector<std::string> hosts = decodeWords(d, f.at("extraHosts"), f.get("extraHosts"));
  for (size_t i = 0; i < hosts.size(); ++i) {
    // "host:ip" as Docker writes it, or "host=ip" as newer Compose files do.
    const std::string& entry = hosts[i];
    size_t sep = entry.find_first_of("=:");
    std::string host = sep == std::string::npos ? entry : entry.substr(0, sep);
    std::string ip = sep == std::string::npos ? "" : entry.substr(sep + 1);
    if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    if (host.empty() || (!isIpAddress(ip) && ip != "host-gateway")) {
      d.error(indexed(f.at("extraHosts"), i), quoteJson(entry) + " is not HOST:IP");
      continue;
    }
    s->extraHosts.push_back(host + ":" + ip);
  }
}

// ulimits: a number (soft = hard) or {soft, hard}.
void decodeUlimits(Decoder& d, Fields& f, ServiceSpec* s) {
  if (const json* ulimits = d.object(f.at("ulimits"), f.get("ulimits"))) {
    for (const auto& [name, value] : ulimits->items()) {
      std::string at = join(f.at("ulimits"), name);
      Ulimit u;
      if (value.is_object()) {
        Fields lim(d, &value, at);
        const json* soft = lim.get("soft");
        const json* hard = lim.get("hard");
        lim.rejectUnknown();
        if (soft == nullptr || hard == nullptr) {
          d.error(at, "soft and hard are both required");
          continue;
        }
        auto sv = d.integer(lim.at("soft"), *soft, -1, std::numeric_limits<int64_t>::max());
        auto hv = d.integer(lim.at("hard"), *hard, -1, std::numeric_limits<int64_t>::max());
        if (!sv || !hv) continue;
        if (*hv != -1 && (*sv == -1 || *sv > *hv)) {
          d.error(lim.at("soft"), quoteJson(*soft) + " must not exceed hard (" + quoteJson(*hard) + ")");
          continue;
        }
        u.soft = *sv;
        u.hard = *hv;
      } else {
        auto n = d.integer(at, value, -1, std::numeric_limits<int64_t>::max());
        if (!n) continue;
        u.soft = u.hard = *n;
      }
      s->ulimits[name] = u;
    }
  }
}

// logging: the container's log driver and its options.
void decodeLogging(Decoder& d, Fields& f, ServiceSpec* s) {
  if (const json* logging = d.object(f.at("logging"), f.get("logging"))) {
    Fields l(d, logging, f.at("logging"));
    LoggingSpec spec;
    if (auto driver = getString(d, l, "driver")) spec.driver = *driver;
    spec.options = d.stringMap(l.at("options"), l.get("options"));
    l.rejectUnknown();
    s->logging = spec;
  }
}

// networkMode and networkAliases: how the service joins its networks.
void decodeNetworking(Decoder& d, Fields& f, ServiceSpec* s) {
  if (auto mode = getString(d, f, "networkMode")) {
    const std::string& m = *mode;
    bool known = m == "bridge" || m == "host" || m == "none";
    if (m.rfind("service:", 0) == 0) {
      known = isDnsLabel(m.substr(8));
    } else if (m.rfind("container:", 0) == 0) {
      known = m.size() > 10;
    }
    if (!known) {
      d.error(f.at("networkMode"), quoteJson(m) +
                                       " is not one of bridge, host, none, service:NAME, container:NAME");
    } else if (!s->networks.empty()) {
      d.error(f.at("networkMode"), "cannot be set together with spec.networks");
    } else {
      s->networkMode = m;
    }
  }
  if (const json* aliases = d.object(f.at("networkAliases"), f.get("networkAliases"))) {
    for (const auto& [network, names] : aliases->items()) {
      std::string at = join(f.at("networkAliases"), network);
      bool joined = s->networks.empty()
                        ? network == "default"
                        : std::find(s->networks.begin(), s->networks.end(), network) != s->networks.end();
      if (!joined) {
        d.error(at, "the service does not join network " + quoteJson(network));
        continue;
      }
      std::vector<std::string> words = decodeWords(d, at, &names);
      // Aliases are names other containers resolve: Docker takes host
      // names, underscores and capitals included (Compose service names).
      auto hostName = [](const std::string& w) {
        if (w.empty() || w.size() > 253 || w.front() == '-' || w.front() == '.' || w.back() == '-' || w.back() == '.') {
          return false;
        }
        return std::all_of(w.begin(), w.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
        });
      };
      for (size_t i = 0; i < words.size(); ++i) {
        if (!hostName(words[i])) {
          d.error(indexed(at, i), quoteJson(words[i]) + " is not a host name (letters, digits, '-', '_' and '.')");
        }
      }
      if (!words.empty()) s->networkAliases[network] = words;
    }
  }
}

// devices and securityOpt, each item checked as Docker would take it.
void decodeDevicesAndSecurityOptions(Decoder& d, Fields& f, ServiceSpec* s) {
  std::vector<std::string> devices = decodeWords(d, f.at("devices"), f.get("devices"));
  for (size_t i = 0; i < devices.size(); ++i) {
    auto device = parseDeviceSpec(devices[i]);
    if (device.ok()) {
      s->devices.push_back(devices[i]);
    } else {
      d.error(indexed(f.at("devices"), i), device.status().message());
    }
  }
  std::vector<std::string> options = decodeWords(d, f.at("securityOpt"), f.get("securityOpt"));
  for (size_t i = 0; i < options.size(); ++i) {
    if (auto why = securityOptError(options[i])) {
      d.error(indexed(f.at("securityOpt"), i), quoteJson(options[i]) + " " + *why);
    } else {
      s->securityOpt.push_back(options[i]);
    }
  }
}

// The kernel's and the engine's knobs of one container: volumesFrom,
// sysctls, groups, DNS, OOM score, CPU shares and set, pids, swappiness, /dev/shm.
void decodeHostTuning(Decoder& d, Fields& f, ServiceSpec* s, const std::string& self) {
  std::vector<std::string> from = decodeWords(d, f.at("volumesFrom"), f.get("volumesFrom"));
  for (size_t i = 0; i < from.size(); ++i) {
    const std::string& item = from[i];
    const size_t colon = item.find(':');
    const std::string name = item.substr(0, colon);
    const std::string mode = colon == std::string::npos ? "" : item.substr(colon + 1);
    const std::string at = indexed(f.at("volumesFrom"), i);
    if (!isDnsLabel(name)) {
      d.error(at, quoteJson(item) + " is not SERVICE or SERVICE:ro (a service of the namespace)");
    } else if (mode != "" && mode != "ro" && mode != "rw") {
      d.error(at, quoteJson(item) + ": the mode is not ro or rw");
    } else if (!self.empty() && name == self) {
      d.error(at, "a service cannot mount its own volumes");
    } else {
      s->volumesFrom.push_back(item);
    }
  }
  if (const json* sysctls = f.get("sysctls")) {
    s->sysctls = sysctls->is_array() ? decodeEnv(d, f.at("sysctls"), *sysctls)
                                     : d.stringMap(f.at("sysctls"), sysctls);
    for (const auto& [key, value] : s->sysctls) {
      const bool ok = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '/';
      });
      if (!ok) {
        d.error(join(f.at("sysctls"), key), quoteJson(key) + " is not a kernel parameter name");
      } else if (value.empty()) {
        d.error(join(f.at("sysctls"), key), "has no value (KEY=VALUE, or KEY: VALUE)");
      }
    }
  }
  s->groupAdd = decodeWords(d, f.at("groupAdd"), f.get("groupAdd"));
  s->dns = decodeWords(d, f.at("dns"), f.get("dns"));
  for (size_t i = 0; i < s->dns.size(); ++i) {
    if (!isIpAddress(s->dns[i])) d.error(indexed(f.at("dns"), i), quoteJson(s->dns[i]) + " is not an IP address");
  }
  s->dnsSearch = decodeWords(d, f.at("dnsSearch"), f.get("dnsSearch"));
  s->dnsOptions = decodeWords(d, f.at("dnsOptions"), f.get("dnsOptions"));
  if (const json* v = f.get("oomScoreAdj")) {
    if (auto n = d.integer(f.at("oomScoreAdj"), *v, -1000, 1000)) s->oomScoreAdj = static_cast<int>(*n);
  }
  if (const json* v = f.get("cpuShares")) s->cpuShares = d.integer(f.at("cpuShares"), *v, 2, 262144);
  if (auto cpuset = getString(d, f, "cpuset")) {
    const bool ok = !cpuset->empty() && std::all_of(cpuset->begin(), cpuset->end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) || c == ',' || c == '-';
    });
    if (ok) {
      s->cpuset = *cpuset;
    } else {
      d.error(f.at("cpuset"), quoteJson(*cpuset) + " is not a list of CPUs (\"0-2\", \"0,3\")");
    }
  }
  if (const json* v = f.get("pidsLimit")) {
    s->pidsLimit = d.integer(f.at("pidsLimit"), *v, -1, std::numeric_limits<int64_t>::max());
  }
  if (const json* v = f.get("memorySwappiness")) {
    if (auto n = d.integer(f.at("memorySwappiness"), *v, 0, 100)) s->memorySwappiness = static_cast<int>(*n);
  }
  s->shmSize = getMemory(d, f, "shmSize");
  if (auto v = getBool(d, f, "disableImageHealthcheck")) s->disableImageHealthcheck = *v;
}

bool isMacAddress(const std::string& mac) {
  if (mac.size() != 17) return false;
  for (size_t i = 0; i < mac.size(); ++i) {
    const bool colon = i % 3 == 2;
    if (colon ? mac[i] != ':' : !std::isxdigit(static_cast<unsigned char>(mac[i]))) return false;
  }
  return true;
}

// tty, stdinOpen, domainname and macAddress (one replica only: two
// containers with one address would fight on the network).
void decodeTerminalAndIdentity(Decoder& d, Fields& f, ServiceSpec* s) {
  if (auto v = getBool(d, f, "tty")) s->tty = *v;
  if (auto v = getBool(d, f, "stdinOpen")) s->stdinOpen = *v;
  if (auto v = getString(d, f, "domainname")) s->domainname = *v;
  if (auto mac = getString(d, f, "macAddress")) {
    if (!isMacAddress(*mac)) {
      d.error(f.at("macAddress"), quoteJson(*mac) + " is not a MAC address (\"02:42:ac:11:00:02\")");
    } else if (s->replicas.value_or(1) > 1) {
      d.error(f.at("macAddress"), "one address cannot be given to " + std::to_string(*s->replicas) +
                                      " replicas: set replicas to 1 or leave the address to the engine");
    } else {
      s->macAddress = *mac;
    }
  }
}

// The container settings beyond image, command and resources: what Compose
// calls expose, network_mode, cap_add, ulimits, logging and the like.
void decodeContainerSettings(Decoder& d, Fields& f, ServiceSpec* s) {
  decodeExpose(d, f, s);
  decodeNetworking(d, f, s);
  s->capAdd = decodeWords(d, f.at("capAdd"), f.get("capAdd"));
  s->capDrop = decodeWords(d, f.at("capDrop"), f.get("capDrop"));
  if (auto v = getBool(d, f, "privileged")) s->privileged = *v;
  decodeKernelNamespaces(d, f, s);
  decodeDevicesAndSecurityOptions(d, f, s);
  if (auto v = getBool(d, f, "readOnlyRootFilesystem")) s->readOnlyRootFilesystem = *v;
  s->init = getBool(d, f, "init");
  decodeExtraHosts(d, f, s);
  decodeUlimits(d, f, s);
  decodeLogging(d, f, s);
}

}  // namespace

ServiceSpec decodeServiceSpec(Decoder& d, const json* spec, const std::string& self) {
  ServiceSpec s;
  Fields f(d, spec, "spec");
  if (auto image = getString(d, f, "image")) s.image = *image;
  if (const json* build = f.get("build")) s.build = decodeBuild(d, f.at("build"), *build);
  if (const json* v = f.get("command")) s.command = decodeArgv(d, f.at("command"), *v);
  if (const json* v = f.get("entrypoint")) s.entrypoint = decodeArgv(d, f.at("entrypoint"), *v);
  if (const json* v = f.get("env")) s.env = decodeEnv(d, f.at("env"), *v);
  if (const json* ports = d.list(f.at("ports"), f.get("ports"))) {
    for (size_t i = 0; i < ports->size(); ++i) {
      if (auto p = decodePort(d, indexed(f.at("ports"), i), (*ports)[i])) s.ports.push_back(*p);
    }
  }
  if (const json* volumes = d.list(f.at("volumes"), f.get("volumes"))) {
    std::map<std::string, size_t> targets;
    for (size_t i = 0; i < volumes->size(); ++i) {
      std::string at = indexed(f.at("volumes"), i);
      auto mount = decodeVolume(d, at, (*volumes)[i]);
      if (!mount) continue;
      auto [first, inserted] = targets.emplace(mount->target, i);
      if (!inserted) {
        d.error(at, quoteJson(mount->target) + " is already mounted by " +
                        indexed("volumes", first->second));
        continue;
      }
      s.volumes.push_back(*mount);
    }
  }
  if (const json* networks = d.list(f.at("networks"), f.get("networks"))) {
    std::set<std::string> seen;
    for (size_t i = 0; i < networks->size(); ++i) {
      std::string at = indexed(f.at("networks"), i);
      auto name = d.name(at, (*networks)[i], "Network");
      if (!name) continue;
      if (!seen.insert(*name).second) {
        d.error(at, quoteJson(*name) + " is listed twice");
        continue;
      }
      s.networks.push_back(*name);
    }
  }
  s.labels = d.stringMap(f.at("labels"), f.get("labels"), /*reservePrefix=*/true);
  if (const json* v = f.get("replicas")) s.replicas = d.smallInt(f.at("replicas"), *v, 0);
  if (const json* v = f.get("resources")) decodeResources(d, f.at("resources"), v, &s.resources);
  if (auto policy = getString(d, f, "restartPolicy")) {
    if (*policy == "Always") {
      s.restartPolicy = RestartPolicy::kAlways;
    } else if (*policy == "OnFailure") {
      s.restartPolicy = RestartPolicy::kOnFailure;
    } else if (*policy == "Never") {
      s.restartPolicy = RestartPolicy::kNever;
    } else {
      d.error(f.at("restartPolicy"),
              quoteJson(*policy) + " is not one of Always, OnFailure, Never");
    }
  }
  if (const json* v = f.get("backoff")) decodeBackoff(d, f.at("backoff"), v, &s.backoff);
  if (const json* v = f.get("healthcheck")) {
    s.healthcheck = decodeHealthCheck(d, f.at("healthcheck"), v);
  }
  if (const json* v = f.get("dependsOn"))
    s.dependsOn = decodeDependsOn(d, f.at("dependsOn"), *v, self);
  if (const json* v = f.get("priority")) {
    if (auto p = d.integer(f.at("priority"), *v, INT_MIN, INT_MAX))
      s.priority = static_cast<int>(*p);
  }
  if (const json* v = f.get("user")) s.user = d.text(f.at("user"), *v).value_or("");
  if (auto dir = getString(d, f, "workingDir")) {
    if (!dir->empty() && (*dir)[0] != '/') {
      d.error(f.at("workingDir"), quoteJson(*dir) + " is not an absolute path");
    } else {
      s.workingDir = *dir;
    }
  }
  if (auto hostname = getString(d, f, "hostname")) s.hostname = *hostname;
  decodeTerminalAndIdentity(d, f, &s);
  s.stopGracePeriodMs = getDuration(d, f, "stopGracePeriod");
  if (const json* v = f.get("stopSignal"))
    s.stopSignal = d.text(f.at("stopSignal"), *v).value_or("");
  decodeContainerSettings(d, f, &s);
  s.secrets = decodeFileMounts(d, f, "secrets");
  s.configs = decodeFileMounts(d, f, "configs");
  if (s.readOnlyRootFilesystem && (!s.secrets.empty() || !s.configs.empty())) {
    d.error(f.at(s.secrets.empty() ? "configs" : "secrets"),
            "cannot be used with readOnlyRootFilesystem: tender copies secrets and configs into "
            "the container's filesystem before it starts");
  }
  decodeHostTuning(d, f, &s, self);
  if (s.disableImageHealthcheck && s.healthcheck) {
    d.error(f.at("disableImageHealthcheck"), "cannot be set together with healthcheck");
  }
  f.rejectUnknown();
  // A present but malformed image or build has its own error already.
  const json* image = f.get("image");
  bool imageMalformed = image != nullptr && !image->is_string();
  if (s.image.empty() && !s.build && !imageMalformed && !f.get("build")) {
    d.error("spec", "image or build is required");
  }
  return s;
}

}  // namespace manifest_internal
}  // namespace tender

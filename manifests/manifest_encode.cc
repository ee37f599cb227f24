// Encoding resources as JSON, in two forms from one function:
//
//  - stored (encodeSpec): exact integers only — bytes, nano-CPUs as
//    "nanoCpus", durations as "<field>Ms" milliseconds — so the bytes feed
//    the spec hash and decodeStored reads back the same values;
//  - user-facing (encodeResource): what a person would write — "10s",
//    "0.5" CPUs — and what parseManifests accepts back.
//
// Only what the user set is written: unset optionals, empty strings, empty
// maps and lists and false booleans are left out. Keys come out sorted
// (nlohmann::json keeps objects in a std::map), so equal specs give equal bytes.
#include <cstdio>
#include <string>

#include "manifests/manifest.h"
#include "manifests/manifest_syntax.h"

namespace tender {
namespace {

using json = nlohmann::json;

class Encoder {
 public:
  explicit Encoder(bool stored) : stored_(stored) {}

  json spec(const Resource& r) const {
    if (const auto* s = std::get_if<ServiceSpec>(&r.spec)) return service(*s);
    if (const auto* n = std::get_if<NetworkSpec>(&r.spec)) return network(*n);
    if (const auto* v = std::get_if<VolumeSpec>(&r.spec)) return volume(*v);
    return namespaceSpec(std::get<NamespaceSpec>(r.spec));
  }

 private:
  void duration(json* out, const char* name, const std::optional<int64_t>& ms) const {
    if (!ms) return;
    if (stored_) {
      (*out)[std::string(name) + "Ms"] = *ms;
    } else {
      (*out)[name] = formatDurationMs(*ms);
    }
  }

  static void string(json* out, const char* name, const std::string& value) {
    if (!value.empty()) (*out)[name] = value;
  }

  static void map(json* out, const char* name, const std::map<std::string, std::string>& value) {
    if (!value.empty()) (*out)[name] = value;
  }

  static void flag(json* out, const char* name, bool value) {
    if (value) (*out)[name] = true;
  }

  template <typename T>
  static void optional(json* out, const char* name, const std::optional<T>& value) {
    if (value) (*out)[name] = *value;
  }

  static void nonEmpty(json* out, const char* name, json value) {
    if (!value.empty()) (*out)[name] = std::move(value);
  }

  json service(const ServiceSpec& s) const {
    json out = json::object();
    string(&out, "image", s.image);
    if (s.build) {
      json build = json::object();
      string(&build, "context", s.build->context);
      string(&build, "contextDigest", s.build->contextDigest);
      string(&build, "dockerfile", s.build->dockerfile);
      map(&build, "args", s.build->args);
      string(&build, "target", s.build->target);
      out["build"] = build;
    }
    optional(&out, "command", s.command);
    optional(&out, "entrypoint", s.entrypoint);
    map(&out, "env", s.env);
    json ports = json::array();
    for (const PortMapping& p : s.ports) ports.push_back(formatPortSpec(p));
    nonEmpty(&out, "ports", ports);
    json volumes = json::array();
    for (const VolumeMount& m : s.volumes) {
      json v = {{"type", m.type}, {"target", m.target}};
      string(&v, "source", m.source);
      flag(&v, "read_only", m.readOnly);
      if (m.tmpfsSize) v["tmpfs"] = {{"size", *m.tmpfsSize}};
      volumes.push_back(v);
    }
    nonEmpty(&out, "volumes", volumes);
    if (!s.networks.empty()) out["networks"] = s.networks;
    map(&out, "labels", s.labels);
    optional(&out, "replicas", s.replicas);

    json limits = json::object();
    optional(&limits, "memory", s.resources.memoryLimit);
    if (s.resources.nanoCpus) {
      if (stored_) {
        limits["nanoCpus"] = *s.resources.nanoCpus;
      } else {
        limits["cpus"] = formatCpuQuantity(*s.resources.nanoCpus);
      }
    }
    optional(&limits, "memorySwap", s.resources.memorySwap);
    json reservations = json::object();
    optional(&reservations, "memory", s.resources.memoryReservation);
    json resources = json::object();
    nonEmpty(&resources, "limits", limits);
    nonEmpty(&resources, "reservations", reservations);
    nonEmpty(&out, "resources", resources);

    if (s.restartPolicy) out["restartPolicy"] = restartPolicyName(*s.restartPolicy);
    json backoff = json::object();
    duration(&backoff, "initial", s.backoff.initialMs);
    optional(&backoff, "factor", s.backoff.factor);
    duration(&backoff, "max", s.backoff.maxMs);
    duration(&backoff, "resetAfter", s.backoff.resetAfterMs);
    optional(&backoff, "maxRestarts", s.backoff.maxRestarts);
    duration(&backoff, "window", s.backoff.windowMs);
    nonEmpty(&out, "backoff", backoff);

    if (s.healthcheck) out["healthcheck"] = healthCheck(*s.healthcheck);
    if (!s.dependsOn.empty()) {
      json deps = json::object();
      for (const auto& [name, dep] : s.dependsOn) {
        json d = {{"condition", dependencyConditionName(dep.condition)}};
        flag(&d, "restart", dep.restart);
        if (!dep.required) d["required"] = false;
        deps[name] = d;
      }
      out["dependsOn"] = deps;
    }
    optional(&out, "priority", s.priority);
    string(&out, "user", s.user);
    string(&out, "workingDir", s.workingDir);
    string(&out, "hostname", s.hostname);
    string(&out, "domainname", s.domainname);
    flag(&out, "tty", s.tty);
    flag(&out, "stdinOpen", s.stdinOpen);
    string(&out, "macAddress", s.macAddress);
    duration(&out, "stopGracePeriod", s.stopGracePeriodMs);
    string(&out, "stopSignal", s.stopSignal);
    if (!s.expose.empty()) out["expose"] = s.expose;
    if (!s.networkAliases.empty()) out["networkAliases"] = s.networkAliases;
    string(&out, "networkMode", s.networkMode);
    if (!s.capAdd.empty()) out["capAdd"] = s.capAdd;
    if (!s.capDrop.empty()) out["capDrop"] = s.capDrop;
    flag(&out, "privileged", s.privileged);
    string(&out, "pid", s.pid);
    string(&out, "ipc", s.ipc);
    string(&out, "uts", s.uts);
    if (!s.devices.empty()) out["devices"] = s.devices;
    if (!s.securityOpt.empty()) out["securityOpt"] = s.securityOpt;
    flag(&out, "readOnlyRootFilesystem", s.readOnlyRootFilesystem);
    optional(&out, "init", s.init);
    if (!s.extraHosts.empty()) out["extraHosts"] = s.extraHosts;
    if (!s.ulimits.empty()) {
      json ulimits = json::object();
      for (const auto& [name, u] : s.ulimits) ulimits[name] = {{"soft", u.soft}, {"hard", u.hard}};
      out["ulimits"] = ulimits;
    }
    if (s.logging) {
      json logging = json::object();
      string(&logging, "driver", s.logging->driver);
      map(&logging, "options", s.logging->options);
      out["logging"] = logging;
    }
    fileMounts(&out, "secrets", s.secrets);
    fileMounts(&out, "configs", s.configs);
    if (!s.volumesFrom.empty()) out["volumesFrom"] = s.volumesFrom;
    map(&out, "sysctls", s.sysctls);
    if (!s.groupAdd.empty()) out["groupAdd"] = s.groupAdd;
    if (!s.dns.empty()) out["dns"] = s.dns;
    if (!s.dnsSearch.empty()) out["dnsSearch"] = s.dnsSearch;
    if (!s.dnsOptions.empty()) out["dnsOptions"] = s.dnsOptions;
    optional(&out, "oomScoreAdj", s.oomScoreAdj);
    optional(&out, "cpuShares", s.cpuShares);
    string(&out, "cpuset", s.cpuset);
    optional(&out, "pidsLimit", s.pidsLimit);
    optional(&out, "memorySwappiness", s.memorySwappiness);
    optional(&out, "shmSize", s.shmSize);
    flag(&out, "disableImageHealthcheck", s.disableImageHealthcheck);
    return out;
  }

  static void fileMounts(json* out, const char* field, const std::vector<FileMount>& mounts) {
    if (mounts.empty()) return;
    json list = json::array();
    for (const FileMount& m : mounts) {
      json item = {{"name", m.name}};
      string(&item, "digest", m.digest);
      string(&item, "file", m.file);
      string(&item, "environment", m.environment);
      if (m.content) item["content"] = *m.content;
      string(&item, "target", m.target);
      optional(&item, "uid", m.uid);
      optional(&item, "gid", m.gid);
      if (m.mode) {
        char octal[8];
        std::snprintf(octal, sizeof octal, "%04o", *m.mode);
        item["mode"] = octal;
      }
      list.push_back(item);
    }
    (*out)[field] = list;
  }

  json healthCheck(const HealthCheck& h) const {
    json out = json::object();
    switch (h.kind) {
      case HealthCheck::Kind::kExec:
        out["exec"] = h.exec;
        break;
      case HealthCheck::Kind::kHttp: {
        json http = {{"port", h.port}};
        string(&http, "path", h.path);
        out["http"] = http;
        break;
      }
      case HealthCheck::Kind::kTcp:
        out["tcp"] = {{"port", h.port}};
        break;
    }
    duration(&out, "interval", h.intervalMs);
    duration(&out, "timeout", h.timeoutMs);
    optional(&out, "retries", h.retries);
    duration(&out, "startPeriod", h.startPeriodMs);
    duration(&out, "startInterval", h.startIntervalMs);
    flag(&out, "restartWhenUnhealthy", h.restartWhenUnhealthy);
    return out;
  }

  static json network(const NetworkSpec& n) {
    json out = json::object();
    string(&out, "driver", n.driver);
    flag(&out, "internal", n.internal);
    flag(&out, "external", n.external);
    map(&out, "labels", n.labels);
    return out;
  }

  static json volume(const VolumeSpec& v) {
    json out = json::object();
    string(&out, "driver", v.driver);
    map(&out, "driverOpts", v.driverOpts);
    flag(&out, "external", v.external);
    map(&out, "labels", v.labels);
    return out;
  }

  json namespaceSpec(const NamespaceSpec& n) const {
    json out = json::object();
    json quota = json::object();
    optional(&quota, "memory", n.quotaMemory);
    optional(&quota, "services", n.quotaServices);
    nonEmpty(&out, "quota", quota);
    duration(&out, "ttl", n.ttlMs);
    optional(&out, "expiresAt", n.expiresAt);
    json reservation = json::object();
    optional(&reservation, "memory", n.defaultReservationMemory);
    nonEmpty(&out, "defaultReservation", reservation);
    json security = json::object();
    if (n.security.level) security["level"] = securityLevelName(*n.security.level);
    if (!n.security.allowedHostPaths.empty()) {
      json paths = json::array();
      for (const HostPathRule& rule : n.security.allowedHostPaths) {
        json p = {{"path", rule.path}};
        flag(&p, "writable", rule.writable);
        paths.push_back(p);
      }
      security["allowedHostPaths"] = paths;
    }
    if (n.security.hostPortMax != 0) {
      security["hostPorts"] = std::to_string(n.security.hostPortMin) + "-" +
                              std::to_string(n.security.hostPortMax);
    }
    nonEmpty(&out, "security", security);
    return out;
  }

  bool stored_;
};

}  // namespace

nlohmann::json encodeSpec(const Resource& resource) { return Encoder(true).spec(resource); }

nlohmann::json encodeResource(const Resource& resource) {
  json metadata = {{"name", resource.metadata.name}};
  if (resource.kind != "Namespace") metadata["namespace"] = resource.metadata.namespace_;
  if (!resource.metadata.labels.empty()) metadata["labels"] = resource.metadata.labels;
  return json{{"apiVersion", kApiVersion},
              {"kind", resource.kind},
              {"metadata", metadata},
              {"spec", Encoder(false).spec(resource)}};
}

}  // namespace tender

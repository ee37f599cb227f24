// The Engine API's container-create body for one replica of a Service
// (container_spec.h). Pure.

#include "reconcilers/container_spec.h"

#include <algorithm>

#include "manifests/manifest_syntax.h"
#include "engine/labels.h"

namespace tender {

namespace {

std::string portKey(int port, const std::string& protocol) {
  return std::to_string(port) + "/" + (protocol.empty() ? "tcp" : protocol);
}

int64_t msToNs(int64_t ms) { return ms * 1'000'000; }

// The log driver: json-file with tender's rotation unless the spec says.
nlohmann::json logConfig(const ServiceSpec& spec, const LogRotation& logs) {
  const nlohmann::json rotation = {{"max-size", logs.maxSize}, {"max-file", logs.maxFile}};
  if (!spec.logging) return {{"Type", "json-file"}, {"Config", rotation}};
  // The user's driver; json-file keeps tender's rotation unless told otherwise.
  const std::string driver = spec.logging->driver.empty() ? "json-file" : spec.logging->driver;
  nlohmann::json config = driver == "json-file" ? rotation : nlohmann::json::object();
  for (const auto& [k, v] : spec.logging->options) config[k] = v;
  return {{"Type", driver}, {"Config", config}};
}

// pid, ipc, uts, devices and security options, into HostConfig.
void addKernelNamespacesAndDevices(const ResolvedService& svc, nlohmann::json& host) {
  const ServiceSpec& spec = svc.spec;
  // service:NAME shares NAME's first replica's namespace, as for networkMode.
  auto mode = [&svc](const std::string& m) {
    return m.rfind("service:", 0) == 0 ? "container:" + containerName(svc.ns, m.substr(8), 0) : m;
  };
  if (!spec.pid.empty()) host["PidMode"] = mode(spec.pid);
  if (!spec.ipc.empty()) host["IpcMode"] = mode(spec.ipc);
  if (!spec.uts.empty()) host["UTSMode"] = spec.uts;
  if (!spec.devices.empty()) {
    nlohmann::json devices = nlohmann::json::array();
    for (const std::string& text : spec.devices) {
      auto d = parseDeviceSpec(text);
      if (!d.ok()) continue;  // validated by the decoder
      devices.push_back({{"PathOnHost", d->hostPath},
                         {"PathInContainer", d->containerPath},
                         {"CgroupPermissions", d->permissions}});
    }
    host["Devices"] = devices;
  }
  if (!spec.securityOpt.empty()) host["SecurityOpt"] = spec.securityOpt;
}

// volumesFrom, sysctls, groups, DNS and the kernel's limits, into HostConfig.
void addHostTuning(const ResolvedService& svc, nlohmann::json& host) {
  const ServiceSpec& spec = svc.spec;
  if (!spec.volumesFrom.empty()) {
    // Another service's volumes are its first replica's, as service:NAME shares its namespaces.
    nlohmann::json from = nlohmann::json::array();
    for (const std::string& item : spec.volumesFrom) {
      const size_t colon = item.find(':');
      from.push_back(containerName(svc.ns, item.substr(0, colon), 0) +
                     (colon == std::string::npos ? "" : item.substr(colon)));
    }
    host["VolumesFrom"] = from;
  }
  if (!spec.sysctls.empty()) host["Sysctls"] = spec.sysctls;
  if (!spec.groupAdd.empty()) host["GroupAdd"] = spec.groupAdd;
  if (!spec.dns.empty()) host["Dns"] = spec.dns;
  if (!spec.dnsSearch.empty()) host["DnsSearch"] = spec.dnsSearch;
  if (!spec.dnsOptions.empty()) host["DnsOptions"] = spec.dnsOptions;
  if (spec.oomScoreAdj) host["OomScoreAdj"] = *spec.oomScoreAdj;
  if (spec.cpuShares) host["CpuShares"] = *spec.cpuShares;
  if (!spec.cpuset.empty()) host["CpusetCpus"] = spec.cpuset;
  if (spec.pidsLimit) host["PidsLimit"] = *spec.pidsLimit;
  if (spec.memorySwappiness) host["MemorySwappiness"] = *spec.memorySwappiness;
  if (spec.shmSize) host["ShmSize"] = *spec.shmSize;
}

// The spec's volumes as the Engine API's Mounts, named volumes by their
// engine names.
nlohmann::json mountsOf(const ResolvedService& svc) {
  nlohmann::json mounts = nlohmann::json::array();
  for (const VolumeMount& v : svc.spec.volumes) {
    nlohmann::json m = {{"Type", v.type}, {"Target", v.target}, {"ReadOnly", v.readOnly}};
    if (v.type == "volume") {
      if (!v.source.empty()) {
        auto it = svc.volumeNames.find(v.source);
        m["Source"] = it != svc.volumeNames.end() ? it->second : v.source;
      }
    } else if (v.type == "bind") {
      m["Source"] = v.source;
    } else if (v.type == "tmpfs" && v.tmpfsSize) {
      m["TmpfsOptions"] = {{"SizeBytes", *v.tmpfsSize}};
    }
    mounts.push_back(m);
  }
  return mounts;
}

}  // namespace

std::vector<std::string> networkAliases(const ResolvedService& svc, size_t index) {
  std::vector<std::string> aliases = {svc.name};
  const ServiceSpec& spec = svc.spec;
  std::string network = index < spec.networks.size() ? spec.networks[index] : "default";
  auto it = spec.networkAliases.find(network);
  if (it != spec.networkAliases.end()) {
    aliases.insert(aliases.end(), it->second.begin(), it->second.end());
  }
  return aliases;
}

nlohmann::json containerCreateBody(const ResolvedService& svc, int replica,
                                   const std::string& instance, const LogRotation& logs) {
  const ServiceSpec& spec = svc.spec;
  nlohmann::json body = nlohmann::json::object();
  body["Image"] = svc.imageRef;

  if (spec.command) body["Cmd"] = *spec.command;
  if (spec.entrypoint) body["Entrypoint"] = *spec.entrypoint;
  nlohmann::json env = nlohmann::json::array();
  for (const auto& [k, v] : spec.env) env.push_back(k + "=" + v);
  body["Env"] = env;

  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [k, v] : spec.labels) labels[k] = v;
  for (const auto& [k, v] : ownerLabels(instance, svc.ns)) labels[k] = v;
  labels[kLabelService] = svc.name;
  labels[kLabelReplica] = std::to_string(replica);
  labels[kLabelSpecHash] = svc.specHash;
  body["Labels"] = labels;

  if (!spec.user.empty()) body["User"] = spec.user;
  if (!spec.workingDir.empty()) body["WorkingDir"] = spec.workingDir;
  if (!spec.hostname.empty()) body["Hostname"] = spec.hostname;
  if (!spec.domainname.empty()) body["Domainname"] = spec.domainname;
  if (spec.tty) body["Tty"] = true;
  if (spec.stdinOpen) body["OpenStdin"] = true;
  if (!spec.macAddress.empty()) body["MacAddress"] = spec.macAddress;
  if (!spec.stopSignal.empty()) body["StopSignal"] = spec.stopSignal;
  body["StopTimeout"] = (spec.stopGracePeriodMs.value_or(kDefaultStopGraceMs) + 999) / 1000;

  nlohmann::json host = nlohmann::json::object();
  // tender restarts containers itself (with backoff and a post-mortem): the
  // engine's own restart policy would hide deaths from it.
  host["RestartPolicy"] = {{"Name", "no"}};
  host["LogConfig"] = logConfig(spec, logs);
  if (!spec.capAdd.empty()) host["CapAdd"] = spec.capAdd;
  if (!spec.capDrop.empty()) host["CapDrop"] = spec.capDrop;
  if (spec.privileged) host["Privileged"] = true;
  addKernelNamespacesAndDevices(svc, host);
  addHostTuning(svc, host);
  if (spec.readOnlyRootFilesystem) host["ReadonlyRootfs"] = true;
  if (spec.init) host["Init"] = *spec.init;
  if (!spec.extraHosts.empty()) host["ExtraHosts"] = spec.extraHosts;
  if (!spec.ulimits.empty()) {
    nlohmann::json ulimits = nlohmann::json::array();
    for (const auto& [name, u] : spec.ulimits) {
      ulimits.push_back({{"Name", name}, {"Soft", u.soft}, {"Hard", u.hard}});
    }
    host["Ulimits"] = ulimits;
  }
  const Resources& r = spec.resources;
  if (r.memoryLimit) host["Memory"] = *r.memoryLimit;
  if (r.memoryReservation) host["MemoryReservation"] = *r.memoryReservation;
  if (r.memorySwap) host["MemorySwap"] = *r.memorySwap;
  if (r.nanoCpus) host["NanoCpus"] = *r.nanoCpus;

  nlohmann::json exposed = nlohmann::json::object();
  nlohmann::json bindings = nlohmann::json::object();
  for (const PortMapping& p : spec.ports) {
    int span = std::max(0, p.containerPortEnd - p.containerPort);
    for (int i = 0; i <= span; ++i) {
      std::string key = portKey(p.containerPort + i, p.protocol);
      exposed[key] = nlohmann::json::object();
      nlohmann::json b = {{"HostIp", p.hostIp},
                          {"HostPort", p.hostPort == 0 ? std::string() : std::to_string(p.hostPort + i)}};
      if (!bindings.contains(key)) bindings[key] = nlohmann::json::array();
      bindings[key].push_back(b);
    }
  }
  for (const std::string& e : spec.expose) {
    auto port = parsePortSpec(e);
    if (!port.ok()) continue;  // validated by the decoder
    for (int p = port->containerPort; p <= std::max(port->containerPort, port->containerPortEnd); ++p) {
      exposed[portKey(p, port->protocol)] = nlohmann::json::object();
    }
  }
  if (!exposed.empty()) body["ExposedPorts"] = exposed;
  if (!bindings.empty()) host["PortBindings"] = bindings;

  nlohmann::json mounts = mountsOf(svc);
  if (!mounts.empty()) host["Mounts"] = mounts;

  if (spec.networkMode.rfind("service:", 0) == 0) {
    host["NetworkMode"] = "container:" + containerName(svc.ns, spec.networkMode.substr(8), 0);
  } else if (!spec.networkMode.empty()) {
    host["NetworkMode"] = spec.networkMode;
  } else if (!svc.networks.empty()) {
    host["NetworkMode"] = svc.networks.front();
    body["NetworkingConfig"] = {
        {"EndpointsConfig", {{svc.networks.front(), {{"Aliases", networkAliases(svc, 0)}}}}}};
  }
  body["HostConfig"] = host;

  if (spec.healthcheck && spec.healthcheck->kind == HealthCheck::Kind::kExec) {
    const HealthCheck& hc = *spec.healthcheck;
    body["Healthcheck"] = {
        {"Test", hc.exec},
        {"Interval", msToNs(hc.intervalMs.value_or(kDefaultHealthIntervalMs))},
        {"Timeout", msToNs(hc.timeoutMs.value_or(kDefaultHealthTimeoutMs))},
        {"Retries", hc.retries.value_or(kDefaultHealthRetries)},
        {"StartPeriod", msToNs(hc.startPeriodMs.value_or(0))},
    };
    if (hc.startIntervalMs) body["Healthcheck"]["StartInterval"] = msToNs(*hc.startIntervalMs);
  } else if (spec.disableImageHealthcheck) {
    body["Healthcheck"] = {{"Test", nlohmann::json::array({"NONE"})}};
  }
  return body;
}

}  // namespace tender

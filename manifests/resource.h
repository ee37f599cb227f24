// The resource model: what a manifest says, decoded and validated.
//
// A manifest document (YAML or JSON) is first turned into JSON
// (yaml_to_json.h: duplicate keys and oversize documents are refused there),
// then decoded into these types by decodeResource (manifest.h), which checks
// every field and reports each error with its path. The same decoder reads
// specs back from the store, so there is one definition of what is valid.
//
// Quantities are integers here: bytes for memory, nano-CPUs for cpus,
// milliseconds for durations. An unset optional means "the user did not say";
// tender's defaults are applied where the value is used, never stored, so a
// change of default in a newer tender does not change the spec hash.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <utility>
#include <vector>

namespace tender {

constexpr const char* kApiVersion = "tender/v1";

struct ObjectMeta {
  std::string name;
  std::string namespace_;  // "" for Namespace objects; defaulted to "default" otherwise
  std::map<std::string, std::string> labels;
  std::optional<int64_t> resourceVersion;  // only meaningful on updates (optimistic concurrency)
};

struct PortMapping {
  std::string hostIp;       // "" = all addresses
  int hostPort = 0;         // 0 = ephemeral (engine picks)
  int hostPortEnd = 0;      // == hostPort unless a range "8000-8002:80-82"
  int containerPort = 0;
  int containerPortEnd = 0; // == containerPort unless a range
  std::string protocol = "tcp";  // tcp | udp | sctp
};

struct VolumeMount {
  std::string type;    // "volume" (named, or anonymous when source is ""), "bind", "tmpfs"
  std::string source;  // volume name (a Volume resource or an auto-created one) or host path
  std::string target;  // absolute path in the container
  bool readOnly = false;
  std::optional<int64_t> tmpfsSize;  // bytes; tmpfs only (the engine's default: no limit)
};

struct BuildSpec {
  // A folder on the client's disk (relative paths resolve against the
  // manifest's folder). The tender command tars and uploads it and sends
  // contextDigest instead: the server never reads a folder a request names.
  std::string context;
  std::string contextDigest;  // "sha256:<hex>": a context uploaded to the service's namespace
  std::string dockerfile;  // "" = "Dockerfile"
  std::map<std::string, std::string> args;
  std::string target;
};

struct Resources {
  std::optional<int64_t> memoryLimit;        // bytes
  std::optional<int64_t> memoryReservation;  // bytes
  std::optional<int64_t> memorySwap;         // bytes; -1 unlimited
  std::optional<int64_t> nanoCpus;           // 1e-9 CPUs
};

enum class RestartPolicy { kAlways, kOnFailure, kNever };

struct BackoffSpec {
  std::optional<int64_t> initialMs;     // default 10s
  std::optional<double> factor;         // default 2
  std::optional<int64_t> maxMs;         // default 300s
  std::optional<int64_t> resetAfterMs;  // default 600s
  std::optional<int> maxRestarts;       // 0 = unlimited
  std::optional<int64_t> windowMs;      // 0 = for ever
};

struct HealthCheck {
  enum class Kind { kExec, kHttp, kTcp };
  Kind kind = Kind::kExec;
  // kExec: the Docker test, as Docker takes it: ["CMD", ...] or ["CMD-SHELL", "..."].
  // A manifest's plain list ["pg_isready"] becomes ["CMD", "pg_isready"]; a
  // string becomes ["CMD-SHELL", string].
  std::vector<std::string> exec;
  int port = 0;          // kHttp, kTcp
  std::string path;      // kHttp, default "/"
  std::optional<int64_t> intervalMs;     // default 10s
  std::optional<int64_t> timeoutMs;      // default 5s
  std::optional<int> retries;            // default 3
  std::optional<int64_t> startPeriodMs;  // default 0
  // How often the check runs during startPeriod (the engine's default: interval).
  std::optional<int64_t> startIntervalMs;
  bool restartWhenUnhealthy = false;
};

struct Ulimit {
  int64_t soft = 0;
  int64_t hard = 0;
};

// The container's log driver. Unset: json-file with tender's rotation, which
// post-mortems read their log tail from.
struct LoggingSpec {
  std::string driver;  // "" = json-file
  std::map<std::string, std::string> options;
};

// A secret's or a config's file in the container (Compose's secrets: and
// configs:). Its bytes are an upload to the service's namespace
// (store/upload_store.h, POST /api/v1/namespaces/{ns}/files), named here by
// digest: the content is never in a spec, an event or a log, and a changed
// file changes the spec hash of only the services that use it. tender
// copies the file into each container before it starts.
struct FileMount {
  std::string name;    // the secret's or config's name
  std::string digest;  // "sha256:<hex>": an upload to the service's namespace
  // Where the bytes are on the client, for the tender command to upload
  // (the server takes digest only): a file (relative paths resolve against
  // the manifest's folder), an environment variable, or inline content.
  std::string file;
  std::string environment;
  std::optional<std::string> content;
  std::string target;  // "" = /run/secrets/NAME (secrets), /NAME (configs)
  std::optional<int64_t> uid;   // default 0
  std::optional<int64_t> gid;   // default 0
  std::optional<int> mode;      // default 0444
};

enum class DependencyCondition { kStarted, kHealthy, kCompleted };

struct Dependency {
  DependencyCondition condition = DependencyCondition::kStarted;
  bool restart = false;
  bool required = true;
};

struct ServiceSpec {
  std::string image;                 // required unless build is set
  std::optional<BuildSpec> build;
  std::optional<std::vector<std::string>> command;     // a string is split as a shell would
  std::optional<std::vector<std::string>> entrypoint;
  std::map<std::string, std::string> env;
  std::vector<PortMapping> ports;
  std::vector<VolumeMount> volumes;
  std::vector<std::string> networks;  // Network resources of the same namespace
  std::map<std::string, std::string> labels;  // container labels
  std::optional<int> replicas;        // default 1
  Resources resources;
  std::optional<RestartPolicy> restartPolicy;  // default Always
  BackoffSpec backoff;
  std::optional<HealthCheck> healthcheck;
  std::map<std::string, Dependency> dependsOn;
  std::optional<int> priority;        // default 0
  // Plain container settings.
  std::string user;
  std::string workingDir;
  std::string hostname;
  std::string domainname;
  // Compose's tty and stdin_open: a terminal (the container's output is
  // then raw, not multiplexed) and an open stdin nobody writes to, which
  // keeps a shell that reads it running.
  bool tty = false;
  bool stdinOpen = false;
  // A fixed MAC address on the service's first network; one replica only.
  std::string macAddress;
  std::optional<int64_t> stopGracePeriodMs;  // default 10s
  std::string stopSignal;
  // Ports the container listens on without publishing them: "8080", "53/udp", "9000-9002".
  std::vector<std::string> expose;
  // Names other than the service's own under which it is reachable, per
  // network ("default" when networks is empty).
  std::map<std::string, std::vector<std::string>> networkAliases;
  // "" = the networks above; "host", "none", "bridge", "service:NAME" (share
  // NAME's first replica's network stack) or "container:NAME".
  std::string networkMode;
  std::vector<std::string> capAdd;
  std::vector<std::string> capDrop;
  bool privileged = false;
  // The kernel namespaces the container shares: "" = its own; "host", or
  // "service:NAME" / "container:NAME" as for networkMode. ipc also takes
  // "private", "shareable" and "none" as Docker does.
  std::string pid;
  std::string ipc;
  std::string uts;  // "" or "host"
  // Host devices: "/dev/fuse", "/dev/sda:/dev/xvda", "/dev/sda:/dev/xvda:r".
  std::vector<std::string> devices;
  // As Docker takes them: "no-new-privileges", "seccomp=unconfined",
  // "apparmor=PROFILE", "label=disable".
  std::vector<std::string> securityOpt;
  bool readOnlyRootFilesystem = false;
  std::optional<bool> init;             // an init process as PID 1 (the engine's default: none)
  std::vector<std::string> extraHosts;  // "host:ip", added to /etc/hosts
  std::map<std::string, Ulimit> ulimits;
  std::optional<LoggingSpec> logging;
  std::vector<FileMount> secrets;
  std::vector<FileMount> configs;
  // Mounts every volume of another service's first replica: "NAME" or
  // "NAME:ro" / "NAME:rw" (a service of the same namespace).
  std::vector<std::string> volumesFrom;
  // Namespaced kernel parameters: "net.core.somaxconn" -> "1024".
  std::map<std::string, std::string> sysctls;
  std::vector<std::string> groupAdd;  // supplementary groups: names or gids
  std::vector<std::string> dns;        // resolver addresses
  std::vector<std::string> dnsSearch;  // search domains
  std::vector<std::string> dnsOptions; // resolv.conf options: "ndots:2"
  std::optional<int> oomScoreAdj;      // -1000..1000
  std::optional<int64_t> cpuShares;    // relative CPU weight (the engine's default: 1024)
  std::string cpuset;                  // host CPUs the container may use: "0-2", "0,3"
  std::optional<int64_t> pidsLimit;    // -1 unlimited
  std::optional<int> memorySwappiness; // 0..100
  std::optional<int64_t> shmSize;      // bytes of /dev/shm (the engine's default: 64Mi)
  // The image's own HEALTHCHECK is turned off (Compose's healthcheck.disable);
  // never together with healthcheck.
  bool disableImageHealthcheck = false;
};

// Calls f(field, index, mount) for each of the spec's secrets, then its
// configs (`field` "secrets" or "configs"); `Spec` is ServiceSpec, const or
// not, and f may change a mount of a non-const one.
template <class Spec, class F>
void forEachFileMount(Spec& spec, F&& f) {
  for (auto [field, mounts] : {std::pair{"secrets", &spec.secrets}, std::pair{"configs", &spec.configs}})
    for (size_t i = 0; i < mounts->size(); ++i) f(field, i, (*mounts)[i]);
}

struct NetworkSpec {
  std::string driver;  // "" = bridge
  bool internal = false;
  bool external = false;  // used, never created or removed; `name` is the engine's name
  std::map<std::string, std::string> labels;
};

struct VolumeSpec {
  std::string driver;  // "" = local
  std::map<std::string, std::string> driverOpts;
  bool external = false;
  std::map<std::string, std::string> labels;
};

// What a namespace's services may ask of the host (api/admission.h applies
// it; policy/security_policy.h says what each level allows).
enum class SecurityLevel { kPrivileged, kBaseline, kRestricted };

struct HostPathRule {
  std::string path;       // absolute; a bind source must be it or below it
  bool writable = false;  // binds below it may be read-write
};

struct SecuritySpec {
  // Unset: privileged for an admin's writes; the first write of a tenant's
  // token sets baseline.
  std::optional<SecurityLevel> level;
  std::vector<HostPathRule> allowedHostPaths;  // empty: no host path may be bound
  int hostPortMin = 0;  // both 0: any host port; else published ports stay in [min, max]
  int hostPortMax = 0;
};

struct NamespaceSpec {
  std::optional<int64_t> quotaMemory;   // bytes
  std::optional<int> quotaServices;
  std::optional<int64_t> ttlMs;
  std::optional<std::string> expiresAt; // RFC 3339
  std::optional<int64_t> defaultReservationMemory;
  SecuritySpec security;
};

struct Resource {
  std::string kind;  // "Service" | "Network" | "Volume" | "Namespace"
  ObjectMeta metadata;
  std::variant<ServiceSpec, NetworkSpec, VolumeSpec, NamespaceSpec> spec;

  const ServiceSpec& service() const { return std::get<ServiceSpec>(spec); }
  const NetworkSpec& network() const { return std::get<NetworkSpec>(spec); }
  const VolumeSpec& volume() const { return std::get<VolumeSpec>(spec); }
  const NamespaceSpec& namespaceSpec() const { return std::get<NamespaceSpec>(spec); }
};

}  // namespace tender

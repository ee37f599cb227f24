// Parsing, validating and encoding manifests.
#include "manifests/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace tender {

// Equality for the model, so a round trip can be checked as a whole. Here
// rather than in resource.h: only tests need it.
bool operator==(const ObjectMeta& a, const ObjectMeta& b) {
  return std::tie(a.name, a.namespace_, a.labels, a.resourceVersion) ==
         std::tie(b.name, b.namespace_, b.labels, b.resourceVersion);
}
bool operator==(const PortMapping& a, const PortMapping& b) {
  return std::tie(a.hostIp, a.hostPort, a.hostPortEnd, a.containerPort, a.containerPortEnd,
                  a.protocol) == std::tie(b.hostIp, b.hostPort, b.hostPortEnd, b.containerPort,
                                          b.containerPortEnd, b.protocol);
}
bool operator==(const VolumeMount& a, const VolumeMount& b) {
  return std::tie(a.type, a.source, a.target, a.readOnly, a.tmpfsSize) ==
         std::tie(b.type, b.source, b.target, b.readOnly, b.tmpfsSize);
}
bool operator==(const Ulimit& a, const Ulimit& b) {
  return a.soft == b.soft && a.hard == b.hard;
}
bool operator==(const LoggingSpec& a, const LoggingSpec& b) {
  return a.driver == b.driver && a.options == b.options;
}
bool operator==(const BuildSpec& a, const BuildSpec& b) {
  return std::tie(a.context, a.dockerfile, a.args, a.target) ==
         std::tie(b.context, b.dockerfile, b.args, b.target);
}
bool operator==(const Resources& a, const Resources& b) {
  return std::tie(a.memoryLimit, a.memoryReservation, a.memorySwap, a.nanoCpus) ==
         std::tie(b.memoryLimit, b.memoryReservation, b.memorySwap, b.nanoCpus);
}
bool operator==(const BackoffSpec& a, const BackoffSpec& b) {
  return std::tie(a.initialMs, a.factor, a.maxMs, a.resetAfterMs, a.maxRestarts, a.windowMs) ==
         std::tie(b.initialMs, b.factor, b.maxMs, b.resetAfterMs, b.maxRestarts, b.windowMs);
}
bool operator==(const HealthCheck& a, const HealthCheck& b) {
  return std::tie(a.kind, a.exec, a.port, a.path, a.intervalMs, a.timeoutMs, a.retries,
                  a.startPeriodMs, a.restartWhenUnhealthy) ==
         std::tie(b.kind, b.exec, b.port, b.path, b.intervalMs, b.timeoutMs, b.retries,
                  b.startPeriodMs, b.restartWhenUnhealthy);
}
bool operator==(const Dependency& a, const Dependency& b) {
  return std::tie(a.condition, a.restart, a.required) ==
         std::tie(b.condition, b.restart, b.required);
}
bool operator==(const ServiceSpec& a, const ServiceSpec& b) {
  return std::tie(a.image, a.build, a.command, a.entrypoint, a.env, a.ports, a.volumes, a.networks,
                  a.labels, a.replicas, a.resources, a.restartPolicy, a.backoff, a.healthcheck,
                  a.dependsOn, a.priority, a.user, a.workingDir, a.hostname, a.stopGracePeriodMs,
                  a.stopSignal) == std::tie(b.image, b.build, b.command, b.entrypoint, b.env,
                                            b.ports, b.volumes, b.networks, b.labels, b.replicas,
                                            b.resources, b.restartPolicy, b.backoff, b.healthcheck,
                                            b.dependsOn, b.priority, b.user, b.workingDir,
                                            b.hostname, b.stopGracePeriodMs, b.stopSignal) &&
         std::tie(a.expose, a.networkAliases, a.networkMode, a.capAdd, a.capDrop, a.privileged,
                  a.readOnlyRootFilesystem, a.init, a.extraHosts, a.ulimits, a.logging) ==
             std::tie(b.expose, b.networkAliases, b.networkMode, b.capAdd, b.capDrop, b.privileged,
                      b.readOnlyRootFilesystem, b.init, b.extraHosts, b.ulimits, b.logging) &&
         std::tie(a.pid, a.ipc, a.uts, a.devices, a.securityOpt) ==
             std::tie(b.pid, b.ipc, b.uts, b.devices, b.securityOpt);
}
bool operator==(const NetworkSpec& a, const NetworkSpec& b) {
  return std::tie(a.driver, a.internal, a.external, a.labels) ==
         std::tie(b.driver, b.internal, b.external, b.labels);
}
bool operator==(const VolumeSpec& a, const VolumeSpec& b) {
  return std::tie(a.driver, a.driverOpts, a.external, a.labels) ==
         std::tie(b.driver, b.driverOpts, b.external, b.labels);
}
bool operator==(const NamespaceSpec& a, const NamespaceSpec& b) {
  return std::tie(a.quotaMemory, a.quotaServices, a.ttlMs, a.expiresAt,
                  a.defaultReservationMemory) ==
         std::tie(b.quotaMemory, b.quotaServices, b.ttlMs, b.expiresAt, b.defaultReservationMemory);
}
bool operator==(const Resource& a, const Resource& b) {
  return std::tie(a.kind, a.metadata, a.spec) == std::tie(b.kind, b.metadata, b.spec);
}
void PrintTo(const FieldError& e, std::ostream* os) { *os << e.field << ": " << e.message; }
void PrintTo(const Resource& r, std::ostream* os) { *os << encodeResource(r).dump(); }

namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr int64_t Mi = 1024 * 1024;
constexpr int64_t Gi = 1024 * Mi;

const char kDnsRule[] =
    " is not a DNS label (lowercase letters, digits and '-', at most 63 characters)";
const char kObjectRule[] =
    " is not a volume or network name (letters, digits, '_', '.' and '-', starting with a letter "
    "or digit, at most 128 characters, as Compose names them)";
const char kNamespaceRule[] =
    " is not a namespace name (lowercase letters, digits, '_' and '-', starting with a letter or "
    "digit, at most 63 characters, as Compose names a project)";

std::string indent(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) out += "  " + line + "\n";
  return out;
}

// A Service named "web" whose spec is `spec` (YAML, unindented).
std::string service(const std::string& spec) {
  return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web}\nspec:\n" + indent(spec);
}

Resource parseOne(const std::string& text, const ParseOptions& options = {}) {
  auto r = parseManifests(text, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok() || r->empty()) return Resource{};
  EXPECT_EQ(r->size(), 1u);
  return r->front();
}

std::vector<FieldError> errorsOf(const std::string& text) {
  auto r = parseManifests(text);
  EXPECT_FALSE(r.ok()) << "accepted:\n" << text;
  if (r.ok()) return {};
  EXPECT_TRUE(r.status().IsInvalid());
  return r.status().details();
}

TEST(ParseManifests, DecodesEveryServiceField) {
  Resource r = parseOne(R"(
apiVersion: tender/v1
kind: Service
metadata:
  name: api
  namespace: alice
  labels: {tier: backend}
  resourceVersion: "7"
spec:
  image: example/api:1
  build: {context: ./api, dockerfile: Dockerfile.dev, args: {VERSION: 2}, target: prod}
  command: serve --port "80 80"
  entrypoint: ["/bin/sh", "-c"]
  env: {LOG_LEVEL: debug, PORT: 8080, DEBUG: true}
  ports: ["8080:80", 9090, "127.0.0.1:53:53/udp", {target: 443, published: "8443", host_ip: "::1", protocol: tcp}]
  volumes: ["data:/var/lib/api:ro", "./conf:/etc/api", "/cache", {type: tmpfs, target: /run}]
  networks: [backend, frontend]
  labels: {team: core}
  replicas: 2
  resources:
    limits: {memory: 256Mi, cpus: 0.5, memorySwap: 512Mi}
    reservations: {memory: 128Mi}
  restartPolicy: OnFailure
  backoff: {initial: 1s, factor: 1.5, max: 1m, resetAfter: 10m, maxRestarts: 5, window: 1h}
  healthcheck:
    exec: ["pg_isready", "-q"]
    interval: 10s
    timeout: 5s
    retries: 3
    startPeriod: 30s
    restartWhenUnhealthy: true
  dependsOn:
    db: {condition: healthy, restart: true}
    cache: {condition: started, required: false}
    migrate: {condition: completed}
  priority: 10
  user: 1000
  workingDir: /srv
  hostname: api-host
  stopGracePeriod: 20s
  stopSignal: SIGINT
)");
  EXPECT_EQ(r.kind, "Service");
  EXPECT_EQ(r.metadata.name, "api");
  EXPECT_EQ(r.metadata.namespace_, "alice");
  EXPECT_EQ(r.metadata.labels, (std::map<std::string, std::string>{{"tier", "backend"}}));
  EXPECT_EQ(r.metadata.resourceVersion, 7);
  const ServiceSpec& s = r.service();
  EXPECT_EQ(s.image, "example/api:1");
  ASSERT_TRUE(s.build);
  EXPECT_EQ(s.build->context, "./api");
  EXPECT_EQ(s.build->dockerfile, "Dockerfile.dev");
  EXPECT_EQ(s.build->args, (std::map<std::string, std::string>{{"VERSION", "2"}}));
  EXPECT_EQ(s.build->target, "prod");
  EXPECT_EQ(s.command, (std::vector<std::string>{"serve", "--port", "80 80"}));
  EXPECT_EQ(s.entrypoint, (std::vector<std::string>{"/bin/sh", "-c"}));
  EXPECT_EQ(s.env, (std::map<std::string, std::string>{
                       {"LOG_LEVEL", "debug"}, {"PORT", "8080"}, {"DEBUG", "true"}}));
  ASSERT_EQ(s.ports.size(), 4u);
  EXPECT_EQ(s.ports[0].hostPort, 8080);
  EXPECT_EQ(s.ports[0].containerPort, 80);
  EXPECT_EQ(s.ports[1].hostPort, 0);
  EXPECT_EQ(s.ports[1].containerPort, 9090);
  EXPECT_EQ(s.ports[2].hostIp, "127.0.0.1");
  EXPECT_EQ(s.ports[2].protocol, "udp");
  EXPECT_EQ(s.ports[3].hostIp, "::1");
  EXPECT_EQ(s.ports[3].hostPort, 8443);
  EXPECT_EQ(s.ports[3].containerPort, 443);
  ASSERT_EQ(s.volumes.size(), 4u);
  EXPECT_EQ(s.volumes[0], (VolumeMount{"volume", "data", "/var/lib/api", true, std::nullopt}));
  EXPECT_EQ(s.volumes[1], (VolumeMount{"bind", "./conf", "/etc/api", false, std::nullopt}));
  EXPECT_EQ(s.volumes[2], (VolumeMount{"volume", "", "/cache", false, std::nullopt}));
  EXPECT_EQ(s.volumes[3], (VolumeMount{"tmpfs", "", "/run", false, std::nullopt}));
  EXPECT_EQ(s.networks, (std::vector<std::string>{"backend", "frontend"}));
  EXPECT_EQ(s.labels, (std::map<std::string, std::string>{{"team", "core"}}));
  EXPECT_EQ(s.replicas, 2);
  EXPECT_EQ(s.resources.memoryLimit, 256 * Mi);
  EXPECT_EQ(s.resources.nanoCpus, 500000000);
  EXPECT_EQ(s.resources.memorySwap, 512 * Mi);
  EXPECT_EQ(s.resources.memoryReservation, 128 * Mi);
  EXPECT_EQ(s.restartPolicy, RestartPolicy::kOnFailure);
  EXPECT_EQ(s.backoff.initialMs, 1000);
  EXPECT_EQ(s.backoff.factor, 1.5);
  EXPECT_EQ(s.backoff.maxMs, 60000);
  EXPECT_EQ(s.backoff.resetAfterMs, 600000);
  EXPECT_EQ(s.backoff.maxRestarts, 5);
  EXPECT_EQ(s.backoff.windowMs, 3600000);
  ASSERT_TRUE(s.healthcheck);
  EXPECT_EQ(s.healthcheck->kind, HealthCheck::Kind::kExec);
  EXPECT_EQ(s.healthcheck->exec, (std::vector<std::string>{"CMD", "pg_isready", "-q"}));
  EXPECT_EQ(s.healthcheck->intervalMs, 10000);
  EXPECT_EQ(s.healthcheck->timeoutMs, 5000);
  EXPECT_EQ(s.healthcheck->retries, 3);
  EXPECT_EQ(s.healthcheck->startPeriodMs, 30000);
  EXPECT_TRUE(s.healthcheck->restartWhenUnhealthy);
  EXPECT_EQ(s.dependsOn.at("db"), (Dependency{DependencyCondition::kHealthy, true, true}));
  EXPECT_EQ(s.dependsOn.at("cache"), (Dependency{DependencyCondition::kStarted, false, false}));
  EXPECT_EQ(s.dependsOn.at("migrate"), (Dependency{DependencyCondition::kCompleted, false, true}));
  EXPECT_EQ(s.priority, 10);
  EXPECT_EQ(s.user, "1000");
  EXPECT_EQ(s.workingDir, "/srv");
  EXPECT_EQ(s.hostname, "api-host");
  EXPECT_EQ(s.stopGracePeriodMs, 20000);
  EXPECT_EQ(s.stopSignal, "SIGINT");
}

TEST(ParseManifests, LeavesUnsetFieldsUnset) {
  const ServiceSpec s = parseOne(service("image: busybox")).service();
  EXPECT_FALSE(s.replicas);
  EXPECT_FALSE(s.command);
  EXPECT_FALSE(s.restartPolicy);
  EXPECT_FALSE(s.healthcheck);
  EXPECT_FALSE(s.resources.memoryLimit);
  EXPECT_FALSE(s.backoff.initialMs);
  EXPECT_TRUE(s.env.empty());
}

TEST(ParseManifests, AMacAddressMustBeOneAndWellFormed) {
  auto bad = parseManifests(service("image: busybox\nmacAddress: \"02:42:zz:11:00:02\""));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().ToString().find("spec.macAddress"), std::string::npos) << bad.status().ToString();
  auto two = parseManifests(service("image: busybox\nreplicas: 2\nmacAddress: \"02:42:ac:11:00:02\""));
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().ToString().find("2 replicas"), std::string::npos) << two.status().ToString();
  const ServiceSpec s = parseOne(service("image: busybox\ntty: true\nmacAddress: \"02:42:AC:11:00:02\"")).service();
  EXPECT_TRUE(s.tty);
  EXPECT_FALSE(s.stdinOpen);
  EXPECT_EQ(s.macAddress, "02:42:AC:11:00:02");
}

TEST(ParseManifests, DefaultsTheNamespaceFromOptions) {
  ParseOptions options;
  options.defaultNamespace = "ci-42";
  EXPECT_EQ(parseOne(service("image: busybox"), options).metadata.namespace_, "ci-42");
  EXPECT_EQ(parseOne(service("image: busybox")).metadata.namespace_, "default");
}

TEST(ParseManifests, NamespaceObjectsHaveNoNamespace) {
  Resource r = parseOne(
      "apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: alice}\n"
      "spec: {quota: {memory: 4Gi, services: 20}, ttl: 2h, expiresAt: '2030-01-01T00:00:00Z', "
      "defaultReservation: {memory: 64Mi}}\n");
  EXPECT_EQ(r.metadata.namespace_, "");
  EXPECT_EQ(r.namespaceSpec().quotaMemory, 4 * Gi);
  EXPECT_EQ(r.namespaceSpec().quotaServices, 20);
  EXPECT_EQ(r.namespaceSpec().ttlMs, 7200000);
  EXPECT_EQ(r.namespaceSpec().expiresAt, "2030-01-01T00:00:00Z");
  EXPECT_EQ(r.namespaceSpec().defaultReservationMemory, 64 * Mi);
}

TEST(ParseManifests, DecodesNetworksAndVolumes) {
  auto r = parseManifests(
      "apiVersion: tender/v1\nkind: Network\nmetadata: {name: backend}\n"
      "spec: {driver: bridge, internal: true, labels: {a: b}}\n"
      "---\n"
      "apiVersion: tender/v1\nkind: Volume\nmetadata: {name: data}\n"
      "spec: {driver: local, driverOpts: {type: tmpfs, o: 'size=100m'}, external: true}\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].network(), (NetworkSpec{"bridge", true, false, {{"a", "b"}}}));
  EXPECT_EQ((*r)[1].volume(),
            (VolumeSpec{"local", {{"type", "tmpfs"}, {"o", "size=100m"}}, true, {}}));
}

TEST(ParseManifests, AcceptsComposeFormsOfEnvDependsOnAndHealthcheck) {
  const ServiceSpec s = parseOne(service("image: busybox\n"
                                         "env: [\"A=1\", \"B=x=y\"]\n"
                                         "dependsOn: [db, cache]\n"
                                         "healthcheck: {exec: 'wget -q -O- localhost || exit 1'}\n"
                                         "build: ./app\n"))
                            .service();
  EXPECT_EQ(s.env, (std::map<std::string, std::string>{{"A", "1"}, {"B", "x=y"}}));
  EXPECT_EQ(s.dependsOn.at("db"), Dependency{});
  EXPECT_EQ(s.dependsOn.at("cache"), Dependency{});
  EXPECT_EQ(s.healthcheck->exec,
            (std::vector<std::string>{"CMD-SHELL", "wget -q -O- localhost || exit 1"}));
  EXPECT_EQ(s.build->context, "./app");
}

TEST(ParseManifests, KeepsAnExecHealthcheckThatAlreadyNamesItsForm) {
  const ServiceSpec s =
      parseOne(service("image: busybox\nhealthcheck: {exec: [CMD-SHELL, 'test -f /ok']}"))
          .service();
  EXPECT_EQ(s.healthcheck->exec, (std::vector<std::string>{"CMD-SHELL", "test -f /ok"}));
}

TEST(ParseManifests, DecodesHttpAndTcpHealthchecks) {
  const ServiceSpec http =
      parseOne(service("image: x\nhealthcheck: {http: {port: 8080, path: /healthz}}")).service();
  EXPECT_EQ(http.healthcheck->kind, HealthCheck::Kind::kHttp);
  EXPECT_EQ(http.healthcheck->port, 8080);
  EXPECT_EQ(http.healthcheck->path, "/healthz");
  const ServiceSpec tcp = parseOne(service("image: x\nhealthcheck: {tcp: {port: 5432}}")).service();
  EXPECT_EQ(tcp.healthcheck->kind, HealthCheck::Kind::kTcp);
  EXPECT_EQ(tcp.healthcheck->port, 5432);
}

TEST(ParseManifests, IgnoresStatusAndGenerationInInput) {
  Resource r = parseOne(
      "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, generation: 3}\n"
      "spec: {image: busybox}\nstatus: {phase: Running}\n");
  EXPECT_EQ(r.service().image, "busybox");
}

TEST(ParseManifests, ExpandsJsonArraysAndLists) {
  auto fromArray = parseManifests(
      R"([{"apiVersion": "tender/v1", "kind": "Network", "metadata": {"name": "a"}},
          {"apiVersion": "tender/v1", "kind": "Network", "metadata": {"name": "b"}}])");
  ASSERT_TRUE(fromArray.ok()) << fromArray.status().ToString();
  ASSERT_EQ(fromArray->size(), 2u);
  EXPECT_EQ((*fromArray)[1].metadata.name, "b");
  auto fromList = parseManifests(
      "apiVersion: v1\nkind: List\nitems:\n"
      "- {apiVersion: tender/v1, kind: Volume, metadata: {name: a}}\n"
      "- {apiVersion: tender/v1, kind: Volume, metadata: {name: b}}\n");
  ASSERT_TRUE(fromList.ok()) << fromList.status().ToString();
  ASSERT_EQ(fromList->size(), 2u);
  EXPECT_EQ((*fromList)[0].kind, "Volume");
}

TEST(ParseManifests, SkipsEmptyDocuments) {
  auto r = parseManifests("---\n" + service("image: busybox") + "---\n# nothing\n---\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size(), 1u);
}

TEST(ParseManifests, MalformedYamlIsOneErrorWithLineAndColumn) {
  auto r = parseManifests("kind: Service\nspec: [\n");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalid());
  EXPECT_EQ(r.status().message(), "line 3, column 1: end of sequence flow not found");
}

TEST(ParseManifests, DuplicateKeysAreRefused) {
  auto r = parseManifests(service("image: a\nimage: b"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "line 6, column 3: duplicate key \"image\" (first at line 5)");
}

struct ErrorCase {
  std::string spec;  // of a Service named "web"
  std::string field;
  std::string message;
};

// Each case has exactly one mistake, and exactly that one is reported.
void expectOneError(const std::vector<ErrorCase>& cases) {
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.spec);
    EXPECT_THAT(errorsOf(service(c.spec)), ElementsAre(FieldError{c.field, c.message}));
  }
}

TEST(ServiceValidation, ReportsQuantityErrors) {
  expectOneError({
      {"image: x\nresources: {limits: {memory: 12XB}}", "spec.resources.limits.memory",
       "\"12XB\" is not a memory quantity"},
      {"image: x\nresources: {limits: {memory: 4Mi}}", "spec.resources.limits.memory",
       "\"4Mi\" is below 6Mi, the least Docker accepts for a container"},
      {"image: x\nresources: {limits: {memory: 64Mi}, reservations: {memory: 128Mi}}",
       "spec.resources.reservations.memory", "\"128Mi\" must not exceed limits.memory (\"64Mi\")"},
      {"image: x\nresources: {limits: {memory: 256Mi, memorySwap: 100Mi}}",
       "spec.resources.limits.memorySwap",
       "\"100Mi\" must be at least limits.memory (\"256Mi\"); -1 means unlimited"},
      {"image: x\nresources: {limits: {memorySwap: 1Gi}}", "spec.resources.limits.memorySwap",
       "needs limits.memory to be set as well"},
      {"image: x\nresources: {limits: {cpus: 0}}", "spec.resources.limits.cpus",
       "0 must be more than 0"},
      {"image: x\nresources: {limits: {cpus: lots}}", "spec.resources.limits.cpus",
       "\"lots\" is not a CPU quantity (e.g. 0.5, 2, 500m)"},
      {"image: x\nresources: {limits: {memory: -5}}", "spec.resources.limits.memory",
       "-5 must not be negative"},
  });
}

TEST(ServiceValidation, AcceptsUnlimitedSwapAndMillicpus) {
  const ServiceSpec s =
      parseOne(service("image: x\nresources: {limits: {memory: 64Mi, memorySwap: -1, cpus: 250m}}"))
          .service();
  EXPECT_EQ(s.resources.memorySwap, -1);
  EXPECT_EQ(s.resources.nanoCpus, 250000000);
}

TEST(ServiceValidation, ReportsScalarAndEnumErrors) {
  expectOneError({
      {"replicas: 1", "spec", "image or build is required"},
      {"image: x\nreplicas: -1", "spec.replicas", "-1 must be at least 0"},
      {"image: x\nreplicas: \"3\"", "spec.replicas", "\"3\" is not an integer"},
      {"image: x\nreplicas: 1.5", "spec.replicas", "1.5 is not an integer"},
      {"image: x\nrestartPolicy: Sometimes", "spec.restartPolicy",
       "\"Sometimes\" is not one of Always, OnFailure, Never"},
      {"image: 5", "spec.image", "5 is not a string"},
      {"image: x\nworkingDir: app", "spec.workingDir", "\"app\" is not an absolute path"},
      {"image: x\nstopGracePeriod: soon", "spec.stopGracePeriod",
       "\"soon\" is not a duration (e.g. 500ms, 10s, 5m, 1h30m)"},
      {"image: x\ncommand: \"echo 'hi\"", "spec.command",
       "\"echo 'hi\" has an unterminated single quote"},
      {"image: x\ncommand: 5", "spec.command", "5 is not a list or a string"},
      {"image: x\ncommand: [echo, {a: 1}]", "spec.command[1]", "{\"a\":1} is not a string"},
      {"build: {dockerfile: Dockerfile}", "spec.build.context", "is required"},
      {"image: x\nlabels: {tender.managed: \"false\"}", "spec.labels.tender.managed",
       "the \"tender.\" prefix is reserved for tender's own labels"},
  });
}

TEST(ServiceValidation, ReportsEnvErrors) {
  expectOneError({
      {"image: x\nenv: {FOO: {a: 1}}", "spec.env.FOO", "{\"a\":1} is not a string"},
      {"image: x\nenv: {FOO: }", "spec.env.FOO", "has no value"},
      {"image: x\nenv: [FOO]", "spec.env[0]", "\"FOO\" is not KEY=VALUE"},
      {"image: x\nenv: [A=1, A=2]", "spec.env[1]", "\"A=2\" sets A a second time"},
      {"image: x\nenv: 5", "spec.env", "5 is not an object or a list"},
  });
}

TEST(ServiceValidation, ReportsPortAndVolumeErrors) {
  expectOneError({
      {"image: x\nports: [\"8080:80\", \"70000:80\"]", "spec.ports[1]",
       "\"70000:80\": port 70000 is out of range (1-65535)"},
      {"image: x\nports: [\"8000-8002:80-81\"]", "spec.ports[0]",
       "\"8000-8002:80-81\": host range 8000-8002 and container range 80-81 differ in length"},
      {"image: x\nports: [0]", "spec.ports[0]", "0 is not a port number (1-65535)"},
      {"image: x\nports: [{published: 8080}]", "spec.ports[0].target", "is required"},
      {"image: x\nports: [{target: 80, mode: host}]", "spec.ports[0].mode", "unknown field"},
      {"image: x\nports: [{target: 80, protocol: icmp}]", "spec.ports[0].protocol",
       "\"icmp\" is not one of tcp, udp, sctp"},
      {"image: x\nvolumes: [\"data:app\"]", "spec.volumes[0]",
       "\"data:app\": target \"app\" is not an absolute path"},
      {"image: x\nvolumes: [{type: nfs, target: /x}]", "spec.volumes[0].type",
       "\"nfs\" is not one of volume, bind, tmpfs"},
      {"image: x\nvolumes: [{type: bind, target: /x}]", "spec.volumes[0].source",
       "is required for a bind mount"},
      {"image: x\nvolumes: [{type: volume, source: data}]", "spec.volumes[0].target",
       "is required"},
      {"image: x\nvolumes: [\"a:/x\", \"b:/x\"]", "spec.volumes[1]",
       "\"/x\" is already mounted by volumes[0]"},
      {"image: x\nnetworks: [_front]", "spec.networks[0]", std::string("\"_front\"") + kObjectRule},
      {"image: x\nnetworks: [a, a]", "spec.networks[1]", "\"a\" is listed twice"},
  });
}

TEST(ServiceValidation, ReportsBackoffAndHealthcheckErrors) {
  expectOneError({
      {"image: x\nbackoff: {factor: 0.5}", "spec.backoff.factor", "0.5 must be at least 1"},
      {"image: x\nbackoff: {initial: -1s}", "spec.backoff.initial", "\"-1s\" must not be negative"},
      {"image: x\nbackoff: {initial: 10s, max: 5s}", "spec.backoff.max",
       "\"5s\" must be at least backoff.initial (\"10s\")"},
      {"image: x\nbackoff: {maxRestarts: -2}", "spec.backoff.maxRestarts", "-2 must be at least 0"},
      {"image: x\nhealthcheck: {interval: 5s}", "spec.healthcheck",
       "one of exec, http or tcp is required"},
      {"image: x\nhealthcheck: {exec: [x], tcp: {port: 1}}", "spec.healthcheck",
       "only one of exec, http or tcp may be set"},
      {"image: x\nhealthcheck: {http: {port: 0}}", "spec.healthcheck.http.port",
       "0 is not a port number (1-65535)"},
      {"image: x\nhealthcheck: {http: {port: 80, path: healthz}}", "spec.healthcheck.http.path",
       "\"healthz\" does not start with /"},
      {"image: x\nhealthcheck: {tcp: {}}", "spec.healthcheck.tcp.port", "is required"},
      {"image: x\nhealthcheck: {tcp: {port: 1}, retries: 0}", "spec.healthcheck.retries",
       "0 must be at least 1"},
      {"image: x\nhealthcheck: {tcp: {port: 1}, interval: 0s}", "spec.healthcheck.interval",
       "\"0s\" must be more than 0"},
      {"image: x\nhealthcheck: {exec: [CMD]}", "spec.healthcheck.exec", "[\"CMD\"] has no command"},
  });
}

TEST(ServiceValidation, ReportsDependencyErrors) {
  expectOneError({
      {"image: x\ndependsOn: {db: {condition: ready}}", "spec.dependsOn.db.condition",
       "\"ready\" is not one of started, healthy, completed"},
      {"image: x\ndependsOn: [web]", "spec.dependsOn[0]", "a service cannot depend on itself"},
      {"image: x\ndependsOn: {web: {}}", "spec.dependsOn.web", "a service cannot depend on itself"},
      {"image: x\ndependsOn: {Db_1: {}}", "spec.dependsOn.Db_1",
       std::string("\"Db_1\"") + kDnsRule},
      {"image: x\ndependsOn: [db, db]", "spec.dependsOn[1]", "\"db\" is listed twice"},
      {"image: x\ndependsOn: {db: {restart: yes}}", "spec.dependsOn.db.restart",
       "\"yes\" is not a boolean (true or false)"},
  });
}

TEST(ServiceValidation, ReportsUnknownFieldsAtEveryLevel) {
  expectOneError({
      {"image: x\nimagee: y", "spec.imagee", "unknown field"},
      {"image: x\nresources: {limits: {memory: 1Gi, gpus: 1}}", "spec.resources.limits.gpus",
       "unknown field"},
      {"image: x\nhealthcheck: {tcp: {port: 1, host: x}}", "spec.healthcheck.tcp.host",
       "unknown field"},
      {"image: x\ndependsOn: {db: {condtion: healthy}}", "spec.dependsOn.db.condtion",
       "unknown field"},
      {"image: x\nbuild: {context: ., cache: true}", "spec.build.cache", "unknown field"},
  });
  EXPECT_THAT(errorsOf("apiVersion: tender/v1\nkind: Service\nmetadata: {name: web}\n"
                       "spec: {image: x}\nspecs: {}\n"),
              ElementsAre(FieldError{"specs", "unknown field"}));
  EXPECT_THAT(errorsOf("apiVersion: tender/v1\nkind: Service\n"
                       "metadata: {name: web, annotations: {a: b}}\nspec: {image: x}\n"),
              ElementsAre(FieldError{"metadata.annotations", "unknown field"}));
}

TEST(ObjectValidation, ReportsApiVersionKindAndMetadataErrors) {
  struct Case {
    std::string text;
    FieldError want;
  };
  std::vector<Case> cases = {
      {"apiVersion: v2\nkind: Network\nmetadata: {name: n}\n",
       {"apiVersion", "\"v2\" is not supported (use tender/v1)"}},
      {"kind: Network\nmetadata: {name: n}\n", {"apiVersion", "is required"}},
      {"apiVersion: tender/v1\nkind: Pod\nmetadata: {name: n}\n",
       {"kind", "\"Pod\" is not one of Service, Network, Volume, Namespace"}},
      {"apiVersion: tender/v1\nmetadata: {name: n}\n", {"kind", "is required"}},
      {"apiVersion: tender/v1\nkind: Service\nmetadata: {name: Web_1}\nspec: {image: x}\n",
       {"metadata.name", std::string("\"Web_1\"") + kDnsRule}},
      {"apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + std::string(64, 'a') +
           "}\nspec: {image: x}\n",
       {"metadata.name", "\"" + std::string(64, 'a') + "\"" + kDnsRule}},
      {"apiVersion: tender/v1\nkind: Network\nmetadata: {name: .web}\n",
       {"metadata.name", std::string("\".web\"") + kObjectRule}},
      {"apiVersion: tender/v1\nkind: Volume\nmetadata: {name: a b}\n",
       {"metadata.name", std::string("\"a b\"") + kObjectRule}},
      {"apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: My.app}\n",
       {"metadata.name", std::string("\"My.app\"") + kNamespaceRule}},
      {"apiVersion: tender/v1\nkind: Network\nmetadata: {}\n", {"metadata.name", "is required"}},
      {"apiVersion: tender/v1\nkind: Network\n", {"metadata.name", "is required"}},
      {"apiVersion: tender/v1\nkind: Network\nmetadata: {name: n, namespace: Alice}\n",
       {"metadata.namespace", std::string("\"Alice\"") + kNamespaceRule}},
      {"apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: n, namespace: x}\n",
       {"metadata.namespace", "\"x\" must not be set: a Namespace is not namespaced"}},
      {"apiVersion: tender/v1\nkind: Network\nmetadata: {name: n, labels: {a: [1]}}\n",
       {"metadata.labels.a", "[1] is not a string"}},
      {"apiVersion: tender/v1\nkind: Network\nmetadata: {name: n, labels: {'': x}}\n",
       {"metadata.labels", "a key must not be empty"}},
      {"apiVersion: tender/v1\nkind: Network\nmetadata: {name: n, resourceVersion: abc}\n",
       {"metadata.resourceVersion", "\"abc\" is not an integer"}},
      {"apiVersion: tender/v1\nkind: Network\nmetadata: {name: n}\nspec: [1]\n",
       {"spec", "[1] is not an object"}},
      {"hello\n",
       {"(root)",
        "\"hello\" is not an object (a manifest has apiVersion, kind, metadata and spec)"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_THAT(errorsOf(c.text), ElementsAre(c.want));
  }
}

TEST(ObjectValidation, ReportsNetworkVolumeAndNamespaceErrors) {
  struct Case {
    std::string text;
    FieldError want;
  };
  std::vector<Case> cases = {
      {"apiVersion: tender/v1\nkind: Network\nmetadata: {name: n}\nspec: {internal: 'yes'}\n",
       {"spec.internal", "\"yes\" is not a boolean (true or false)"}},
      {"apiVersion: tender/v1\nkind: Network\nmetadata: {name: n}\nspec: {subnet: x}\n",
       {"spec.subnet", "unknown field"}},
      {"apiVersion: tender/v1\nkind: Volume\nmetadata: {name: v}\nspec: {driverOpts: {o: {a: "
       "1}}}\n",
       {"spec.driverOpts.o", "{\"a\":1} is not a string"}},
      {"apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: n}\nspec: {quota: {services: "
       "-1}}\n",
       {"spec.quota.services", "-1 must be at least 0"}},
      {"apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: n}\nspec: {quota: {cpus: 2}}\n",
       {"spec.quota.cpus", "unknown field"}},
      {"apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: n}\nspec: {ttl: 0s}\n",
       {"spec.ttl", "\"0s\" must be more than 0"}},
      {"apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: n}\nspec: {expiresAt: tomorrow}\n",
       {"spec.expiresAt", "\"tomorrow\" is not an RFC 3339 time (e.g. 2024-05-01T18:00:00Z)"}},
      {"apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: n}\n"
       "spec: {quota: {memory: 4Gi}, defaultReservation: {memory: 8Gi}}\n",
       {"spec.defaultReservation.memory", "\"8Gi\" must not exceed quota.memory (\"4Gi\")"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_THAT(errorsOf(c.text), ElementsAre(c.want));
  }
}

TEST(ParseManifests, ReportsEveryErrorTogether) {
  auto r =
      parseManifests(service("replicas: -1\n"
                             "restartPolicy: Sometimes\n"
                             "resources: {limits: {memory: 12XB}}\n"
                             "imagee: busybox\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "manifest is invalid");
  EXPECT_THAT(
      r.status().details(),
      UnorderedElementsAre(
          FieldError{"spec.replicas", "-1 must be at least 0"},
          FieldError{"spec.restartPolicy", "\"Sometimes\" is not one of Always, OnFailure, Never"},
          FieldError{"spec.resources.limits.memory", "\"12XB\" is not a memory quantity"},
          FieldError{"spec.imagee", "unknown field"},
          FieldError{"spec", "image or build is required"}));
}

TEST(ParseManifests, PrefixesFieldsWithTheObjectIndexWhenThereAreSeveral) {
  auto r = parseManifests(service("image: x\nreplicas: -1") + "---\n---\n" +
                          "apiVersion: tender/v1\nkind: Network\nmetadata: {name: _bad}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().details(),
              ElementsAre(FieldError{"[0].spec.replicas", "-1 must be at least 0"},
                          FieldError{"[1].metadata.name", std::string("\"_bad\"") + kObjectRule}));
}

TEST(ParseManifests, PrefixesItemsOfAListByTheirIndex) {
  auto r = parseManifests(
      "kind: List\nitems:\n"
      "- {apiVersion: tender/v1, kind: Volume, metadata: {name: a}}\n"
      "- {apiVersion: tender/v1, kind: Volume, metadata: {name: b}, spec: {size: 1}}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().details(), ElementsAre(FieldError{"[1].spec.size", "unknown field"}));
}

TEST(ParseManifests, RefusesTheSameObjectTwice) {
  auto r = parseManifests(service("image: x") + "---\n" + service("image: y"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().details(),
              ElementsAre(FieldError{"[1].metadata.name", "\"web\" is already defined by [0]"}));
}

TEST(ParseManifests, RefusesAListWithoutItems) {
  EXPECT_THAT(errorsOf("kind: List\nitem: []\n"),
              UnorderedElementsAre(FieldError{"item", "unknown field"},
                                   FieldError{"items", "is required"}));
}

const char kFullService[] = R"(
apiVersion: tender/v1
kind: Service
metadata: {name: api, namespace: alice, labels: {tier: backend}}
spec:
  image: example/api:1
  build: {context: ./api, args: {V: "2"}}
  command: ["serve", "--port", "8080"]
  entrypoint: []
  env: {LOG_LEVEL: debug}
  ports: ["8080:80", "127.0.0.1:8000-8002:80-82/udp", "[::1]::9000"]
  volumes: ["data:/var/lib/api:ro", "./conf:/etc/api", "/cache", {type: tmpfs, target: /run, tmpfs: {size: 64Mi}}]
  networks: [backend]
  networkAliases: {backend: [api-primary]}
  expose: [9100, "53/udp", "7000-7002"]
  capAdd: [NET_ADMIN]
  capDrop: [ALL]
  privileged: true
  pid: service:db
  ipc: shareable
  uts: host
  devices: [/dev/fuse, "/dev/sda:/dev/xvda:r"]
  securityOpt: [no-new-privileges, "apparmor=docker-default", 'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']
  readOnlyRootFilesystem: true
  init: false
  extraHosts: ["db.local:10.0.0.5", "v6=::1"]
  ulimits: {nofile: {soft: 1024, hard: 4096}, nproc: 512}
  logging: {driver: local, options: {max-size: 5m}}
  labels: {team: core}
  replicas: 0
  resources: {limits: {memory: 1.5Gi, cpus: "0.25", memorySwap: -1}, reservations: {memory: 100M}}
  restartPolicy: Never
  backoff: {initial: 0s, factor: 3, max: 1h30m, resetAfter: 10m, maxRestarts: 0, window: 1.5s}
  healthcheck: {http: {port: 8080, path: /healthz}, interval: 500ms, retries: 2, restartWhenUnhealthy: true}
  dependsOn: {db: {condition: healthy, restart: true}, cache: {required: false}}
  priority: -5
  user: "app:app"
  workingDir: /srv
  hostname: api
  stopGracePeriod: 20s
  stopSignal: SIGINT
)";

TEST(ParseManifests, DecodesContainerSettings) {
  const ServiceSpec s = parseOne(kFullService).service();
  EXPECT_EQ(s.volumes[3].tmpfsSize, 64 * Mi);
  EXPECT_EQ(s.networkAliases.at("backend"), (std::vector<std::string>{"api-primary"}));
  EXPECT_EQ(s.expose, (std::vector<std::string>{"9100", "53/udp", "7000-7002"}));
  EXPECT_EQ(s.capAdd, (std::vector<std::string>{"NET_ADMIN"}));
  EXPECT_EQ(s.capDrop, (std::vector<std::string>{"ALL"}));
  EXPECT_TRUE(s.privileged);
  EXPECT_EQ(s.pid, "service:db");
  EXPECT_EQ(s.ipc, "shareable");
  EXPECT_EQ(s.uts, "host");
  EXPECT_EQ(s.devices, (std::vector<std::string>{"/dev/fuse", "/dev/sda:/dev/xvda:r"}));
  EXPECT_EQ(s.securityOpt.size(), 3u);
  EXPECT_TRUE(s.readOnlyRootFilesystem);
  EXPECT_EQ(s.init, false);
  EXPECT_EQ(s.extraHosts, (std::vector<std::string>{"db.local:10.0.0.5", "v6:::1"}));
  EXPECT_EQ(s.ulimits.at("nofile"), (Ulimit{1024, 4096}));
  EXPECT_EQ(s.ulimits.at("nproc"), (Ulimit{512, 512}));
  ASSERT_TRUE(s.logging);
  EXPECT_EQ(s.logging->driver, "local");
  EXPECT_EQ(s.logging->options.at("max-size"), "5m");
  EXPECT_EQ(parseOne(service("image: x\nnetworkMode: service:db")).service().networkMode, "service:db");
}

TEST(ServiceValidation, ReportsContainerSettingErrors) {
  EXPECT_THAT(
      errorsOf(service("image: x\n"
                       "expose: [\"80:80\", 70000, {a: 1}]\n"
                       "networkMode: wifi\n"
                       "networkAliases: {backend: [a]}\n"
                       "extraHosts: [\"nohost\", \"h:not-an-ip\"]\n"
                       "ulimits: {nofile: {soft: 10, hard: 5}, core: {soft: 1}, nproc: x}\n"
                       "logging: {driver: 1, optionz: {}}\n"
                       "volumes: [{type: bind, source: /a, target: /b, tmpfs: {size: 1Mi}}]\n"
                       "privileged: yes-please\n")),
      UnorderedElementsAre(
          FieldError{"spec.expose[0]", "\"80:80\" publishes a port: use ports"},
          FieldError{"spec.expose[1]", "\"70000\": port 70000 is out of range (1-65535)"},
          FieldError{"spec.expose[2]", "{\"a\":1} is not a port (8080, \"53/udp\", \"9000-9002\")"},
          FieldError{"spec.networkMode",
                     "\"wifi\" is not one of bridge, host, none, service:NAME, container:NAME"},
          FieldError{"spec.networkAliases.backend", "the service does not join network \"backend\""},
          FieldError{"spec.extraHosts[0]", "\"nohost\" is not HOST:IP"},
          FieldError{"spec.extraHosts[1]", "\"h:not-an-ip\" is not HOST:IP"},
          FieldError{"spec.ulimits.nofile.soft", "10 must not exceed hard (5)"},
          FieldError{"spec.ulimits.core", "soft and hard are both required"},
          FieldError{"spec.ulimits.nproc", "\"x\" is not an integer"},
          FieldError{"spec.logging.driver", "1 is not a string"},
          FieldError{"spec.logging.optionz", "unknown field"},
          FieldError{"spec.volumes[0].tmpfs", "is only for a tmpfs mount"},
          FieldError{"spec.privileged", "\"yes-please\" is not a boolean (true or false)"}));
  EXPECT_THAT(errorsOf(service("image: x\nnetworks: [a]\nnetworkMode: host\n")),
              ElementsAre(FieldError{"spec.networkMode", "cannot be set together with spec.networks"}));
}

TEST(ServiceValidation, ReportsKernelNamespaceDeviceAndSecurityOptionErrors) {
  EXPECT_THAT(
      errorsOf(service("image: x\n"
                       "pid: private\n"
                       "ipc: \"container:\"\n"
                       "uts: service:db\n"
                       "devices: [dev/fuse, \"/dev/a:dev/b\", \"/dev/a:/dev/b:rwx\", \"/a:/b:r:x\"]\n"
                       "securityOpt: [\"seccomp=/etc/profile.json\", \"no-new-privileges=maybe\", "
                       "\"selinux=on\", \"apparmor\"]\n")),
      UnorderedElementsAre(
          FieldError{"spec.pid", "\"private\" is not one of host, service:NAME, container:NAME"},
          FieldError{"spec.ipc",
                     "\"container:\" is not one of host, private, shareable, none, service:NAME, "
                     "container:NAME"},
          FieldError{"spec.uts", "\"service:db\" is not one of host"},
          FieldError{"spec.devices[0]",
                     "\"dev/fuse\": the host path is not absolute (HOST[:CONTAINER[:PERMISSIONS]], "
                     "e.g. /dev/fuse or /dev/sda:/dev/xvda:r)"},
          FieldError{"spec.devices[1]",
                     "\"/dev/a:dev/b\": the container path is not absolute "
                     "(HOST[:CONTAINER[:PERMISSIONS]], e.g. /dev/fuse or /dev/sda:/dev/xvda:r)"},
          FieldError{"spec.devices[2]",
                     "\"/dev/a:/dev/b:rwx\": the permissions are not a mix of r, w and m "
                     "(HOST[:CONTAINER[:PERMISSIONS]], e.g. /dev/fuse or /dev/sda:/dev/xvda:r)"},
          FieldError{"spec.devices[3]",
                     "\"/a:/b:r:x\": too many ':' (HOST[:CONTAINER[:PERMISSIONS]], e.g. /dev/fuse "
                     "or /dev/sda:/dev/xvda:r)"},
          FieldError{"spec.securityOpt[0]",
                     "\"seccomp=/etc/profile.json\" names a profile file: give the profile inline "
                     "as JSON, or unconfined or builtin"},
          FieldError{"spec.securityOpt[1]",
                     "\"no-new-privileges=maybe\" is not no-new-privileges=true or =false"},
          FieldError{"spec.securityOpt[2]",
                     "\"selinux=on\" is not a security option tender knows (no-new-privileges, "
                     "seccomp, apparmor, label, systempaths)"},
          FieldError{"spec.securityOpt[3]",
                     "\"apparmor\" is not KEY=VALUE (no-new-privileges, seccomp=..., apparmor=..., "
                     "label=...)"}));
}

TEST(NamespaceValidation, DecodesSecurityAndReportsItsErrors) {
  const NamespaceSpec ok = parseOne(R"(
apiVersion: tender/v1
kind: Namespace
metadata: {name: alice}
spec:
  security:
    level: restricted
    allowedHostPaths: [/srv/alice/, {path: /srv/cache/../cache2, writable: true}]
    hostPorts: 8000-8099
)").namespaceSpec();
  EXPECT_EQ(ok.security.level, SecurityLevel::kRestricted);
  ASSERT_EQ(ok.security.allowedHostPaths.size(), 2u);
  EXPECT_EQ(ok.security.allowedHostPaths[0].path, "/srv/alice");
  EXPECT_FALSE(ok.security.allowedHostPaths[0].writable);
  EXPECT_EQ(ok.security.allowedHostPaths[1].path, "/srv/cache2");
  EXPECT_TRUE(ok.security.allowedHostPaths[1].writable);
  EXPECT_EQ(ok.security.hostPortMin, 8000);
  EXPECT_EQ(ok.security.hostPortMax, 8099);
  auto bad = parseManifests(R"(
apiVersion: tender/v1
kind: Namespace
metadata: {name: alice}
spec:
  security:
    level: strict
    allowedHostPaths: [srv, {writable: true}, {path: /a, rw: true}]
    hostPorts: 9000-8000
    seccomp: x
)");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().details(),
              UnorderedElementsAre(
                  FieldError{"spec.security.level",
                             "\"strict\" is not one of privileged, baseline, restricted"},
                  FieldError{"spec.security.allowedHostPaths[0]", "\"srv\" is not an absolute path"},
                  FieldError{"spec.security.allowedHostPaths[1].path", "is required"},
                  FieldError{"spec.security.allowedHostPaths[2].rw", "unknown field"},
                  FieldError{"spec.security.hostPorts",
                             "\"9000-8000\" is not a port range (8000-8099, or one port)"},
                  FieldError{"spec.security.seccomp", "unknown field"}));
}

TEST(EncodeSpec, RoundTripsThroughTheStoredForm) {
  const char* others[] = {
      "apiVersion: tender/v1\nkind: Network\nmetadata: {name: n, namespace: x}\n"
      "spec: {driver: overlay, internal: true, external: true, labels: {a: b}}\n",
      "apiVersion: tender/v1\nkind: Volume\nmetadata: {name: v}\n"
      "spec: {driver: local, driverOpts: {o: bind}, external: true}\n",
      "apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: alice}\n"
      "spec: {quota: {memory: 4Gi, services: 20}, ttl: 2h, expiresAt: '2030-01-01T00:00:00Z', "
      "defaultReservation: {memory: 64Mi}, security: {level: baseline, "
      "allowedHostPaths: [/srv/a, {path: /srv/b, writable: true}], hostPorts: 8000-8099}}\n",
      "apiVersion: tender/v1\nkind: Service\nmetadata: {name: s}\n"
      "spec: {image: x, healthcheck: {exec: 'true', timeout: 1s, startPeriod: 0s}}\n",
  };
  std::vector<std::string> texts = {kFullService};
  texts.insert(texts.end(), std::begin(others), std::end(others));
  for (const std::string& text : texts) {
    SCOPED_TRACE(text);
    Resource r = parseOne(text);
    json labels = r.metadata.labels;
    auto back = decodeStored(r.kind, r.metadata.namespace_, r.metadata.name, labels, encodeSpec(r));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, r);
  }
}

TEST(EncodeSpec, RoundTripsThroughTheUserFacingForm) {
  Resource r = parseOne(kFullService);
  Resource back = parseOne(encodeResource(r).dump(2));
  EXPECT_EQ(back, r);
}

TEST(EncodeSpec, IsDeterministicWhateverTheInputOrder) {
  Resource a = parseOne(service("image: x\nenv: {B: 2, A: 1}\nlabels: {z: 1, y: 2}\nreplicas: 2"));
  Resource b = parseOne(service("replicas: 2\nlabels: {y: 2, z: 1}\nenv: {A: 1, B: 2}\nimage: x"));
  EXPECT_EQ(encodeSpec(a).dump(), encodeSpec(b).dump());
}

TEST(EncodeSpec, WritesOnlyWhatWasSetWithExactIntegers) {
  Resource r =
      parseOne(service("image: x\n"
                       "resources: {limits: {memory: 1Gi, cpus: 0.5}}\n"
                       "backoff: {initial: 1.5s}\n"
                       "ports: [8080]\n"
                       "env: {}\n"));
  EXPECT_EQ(encodeSpec(r).dump(),
            R"({"backoff":{"initialMs":1500},"image":"x","ports":["8080"],)"
            R"("resources":{"limits":{"memory":1073741824,"nanoCpus":500000000}}})");
}

TEST(EncodeResource, ShowsDurationsAndCpusAsPeopleWriteThem) {
  Resource r = parseOne(service(
      "image: x\nresources: {limits: {cpus: 0.5}}\nbackoff: {max: 90s}\nstopGracePeriod: 1500ms"));
  json out = encodeResource(r);
  EXPECT_EQ(out["apiVersion"], "tender/v1");
  EXPECT_EQ(out["metadata"], json({{"name", "web"}, {"namespace", "default"}}));
  EXPECT_EQ(out["spec"]["resources"]["limits"]["cpus"], "0.5");
  EXPECT_EQ(out["spec"]["backoff"]["max"], "1m30s");
  EXPECT_EQ(out["spec"]["stopGracePeriod"], "1.5s");
}

TEST(EncodeResource, LeavesOutTheNamespaceOfANamespace) {
  Resource r = parseOne("apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: alice}\n");
  EXPECT_FALSE(encodeResource(r)["metadata"].contains("namespace"));
}

TEST(DecodeStored, RefusesUserFormsInTheStoredSpec) {
  auto r = decodeStored("Service", "default", "web", json(),
                        json({{"image", "x"}, {"backoff", {{"initial", "10s"}}}}));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().details(),
              ElementsAre(FieldError{"spec.backoff.initial", "unknown field"}));
}

TEST(DecodeResource, PrefixesFieldsAsAsked) {
  auto r = decodeResource(json({{"apiVersion", "tender/v1"},
                                {"kind", "Volume"},
                                {"metadata", {{"name", "v"}}},
                                {"spec", {{"size", 1}}}}),
                          ParseOptions{}, "[2].");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().details(), ElementsAre(FieldError{"[2].spec.size", "unknown field"}));
}

}  // namespace
}  // namespace tender

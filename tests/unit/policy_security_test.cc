// The security levels as a table: each field the policy checks, admitted at
// the levels that allow it and refused, with the exact message, at the one
// that does not.
#include "policy/security_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "manifests/manifest.h"

namespace tender {
namespace {

using json = nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A host with two symlinks: /var/run -> /run (as Debian has it) and a
// tenant's link into /etc.
std::string resolveOnTestHost(const std::string& path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  if (p.size() > 1 && p.back() == '/') p.pop_back();
  const std::map<std::string, std::string> links = {{"/var/run", "/run"},
                                                    {"/srv/alice/link", "/etc"}};
  for (const auto& [link, target] : links) {
    if (p == link) return target;
    if (p.rfind(link + "/", 0) == 0) return target + p.substr(link.size());
  }
  return p;
}

PolicyScope scopeAt(SecurityLevel level) {
  PolicyScope scope;
  scope.namespace_ = "alice";
  scope.level = level;
  scope.security.allowedHostPaths = {{"/srv/alice", false}, {"/srv/shared", true}};
  scope.security.hostPortMin = 8000;
  scope.security.hostPortMax = 8099;
  return scope;
}

Resource service(const json& spec) {
  json doc = {{"apiVersion", "tender/v1"},
              {"kind", "Service"},
              {"metadata", {{"name", "web"}, {"namespace", "alice"}}},
              {"spec", spec}};
  auto parsed = parseManifests(doc.dump(), ParseOptions{});
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << doc.dump();
  if (!parsed.ok()) return Resource{};
  return parsed->front();
}

std::vector<FieldError> violations(const json& extra, SecurityLevel level) {
  json spec = {{"image", "busybox"}};
  if (level == SecurityLevel::kRestricted) {
    // What restricted asks of every service, so a row sees only its own field.
    spec.merge_patch({{"user", "1000"}, {"securityOpt", {"no-new-privileges"}}, {"capDrop", {"ALL"}}});
  }
  spec.merge_patch(extra);
  return securityViolations(service(spec), scopeAt(level), resolveOnTestHost);
}

struct Row {
  const char* name;
  json extra;            // merged into the service's spec
  const char* field;     // "" when every level admits it
  const char* message;   // at baseline (and at restricted unless restricted says otherwise)
  bool restrictedOnly;   // baseline admits it, restricted refuses it
  const char* restrictedMessage = nullptr;
};

const std::vector<Row>& rows() {
  static const std::vector<Row> kRows = {
      {"privileged", {{"privileged", true}}, "spec.privileged",
       "privileged containers are not allowed", false},
      {"SYS_ADMIN", {{"capAdd", {"SYS_ADMIN"}}}, "spec.capAdd[0]",
       "\"SYS_ADMIN\" is not one of Docker's default capabilities", false,
       "\"SYS_ADMIN\": only NET_BIND_SERVICE may be added"},
      {"CAP_SYS_ADMIN spelt as the kernel does", {{"capAdd", {"cap_sys_admin"}}}, "spec.capAdd[0]",
       "\"cap_sys_admin\" is not one of Docker's default capabilities", false,
       "\"cap_sys_admin\": only NET_BIND_SERVICE may be added"},
      {"ALL", {{"capAdd", {"ALL"}}}, "spec.capAdd[0]", "ALL capabilities are not allowed", false},
      {"a default capability added back", {{"capAdd", {"CHOWN"}}}, "spec.capAdd[0]",
       "\"CHOWN\": only NET_BIND_SERVICE may be added", true},
      {"NET_BIND_SERVICE", {{"capAdd", {"NET_BIND_SERVICE"}}}, "", "", false},
      {"host network", {{"networkMode", "host"}}, "spec.networkMode",
       "the host's network is not allowed", false},
      {"another namespace's container network", {{"networkMode", "container:demo.web.0"}},
       "spec.networkMode",
       "container \"demo.web.0\" is not in namespace \"alice\": sharing another namespace's network "
       "namespace is not allowed",
       false},
      {"a namespace whose name starts the same", {{"networkMode", "container:alice-ops.web.0"}},
       "spec.networkMode",
       "container \"alice-ops.web.0\" is not in namespace \"alice\": sharing another namespace's "
       "network namespace is not allowed",
       false},
      {"its own namespace's container network", {{"networkMode", "container:alice.db.0"}}, "", "",
       false},
      {"another service's network", {{"networkMode", "service:db"}}, "", "", false},
      {"no network", {{"networkMode", "none"}}, "", "", false},
      {"the engine's default bridge", {{"networkMode", "bridge"}}, "spec.networkMode",
       "the engine's default bridge is shared with every other namespace's containers: not "
       "allowed",
       false},
      {"host pid", {{"pid", "host"}}, "spec.pid", "the host's pid namespace is not allowed", false},
      {"another namespace's pid", {{"pid", "container:demo.web.0"}}, "spec.pid",
       "container \"demo.web.0\" is not in namespace \"alice\": sharing another namespace's pid "
       "namespace is not allowed",
       false},
      {"host ipc", {{"ipc", "host"}}, "spec.ipc", "the host's ipc namespace is not allowed", false},
      {"shareable ipc", {{"ipc", "shareable"}}, "", "", false},
      {"host uts", {{"uts", "host"}}, "spec.uts", "the host's uts namespace is not allowed", false},
      {"a host device", {{"devices", {"/dev/fuse"}}}, "spec.devices[0]",
       "\"/dev/fuse\": host devices are not allowed", false},
      {"bind of /", {{"volumes", {"/:/host"}}}, "spec.volumes[0].source",
       "\"/\" holds the Docker engine's socket: never allowed", false},
      {"the Docker socket", {{"volumes", {"/var/run/docker.sock:/var/run/docker.sock"}}},
       "spec.volumes[0].source",
       "\"/var/run/docker.sock\" (which resolves to \"/run/docker.sock\") is the Docker engine's "
       "socket: never allowed",
       false},
      {"the folder of the Docker socket", {{"volumes", {"/run:/r:ro"}}}, "spec.volumes[0].source",
       "\"/run\" holds the Docker engine's socket: never allowed", false},
      {"bind of /etc", {{"volumes", {"/etc:/host-etc:ro"}}}, "spec.volumes[0].source",
       "\"/etc\" is not below an allowed host path of namespace \"alice\" (allowed: /srv/alice, "
       "/srv/shared): not allowed",
       false},
      {"a symlink out of an allowed path", {{"volumes", {"/srv/alice/link:/data:ro"}}},
       "spec.volumes[0].source",
       "\"/srv/alice/link\" (which resolves to \"/etc\") is not below an allowed host path of "
       "namespace \"alice\" (allowed: /srv/alice, /srv/shared): not allowed",
       false},
      {"dot-dot out of an allowed path",
       {{"volumes", {{{"type", "bind"}, {"source", "/srv/alice/../../etc"}, {"target", "/data"},
                      {"read_only", true}}}}},
       "spec.volumes[0].source",
       "\"/srv/alice/../../etc\" (which resolves to \"/etc\") is not below an allowed host path of "
       "namespace \"alice\" (allowed: /srv/alice, /srv/shared): not allowed",
       false},
      {"a prefix that is not a parent", {{"volumes", {"/srv/alicex:/data:ro"}}},
       "spec.volumes[0].source",
       "\"/srv/alicex\" is not below an allowed host path of namespace \"alice\" (allowed: "
       "/srv/alice, /srv/shared): not allowed",
       false},
      {"read-only below an allowed path", {{"volumes", {"/srv/alice/data:/data:ro"}}}, "", "",
       false},
      {"read-write below a read-only allowed path", {{"volumes", {"/srv/alice/data:/data"}}},
       "spec.volumes[0].readOnly",
       "must be true: allowed host path \"/srv/alice\" is read-only, so a bind below it is not "
       "allowed read-write",
       false},
      {"read-write below a writable allowed path", {{"volumes", {"/srv/shared/cache:/cache"}}}, "",
       "", false},
      {"a named volume", {{"volumes", {"data:/data"}}}, "", "", false},
      {"seccomp unconfined", {{"securityOpt", {"no-new-privileges", "seccomp=unconfined"}}},
       "spec.securityOpt[1]", "\"seccomp=unconfined\" turns confinement off: not allowed", false},
      {"apparmor unconfined", {{"securityOpt", {"no-new-privileges", "apparmor:unconfined"}}},
       "spec.securityOpt[1]", "\"apparmor:unconfined\" turns confinement off: not allowed", false},
      {"SELinux labels off", {{"securityOpt", {"no-new-privileges", "label=disable"}}},
       "spec.securityOpt[1]", "\"label=disable\" turns confinement off: not allowed", false},
      {"an AppArmor profile", {{"securityOpt", {"no-new-privileges", "apparmor=docker-default"}}},
       "", "", false},
      {"a host port outside the range", {{"ports", {"80:80"}}}, "spec.ports[0]",
       "host port 80 is outside namespace \"alice\"'s host ports 8000-8099: not allowed", false},
      {"a host port range leaving the range", {{"ports", {"8098-8100:80-82"}}}, "spec.ports[0]",
       "host port 8098-8100 is outside namespace \"alice\"'s host ports 8000-8099: not allowed",
       false},
      {"a host port inside the range", {{"ports", {"127.0.0.1:8080:80"}}}, "", "", false},
      {"a port the engine picks", {{"ports", {"80"}}}, "", "", false},
      {"syslog", {{"logging", {{"driver", "syslog"}}}}, "spec.logging.driver",
       "\"syslog\" writes logs outside the container's own log files: only json-file and local are "
       "allowed",
       false},
      {"local logs", {{"logging", {{"driver", "local"}}}}, "", "", false},
      {"a safe sysctl", {{"sysctls", {{"net.ipv4.ip_local_port_range", "1024 65000"}}}}, "", "", false},
      {"a sysctl of the host's kernel", {{"sysctls", {{"net.core.somaxconn", "1024"}}}},
       "spec.sysctls.net.core.somaxconn",
       "\"net.core.somaxconn\" is not one of the safe sysctls (net.ipv4.ip_local_port_range, "
       "net.ipv4.tcp_keepalive_time...): not allowed",
       false},
      {"a lower OOM score", {{"oomScoreAdj", -500}}, "spec.oomScoreAdj",
       "-500 makes the kernel kill other namespaces' containers first: only 0 and above are allowed",
       false},
      {"a higher OOM score", {{"oomScoreAdj", 500}}, "", "", false},
      {"pinned CPUs", {{"cpuset", "0-1"}}, "spec.cpuset",
       "\"0-1\" pins the host's CPUs: not allowed (cpus and cpuShares share them instead)", false},
      {"container-local limits",
       {{"cpuShares", 512}, {"pidsLimit", 100}, {"shmSize", "128Mi"}, {"memorySwappiness", 0},
        {"groupAdd", {"mail"}}, {"dns", {"10.0.0.53"}}, {"volumesFrom", {"db:ro"}}},
       "", "", false},
      {"an uploaded build context",
       {{"build", {{"contextDigest", "sha256:" + std::string(64, 'a')}}}}, "", "", false},
      {"root", {{"user", "root"}}, "spec.user", "\"root\" is root: not allowed", true},
      {"uid 0 with a group", {{"user", "0:1000"}}, "spec.user", "\"0:1000\" is root: not allowed",
       true},
      {"no user", {{"user", nullptr}}, "spec.user",
       "is required: name a non-root user (a name or a uid)", true},
      {"privileges that can grow", {{"securityOpt", nullptr}}, "spec.securityOpt",
       "must hold no-new-privileges", true},
      {"capabilities kept", {{"capDrop", {"NET_RAW"}}}, "spec.capDrop",
       "must hold ALL (add back NET_BIND_SERVICE if needed)", true},
  };
  return kRows;
}

TEST(SecurityPolicy, EachFieldIsAdmittedWhereItsLevelAllowsItAndRefusedWithItsMessageWhereNot) {
  for (const Row& row : rows()) {
    SCOPED_TRACE(row.name);
    EXPECT_THAT(violations(row.extra, SecurityLevel::kPrivileged), IsEmpty());
    const std::string field = row.field;
    if (field.empty()) {
      EXPECT_THAT(violations(row.extra, SecurityLevel::kBaseline), IsEmpty());
      EXPECT_THAT(violations(row.extra, SecurityLevel::kRestricted), IsEmpty());
      continue;
    }
    if (row.restrictedOnly) {
      EXPECT_THAT(violations(row.extra, SecurityLevel::kBaseline), IsEmpty());
    } else {
      EXPECT_THAT(violations(row.extra, SecurityLevel::kBaseline),
                  ElementsAre(FieldError{field, std::string(row.message) + " at level baseline"}));
    }
    const std::string atRestricted = row.restrictedMessage ? row.restrictedMessage : row.message;
    EXPECT_THAT(violations(row.extra, SecurityLevel::kRestricted),
                Contains(FieldError{field, atRestricted + " at level restricted"}));
  }
}

TEST(SecurityPolicy, AnOrdinaryServiceIsAdmittedAtEveryLevel) {
  json ordinary = {{"ports", {"8080:80"}},
                   {"volumes", {"data:/data", "/srv/alice/conf:/conf:ro"}},
                   {"env", {{"A", "b"}}},
                   {"healthcheck", {{"exec", {"true"}}}}};
  EXPECT_THAT(violations(ordinary, SecurityLevel::kBaseline), IsEmpty());
  EXPECT_THAT(violations(ordinary, SecurityLevel::kRestricted), IsEmpty());
}

TEST(SecurityPolicy, EveryRefusedFieldIsReportedNotOnlyTheFirst) {
  auto errors = violations({{"privileged", true}, {"pid", "host"}, {"devices", {"/dev/sda"}}},
                           SecurityLevel::kBaseline);
  EXPECT_EQ(3u, errors.size());
}

TEST(SecurityPolicy, ExternalNetworksAndVolumesAreAnAdminsBelowPrivileged) {
  auto parsed = parseManifests(R"(
apiVersion: tender/v1
kind: Network
metadata: {name: shared, namespace: alice}
spec: {external: true}
---
apiVersion: tender/v1
kind: Volume
metadata: {name: pgdata, namespace: alice}
spec: {external: true}
---
apiVersion: tender/v1
kind: Volume
metadata: {name: own, namespace: alice}
spec: {}
)",
                               ParseOptions{});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const auto& objects = *parsed;
  EXPECT_THAT(securityViolations(objects[0], scopeAt(SecurityLevel::kBaseline), resolveOnTestHost),
              ElementsAre(FieldError{"spec.external",
                                     "an external network is the engine's, not this namespace's: "
                                     "it is not allowed at level baseline"}));
  EXPECT_THAT(securityViolations(objects[1], scopeAt(SecurityLevel::kRestricted), resolveOnTestHost,
                                 "[1]."),
              ElementsAre(FieldError{"[1].spec.external",
                                     "an external volume is the engine's, not this namespace's: it "
                                     "is not allowed at level restricted"}));
  EXPECT_THAT(securityViolations(objects[2], scopeAt(SecurityLevel::kBaseline), resolveOnTestHost),
              IsEmpty());
  EXPECT_THAT(securityViolations(objects[0], scopeAt(SecurityLevel::kPrivileged), resolveOnTestHost),
              IsEmpty());
}

TEST(SecurityPolicy, NetworkAndVolumeDriversThatReachTheHostAreAnAdmins) {
  auto parsed = parseManifests(R"(
apiVersion: tender/v1
kind: Network
metadata: {name: lan, namespace: alice}
spec: {driver: macvlan}
---
apiVersion: tender/v1
kind: Volume
metadata: {name: etc, namespace: alice}
spec: {driverOpts: {type: none, o: bind, device: /etc}}
---
apiVersion: tender/v1
kind: Volume
metadata: {name: nfs, namespace: alice}
spec: {driver: some-plugin}
---
apiVersion: tender/v1
kind: Network
metadata: {name: back, namespace: alice}
spec: {driver: bridge, internal: true}
)",
                               ParseOptions{});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const auto& o = *parsed;
  const PolicyScope scope = scopeAt(SecurityLevel::kBaseline);
  EXPECT_THAT(securityViolations(o[0], scope, resolveOnTestHost),
              ElementsAre(FieldError{"spec.driver",
                                     "\"macvlan\" reaches past the namespace's own bridge (the "
                                     "host's interfaces, other hosts): only bridge networks are "
                                     "allowed at level baseline"}));
  EXPECT_THAT(securityViolations(o[1], scope, resolveOnTestHost),
              ElementsAre(FieldError{"spec.driverOpts",
                                     "the local driver's options mount host paths and devices "
                                     "(type, o, device): not allowed at level baseline"}));
  EXPECT_THAT(securityViolations(o[2], scope, resolveOnTestHost),
              ElementsAre(FieldError{"spec.driver",
                                     "\"some-plugin\" is a plugin the host's admin chose: only the "
                                     "local driver is allowed at level baseline"}));
  EXPECT_THAT(securityViolations(o[3], scope, resolveOnTestHost), IsEmpty());
  for (const Resource& r : o) {
    EXPECT_THAT(securityViolations(r, scopeAt(SecurityLevel::kPrivileged), resolveOnTestHost),
                IsEmpty());
  }
}

TEST(SecurityPolicy, WithNoAllowedHostPathsNoBindIsAdmittedAndNoPortRangeMeansAnyPort) {
  PolicyScope scope;
  scope.namespace_ = "bob";
  scope.level = SecurityLevel::kBaseline;
  Resource r = service({{"image", "busybox"}, {"volumes", {"/tmp/x:/x:ro"}}, {"ports", {"80:80"}}});
  EXPECT_THAT(securityViolations(r, scope, resolveOnTestHost),
              ElementsAre(FieldError{"spec.volumes[0].source",
                                     "\"/tmp/x\" is not below an allowed host path of namespace "
                                     "\"bob\" (it allows none): not allowed at level baseline"}));
}

TEST(SecurityPolicy, TheRealResolverFollowsSymlinksOnThisHost) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("tender-policy-" + std::to_string(::getpid()));
  fs::create_directories(dir / "allowed");
  fs::create_directory_symlink("/etc", dir / "allowed" / "escape");
  PolicyScope scope;
  scope.namespace_ = "alice";
  scope.level = SecurityLevel::kBaseline;
  scope.security.allowedHostPaths = {{(dir / "allowed").string(), true}};
  Resource inside = service({{"image", "busybox"},
                             {"volumes", {(dir / "allowed" / "data").string() + ":/data"}}});
  Resource escape = service({{"image", "busybox"},
                             {"volumes", {(dir / "allowed" / "escape").string() + ":/data:ro"}}});
  EXPECT_THAT(securityViolations(inside, scope, hostPathResolver()), IsEmpty());
  auto refused = securityViolations(escape, scope, hostPathResolver());
  ASSERT_EQ(1u, refused.size());
  EXPECT_EQ("spec.volumes[0].source", refused[0].field);
  EXPECT_NE(std::string::npos, refused[0].message.find("(which resolves to \"/etc\")"))
      << refused[0].message;
  fs::remove_all(dir);
}

TEST(SecurityPolicy, ContainersBelongToTheNamespaceTheirNameStartsWith) {
  EXPECT_TRUE(containerOfNamespace("alice.web.0", "alice"));
  EXPECT_FALSE(containerOfNamespace("alice-dev.web.0", "alice"));
  EXPECT_FALSE(containerOfNamespace("alice", "alice"));
  EXPECT_FALSE(containerOfNamespace("alice.", "alice"));
  EXPECT_FALSE(containerOfNamespace("0123456789ab", "alice"));
}

// Whether `path` is `folder` or below it, component by component (the
// property's own reading, not the policy's).
bool below(const std::filesystem::path& path, const std::filesystem::path& folder) {
  auto p = path.begin();
  for (auto f = folder.begin(); f != folder.end(); ++f, ++p) {
    if (f->empty()) continue;  // a trailing separator
    if (p == path.end() || *p != *f) return false;
  }
  return true;
}

// Random services, many binds each, from path pieces that meet the rules'
// edges (links, "..", prefixes that are not parents, the socket): whatever
// baseline admits binds nothing outside the allowed paths, and never the
// Docker socket or a folder holding it. FUZZ_POLICY_ROUNDS sets the count.
TEST(SecurityPolicy, WhatBaselineAdmitsNeverBindsAHostPathOutsideTheAllowedOnes) {
  const char* env = std::getenv("FUZZ_POLICY_ROUNDS");
  const int rounds = env ? std::atoi(env) : 20000;
  std::mt19937 rng(20261203);
  const std::vector<std::string> pieces = {"srv",  "alice", "shared", "etc",  "..",
                                           ".",    "link",  "run",    "var",  "docker.sock",
                                           "alicex", "",    "data",   "up"};
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  // Half of them start inside an allowed path, to meet its edges.
  const std::vector<std::string> starts = {"", "", "/srv/alice", "/srv/shared"};
  auto randomPath = [&] {
    std::string p = starts[pick(starts.size())];
    const size_t n = pick(5);
    for (size_t i = 0; i < n; ++i) p += "/" + pieces[pick(pieces.size())];
    return p.empty() ? std::string("/") : p;
  };
  // As resolveOnTestHost, and a link that climbs: /srv/shared/up -> /srv.
  auto resolve = [](const std::string& path) {
    std::string p = resolveOnTestHost(path);
    if (p == "/srv/shared/up" || p.rfind("/srv/shared/up/", 0) == 0) p = "/srv" + p.substr(14);
    return resolveOnTestHost(p);
  };
  const PolicyScope scope = scopeAt(SecurityLevel::kBaseline);
  int admitted = 0, binds = 0;
  for (int round = 0; round < rounds; ++round) {
    Resource r;
    r.kind = "Service";
    r.metadata.name = "web";
    r.metadata.namespace_ = "alice";
    ServiceSpec spec;
    spec.image = "busybox";
    const size_t mounts = 1 + pick(3);
    for (size_t i = 0; i < mounts; ++i) {
      VolumeMount m;
      m.type = pick(4) == 0 ? "volume" : "bind";
      m.source = m.type == "bind" ? randomPath() : "data";
      m.target = "/m" + std::to_string(i);
      m.readOnly = pick(2) == 0;
      spec.volumes.push_back(m);
    }
    r.spec = spec;
    if (!securityViolations(r, scope, resolve).empty()) continue;
    ++admitted;
    for (const VolumeMount& m : spec.volumes) {
      if (m.type != "bind") continue;
      ++binds;
      const std::filesystem::path resolved = resolve(m.source);
      bool allowed = false;
      for (const HostPathRule& rule : scope.security.allowedHostPaths) {
        allowed |= below(resolved, resolve(rule.path));
      }
      ASSERT_TRUE(allowed) << m.source << " -> " << resolved << " was admitted";
      for (const std::string& socket : scope.engineSockets) {
        ASSERT_FALSE(below(resolve(socket), resolved)) << m.source << " holds the socket";
      }
    }
  }
  // The property said something: some admitted, with binds, some refused.
  EXPECT_GT(admitted, rounds / 50);
  EXPECT_LT(admitted, rounds);
  EXPECT_GT(binds, rounds / 50);
}

}  // namespace
}  // namespace tender

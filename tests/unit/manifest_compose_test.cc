// Compose files as tender resources: every supported key, merging, profiles,
// interpolation, and the exact errors and warnings a user reads.
#include "manifests/compose.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifests/manifest.h"

namespace tender {

void PrintTo(const FieldError& e, std::ostream* os) { *os << e.field << ": " << e.message; }

namespace {

const char kObjectRule[] =
    " is not a volume or network name (letters, digits, '_', '.' and '-', starting with a letter "
    "or digit, at most 128 characters, as Compose names them)";

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::string indent(const std::string& text, const std::string& by) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) out += by + line + "\n";
  return out;
}

// The options of a project in /srv/shop, as the tender command fills them.
ComposeOptions options() {
  ComposeOptions o;
  o.folderName = "shop";
  o.projectDir = "/srv/shop";
  o.environment = {{"HOME", "/home/u"}, {"TAG", "1.2"}, {"EMPTY", ""}};
  o.readFile = [](const std::string& path) -> Result<std::string> {
    if (path == "/srv/shop/web.env") return std::string("FROM_FILE=1\nSHARED=file\n");
    if (path == "/srv/shop/more.env") return std::string("# more\nexport MORE='a b'\n");
    return Status::NotFound("no such file");
  };
  return o;
}

Result<ComposeProject> load(const std::string& text, const ComposeOptions& o = options()) {
  return loadCompose({ComposeFile{"compose.yaml", text}}, o);
}

ComposeProject loadOk(const std::string& text, const ComposeOptions& o = options()) {
  auto p = load(text, o);
  EXPECT_TRUE(p.ok()) << p.status().ToString() << "\n" << text;
  return p.ok() ? *p : ComposeProject{};
}

const Resource* find(const ComposeProject& p, const std::string& kind, const std::string& name) {
  for (const Resource& r : p.resources) {
    if (r.kind == kind && r.metadata.name == name) return &r;
  }
  return nullptr;
}

// The user-facing JSON of a resource's spec: what `tender convert` prints.
json specOf(const ComposeProject& p, const std::string& kind, const std::string& name) {
  const Resource* r = find(p, kind, name);
  EXPECT_NE(r, nullptr) << kind << " " << name;
  return r ? encodeResource(*r)["spec"] : json();
}

std::vector<FieldError> errorsOf(const std::string& text, const ComposeOptions& o = options()) {
  auto p = load(text, o);
  EXPECT_FALSE(p.ok()) << "accepted:\n" << text;
  if (p.ok()) return {};
  EXPECT_TRUE(p.status().IsInvalid()) << p.status().ToString();
  return p.status().details();
}

// One service "web" (its keys, unindented), its neighbours and the top level.
struct Case {
  const char* what;
  std::string web;
  std::string expected;  // web's spec as JSON
  std::string topLevel = "";
  std::string others = "";  // more services, indented by two
};

std::string composeOf(const Case& c) {
  return c.topLevel + "services:\n  web:\n" + indent(c.web, "    ") + c.others;
}

const std::string kDb = "  db: {image: db}\n  migrate: {image: db}\n  cache: {image: cache}\n";

TEST(Compose, TranslatesEveryServiceKey) {
  const std::vector<Case> cases = {
      {"image", "image: nginx:1", R"({"image":"nginx:1"})"},
      {"build as a string", "build: ./api", R"({"build":{"context":"/srv/shop/api"}})"},
      {"build as a mapping",
       "image: app\nbuild: {context: ., dockerfile: Dockerfile.dev, args: [VERSION=2, TAG], target: prod}",
       R"({"image":"app","build":{"context":"/srv/shop","dockerfile":"Dockerfile.dev",
           "args":{"VERSION":"2","TAG":"1.2"},"target":"prod"}})"},
      {"build args as a mapping", "build: {context: /abs, args: {A: 1}}",
       R"({"build":{"context":"/abs","args":{"A":"1"}}})"},
      {"command and entrypoint as strings",
       "image: x\ncommand: echo \"hello world\"\nentrypoint: /bin/sh -c",
       R"({"image":"x","command":["echo","hello world"],"entrypoint":["/bin/sh","-c"]})"},
      {"command and entrypoint as lists", "image: x\ncommand: [a, 'b c']\nentrypoint: [tini, --]",
       R"({"image":"x","command":["a","b c"],"entrypoint":["tini","--"]})"},
      {"environment as a mapping",
       "image: x\nenvironment: {A: 1, B: two, C: true, HOME: , UNSET: }",
       R"({"image":"x","env":{"A":"1","B":"two","C":"true","HOME":"/home/u"}})"},
      {"environment as a list", "image: x\nenvironment: [A=1, B=x=y, TAG, UNSET, EMPTY]",
       R"({"image":"x","env":{"A":"1","B":"x=y","TAG":"1.2","EMPTY":""}})"},
      {"env_file under environment",
       "image: x\nenv_file: [web.env, {path: more.env, required: true}, {path: gone.env, required: false}]\n"
       "environment: {SHARED: env}",
       R"({"image":"x","env":{"FROM_FILE":"1","MORE":"a b","SHARED":"env"}})"},
      {"ports, short syntax",
       "image: x\nports: [\"8080:80\", \"127.0.0.1:8000-8001:80-81/udp\", \"9000\", 53, \"[::1]:9443:443\"]",
       R"({"image":"x","ports":["8080:80","127.0.0.1:8000-8001:80-81/udp","9000","53","[::1]:9443:443"]})"},
      {"ports, long syntax",
       "image: x\nports: [{target: 80, published: \"8080\", host_ip: 127.0.0.1, protocol: udp, mode: host},"
       " {target: \"443\", published: 8443}]",
       R"({"image":"x","ports":["127.0.0.1:8080:80/udp","8443:443"]})"},
      {"expose", "image: x\nexpose: [80, \"53/udp\", \"9000-9002\"]",
       R"({"image":"x","expose":["80","53/udp","9000-9002"]})"},
      {"volumes, short and long syntax",
       "image: x\nvolumes:\n  - data:/var/lib/data\n  - ./conf:/etc/conf:ro\n  - ~/cache:/cache\n  - /anon\n"
       "  - {type: volume, source: data, target: /other, read_only: true}\n"
       "  - {type: bind, source: ./src, target: /src}\n"
       "  - {type: tmpfs, target: /scratch, tmpfs: {size: 1m}}",
       R"({"image":"x","volumes":[
           {"type":"volume","source":"data","target":"/var/lib/data"},
           {"type":"bind","source":"/srv/shop/conf","target":"/etc/conf","read_only":true},
           {"type":"bind","source":"/home/u/cache","target":"/cache"},
           {"type":"volume","target":"/anon"},
           {"type":"volume","source":"data","target":"/other","read_only":true},
           {"type":"bind","source":"/srv/shop/src","target":"/src"},
           {"type":"tmpfs","target":"/scratch","tmpfs":{"size":1048576}}]})",
       "volumes: {data: {}}\n"},
      {"an external volume is mounted by its engine name", "image: x\nvolumes: [\"cache:/cache\"]",
       R"({"image":"x","volumes":[{"type":"volume","source":"shared-cache","target":"/cache"}]})",
       "volumes: {cache: {external: true, name: shared-cache}}\n"},
      {"tmpfs", "image: x\ntmpfs: [/run, \"/tmp:size=64m\"]",
       R"({"image":"x","volumes":[{"type":"tmpfs","target":"/run"},
           {"type":"tmpfs","target":"/tmp","tmpfs":{"size":67108864}}]})"},
      {"tmpfs as a string", "image: x\ntmpfs: /run", R"({"image":"x","volumes":[{"type":"tmpfs","target":"/run"}]})"},
      {"networks as a list", "image: x\nnetworks: [front, back]",
       R"({"image":"x","networks":["front","back"]})", "networks: {front: {}, back: {}}\n"},
      {"networks as a mapping, with aliases", "image: x\nnetworks: {back: {aliases: [db-primary]}, default: }",
       R"({"image":"x","networks":["back","default"],"networkAliases":{"back":["db-primary"]}})",
       "networks: {back: {}}\n"},
      {"an external default network", "image: x",
       R"({"image":"x","networks":["corp-net"]})", "networks: {default: {external: true, name: corp-net}}\n"},
      {"network_mode", "image: x\nnetwork_mode: host", R"({"image":"x","networkMode":"host"})"},
      {"network_mode of another service", "image: x\nnetwork_mode: service:db",
       R"({"image":"x","networkMode":"service:db","dependsOn":{"db":{"condition":"started"}}})", "", kDb},
      {"depends_on as a list", "image: x\ndepends_on: [db]",
       R"({"image":"x","dependsOn":{"db":{"condition":"started"}}})", "", kDb},
      {"depends_on as a mapping",
       "image: x\ndepends_on:\n  db: {condition: service_healthy, restart: true}\n"
       "  migrate: {condition: service_completed_successfully}\n"
       "  cache: {condition: service_started, required: false}",
       R"({"image":"x","dependsOn":{"db":{"condition":"healthy","restart":true},
           "migrate":{"condition":"completed"},"cache":{"condition":"started","required":false}}})",
       "", kDb},
      {"healthcheck CMD",
       "image: x\nhealthcheck: {test: [CMD, pg_isready, -q], interval: 10s, timeout: 5s, retries: 3, start_period: 30s}",
       R"({"image":"x","healthcheck":{"exec":["CMD","pg_isready","-q"],"interval":"10s","timeout":"5s",
           "retries":3,"startPeriod":"30s"}})"},
      {"healthcheck CMD-SHELL", "image: x\nhealthcheck: {test: [CMD-SHELL, curl -f localhost || exit 1]}",
       R"({"image":"x","healthcheck":{"exec":["CMD-SHELL","curl -f localhost || exit 1"]}})"},
      {"healthcheck as a string", "image: x\nhealthcheck: {test: test -f /ready, interval: 1m30s}",
       R"({"image":"x","healthcheck":{"exec":["CMD-SHELL","test -f /ready"],"interval":"1m30s"}})"},
      {"healthcheck NONE", "image: x\nhealthcheck: {test: [NONE]}", R"({"image":"x","disableImageHealthcheck":true})"},
      {"healthcheck disabled", "image: x\nhealthcheck: {test: [CMD, a], disable: true}",
       R"({"image":"x","disableImageHealthcheck":true})"},
      {"restart: no", "image: x\nrestart: \"no\"", R"({"image":"x","restartPolicy":"Never"})"},
      {"restart: always", "image: x\nrestart: always", R"({"image":"x","restartPolicy":"Always"})"},
      {"restart: unless-stopped", "image: x\nrestart: unless-stopped", R"({"image":"x","restartPolicy":"Always"})"},
      {"restart: on-failure", "image: x\nrestart: on-failure", R"({"image":"x","restartPolicy":"OnFailure"})"},
      {"restart: on-failure:N", "image: x\nrestart: on-failure:3",
       R"({"image":"x","restartPolicy":"OnFailure","backoff":{"maxRestarts":3}})"},
      {"deploy replicas and resources",
       "image: x\ndeploy: {replicas: 3, resources: {limits: {memory: 1g, cpus: \"0.5\"}, reservations: {memory: 256m}}}",
       R"({"image":"x","replicas":3,"resources":{"limits":{"memory":1073741824,"cpus":"0.5"},
           "reservations":{"memory":268435456}}})"},
      {"deploy restart_policy",
       "image: x\nrestart: always\ndeploy: {restart_policy: {condition: on-failure, delay: 5s, max_attempts: 4, window: 2m}}",
       R"({"image":"x","restartPolicy":"OnFailure","backoff":{"initial":"5s","maxRestarts":4,"window":"2m"}})"},
      {"mem_limit, mem_reservation, memswap_limit, cpus",
       "image: x\nmem_limit: 512m\nmem_reservation: 128M\nmemswap_limit: 1g\ncpus: 1.5",
       R"({"image":"x","resources":{"limits":{"memory":536870912,"memorySwap":1073741824,"cpus":"1.5"},
           "reservations":{"memory":134217728}}})"},
      {"memory as bytes, unlimited swap", "image: x\nmem_limit: 67108864\nmemswap_limit: -1",
       R"({"image":"x","resources":{"limits":{"memory":67108864,"memorySwap":-1}}})"},
      {"deploy limits win over mem_limit", "image: x\nmem_limit: 1g\ndeploy: {resources: {limits: {memory: 64m}}}",
       R"({"image":"x","resources":{"limits":{"memory":67108864}}})"},
      {"labels as a mapping", "image: x\nlabels: {team: core, tier: 1}",
       R"({"image":"x","labels":{"team":"core","tier":"1"}})"},
      {"labels as a list", "image: x\nlabels: [team=core, \"note=a=b\"]",
       R"({"image":"x","labels":{"team":"core","note":"a=b"}})"},
      {"plain container settings",
       "image: x\nuser: 1000\nworking_dir: /srv\nhostname: api\nstop_grace_period: 1m30s\nstop_signal: SIGINT\n"
       "init: true\nprivileged: true\nread_only: true\ncap_add: [NET_ADMIN]\ncap_drop: [ALL]",
       R"({"image":"x","user":"1000","workingDir":"/srv","hostname":"api","stopGracePeriod":"1m30s",
           "stopSignal":"SIGINT","init":true,"privileged":true,"readOnlyRootFilesystem":true,
           "capAdd":["NET_ADMIN"],"capDrop":["ALL"]})"},
      {"the host's and other containers' namespaces, devices, security options",
       "image: x\npid: host\nipc: service:db\nuts: host\ndevices: [\"/dev/fuse\"]\n"
       "security_opt: [no-new-privileges, \"apparmor=docker-default\"]",
       R"({"image":"x","pid":"host","ipc":"service:db","uts":"host","devices":["/dev/fuse"],
           "securityOpt":["no-new-privileges","apparmor=docker-default"],
           "dependsOn":{"db":{"condition":"started"}}})", "", kDb},
      {"ipc shareable", "image: x\nipc: shareable", R"({"image":"x","ipc":"shareable"})"},
      {"volumes_from services of the project", "image: x\nvolumes_from: [db, \"cache:ro\"]",
       R"({"image":"x","volumesFrom":["db","cache:ro"],
           "dependsOn":{"db":{"condition":"started"},"cache":{"condition":"started"}}})", "", kDb},
      {"sysctls as a mapping and shm_size", "image: x\nsysctls: {net.core.somaxconn: 1024}\nshm_size: 256m",
       R"({"image":"x","sysctls":{"net.core.somaxconn":"1024"},"shmSize":268435456})"},
      {"sysctls as a list", "image: x\nsysctls: [net.ipv4.tcp_syncookies=0]",
       R"({"image":"x","sysctls":{"net.ipv4.tcp_syncookies":"0"}})"},
      {"group_add, dns, dns_search, dns_opt",
       "image: x\ngroup_add: [mail, 1001]\ndns: 8.8.8.8\ndns_search: [example.com]\ndns_opt: [\"ndots:2\"]",
       R"({"image":"x","groupAdd":["mail","1001"],"dns":["8.8.8.8"],"dnsSearch":["example.com"],
           "dnsOptions":["ndots:2"]})"},
      {"cpu_shares, cpuset, pids_limit, oom_score_adj, mem_swappiness",
       "image: x\ncpu_shares: 512\ncpuset: \"0-1\"\npids_limit: 100\noom_score_adj: 500\nmem_swappiness: 10",
       R"({"image":"x","cpuShares":512,"cpuset":"0-1","pidsLimit":100,"oomScoreAdj":500,
           "memorySwappiness":10})"},
      {"tty, stdin_open, domainname, mac_address",
       "image: x\ntty: true\nstdin_open: true\ndomainname: corp.example\nmac_address: \"02:42:ac:11:00:02\"",
       R"({"image":"x","tty":true,"stdinOpen":true,"domainname":"corp.example","macAddress":"02:42:ac:11:00:02"})"},
      {"cpu_quota over the default period", "image: x\ncpu_quota: 50000",
       R"({"image":"x","resources":{"limits":{"cpus":"0.5"}}})"},
      {"cpu_quota over cpu_period", "image: x\ncpu_quota: 50000\ncpu_period: 200000",
       R"({"image":"x","resources":{"limits":{"cpus":"0.25"}}})"},
      {"cpus wins over cpu_quota", "image: x\ncpus: 2\ncpu_quota: 50000",
       R"({"image":"x","resources":{"limits":{"cpus":"2"}}})"},
      {"cpu_quota -1 is no limit", "image: x\ncpu_quota: -1", R"({"image":"x"})"},
      {"deploy pids limit", "image: x\ndeploy: {resources: {limits: {pids: 50}}}",
       R"({"image":"x","pidsLimit":50})"},
      {"healthcheck start_interval",
       "image: x\nhealthcheck: {test: [CMD, a], start_period: 1m, start_interval: 2s}",
       R"({"image":"x","healthcheck":{"exec":["CMD","a"],"startPeriod":"1m","startInterval":"2s"}})"},
      {"pull_policy that says nothing", "image: x\npull_policy: missing", R"({"image":"x"})"},
      {"extra_hosts as a list", "image: x\nextra_hosts: [\"db:10.0.0.2\", \"gw=host-gateway\"]",
       R"({"image":"x","extraHosts":["db:10.0.0.2","gw:host-gateway"]})"},
      {"extra_hosts as a mapping", "image: x\nextra_hosts: {db: 10.0.0.2, v6: \"::1\"}",
       R"({"image":"x","extraHosts":["db:10.0.0.2","v6:::1"]})"},
      {"ulimits", "image: x\nulimits: {nofile: {soft: 20000, hard: 40000}, nproc: 65535}",
       R"({"image":"x","ulimits":{"nofile":{"soft":20000,"hard":40000},"nproc":{"soft":65535,"hard":65535}}})"},
      {"logging", "image: x\nlogging: {driver: json-file, options: {max-size: 1m, max-file: 2}}",
       R"({"image":"x","logging":{"driver":"json-file","options":{"max-size":"1m","max-file":"2"}}})"},
      {"profiles of an enabled service", "image: x\nprofiles: [default-on]", R"({"image":"x"})"},
      {"pull_policy that never pulls", "image: x\npull_policy: never", R"({"image":"x"})"},
      {"x-tender: backoff, priority, liveness",
       "image: x\nhealthcheck: {test: [CMD, ok]}\n"
       "x-tender: {backoff: {initial: 1s, max: 1m, maxRestarts: 5}, priority: 5, liveness: true}",
       R"({"image":"x","healthcheck":{"exec":["CMD","ok"],"restartWhenUnhealthy":true},
           "backoff":{"initial":"1s","max":"1m","maxRestarts":5},"priority":5})"},
      {"x- fields of a service are extensions", "image: x\nx-note: anything", R"({"image":"x"})"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ComposeOptions o = options();
    o.profiles = {"default-on"};
    ComposeProject p = loadOk(composeOf(c), o);
    EXPECT_EQ(p.name, "shop");
    EXPECT_EQ(specOf(p, "Service", "web"), json::parse(c.expected));
    EXPECT_THAT(p.warnings, ElementsAre());
    for (const Resource& r : p.resources) EXPECT_EQ(r.metadata.namespace_, r.kind == "Namespace" ? "" : "shop");
  }
}

TEST(Compose, DeclaresNetworksAndVolumesExternalOnesByTheirEngineName) {
  ComposeProject p = loadOk(R"(
services:
  web: {image: x, networks: [back, corp], volumes: ["data:/data", "old:/old"]}
networks:
  back: {driver: bridge, internal: true, labels: [tier=back]}
  corp: {external: true, name: corp-net}
volumes:
  data: {driver: local, driver_opts: {type: tmpfs, device: tmpfs}, labels: {keep: "yes"}}
  old: {external: {name: legacy-data}}
)");
  ASSERT_EQ(p.resources.size(), 5u);
  EXPECT_EQ(specOf(p, "Network", "back"), json::parse(R"({"driver":"bridge","internal":true,"labels":{"tier":"back"}})"));
  EXPECT_EQ(specOf(p, "Network", "corp-net"), json::parse(R"({"external":true})"));
  EXPECT_EQ(specOf(p, "Volume", "data"),
            json::parse(R"({"driver":"local","driverOpts":{"type":"tmpfs","device":"tmpfs"},"labels":{"keep":"yes"}})"));
  EXPECT_EQ(specOf(p, "Volume", "legacy-data"), json::parse(R"({"external":true})"));
  EXPECT_EQ(specOf(p, "Service", "web")["networks"], json::parse(R"(["back","corp-net"])"));
  EXPECT_EQ(specOf(p, "Service", "web")["volumes"][1]["source"], "legacy-data");
  // Namespaced objects come first, services last, as apply orders them anyway.
  EXPECT_EQ(p.resources.back().kind, "Service");
}

TEST(Compose, TopLevelNetworksAndVolumesTakeOnlyTheirOwnKeys) {
  ComposeProject p = loadOk(R"(
services:
  web: {image: x}
networks:
  back: {name: other, driver_opts: {a: b}, x-note: 1}
volumes:
  data: {name: other, internal: true}
)");
  EXPECT_THAT(p.warnings,
              UnorderedElementsAre("networks.back.name: not supported by tender (tender names "
                                   "networks {project}_{key}); ignored",
                                   "networks.back.driver_opts: not supported by tender; ignored",
                                   "volumes.data.name: not supported by tender (tender names "
                                   "volumes {project}_{key}); ignored",
                                   "volumes.data.internal: not supported by tender; ignored"));
  EXPECT_EQ(specOf(p, "Network", "back"), json::object());
  EXPECT_EQ(specOf(p, "Volume", "data"), json::object());
}

TEST(Compose, ResolvesAnchorsAndMergeKeysOfExtensionFields) {
  ComposeProject p = loadOk(R"(
x-common: &common
  image: tender-busybox:latest
  environment: {LOG_LEVEL: info}
  restart: always
services:
  api:
    <<: *common
    environment: {LOG_LEVEL: debug, PORT: "8080"}
  worker:
    <<: *common
    command: work
)");
  EXPECT_EQ(specOf(p, "Service", "api"),
            json::parse(R"({"image":"tender-busybox:latest","env":{"LOG_LEVEL":"debug","PORT":"8080"},
                            "restartPolicy":"Always"})"));
  EXPECT_EQ(specOf(p, "Service", "worker"),
            json::parse(R"({"image":"tender-busybox:latest","env":{"LOG_LEVEL":"info"},
                            "restartPolicy":"Always","command":["work"]})"));
  EXPECT_THAT(p.warnings, ElementsAre());
}

TEST(Compose, TopLevelXTenderSetsTheNamespacesMemoryAdmission) {
  ComposeProject p = loadOk(R"(
x-tender: {quota: {memory: 2Gi, services: 10}, defaultReservation: {memory: 64Mi}, ttl: 2h}
services:
  web: {image: x}
)");
  ASSERT_NE(find(p, "Namespace", "shop"), nullptr);
  EXPECT_EQ(specOf(p, "Namespace", "shop"),
            json::parse(R"({"quota":{"memory":2147483648,"services":10},"defaultReservation":{"memory":67108864},
                            "ttl":"2h"})"));
  // Without x-tender the namespace is left implicit (apply creates it, --ttl included).
  EXPECT_EQ(find(loadOk("services: {web: {image: x}}"), "Namespace", "shop"), nullptr);
}

TEST(Compose, MemorySizesAreDockerUnits) {
  // 1g is 2^30 bytes in a Compose file, where a native manifest's 1G is 10^9.
  ComposeProject p = loadOk("services: {web: {image: x, mem_limit: 1g, mem_reservation: 1gb}}");
  const ServiceSpec& s = find(p, "Service", "web")->service();
  EXPECT_EQ(s.resources.memoryLimit, int64_t{1} << 30);
  EXPECT_EQ(s.resources.memoryReservation, int64_t{1} << 30);
}

TEST(Compose, AServiceNameThatIsNoDnsLabelIsRenamedAndStillAnswersToIt) {
  auto p = loadOk("services:\n  Web_App: {image: x, networks: [back]}\n"
                  "  worker: {image: x, depends_on: {Web_App: {condition: service_started}}, network_mode: \"service:Web_App\"}\n"
                  "networks: {back: {}}\n");
  const Resource* web = find(p, "Service", "web-app");
  ASSERT_NE(nullptr, web);
  EXPECT_EQ((std::vector<std::string>{"Web_App"}), web->service().networkAliases.at("back"));
  const Resource* worker = find(p, "Service", "worker");
  ASSERT_NE(nullptr, worker);
  EXPECT_TRUE(worker->service().dependsOn.count("web-app"));
  EXPECT_EQ("service:web-app", worker->service().networkMode);
  ASSERT_FALSE(p.warnings.empty());
  EXPECT_EQ("services.Web_App: tender names this service \"web-app\" (its service names are DNS labels); "
            "it still answers to \"Web_App\" on its networks",
            p.warnings.front());
}

TEST(Compose, ProjectNameFollowsComposesOrder) {
  const std::string named = "name: from-file\nservices: {web: {image: x}}\n";
  ComposeOptions o = options();
  EXPECT_EQ(loadOk(named, o).name, "from-file");
  o.environment["COMPOSE_PROJECT_NAME"] = "from-env";
  EXPECT_EQ(loadOk(named, o).name, "from-env");
  o.projectName = "from-flag";
  EXPECT_EQ(loadOk(named, o).name, "from-flag");

  ComposeOptions dotenv = options();
  dotenv.dotenv = "COMPOSE_PROJECT_NAME=from-dotenv\n";
  EXPECT_EQ(loadOk(named, dotenv).name, "from-dotenv");

  ComposeOptions folder = options();
  // As Compose makes a folder's name a project's: lowercase, only letters,
  // digits, '_' and '-', so that a volume is "my_appv2_data" for both.
  folder.folderName = "My_App.v2";
  EXPECT_EQ(loadOk("services: {web: {image: x}}", folder).name, "my_appv2");
  folder.folderName = "-_Web Site";
  EXPECT_EQ(loadOk("services: {web: {image: x}}", folder).name, "website");
}

// Compose's usual spelling (db_data, back_tier, a project my_shop) is
// tender's too, so both name the engine's volume "my_shop_db_data".
TEST(Compose, TakesVolumeNetworkAndProjectNamesAsComposeWritesThem) {
  ComposeProject p = loadOk(R"(
name: my_shop
services:
  db:
    image: postgres
    volumes: [db_data:/var/lib/postgresql/data, Cache.v2:/cache]
    networks: [back_tier]
volumes: {db_data: {}, Cache.v2: {}}
networks: {back_tier: {}}
)");
  EXPECT_EQ(p.name, "my_shop");
  ASSERT_NE(find(p, "Volume", "db_data"), nullptr);
  EXPECT_EQ(find(p, "Volume", "db_data")->metadata.namespace_, "my_shop");
  ASSERT_NE(find(p, "Volume", "Cache.v2"), nullptr);
  ASSERT_NE(find(p, "Network", "back_tier"), nullptr);
  json db = specOf(p, "Service", "db");
  EXPECT_EQ(db["volumes"][0]["source"], "db_data");
  EXPECT_EQ(db["networks"], json::array({"back_tier"}));
}

TEST(Compose, MergesFilesAsComposeDoes) {
  const std::string base = R"(
services:
  web:
    image: web:1
    command: [serve]
    environment: [A=1, B=1]
    labels: {team: core}
    ports: ["8080:80"]
    volumes: ["data:/data", "./conf:/conf"]
    depends_on: [db]
    healthcheck: {test: [CMD, a, b], interval: 10s}
  db: {image: db}
volumes: {data: {}}
)";
  const std::string override = R"(
services:
  web:
    image: web:2
    command: [serve, --debug]
    environment: {B: 2, C: 3}
    labels: [extra=yes]
    ports: ["9090:90"]
    volumes: ["./other:/conf"]
    depends_on: {db: {condition: service_healthy}}
    healthcheck: {test: [CMD, c]}
  cache: {image: cache}
)";
  auto p = loadCompose({{"compose.yaml", base}, {"compose.override.yaml", override}}, options());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(specOf(*p, "Service", "web"), json::parse(R"({
    "image":"web:2","command":["serve","--debug"],"env":{"A":"1","B":"2","C":"3"},
    "labels":{"team":"core","extra":"yes"},"ports":["8080:80","9090:90"],
    "volumes":[{"type":"volume","source":"data","target":"/data"},
               {"type":"bind","source":"/srv/shop/other","target":"/conf"}],
    "dependsOn":{"db":{"condition":"healthy"}},
    "healthcheck":{"exec":["CMD","c"],"interval":"10s"}})"));
  EXPECT_NE(find(*p, "Service", "cache"), nullptr);
  EXPECT_NE(find(*p, "Service", "db"), nullptr);
}

TEST(Compose, ProfilesSelectServices) {
  const std::string text = R"(
services:
  web: {image: x}
  debug: {image: x, profiles: [debug]}
  tools: {image: x, profiles: [tools, debug]}
)";
  auto names = [](const ComposeProject& p) {
    std::vector<std::string> out;
    for (const Resource& r : p.resources) out.push_back(r.metadata.name);
    return out;
  };
  EXPECT_THAT(names(loadOk(text)), ElementsAre("web"));
  ComposeOptions o = options();
  o.profiles = {"tools"};
  EXPECT_THAT(names(loadOk(text, o)), ElementsAre("tools", "web"));
  o.profiles = {};
  o.environment["COMPOSE_PROFILES"] = "debug";
  EXPECT_THAT(names(loadOk(text, o)), ElementsAre("debug", "tools", "web"));
  o.environment["COMPOSE_PROFILES"] = "*";
  EXPECT_THAT(names(loadOk(text, o)), ElementsAre("debug", "tools", "web"));

  // Depending on a service whose profile is off is an error, as in Compose.
  EXPECT_THAT(errorsOf("services:\n  web: {image: x, depends_on: [debug]}\n"
                       "  debug: {image: x, profiles: [debug]}\n"),
              ElementsAre(FieldError{"services.web.depends_on[0]",
                                     "service \"debug\" is not enabled: none of its profiles is active"}));
}

TEST(Compose, InterpolatesFromTheEnvironmentAndDotEnv) {
  ComposeOptions o = options();
  o.dotenv = "TAG=from-dotenv\nPORT=8080\n# a comment\nexport GREETING=\"hello\\nworld\"\n";
  ComposeProject p = loadOk(R"(
services:
  web:
    image: "app:${TAG}"
    ports: ["${PORT}:80", "${OTHER_PORT:-9090}:90"]
    environment:
      PRICE: "$$5"
      GREETING: $GREETING
      MODE: ${MODE-dev}
      EMPTY_DEFAULT: "${EMPTY:-fallback}"
      EMPTY_SET: "${EMPTY-kept-empty}"
      ALT: ${TAG:+set}
      NESTED: ${MISSING:-${PORT}0}
)",
                            o);
  const ServiceSpec& s = find(p, "Service", "web")->service();
  EXPECT_EQ(s.image, "app:1.2");  // the environment wins over .env
  EXPECT_EQ(s.ports[0].hostPort, 8080);
  EXPECT_EQ(s.ports[1].hostPort, 9090);
  EXPECT_EQ(s.env, (std::map<std::string, std::string>{{"PRICE", "$5"},
                                                       {"GREETING", "hello\nworld"},
                                                       {"MODE", "dev"},
                                                       {"EMPTY_DEFAULT", "fallback"},
                                                       {"EMPTY_SET", ""},
                                                       {"ALT", "set"},
                                                       {"NESTED", "80800"}}));
}

TEST(Compose, InterpolationCases) {
  const std::map<std::string, std::string> vars = {{"A", "a"}, {"E", ""}};
  struct Row {
    const char* in;
    const char* out;
  };
  for (const Row& r : std::vector<Row>{{"$A", "a"},
                                       {"${A}", "a"},
                                       {"x${A}y$A.z", "xaya.z"},
                                       {"$$A", "$A"},
                                       {"$${A}", "${A}"},
                                       {"${U:-d}", "d"},
                                       {"${E:-d}", "d"},
                                       {"${E-d}", ""},
                                       {"${U-d}", "d"},
                                       {"${A:+alt}", "alt"},
                                       {"${E:+alt}", ""},
                                       {"${E+alt}", "alt"},
                                       {"${U:-${A}-${U:-x}}", "a-x"},
                                       {"${A:?never}", "a"},
                                       {"no dollars", "no dollars"}}) {
    const std::string expected = r.out;
    auto got = interpolateCompose(r.in, vars, nullptr);
    ASSERT_TRUE(got.ok()) << r.in << ": " << got.status().ToString();
    EXPECT_EQ(*got, expected) << r.in;
  }
  std::vector<std::string> unset;
  EXPECT_EQ(*interpolateCompose("[$U][${V}]", vars, &unset), "[][]");
  EXPECT_THAT(unset, ElementsAre("U", "V"));

  struct Bad {
    const char* in;
    const char* message;
  };
  for (const Bad& b : std::vector<Bad>{
           {"${U:?set U first}", "required variable U is missing a value: set U first"},
           {"${E:?}", "required variable E is missing a value"},
           {"${U?gone}", "required variable U is missing a value: gone"},
           {"cost $5", "invalid interpolation at \"$5\" (write $$ for a literal $)"},
           {"${A", "invalid interpolation at \"${A\" (write $$ for a literal $)"},
           {"${A*b}", "invalid interpolation at \"${A*b}\" (write $$ for a literal $)"},
           {"end$", "invalid interpolation at \"$\" (write $$ for a literal $)"}}) {
    auto got = interpolateCompose(b.in, vars, nullptr);
    ASSERT_FALSE(got.ok()) << b.in;
    EXPECT_EQ(got.status().message(), b.message) << b.in;
  }
  // ${E?x} only needs the variable set, even empty.
  EXPECT_EQ(*interpolateCompose("${E?x}", vars, nullptr), "");
}

TEST(Compose, InterpolationErrorsNameTheirPath) {
  EXPECT_THAT(errorsOf("services:\n  web:\n    image: \"app:${VERSION:?set VERSION to a release}\"\n"
                       "    command: echo $1\n"),
              UnorderedElementsAre(
                  FieldError{"services.web.image", "required variable VERSION is missing a value: set VERSION to a release"},
                  FieldError{"services.web.command", "invalid interpolation at \"$1\" (write $$ for a literal $)"}));
}

TEST(Compose, WarnsOfAnUnsetVariable) {
  ComposeProject p = loadOk("services: {web: {image: \"app:${NOPE}x\", command: \"${NOPE}\"}}");
  EXPECT_THAT(p.warnings, ElementsAre("the variable NOPE is not set; it is taken as empty"));
  EXPECT_EQ(find(p, "Service", "web")->service().image, "app:x");
}

TEST(Compose, ReadsDotEnvFiles) {
  auto vars = parseDotEnv(
      "# comment\n\nA=1\nexport B = two words # a comment\nC='single $quoted # kept'\n"
      "D=\"line\\none\"\nE=\nF\nG=\"multi\nline\"\nH=a#b\r\n");
  ASSERT_TRUE(vars.ok()) << vars.status().ToString();
  EXPECT_EQ(*vars, (std::map<std::string, std::string>{{"A", "1"},
                                                       {"B", "two words"},
                                                       {"C", "single $quoted # kept"},
                                                       {"D", "line\none"},
                                                       {"E", ""},
                                                       {"F", ""},
                                                       {"G", "multi\nline"},
                                                       {"H", "a#b"}}));
  EXPECT_EQ(parseDotEnv("A=1\n1BAD=x\n").status().message(), "line 2: \"1BAD\" is not a variable name");
  EXPECT_EQ(parseDotEnv("A=\"open\n").status().message(), "line 1: the quote \" is not closed");
}

TEST(Compose, BadFilesGetExactErrorsWithTheirPaths) {
  struct Bad {
    const char* what;
    std::string text;
    std::vector<FieldError> errors;
  };
  const std::vector<Bad> cases = {
      {"an unknown condition",
       "services:\n  web: {image: x, depends_on: {db: {condition: ready}}}\n  db: {image: x}\n",
       {{"services.web.depends_on.db.condition", "\"ready\" is not one of started, healthy, completed_successfully"}}},
      {"neither image nor build", "services:\n  web: {command: [a]}\n",
       {{"services.web", "image or build is required"}}},
      {"wrong types",
       "services:\n  web:\n    image: x\n    ports: \"80\"\n    environment: 5\n    mem_limit: lots\n"
       "    depends_on: db\n    healthcheck: {test: [CMD, a], disable: maybe}\n    restart: sometimes\n",
       {{"services.web.ports", "\"80\" is not a list"},
        {"services.web.environment", "5 is not a mapping or a list"},
        {"services.web.mem_limit", "\"lots\" is not a memory quantity (Docker units: 512m, 1g = 2^30 bytes)"},
        {"services.web.depends_on", "\"db\" is not a list or a mapping"},
        {"services.web.healthcheck.disable", "\"maybe\" is not a boolean (true or false)"},
        {"services.web.restart", "\"sometimes\" is not one of no, always, on-failure[:N], unless-stopped"}}},
      {"native checks at Compose paths",
       "services:\n  web:\n    image: x\n    ports: [\"8080:80\", \"70000:80\"]\n"
       "    deploy: {replicas: -1}\n    stop_grace_period: soon\n    labels: {tender.x: y}\n",
       {{"services.web.ports[1]", "\"70000:80\": port 70000 is out of range (1-65535)"},
        {"services.web.deploy.replicas", "-1 must be at least 0"},
        {"services.web.stop_grace_period", "\"soon\" is not a duration (e.g. 500ms, 10s, 5m, 1h30m)"},
        {"services.web.labels.tender.x", "the \"tender.\" prefix is reserved for tender's own labels"}}},
      {"the key that set a field owns its error",
       "services:\n  web: {image: x, mem_limit: 1g, deploy: {resources: {limits: {memory: 1m}}}}\n",
       {{"services.web.deploy.resources.limits.memory",
         "1048576 is below 6Mi, the least Docker accepts for a container"}}},
      {"two service names that become one", "services:\n  web_app: {image: x}\n  web-app: {image: x}\n",
       {{"services.web_app", "becomes \"web-app\" in tender, as services.web-app does: rename one of them"}}},
      {"undeclared networks, volumes and services",
       "services:\n  web: {image: x, networks: [back], volumes: [\"data:/data\"], depends_on: [db]}\n",
       {{"services.web.networks[0]", "network \"back\" is not declared under the top-level networks"},
        {"services.web.volumes[0]", "volume \"data\" is not declared under the top-level volumes"},
        {"services.web.depends_on[0]", "service \"db\" is not defined"}}},
      {"network_mode with networks",
       "services:\n  web: {image: x, network_mode: host, networks: [default]}\n",
       {{"services.web.network_mode", "cannot be set together with networks"}}},
      {"liveness without a healthcheck", "services:\n  web: {image: x, x-tender: {liveness: true, retry: 1}}\n",
       {{"services.web.x-tender.liveness",
         "restarts a service whose healthcheck fails: the service has no healthcheck"},
        {"services.web.x-tender.retry", "unknown field (x-tender takes backoff, liveness and priority here)"}}},
      {"x-tender backoff checked natively", "services:\n  web: {image: x, x-tender: {backoff: {initial: 10s, max: 1s}}}\n",
       {{"services.web.x-tender.backoff.max", "\"1s\" must be at least backoff.initial (\"10s\")"}}},
      {"an invalid project name", "name: My.Shop\nservices: {web: {image: x}}\n",
       {{"name", "\"My.Shop\" is not a namespace name (lowercase letters, digits, '_' and '-', "
                 "starting with a letter or digit, at most 63 characters, as Compose names a "
                 "project): the project name is the namespace"}}},
      {"no services", "name: x\nvolumes: {}\n", {{"services", "is required"}}},
      {"bad top-level networks and volumes",
       "services: {web: {image: x}}\nnetworks:\n  a: 5\n  b: {external: maybe}\n"
       "  c: {external: true, name: _not_a_name}\n"
       "volumes:\n  d: [x]\n  e: {external: {name: 'bad name'}}\n",
       {{"networks.a", "5 is not a mapping"},
        {"networks.b.external", "\"maybe\" is not a boolean (true or false)"},
        {"networks.c.name", "\"_not_a_name\"" + std::string(kObjectRule) +
                                ": tender names an external network by its engine name"},
        {"volumes.d", "[\"x\"] is not a mapping"},
        {"volumes.e.name", "\"bad name\"" + std::string(kObjectRule) +
                               ": tender names an external volume by its engine name"}}},
  };
  for (const Bad& b : cases) {
    SCOPED_TRACE(b.what);
    std::vector<FieldError> got = errorsOf(b.text);
    EXPECT_THAT(got, ::testing::UnorderedElementsAreArray(b.errors));
  }
  ComposeOptions noDir = options();
  noDir.projectDir = "";
  EXPECT_THAT(errorsOf("services: {web: {image: x, volumes: [\"./conf:/conf\"]}}", noDir),
              ElementsAre(FieldError{"services.web.volumes[0]",
                                     "\"./conf\" is a relative host path: apply with the tender command, which "
                                     "resolves it against the Compose file's folder"}));
  ComposeOptions server = options();
  server.folderName = "";
  server.nameParameter = "project";
  server.readFile = nullptr;
  EXPECT_THAT(errorsOf("services: {web: {image: x}}", server),
              ElementsAre(FieldError{"project", "is required: the project has no name (set name: in the file)"}));
  server.projectName = "p";
  EXPECT_THAT(errorsOf("services: {web: {image: x, env_file: a.env}}", server),
              ElementsAre(FieldError{"services.web.env_file",
                                     "env files are read by the tender command: the server cannot read \"a.env\" "
                                     "(apply with `tender apply -f`)"}));
  EXPECT_THAT(errorsOf("services: {web: {image: x, env_file: [gone.env]}}"),
              ElementsAre(FieldError{"services.web.env_file[0]",
                                     "cannot read \"/srv/shop/gone.env\": no such file"}));
  // Malformed YAML names the file, line and column.
  auto malformed = load("services:\n  web: [\n");
  ASSERT_FALSE(malformed.ok());
  EXPECT_THAT(malformed.status().message(), HasSubstr("compose.yaml: line"));
}

TEST(Compose, WarnsOfEveryUnsupportedKeyAndRefusesThemWhenStrict) {
  const std::string text = R"(
version: "3.9"
services:
  web:
    image: x
    cgroup_parent: m-executor
    runtime: runc
    volumes: ["./src:/src:ro,z"]
    ports: [{target: 80, name: http}]
    deploy: {mode: global, placement: {constraints: []}}
    healthcheck: {test: [CMD, a], start_interval: 1s}
    oom_kill_disable: true
    tmpfs: ["/run:mode=1777"]
)";
  ComposeProject p = loadOk(text);
  EXPECT_THAT(p.warnings,
              UnorderedElementsAre(
                  "services.web.cgroup_parent: not supported by tender; ignored",
                  "services.web.runtime: not supported by tender; ignored",
                  "services.web.volumes[0]: not supported by tender (volume mode \"z\"); ignored",
                  "services.web.ports[0].name: not supported by tender; ignored",
                  "services.web.deploy.mode: not supported by tender (one host runs replicas, not a global mode); ignored",
                  "services.web.deploy.placement: not supported by tender; ignored",
                  "services.web.oom_kill_disable: not supported by tender; ignored",
                  "services.web.tmpfs[0]: not supported by tender (tmpfs option \"mode=1777\"); ignored"));
  // What is supported of the same file is kept.
  EXPECT_EQ(specOf(p, "Service", "web")["volumes"][0],
            json::parse(R"({"type":"bind","source":"/srv/shop/src","target":"/src","read_only":true})"));

  ComposeOptions strict = options();
  strict.strict = true;
  std::vector<FieldError> errors = errorsOf(text, strict);
  ASSERT_EQ(errors.size(), 8u);
  EXPECT_THAT(errors, ::testing::Contains(FieldError{
                          "services.web.runtime", "is not supported by tender; remove it or apply without --strict"}));
}

TEST(Compose, ConvertedManifestsReadBackUnchanged) {
  ComposeProject p = loadOk(R"(
name: shop
services:
  web:
    build: {context: ./web, args: {V: "1"}}
    ports: ["127.0.0.1:8080:80"]
    volumes: ["data:/data", "/etc/hosts:/h:ro"]
    networks: {back: {aliases: [www]}}
    depends_on: {db: {condition: service_healthy}}
    mem_limit: 100m
    cpus: 0.25
    tmpfs: ["/run:size=1m"]
    ulimits: {nofile: 1024}
    x-tender: {priority: 3}
  db:
    image: db
    healthcheck: {test: "true", interval: 1s}
networks: {back: {}}
volumes: {data: {}}
)");
  json list = json::array();
  for (const Resource& r : p.resources) list.push_back(encodeResource(r));
  auto back = parseManifests(list.dump());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), p.resources.size());
  for (size_t i = 0; i < p.resources.size(); ++i) {
    EXPECT_EQ(encodeResource((*back)[i]), encodeResource(p.resources[i]));
    EXPECT_EQ(encodeSpec((*back)[i]), encodeSpec(p.resources[i]));
  }
}

TEST(Compose, RecognisesComposeDocuments) {
  EXPECT_TRUE(isComposeDocument("services:\n  web: {image: x}\n"));
  EXPECT_TRUE(isComposeDocument("{\"services\": {}}"));
  EXPECT_FALSE(isComposeDocument("apiVersion: tender/v1\nkind: Service\nservices: {}\n"));
  EXPECT_FALSE(isComposeDocument("apiVersion: tender/v1\nkind: Service\nmetadata: {name: a}\n"));
  EXPECT_FALSE(isComposeDocument("services: {}\n---\nservices: {}\n"));
  EXPECT_FALSE(isComposeDocument("services: [\n"));
}

}  // namespace
}  // namespace tender

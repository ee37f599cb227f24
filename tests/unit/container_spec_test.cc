// The Engine API body a service's container is created with: the container
// settings a manifest (or a Compose file) asks for reach the engine, and
// what the user did not set is left to the engine's defaults.
#include "reconcilers/container_spec.h"

#include <gtest/gtest.h>

#include "manifests/manifest.h"

namespace tender {
namespace {

using json = nlohmann::json;

ResolvedService resolved(const std::string& specYaml, std::vector<std::string> networks = {"shop_default"}) {
  auto parsed = parseManifests("apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
                               "spec:\n  image: x\n" + specYaml);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  ResolvedService svc;
  svc.ns = "shop";
  svc.name = "web";
  if (parsed.ok()) svc.spec = parsed->front().service();
  svc.imageRef = "x";
  svc.specHash = "h";
  svc.networks = std::move(networks);
  return svc;
}

json bodyOf(const ResolvedService& svc) { return containerCreateBody(svc, 0, "test", LogRotation{}); }

TEST(ContainerCreateBody, LeavesUnsetContainerSettingsToTheEngine) {
  json body = bodyOf(resolved(""));
  const json& host = body["HostConfig"];
  for (const char* key : {"CapAdd", "CapDrop", "Privileged", "ReadonlyRootfs", "Init", "ExtraHosts", "Ulimits",
                          "PidMode", "IpcMode", "UTSMode", "Devices", "SecurityOpt"}) {
    EXPECT_FALSE(host.contains(key)) << key;
  }
  EXPECT_EQ(host["LogConfig"], json::parse(R"({"Type":"json-file","Config":{"max-size":"10m","max-file":"3"}})"));
  EXPECT_FALSE(body.contains("ExposedPorts"));
  EXPECT_EQ(body["NetworkingConfig"]["EndpointsConfig"]["shop_default"]["Aliases"], json::array({"web"}));
}

TEST(ContainerCreateBody, CarriesContainerSettings) {
  json body = bodyOf(resolved(
      "  capAdd: [NET_ADMIN]\n  capDrop: [ALL]\n  privileged: true\n  readOnlyRootFilesystem: true\n"
      "  init: true\n  extraHosts: [\"db:10.0.0.2\"]\n  ulimits: {nofile: {soft: 10, hard: 20}}\n"
      "  expose: [80, \"53/udp\", \"9000-9001\"]\n  ports: [\"8080:80\"]\n"
      "  volumes: [{type: tmpfs, target: /run, tmpfs: {size: 1Mi}}]\n"));
  const json& host = body["HostConfig"];
  EXPECT_EQ(host["CapAdd"], json::array({"NET_ADMIN"}));
  EXPECT_EQ(host["CapDrop"], json::array({"ALL"}));
  EXPECT_EQ(host["Privileged"], true);
  EXPECT_EQ(host["ReadonlyRootfs"], true);
  EXPECT_EQ(host["Init"], true);
  EXPECT_EQ(host["ExtraHosts"], json::array({"db:10.0.0.2"}));
  EXPECT_EQ(host["Ulimits"], json::parse(R"([{"Name":"nofile","Soft":10,"Hard":20}])"));
  EXPECT_EQ(body["ExposedPorts"],
            json::parse(R"({"80/tcp":{},"53/udp":{},"9000/tcp":{},"9001/tcp":{}})"));
  EXPECT_EQ(host["PortBindings"].size(), 1u);
  EXPECT_EQ(host["Mounts"], json::parse(R"([{"Type":"tmpfs","Target":"/run","ReadOnly":false,
                                            "TmpfsOptions":{"SizeBytes":1048576}}])"));
}

TEST(ContainerCreateBody, CarriesKernelNamespacesDevicesAndSecurityOptions) {
  json host = bodyOf(resolved("  pid: service:db\n  ipc: host\n  uts: host\n"
                              "  devices: [/dev/fuse, \"/dev/sda:/dev/xvda:r\"]\n"
                              "  securityOpt: [no-new-privileges]\n"))["HostConfig"];
  EXPECT_EQ(host["PidMode"], "container:shop.db.0");
  EXPECT_EQ(host["IpcMode"], "host");
  EXPECT_EQ(host["UTSMode"], "host");
  EXPECT_EQ(host["Devices"], json::parse(R"([
      {"PathOnHost":"/dev/fuse","PathInContainer":"/dev/fuse","CgroupPermissions":"rwm"},
      {"PathOnHost":"/dev/sda","PathInContainer":"/dev/xvda","CgroupPermissions":"r"}])"));
  EXPECT_EQ(host["SecurityOpt"], json::array({"no-new-privileges"}));
}

TEST(ContainerCreateBody, CarriesVolumesFromSysctlsDnsAndKernelLimits) {
  json body = bodyOf(resolved("  volumesFrom: [db, \"cache:ro\"]\n  sysctls: {net.core.somaxconn: \"1024\"}\n"
                              "  groupAdd: [mail]\n  dns: [10.0.0.53]\n  dnsSearch: [corp]\n  dnsOptions: [\"ndots:2\"]\n"
                              "  oomScoreAdj: 100\n  cpuShares: 512\n  cpuset: \"0\"\n  pidsLimit: 64\n"
                              "  memorySwappiness: 0\n  shmSize: 128Mi\n"
                              "  healthcheck: {exec: [true], startPeriod: 10s, startInterval: 1s}\n"));
  const json& host = body["HostConfig"];
  EXPECT_EQ(host["VolumesFrom"], json::parse(R"(["shop.db.0","shop.cache.0:ro"])"));
  EXPECT_EQ(host["Sysctls"], json::parse(R"({"net.core.somaxconn":"1024"})"));
  EXPECT_EQ(host["GroupAdd"], json::array({"mail"}));
  EXPECT_EQ(host["Dns"], json::array({"10.0.0.53"}));
  EXPECT_EQ(host["DnsSearch"], json::array({"corp"}));
  EXPECT_EQ(host["DnsOptions"], json::array({"ndots:2"}));
  EXPECT_EQ(host["OomScoreAdj"], 100);
  EXPECT_EQ(host["CpuShares"], 512);
  EXPECT_EQ(host["CpusetCpus"], "0");
  EXPECT_EQ(host["PidsLimit"], 64);
  EXPECT_EQ(host["MemorySwappiness"], 0);
  EXPECT_EQ(host["ShmSize"], 128 * 1024 * 1024);
  EXPECT_EQ(body["Healthcheck"]["StartInterval"], 1'000'000'000);
}

TEST(ContainerCreateBody, CarriesATerminalAnOpenStdinADomainAndAMac) {
  json body = bodyOf(resolved("  tty: true\n  stdinOpen: true\n  domainname: corp.example\n"
                              "  macAddress: \"02:42:ac:11:00:02\"\n"));
  EXPECT_EQ(body["Tty"], true);
  EXPECT_EQ(body["OpenStdin"], true);
  EXPECT_EQ(body["Domainname"], "corp.example");
  EXPECT_EQ(body["MacAddress"], "02:42:ac:11:00:02");
  json plain = bodyOf(resolved(""));
  for (const char* key : {"Tty", "OpenStdin", "Domainname", "MacAddress"}) EXPECT_FALSE(plain.contains(key)) << key;
}

TEST(ContainerCreateBody, AnImagesOwnHealthcheckCanBeTurnedOff) {
  EXPECT_EQ(bodyOf(resolved("  disableImageHealthcheck: true\n"))["Healthcheck"],
            json::parse(R"({"Test":["NONE"]})"));
  EXPECT_FALSE(bodyOf(resolved(""))["HostConfig"].contains("VolumesFrom"));
  EXPECT_FALSE(bodyOf(resolved("")).contains("Healthcheck"));
}

TEST(ContainerCreateBody, LoggingKeepsTendersRotationForJsonFileOnly) {
  EXPECT_EQ(bodyOf(resolved("  logging: {options: {max-size: 1m}}\n"))["HostConfig"]["LogConfig"],
            json::parse(R"({"Type":"json-file","Config":{"max-size":"1m","max-file":"3"}})"));
  EXPECT_EQ(bodyOf(resolved("  logging: {driver: syslog, options: {tag: web}}\n"))["HostConfig"]["LogConfig"],
            json::parse(R"({"Type":"syslog","Config":{"tag":"web"}})"));
}

TEST(ContainerCreateBody, NetworkAliasesAndModes) {
  ResolvedService svc = resolved("  networks: [front, back]\n  networkAliases: {back: [db-primary, db]}\n",
                                 {"shop_front", "shop_back"});
  EXPECT_EQ(bodyOf(svc)["NetworkingConfig"]["EndpointsConfig"]["shop_front"]["Aliases"], json::array({"web"}));
  EXPECT_EQ(networkAliases(svc, 1), (std::vector<std::string>{"web", "db-primary", "db"}));

  json host = bodyOf(resolved("  networkMode: host\n"));
  EXPECT_EQ(host["HostConfig"]["NetworkMode"], "host");
  EXPECT_FALSE(host.contains("NetworkingConfig"));
  EXPECT_EQ(bodyOf(resolved("  networkMode: service:db\n"))["HostConfig"]["NetworkMode"], "container:shop.db.0");
}

}  // namespace
}  // namespace tender

// A shared VM's tenants against a running `tender serve` with a token file
// and the real engine: every way out of a tenant's namespace tried as a
// tenant would (the host's files, the Docker socket, privileges, the host's
// namespaces, a neighbour's container, network and volume, its own quota)
// is answered 403 naming the field, with nothing created; an ordinary
// service still runs; and a host path swapped for a symlink after the
// apply does not reach the container.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/cli_run.h"
#include "tests/support/owned_objects.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::TenderProcess;
using testing::uniqueName;

constexpr const char* kAlice = "alice-token-0123456789";
constexpr const char* kAdmin = "admin-token-0123456789";

class TenancyE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    ns_ = uniqueName("alice");
    neighbour_ = uniqueName("demo");
    hostDir_ = std::filesystem::temp_directory_path() / uniqueName("tender-tenancy");
    std::filesystem::create_directories(hostDir_ / "site");
    std::ofstream(hostDir_ / "site" / "index.html") << "tenant's own file\n";
    tokenFile_ = std::filesystem::temp_directory_path() / (uniqueName("tokens") + ".txt");
    std::ofstream(tokenFile_) << kAlice << " alice " << ns_ << "\n" << kAdmin << " admin *\n";
    std::filesystem::permissions(tokenFile_, std::filesystem::perms::owner_read |
                                                 std::filesystem::perms::owner_write);
    server_ = std::make_unique<TenderProcess>(uniqueName("tenancy"),
                                              std::vector<std::string>{"--token-file", tokenFile_.string()});
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  }
  void TearDown() override {
    if (server_) {
      for (const std::string& ns : {ns_, neighbour_}) {
        server_->client().call("DELETE", "/api/v1/namespaces/" + ns + "?purge=true", "", "");
      }
      for (int i = 0; i < 100 && !containers().empty(); ++i) std::this_thread::sleep_for(200ms);
      server_->stop();
      testing::removeOwnedObjects(*engine_, server_->instance());
    }
    std::filesystem::remove(tokenFile_);
    std::filesystem::remove_all(hostDir_);
  }

  std::vector<ContainerSummary> containers() {
    auto r = engine_->listContainers(ownedFilters(server_->instance()), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  std::vector<ContainerSummary> containersOf(const std::string& ns) {
    std::vector<ContainerSummary> out;
    for (const auto& c : containers()) {
      auto it = c.labels.find(kLabelNamespace);
      if (it != c.labels.end() && it->second == ns) out.push_back(c);
    }
    return out;
  }
  static std::string service(const std::string& ns, const std::string& name,
                             const std::string& extra = "") {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns +
           "}\nspec:\n  image: tender-busybox:latest\n"
           "  command: [sh, -c, \"trap 'exit 0' TERM; while true; do sleep 1; done\"]\n"
           "  stopGracePeriod: 1s\n" +
           extra;
  }
  Result<ApiResponse> apply(const std::string& token, const std::string& body) {
    return server_->client(token).call("POST", "/api/v1/apply", body, "application/yaml");
  }
  json getService(const std::string& ns, const std::string& name) {
    auto r = server_->client(kAdmin).call("GET", "/api/v1/namespaces/" + ns + "/services/" + name, "", "");
    return r.ok() && r->status == 200 ? json::parse(r->body) : json();
  }
  // A 403 naming `field`.
  static bool refused(const Status& s, const std::string& field) {
    if (s.code() != Status::Code::kForbidden) return false;
    for (const FieldError& d : s.details()) {
      if (d.field == field) return true;
    }
    return false;
  }
  bool waitRunning(const std::string& ns, const std::string& name) {
    for (int i = 0; i < 150; ++i) {
      json s = getService(ns, name);
      if (s.is_object() && s["status"].value("phase", "") == "Running") return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string ns_, neighbour_;
  std::filesystem::path hostDir_, tokenFile_;
};

TEST_F(TenancyE2E, EveryEscapeIsRefusedNamingItsFieldAndNothingIsCreated) {
  // The neighbour the escapes aim at: a running service, a network, a volume.
  ASSERT_TRUE(apply(kAdmin, service(neighbour_, "web") +
                                "---\napiVersion: tender/v1\nkind: Network\nmetadata: {name: back, "
                                "namespace: " + neighbour_ + "}\n"
                                "---\napiVersion: tender/v1\nkind: Volume\nmetadata: {name: data, "
                                "namespace: " + neighbour_ + "}\n")
                  .ok());
  ASSERT_TRUE(waitRunning(neighbour_, "web"));
  const std::string neighbourContainer = containerName(neighbour_, "web", 0);

  struct Escape {
    const char* name;
    std::string body;
    const char* field;
  };
  const std::vector<Escape> escapes = {
      {"bind of /", service(ns_, "x", "  volumes: ['/:/host:ro']\n"), "spec.volumes[0].source"},
      {"the Docker socket", service(ns_, "x", "  volumes: ['/var/run/docker.sock:/var/run/docker.sock']\n"),
       "spec.volumes[0].source"},
      {"/etc", service(ns_, "x", "  volumes: ['/etc:/host-etc:ro']\n"), "spec.volumes[0].source"},
      {"privileged", service(ns_, "x", "  privileged: true\n"), "spec.privileged"},
      {"SYS_ADMIN", service(ns_, "x", "  capAdd: [SYS_ADMIN]\n"), "spec.capAdd[0]"},
      {"ALL", service(ns_, "x", "  capAdd: [ALL]\n"), "spec.capAdd[0]"},
      {"host network", service(ns_, "x", "  networkMode: host\n"), "spec.networkMode"},
      {"the neighbour's container network",
       service(ns_, "x", "  networkMode: container:" + neighbourContainer + "\n"), "spec.networkMode"},
      {"host pid", service(ns_, "x", "  pid: host\n"), "spec.pid"},
      {"host ipc", service(ns_, "x", "  ipc: host\n"), "spec.ipc"},
      {"a host device", service(ns_, "x", "  devices: [/dev/null]\n"), "spec.devices[0]"},
      {"seccomp unconfined", service(ns_, "x", "  securityOpt: [seccomp=unconfined]\n"),
       "spec.securityOpt[0]"},
      {"a build context on the server's disk",
       "apiVersion: tender/v1\nkind: Service\nmetadata: {name: x, namespace: " + ns_ +
           "}\nspec:\n  build: {context: /etc}\n",
       "spec.build.context"},
      {"the neighbour's network as external",
       "apiVersion: tender/v1\nkind: Network\nmetadata: {name: " + neighbour_ + "-back, namespace: " +
           ns_ + "}\nspec: {external: true}\n",
       "spec.external"},
      {"the neighbour's volume as external",
       "apiVersion: tender/v1\nkind: Volume\nmetadata: {name: " + neighbour_ + "-data, namespace: " +
           ns_ + "}\nspec: {external: true}\n",
       "spec.external"},
      {"a local volume that binds /etc",
       "apiVersion: tender/v1\nkind: Volume\nmetadata: {name: etc, namespace: " + ns_ +
           "}\nspec: {driverOpts: {type: none, o: bind, device: /etc}}\n",
       "spec.driverOpts"},
      {"a macvlan network onto the host's interface",
       "apiVersion: tender/v1\nkind: Network\nmetadata: {name: lan, namespace: " + ns_ +
           "}\nspec: {driver: macvlan}\n",
       "spec.driver"},
      {"the engine's default bridge", service(ns_, "x", "  networkMode: bridge\n"),
       "spec.networkMode"},
      {"its own quota raised",
       "apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: " + ns_ +
           "}\nspec:\n  quota: {memory: 100Gi}\n",
       "spec.quota.memory"},
  };
  for (const Escape& e : escapes) {
    SCOPED_TRACE(e.name);
    auto r = apply(kAlice, e.body);
    ASSERT_FALSE(r.ok()) << r->body;
    EXPECT_TRUE(refused(r.status(), e.field)) << r.status().ToString();
  }
  // Nothing of any of them exists: no object, no namespace, no container.
  auto ns = server_->client(kAdmin).call("GET", "/api/v1/namespaces/" + ns_, "", "");
  EXPECT_TRUE(ns.status().IsNotFound()) << ns.status().ToString();
  EXPECT_TRUE(containersOf(ns_).empty());

  // An ordinary service of the tenant's, with its own file bound read-only
  // from a path the admin allows, runs.
  ASSERT_TRUE(apply(kAdmin, "apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: " + ns_ +
                                "}\nspec:\n  security:\n    allowedHostPaths: [" + hostDir_.string() +
                                "]\n")
                  .ok());
  auto ok = apply(kAlice, service(ns_, "web", "  volumes: ['" + (hostDir_ / "site").string() +
                                                  ":/site:ro']\n  ports: ['8080']\n"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(200, ok->status) << ok->body;
  EXPECT_TRUE(waitRunning(ns_, "web"));
  auto ns2 = server_->client(kAdmin).call("GET", "/api/v1/namespaces/" + ns_, "", "");
  ASSERT_TRUE(ns2.ok());
  EXPECT_EQ("baseline", json::parse(ns2->body)["spec"]["security"].value("level", "")) << ns2->body;

  // Who did what: the event names the token, and the log has a line for
  // every write, the refused ones too.
  auto events = server_->client(kAlice).call("GET", "/api/v1/events?namespace=" + ns_, "", "");
  ASSERT_TRUE(events.ok());
  const json items = json::parse(events->body)["items"];
  bool byAlice = false;
  for (const auto& e : items) {
    byAlice |= e.value("reason", "") == "Applied" && e["involvedObject"].value("name", "") == "web" &&
               e.contains("data") && e["data"].value("by", "") == "alice" &&
               e.value("message", "").find("by alice") != std::string::npos;
  }
  EXPECT_TRUE(byAlice) << events->body;
  std::ifstream log(server_->logPath());
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(std::string::npos, text.find("audit: alice POST /api/v1/apply -> 403")) << text;
  EXPECT_NE(std::string::npos, text.find("audit: alice POST /api/v1/apply -> 200")) << text;
}

TEST_F(TenancyE2E, ATenantBuildsFromItsOwnUploadAndFromNoOneElses) {
  // The tender command tars the folder beside the Compose file and uploads
  // it: baseline allows that, since the server reads nothing of its disk.
  std::filesystem::create_directories(hostDir_ / "app");
  std::ofstream(hostDir_ / "app" / "Dockerfile")
      << "FROM tender-busybox:latest\nCOPY motd /motd\n";
  std::ofstream(hostDir_ / "app" / "motd") << "built from an upload\n";
  const auto file = hostDir_ / "compose.yaml";
  std::ofstream(file) << "services:\n  web:\n    build: ./app\n"
                         "    command: [sh, -c, \"trap 'exit 0' TERM; cat /motd; while true; do sleep 1; "
                         "done\"]\n    stop_grace_period: 1s\n";
  auto run = testing::runTender("apply -f " + file.string() + " -p " + ns_ + " --server " +
                                server_->url() + " --token " + kAlice);
  ASSERT_EQ(0, run.exitCode) << run.out;
  EXPECT_TRUE(waitRunning(ns_, "web")) << "see " << server_->logPath();
  const json web = getService(ns_, "web");
  const std::string digest = web["spec"]["build"].value("contextDigest", "");
  EXPECT_EQ(digest.rfind("sha256:", 0), 0u) << web.dump();
  EXPECT_FALSE(web["spec"]["build"].contains("context")) << web.dump();
  EXPECT_TRUE(std::filesystem::exists(server_->stateDir() + "/build-contexts/" + ns_ + "/" +
                                      digest.substr(7) + ".tar"));
  auto image = engine_->inspectImage("tender-" + ns_ + "-web:latest");
  EXPECT_TRUE(image.ok()) << image.status().ToString();

  // Uploading to the neighbour's namespace is refused, and a context
  // uploaded there is not found from the tenant's.
  const std::string tar(1024, '\0');
  auto theirs = server_->client(kAlice).call(
      "POST", "/api/v1/namespaces/" + neighbour_ + "/buildcontexts", tar, "application/x-tar");
  ASSERT_FALSE(theirs.ok());
  EXPECT_EQ(theirs.status().code(), Status::Code::kForbidden) << theirs.status().ToString();
  auto adminUpload = server_->client(kAdmin).call(
      "POST", "/api/v1/namespaces/" + neighbour_ + "/buildcontexts", tar, "application/x-tar");
  ASSERT_TRUE(adminUpload.ok()) << adminUpload.status().ToString();
  const std::string neighbours = json::parse(adminUpload->body).value("digest", "");
  auto borrowed = apply(kAlice, "apiVersion: tender/v1\nkind: Service\nmetadata: {name: borrowed, "
                                "namespace: " + ns_ + "}\nspec:\n  build: {contextDigest: \"" +
                                    neighbours + "\"}\n");
  ASSERT_FALSE(borrowed.ok());
  EXPECT_EQ(borrowed.status().code(), Status::Code::kInvalid) << borrowed.status().ToString();
  EXPECT_NE(borrowed.status().ToString().find("spec.build.contextDigest"), std::string::npos)
      << borrowed.status().ToString();
  EXPECT_TRUE(getService(ns_, "borrowed").is_null());
  if (image.ok()) engine_->removeImage("tender-" + ns_ + "-web:latest", true);
}

TEST_F(TenancyE2E, TheTenderCommandShowsTheRefusalOfAComposeFile) {
  const auto file = hostDir_ / "compose.yaml";
  std::ofstream(file) << "services:\n  web:\n    image: tender-busybox:latest\n    pid: host\n"
                         "    cap_add: [NET_ADMIN]\n";
  auto run = testing::runTender("apply -f " + file.string() + " -p " + ns_ + " --server " +
                                server_->url() + " --token " + kAlice);
  EXPECT_NE(0, run.exitCode) << run.out;
  EXPECT_NE(std::string::npos, run.out.find("spec.pid")) << run.out;
  EXPECT_NE(std::string::npos, run.out.find("spec.capAdd[0]")) << run.out;
  EXPECT_NE(std::string::npos, run.out.find("at level baseline")) << run.out;
  EXPECT_TRUE(containersOf(ns_).empty());
}

TEST_F(TenancyE2E, AHostPathSwappedForASymlinkAfterTheApplyDoesNotReachTheContainer) {
  ASSERT_TRUE(apply(kAdmin, "apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: " + ns_ +
                                "}\nspec:\n  security:\n    level: baseline\n    allowedHostPaths: [" +
                                hostDir_.string() + "]\n")
                  .ok());
  const std::string bind = "  volumes: ['" + (hostDir_ / "site").string() + ":/site:ro']\n";
  auto first = apply(kAlice, service(ns_, "web", bind));
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(200, first->status) << first->body;
  ASSERT_TRUE(waitRunning(ns_, "web"));

  // The tenant (who owns the folder) swaps it for a link to /etc. An apply
  // now is refused; the container it already has is removed behind
  // tender's back, so tender creates a new one from the admitted spec.
  std::filesystem::remove_all(hostDir_ / "site");
  std::filesystem::create_directory_symlink("/etc", hostDir_ / "site");
  auto second = apply(kAlice, service(ns_, "web", bind + "  env: {ROUND: '2'}\n"));
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(refused(second.status(), "spec.volumes[0].source")) << second.status().ToString();
  EXPECT_NE(std::string::npos, second.status().ToString().find("(which resolves to \"/etc\")"))
      << second.status().ToString();
  for (const auto& c : containersOf(ns_)) ASSERT_TRUE(engine_->removeContainer(c.id, true, false).ok());

  std::string status;
  for (int i = 0; i < 100; ++i) {
    status = getService(ns_, "web")["status"].dump();
    if (status.find("HostPathNotAllowed") != std::string::npos) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_NE(std::string::npos, status.find("HostPathNotAllowed")) << status;
  EXPECT_NE(std::string::npos, status.find("spec.volumes[0].source")) << status;
  for (const auto& c : containersOf(ns_)) {
    auto info = engine_->inspectContainer(c.id);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(std::string::npos, info->raw.dump().find("\"Source\":\"/etc\"")) << info->raw.dump();
  }
}

TEST_F(TenancyE2E, TheTokenFileIsRereadWhenItChangesAndOnSighupWithoutARestart) {
  constexpr const char* kBob = "bob-token-0123456789ab";
  auto status = [&](const char* token) {
    auto r = server_->client(token).call("GET", "/api/v1/namespaces/" + ns_ + "/services", "", "");
    return r.ok() ? r->status : r.status().code() == Status::Code::kUnauthorized ? 401 : -1;
  };
  auto rewrite = [&](const std::string& text) {
    const auto tmp = tokenFile_.string() + ".new";
    std::ofstream(tmp) << text;
    std::filesystem::permissions(tmp, std::filesystem::perms::owner_read |
                                          std::filesystem::perms::owner_write);
    std::filesystem::rename(tmp, tokenFile_);
  };
  auto within = [&](auto pred) {
    for (int i = 0; i < 50; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  };
  EXPECT_EQ(401, status(kBob));
  // bob is added and alice taken out: the server sees the change by itself.
  rewrite(std::string(kBob) + " bob " + ns_ + "\n" + kAdmin + " admin *\n");
  EXPECT_TRUE(within([&] { return status(kBob) == 200; }));
  EXPECT_EQ(401, status(kAlice));
  // A broken file is refused and the tokens in force stay, even on SIGHUP.
  rewrite("not a token line\n");
  server_->signal(SIGHUP);
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(200, status(kBob));
  std::ifstream log(server_->logPath());
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(std::string::npos, text.find("not taken (SIGHUP), the tokens in force stay")) << text;
  EXPECT_NE(std::string::npos, text.find("re-read (it changed)")) << text;
  // Back to alice, told by SIGHUP as well.
  rewrite(std::string(kAlice) + " alice " + ns_ + "\n" + kAdmin + " admin *\n");
  server_->signal(SIGHUP);
  EXPECT_TRUE(within([&] { return status(kAlice) == 200; }));
  EXPECT_EQ(401, status(kBob));
}

}  // namespace
}  // namespace tender

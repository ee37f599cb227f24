// Cleanup against the real engine and the real binary: pre-flight removes
// exactly this instance's leftovers, `tender prune` reports what it removes,
// volumes go only when asked, and a missing engine is reported clearly and
// picked up when it comes, without a restart.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/cli_run.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::CliRun;
using testing::runTender;
using testing::TenderProcess;
using testing::uniqueName;

constexpr const char* kLoop = "trap 'exit 0' TERM; while true; do sleep 1; done";

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Accepts connections on a unix socket and pipes each to another one: an
// engine that "starts" when the test says so.
class UnixForwarder {
 public:
  ~UnixForwarder() { stop(); }
  bool start(const std::string& path, const std::string& target) {
    target_ = target;
    path_ = path;
    ::unlink(path.c_str());
    listen_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_, 16) != 0) return false;
    acceptor_ = std::thread([this] { acceptLoop(); });
    return true;
  }
  void stop() {
    if (listen_ < 0) return;
    stopping_ = true;
    ::shutdown(listen_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    {
      std::lock_guard<std::mutex> l(mu_);
      for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : pipes_) t.join();
    ::close(listen_);
    listen_ = -1;
    ::unlink(path_.c_str());
  }

 private:
  void acceptLoop() {
    while (!stopping_) {
      pollfd p{listen_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      int client = ::accept(listen_, nullptr, nullptr);
      if (client < 0) continue;
      int upstream = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::strncpy(a.sun_path, target_.c_str(), sizeof a.sun_path - 1);
      if (::connect(upstream, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(client);
        ::close(upstream);
        continue;
      }
      std::lock_guard<std::mutex> l(mu_);
      open_.push_back(client);
      open_.push_back(upstream);
      pipes_.emplace_back([client, upstream] { pump(client, upstream); });
    }
  }
  static void pump(int a, int b) {
    char buf[16384];
    pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    while (::poll(p, 2, -1) > 0) {
      bool done = false;
      for (int i = 0; i < 2; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::read(p[i].fd, buf, sizeof buf);
        if (n <= 0 || ::write(p[1 - i].fd, buf, static_cast<size_t>(n)) != n) done = true;
      }
      if (done) break;
    }
    ::shutdown(a, SHUT_RDWR);
    ::shutdown(b, SHUT_RDWR);
  }

  std::string path_, target_;
  int listen_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> open_;
  std::vector<std::thread> pipes_;
};

class CleanupE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    instance_ = uniqueName("clean");
  }
  void TearDown() override {
    if (server_) server_->stop();
    for (const std::string& c : containers_) engine_->removeContainer(c, true, true);
    for (const std::string& inst : {instance_, instance_ + "-other"}) {
      auto cs = engine_->listContainers(ownedFilters(inst), true);
      if (cs.ok()) {
        for (const auto& c : *cs) engine_->removeContainer(c.id, true, true);
      }
      auto ns = engine_->listNetworks(ownedFilters(inst));
      if (ns.ok()) {
        for (const auto& n : *ns) engine_->removeNetwork(n.id);
      }
      auto vs = engine_->listVolumes(ownedFilters(inst));
      if (vs.ok()) {
        for (const auto& v : *vs) engine_->removeVolume(v.name, true);
      }
    }
  }

  // A running container as a tender of `instance` would have made it.
  std::string leftoverContainer(const std::string& instance, const std::string& ns, const std::string& service) {
    Labels labels = ownerLabels(instance, ns);
    labels[kLabelService] = service;
    labels[kLabelReplica] = "0";
    json body = {{"Image", "tender-busybox:latest"},
                 {"Cmd", {"sh", "-c", kLoop}},
                 {"Labels", labels}};
    auto id = engine_->createContainer(containerName(ns, service, 0) + (instance == instance_ ? "" : "-x"), body);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (!id.ok()) return "";
    containers_.push_back(*id);
    EXPECT_TRUE(engine_->startContainer(*id).ok());
    return *id;
  }
  std::string leftoverNetwork(const std::string& instance, const std::string& ns) {
    Labels labels = ownerLabels(instance, ns);
    labels[kLabelResource] = kDefaultNetwork;
    auto id = engine_->createNetwork(scopedName(ns, kDefaultNetwork) + (instance == instance_ ? "" : "-x"),
                                     {{"Labels", labels}, {"CheckDuplicate", true}});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }
  std::string leftoverVolume(const std::string& instance, const std::string& ns) {
    Labels labels = ownerLabels(instance, ns);
    labels[kLabelResource] = "data";
    const std::string name = scopedName(ns, "data") + (instance == instance_ ? "" : "-x");
    EXPECT_TRUE(engine_->createVolume(name, "local", labels, {}).ok());
    return name;
  }
  bool containerExists(const std::string& id) { return engine_->inspectContainer(id).ok(); }
  bool networkExists(const std::string& id) { return engine_->inspectNetwork(id).ok(); }
  bool volumeExists(const std::string& name) { return engine_->inspectVolume(name).ok(); }
  bool waitReady(std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = server_->client().call("GET", "/readyz", "", "");
      if (r.ok()) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }
  std::string service(const std::string& ns, const std::string& name, const std::string& extra = "") {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns +
           "}\nspec:\n  image: tender-busybox:latest\n  command: [\"sh\", \"-c\", " + json(kLoop).dump() +
           "]\n  stopGracePeriod: 1s\n" + extra;
  }
  std::string flags() { return " --server " + server_->url(); }
  std::vector<ContainerSummary> ownContainers(const std::string& ns) {
    auto r = engine_->listContainers(ownedFilters(instance_, ns), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  template <typename Pred>
  bool eventually(Pred pred, std::chrono::seconds limit = 30s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(200ms);
    }
    return pred();
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string instance_;
  std::vector<std::string> containers_;
};

TEST_F(CleanupE2E, PreFlightRemovesExactlyItsOwnLeftoversAndPruneReportsTheRest) {
  const std::string ghost = uniqueName("ghost");
  const std::string mine = leftoverContainer(instance_, ghost, "web");
  const std::string myNet = leftoverNetwork(instance_, ghost);
  const std::string myVolume = leftoverVolume(instance_, ghost);
  const std::string theirs = leftoverContainer(instance_ + "-other", ghost, "web");
  const std::string theirNet = leftoverNetwork(instance_ + "-other", ghost);
  const std::string theirVolume = leftoverVolume(instance_ + "-other", ghost);
  auto plain = engine_->createContainer(uniqueName("plain"), {{"Image", "tender-busybox:latest"},
                                                              {"Cmd", {"sh", "-c", kLoop}},
                                                              {"Labels", {{"tender.namespace", ghost}}}});
  ASSERT_TRUE(plain.ok());
  containers_.push_back(*plain);

  server_ = std::make_unique<TenderProcess>(instance_);
  ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  ASSERT_TRUE(waitReady(60s)) << readFile(server_->logPath());

  EXPECT_FALSE(containerExists(mine)) << "its own leftover container goes before the first reconcile";
  EXPECT_FALSE(networkExists(myNet));
  EXPECT_TRUE(volumeExists(myVolume)) << "data goes only when asked";
  EXPECT_TRUE(containerExists(theirs)) << "another instance's container stays";
  EXPECT_TRUE(networkExists(theirNet));
  EXPECT_TRUE(volumeExists(theirVolume));
  EXPECT_TRUE(containerExists(*plain)) << "an unlabelled container stays";
  const std::string log = readFile(server_->logPath());
  EXPECT_TRUE(contains(log, "pre-flight cleanup: removed container " + containerName(ghost, "web", 0))) << log;

  auto events = server_->client().call("GET", "/api/v1/events?namespace=" + ghost, "", "");
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(contains(events->body, "\"reason\":\"CleanedUp\"")) << events->body;

  CliRun dry = runTender("prune --volumes --dry-run" + flags());
  EXPECT_EQ(0, dry.exitCode) << dry.out;
  EXPECT_TRUE(contains(dry.out, myVolume)) << dry.out;
  EXPECT_TRUE(contains(dry.out, "dry run: nothing was changed")) << dry.out;
  EXPECT_FALSE(contains(dry.out, theirVolume)) << dry.out;
  EXPECT_TRUE(volumeExists(myVolume));

  CliRun pruned = runTender("prune --volumes" + flags());
  EXPECT_EQ(0, pruned.exitCode) << pruned.out;
  EXPECT_TRUE(contains(pruned.out, "Removed 1 objects")) << pruned.out;
  EXPECT_FALSE(volumeExists(myVolume));
  EXPECT_TRUE(volumeExists(theirVolume));

  auto bad = server_->client().call("POST", "/api/v1/prune?volumes=maybe", "", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ("volumes", bad.status().details().at(0).field);
}

TEST_F(CleanupE2E, NamespaceVolumesStayOnADeleteAndGoWithAPurgeOrAnExpiry) {
  server_ = std::make_unique<TenderProcess>(instance_);
  ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  const std::string kept = uniqueName("kept"), purged = uniqueName("purged"), expiring = uniqueName("ttl");
  const std::string file = server_->stateDir() + "-stack.yaml";
  for (const std::string& ns : {kept, purged}) {
    std::ofstream(file) << service(ns, "db", "  volumes: [\"data:/data\"]\n");
    CliRun applied = runTender("apply -f " + file + flags());
    ASSERT_EQ(0, applied.exitCode) << applied.out;
  }
  std::ofstream(file) << "apiVersion: tender/v1\nkind: Service\nmetadata: {name: db}\nspec:\n"
                         "  image: tender-busybox:latest\n  command: [\"sh\", \"-c\", " << json(kLoop).dump()
                      << "]\n  stopGracePeriod: 1s\n  volumes: [\"data:/data\"]\n";
  CliRun ttl = runTender("apply -f " + file + " -n " + expiring + " --ttl 4s" + flags());
  ASSERT_EQ(0, ttl.exitCode) << ttl.out;
  for (const std::string& ns : {kept, purged, expiring}) {
    ASSERT_TRUE(eventually([&] { return ownContainers(ns).size() == 1 && volumeExists(scopedName(ns, "data")); }))
        << ns << "\n" << readFile(server_->logPath());
  }

  CliRun d1 = runTender("delete namespace " + kept + flags());
  EXPECT_EQ(0, d1.exitCode) << d1.out;
  CliRun d2 = runTender("delete namespace " + purged + " --purge" + flags());
  EXPECT_EQ(0, d2.exitCode) << d2.out;
  CliRun wrong = runTender("delete service db -n " + kept + " --purge" + flags());
  EXPECT_EQ(1, wrong.exitCode) << wrong.out;
  EXPECT_TRUE(contains(wrong.out, "--purge applies to namespaces")) << wrong.out;

  EXPECT_TRUE(eventually([&] {
    return ownContainers(kept).empty() && ownContainers(purged).empty() && ownContainers(expiring).empty() &&
           !volumeExists(scopedName(purged, "data")) && !volumeExists(scopedName(expiring, "data"));
  })) << readFile(server_->logPath());
  EXPECT_TRUE(volumeExists(scopedName(kept, "data"))) << "a delete without purge keeps the data";
  auto gone = server_->client().call("GET", "/api/v1/namespaces/" + expiring, "", "");
  EXPECT_TRUE(!gone.ok() && gone.status().IsNotFound()) << "the expired namespace is gone";
  std::filesystem::remove(file);
}

TEST_F(CleanupE2E, ALowDiskIsSaidAndCleansUpEarly) {
  // A threshold no disk meets: the first look at the engine's data root finds it low.
  server_ = std::make_unique<TenderProcess>(instance_, std::vector<std::string>{"--min-free-disk", "1000Ti"});
  ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  ASSERT_TRUE(waitReady(60s));
  auto info = engine_->info();
  ASSERT_TRUE(info.ok());
  if (!std::filesystem::exists(info->dockerRootDir)) GTEST_SKIP() << "the engine's data root is not visible here";
  json lowDisk;
  ASSERT_TRUE(eventually([&] {
    auto r = server_->client().call("GET", "/api/v1/events?kind=Host", "", "");
    if (!r.ok()) return false;
    for (const auto& e : json::parse(r->body).value("items", json::array())) {
      if (e.value("reason", "") == "LowDisk") lowDisk = e;
    }
    return !lowDisk.is_null();
  }, 15s)) << readFile(server_->logPath());
  EXPECT_EQ("Warning", lowDisk.value("type", ""));
  EXPECT_TRUE(contains(lowDisk.value("message", ""), "the engine's disk at " + info->dockerRootDir + " is low"))
      << lowDisk.dump();
  EXPECT_TRUE(contains(readFile(server_->logPath()), "cleaning up now"));

  auto bad = std::make_unique<TenderProcess>(uniqueName("clean"), std::vector<std::string>{"--min-free-disk", "lots"});
  EXPECT_FALSE(bad->start(5s)) << "a bad threshold stops serve at once";
  EXPECT_TRUE(contains(readFile(bad->logPath()), "--min-free-disk: \"lots\" is neither a percentage"))
      << readFile(bad->logPath());
}

TEST_F(CleanupE2E, AMissingEngineIsReportedAndPickedUpWhenItStartsWithoutARestart) {
  const char* dockerHost = std::getenv("DOCKER_HOST");
  if (dockerHost && *dockerHost && std::string(dockerHost).rfind("unix://", 0) != 0) {
    GTEST_SKIP() << "the engine is not on a unix socket here";
  }
  const std::string real = dockerHost && *dockerHost ? std::string(dockerHost).substr(7) : "/var/run/docker.sock";
  const std::string sock = "/tmp/" + uniqueName("eng") + ".sock";
  server_ = std::make_unique<TenderProcess>(instance_,
                                            std::vector<std::string>{"--engine", "unix://" + sock, "--engine-wait", "2s"});
  ASSERT_TRUE(server_->start()) << "the API answers while the engine is missing; see " << server_->logPath();
  auto notReady = server_->client().call("GET", "/readyz", "", "");
  ASSERT_FALSE(notReady.ok());
  EXPECT_TRUE(contains(notReady.status().message(), "the socket " + sock + " does not exist"))
      << notReady.status().message();
  const std::string ns = uniqueName("late");
  auto applied = server_->client().call("POST", "/api/v1/apply", service(ns, "web"), "application/yaml");
  ASSERT_TRUE(applied.ok()) << "desired state is taken while the engine is away";
  ASSERT_TRUE(eventually([&] { return contains(readFile(server_->logPath()), "has not answered for"); }, 10s));
  const std::string log = readFile(server_->logPath());
  EXPECT_TRUE(contains(log, "Start it (systemctl start docker, or dockerd)")) << log;
  EXPECT_TRUE(contains(log, "waiting for the Docker engine at unix://" + sock)) << log;

  UnixForwarder engineComes;
  ASSERT_TRUE(engineComes.start(sock, real));
  EXPECT_TRUE(waitReady(30s)) << readFile(server_->logPath());
  EXPECT_TRUE(eventually([&] {
    auto cs = ownContainers(ns);
    return cs.size() == 1 && cs[0].state == "running";
  })) << readFile(server_->logPath());
  server_->client().call("DELETE", "/api/v1/namespaces/" + ns, "", "");
  EXPECT_TRUE(eventually([&] { return ownContainers(ns).empty(); }));
  server_->stop();
  engineComes.stop();
}

}  // namespace
}  // namespace tender

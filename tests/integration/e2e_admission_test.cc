// Memory admission against the real engine and the real binary: with the
// host's memory configured small, the service that does not fit is Blocked
// with the numbers and starts once memory is given back; a namespace quota
// blocks the service that would exceed it.
#include <gtest/gtest.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::TenderProcess;
using testing::uniqueName;

class AdmissionE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    ns_ = uniqueName("adm");
    // 250 MiB to admit against, none of it kept back.
    server_ = std::make_unique<TenderProcess>(
        uniqueName("adm"), std::vector<std::string>{"--host-memory", "250Mi", "--system-reserve", "0%"});
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  }
  void TearDown() override {
    for (const std::string& ns : {ns_, ns_ + "-q"}) server_->client().call("DELETE", "/api/v1/namespaces/" + ns, "", "");
    for (int i = 0; i < 100 && !containers("").empty(); ++i) std::this_thread::sleep_for(200ms);
    server_->stop();
    for (const auto& c : containers("")) engine_->removeContainer(c.id, true, true);
    auto nets = engine_->listNetworks(ownedFilters(server_->instance()));
    if (nets.ok()) {
      for (const auto& n : *nets) engine_->removeNetwork(n.id);
    }
  }
  std::vector<ContainerSummary> containers(const std::string& ns, const std::string& service = "") {
    auto r = engine_->listContainers(ownedFilters(server_->instance(), ns, service), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  std::string service(const std::string& ns, const std::string& name) {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns +
           "}\nspec:\n  image: tender-busybox:latest\n"
           "  command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 1; done\"]\n"
           "  stopGracePeriod: 1s\n  resources: {reservations: {memory: 100Mi}, limits: {memory: 128Mi}}\n";
  }
  json get(const std::string& ns, const std::string& name) {
    auto r = server_->client().call("GET", "/api/v1/namespaces/" + ns + "/services/" + name, "", "");
    return r.ok() ? json::parse(r->body) : json();
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
  bool runs(const std::string& ns, const std::string& name) {
    auto cs = containers(ns, name);
    return cs.size() == 1 && cs[0].state == "running";
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string ns_;
};

TEST_F(AdmissionE2E, TheThirdServiceIsBlockedWithTheNumbersAndStartsWhenTheFirstIsDeleted) {
  for (const char* name : {"db", "api"}) {
    ASSERT_TRUE(server_->client().call("POST", "/api/v1/apply", service(ns_, name), "application/yaml").ok());
    ASSERT_TRUE(eventually([&] { return runs(ns_, name); })) << name;
  }
  ASSERT_TRUE(server_->client().call("POST", "/api/v1/apply", service(ns_, "web"), "application/yaml").ok());
  ASSERT_TRUE(eventually([&] { return get(ns_, "web")["status"].value("phase", "") == "Blocked"; }))
      << get(ns_, "web").dump();
  json cond = get(ns_, "web")["status"]["conditions"][0];
  EXPECT_EQ("InsufficientMemory", cond.value("reason", ""));
  EXPECT_EQ("replica 0 of web needs 100.0MiB (its memory reservation): 200.0MiB of the host's 250.0MiB "
            "allocatable is reserved (50.0MiB free; 250.0MiB minus a 0% system reserve)",
            cond.value("message", ""));
  EXPECT_TRUE(containers(ns_, "web").empty()) << "nothing of web was created";

  ASSERT_TRUE(server_->client().call("DELETE", "/api/v1/namespaces/" + ns_ + "/services/db", "", "").ok());
  EXPECT_TRUE(eventually([&] { return runs(ns_, "web"); }, 20s)) << get(ns_, "web").dump();
  EXPECT_EQ("Running", get(ns_, "web")["status"].value("phase", ""));
}

TEST_F(AdmissionE2E, ANamespaceQuotaBlocksTheServiceThatWouldExceedIt) {
  const std::string ns = ns_ + "-q";
  std::string body = "apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: " + ns +
                     "}\nspec: {quota: {memory: 150Mi}}\n---\n" + service(ns, "db");
  ASSERT_TRUE(server_->client().call("POST", "/api/v1/apply", body, "application/yaml").ok());
  ASSERT_TRUE(eventually([&] { return runs(ns, "db"); }));
  ASSERT_TRUE(server_->client().call("POST", "/api/v1/apply", service(ns, "api"), "application/yaml").ok());
  ASSERT_TRUE(eventually([&] { return get(ns, "api")["status"].value("phase", "") == "Blocked"; }))
      << get(ns, "api").dump();
  json cond = get(ns, "api")["status"]["conditions"][0];
  EXPECT_EQ("QuotaExceeded", cond.value("reason", ""));
  EXPECT_EQ("replica 0 of api needs 100.0MiB (its memory reservation): namespace " + ns +
                "'s memory quota is 150.0MiB, of which 100.0MiB is reserved (50.0MiB left)",
            cond.value("message", ""));
  EXPECT_TRUE(containers(ns, "api").empty());
}

}  // namespace
}  // namespace tender

// The tender command against a running server and the real engine: what a
// user types and what they read back, exit codes included.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/cli_run.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using testing::TenderProcess;
using testing::uniqueName;

using testing::CliRun;
CliRun run(const std::string& args) { return testing::runTender(args); }

class CliE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    ns_ = uniqueName("cli");
    server_ = std::make_unique<TenderProcess>(uniqueName("cli"));
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
    file_ = server_->stateDir() + "-manifest.yaml";
  }
  void TearDown() override {
    run("delete -f " + file_ + " --server " + server_->url());
    for (int i = 0; i < 150 && !containers().empty(); ++i) std::this_thread::sleep_for(200ms);
    server_->stop();
    for (const auto& c : containers()) engine_->removeContainer(c.id, true, true);
    auto nets = engine_->listNetworks(ownedFilters(server_->instance()));
    if (nets.ok()) {
      for (const auto& n : *nets) engine_->removeNetwork(n.id);
    }
    std::remove(file_.c_str());
  }
  void write(const std::string& text) { std::ofstream(file_) << text; }
  std::vector<ContainerSummary> containers() {
    auto r = engine_->listContainers(ownedFilters(server_->instance()), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  std::string flags() { return " --server " + server_->url(); }
  std::string service(const std::string& name, const std::string& extra = "") {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns_ +
           "}\nspec:\n  image: tender-busybox:latest\n"
           "  command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 1; done\"]\n"
           "  stopGracePeriod: 1s\n" + extra;
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string ns_, file_;
};

TEST_F(CliE2E, ApplyGetAndDelete) {
  write(service("api") + "---\n" + service("web"));
  CliRun applied = run("apply -f " + file_ + flags());
  EXPECT_EQ(applied.exitCode, 0) << applied.out;
  EXPECT_NE(applied.out.find("service/api created"), std::string::npos) << applied.out;
  EXPECT_NE(applied.out.find("service/web created"), std::string::npos) << applied.out;

  CliRun again = run("apply -f " + file_ + flags());
  EXPECT_NE(again.out.find("service/api unchanged"), std::string::npos) << again.out;

  bool running = false;
  for (int i = 0; i < 150 && !running; ++i) {
    CliRun got = run("get services -n " + ns_ + " -o json" + flags());
    auto j = nlohmann::json::parse(got.out, nullptr, false);
    running = j.contains("items") && j["items"].size() == 2;
    for (const auto& item : j.value("items", nlohmann::json::array())) {
      running = running && item["status"].value("phase", "") == "Running";
    }
    if (!running) std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(running);
  CliRun table = run("get services -n " + ns_ + flags());
  EXPECT_EQ(table.exitCode, 0);
  EXPECT_NE(table.out.find("NAME"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("Running"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("1/1"), std::string::npos) << table.out;

  CliRun deleted = run("delete -f " + file_ + flags());
  EXPECT_EQ(deleted.exitCode, 0) << deleted.out;
  EXPECT_NE(deleted.out.find("service/api deleted"), std::string::npos) << deleted.out;
  for (int i = 0; i < 150 && !containers().empty(); ++i) std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(containers().empty());
}

TEST_F(CliE2E, InvalidManifestIsRefusedWithTheFieldPathAndNothingIsStored) {
  write(service("bad", "  resources:\n    limits: {memory: 12XB}\n  replicas: -1\n  imagee: x\n"));
  CliRun r = run("apply -f " + file_ + flags());
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_NE(r.out.find("spec.resources.limits.memory"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"12XB\" is not a memory quantity"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("spec.replicas"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("spec.imagee"), std::string::npos) << r.out;
  CliRun got = run("get services -n " + ns_ + " -o json" + flags());
  auto j = nlohmann::json::parse(got.out, nullptr, false);
  EXPECT_TRUE(!j.contains("items") || j["items"].empty()) << got.out;
}

TEST_F(CliE2E, MalformedYamlNamesLineAndColumn) {
  write("apiVersion: tender/v1\nkind: Service\nmetadata: {name: x\nspec: [\n");
  CliRun r = run("apply -f " + file_ + flags());
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_NE(r.out.find("line"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("column"), std::string::npos) << r.out;
}

TEST_F(CliE2E, UnreachableServerIsAClearErrorAndExit1) {
  CliRun r = run("get services --server http://127.0.0.1:1");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.out.find("tender serve"), std::string::npos) << r.out;
}

TEST_F(CliE2E, UsageErrorExits2) {
  CliRun r = run("get");
  EXPECT_EQ(r.exitCode, 2) << r.out;
}

TEST_F(CliE2E, ApiErrorsHaveOneShape) {
  auto c = server_->client();
  auto r = c.call("POST", "/api/v1/apply", "apiVersion: tender/v1\nkind: Gadget\nmetadata: {name: x}\n",
                  "application/yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalid()) << r.status().ToString();
  ASSERT_FALSE(r.status().details().empty());
  EXPECT_EQ(r.status().details().front().field, "kind");

  auto missing = c.call("GET", "/api/v1/namespaces/" + ns_ + "/services/nope", "", "");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());

  auto route = c.call("GET", "/api/v1/gadgets", "", "");
  ASSERT_FALSE(route.ok());
  EXPECT_TRUE(route.status().IsNotFound());
}

TEST_F(CliE2E, BuildsAServiceImageFromAContextBesideTheManifest) {
  namespace fs = std::filesystem;
  fs::path dir = server_->stateDir() + "-build";
  fs::create_directories(dir / "ctx");
  std::ofstream(dir / "ctx" / "Dockerfile")
      << "FROM tender-busybox:latest\nCOPY greeting /greeting\nCOPY . /ctx\n"
         "RUN [\"/bin/sh\", \"-c\", \"test -s /greeting && test ! -e /ctx/.env && test ! -e /ctx/cache\"]\n";
  std::ofstream(dir / "ctx" / "greeting") << "hello\n";
  // What the context's .dockerignore names never reaches the build.
  std::ofstream(dir / "ctx" / ".env") << "SECRET=1\n";
  fs::create_directories(dir / "ctx" / "cache");
  std::ofstream(dir / "ctx" / "cache" / "big") << "x\n";
  std::ofstream(dir / "ctx" / ".dockerignore") << ".env\ncache\n";
  std::string manifest = "apiVersion: tender/v1\nkind: Service\nmetadata: {name: built, namespace: " + ns_ +
                         "}\nspec:\n  build: {context: ./ctx}\n"
                         "  command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; cat /greeting; while true; do sleep 1; done\"]\n"
                         "  stopGracePeriod: 1s\n";
  std::ofstream(dir / "stack.yaml") << manifest;
  file_ = (dir / "stack.yaml").string();
  const std::string tag = "tender-" + ns_ + "-built:latest";

  CliRun applied = run("apply -f " + file_ + flags());
  ASSERT_EQ(applied.exitCode, 0) << applied.out;
  bool running = false;
  for (int i = 0; i < 300 && !running; ++i) {
    for (const auto& c : containers()) running |= c.state == "running" && c.image == tag;
    if (!running) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(running) << "see " << server_->logPath();
  auto image = engine_->inspectImage(tag);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->labels.count("tender.build-hash"), 1u);

  // The context is uploaded, so an edited file is a new context: applying
  // again rebuilds the image and replaces the container.
  std::ofstream(dir / "ctx" / "greeting") << "hello again\n";
  CliRun again = run("apply -f " + file_ + flags());
  ASSERT_EQ(again.exitCode, 0) << again.out;
  std::string rebuiltId;
  for (int i = 0; i < 300; ++i) {
    auto now = engine_->inspectImage(tag);
    bool runsIt = false;
    if (now.ok() && now->id != image->id) {
      for (const auto& c : containers()) runsIt |= c.state == "running" && c.imageId == now->id;
    }
    if (runsIt) {
      rebuiltId = now->id;
      break;
    }
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_FALSE(rebuiltId.empty()) << "the edited context was not rebuilt; see " << server_->logPath();

  run("delete -f " + file_ + flags());
  for (int i = 0; i < 150 && !containers().empty(); ++i) std::this_thread::sleep_for(200ms);
  engine_->removeImage(tag, true);
  fs::remove_all(dir);
}

TEST_F(CliE2E, ASecondServerCannotTakeAStateDirectoryInUse) {
  CliRun r = run("serve --state-dir " + server_->stateDir() + " --listen 127.0.0.1:" +
                 std::to_string(testing::freeLoopbackPort()) + " --instance " + server_->instance());
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_NE(r.out.find("in use by another tender server"), std::string::npos) << r.out;
  // The first server is unharmed.
  auto health = server_->client().call("GET", "/healthz", "", "");
  EXPECT_TRUE(health.ok());
}

TEST_F(CliE2E, PutIsConditionalOnTheResourceVersion) {
  auto c = server_->client();
  const std::string path = "/api/v1/namespaces/" + ns_ + "/services/put";
  auto created = c.call("PUT", path, service("put"), "application/yaml");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->status, 201);
  auto obj = nlohmann::json::parse(created->body);
  std::string rv = obj["metadata"]["resourceVersion"];

  std::string updated = service("put", "  env: {A: \"1\"}\n");
  updated.insert(updated.find("}\nspec"), ", resourceVersion: \"" + rv + "\"");
  auto ok = c.call("PUT", path, updated, "application/yaml");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(nlohmann::json::parse(ok->body)["metadata"]["generation"], 2);

  // The same stale version again: 409, and nothing written.
  std::string stale = service("put", "  env: {A: \"2\"}\n");
  stale.insert(stale.find("}\nspec"), ", resourceVersion: \"" + rv + "\"");
  auto conflict = c.call("PUT", path, stale, "application/yaml");
  ASSERT_FALSE(conflict.ok());
  EXPECT_TRUE(conflict.status().IsConflict()) << conflict.status().ToString();
  auto got = c.call("GET", path, "", "");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(nlohmann::json::parse(got->body)["spec"]["env"]["A"], "1");

  auto mismatch = c.call("PUT", "/api/v1/namespaces/" + ns_ + "/services/other", service("put"), "application/yaml");
  ASSERT_FALSE(mismatch.ok());
  ASSERT_FALSE(mismatch.status().details().empty());
  EXPECT_EQ(mismatch.status().details().front().field, "metadata.name");
}

TEST_F(CliE2E, EventsTellWhatTenderDid) {
  write(service("evented"));
  ASSERT_EQ(run("apply -f " + file_ + flags()).exitCode, 0);
  auto c = server_->client();
  bool created = false;
  int64_t last = 0;
  std::string body;
  for (int i = 0; i < 100 && !created; ++i) {
    auto r = c.call("GET", "/api/v1/events?namespace=" + ns_, "", "");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    body = r->body;
    const nlohmann::json events = nlohmann::json::parse(r->body);
    for (const auto& e : events["items"]) {
      created |= e["reason"] == "Created" && e["involvedObject"]["name"] == "evented";
      last = std::max<int64_t>(last, e["id"].get<int64_t>());
    }
    if (!created) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(created) << body;
  auto none = c.call("GET", "/api/v1/events?namespace=" + ns_ + "&since=" + std::to_string(last + 1000), "", "");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(nlohmann::json::parse(none->body)["items"].empty());
  auto bad = c.call("GET", "/api/v1/events?since=abc", "", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalid());
  EXPECT_EQ(bad.status().details().front().field, "since");
}

TEST_F(CliE2E, MetricsCountServicesByPhase) {
  write(service("metered"));
  ASSERT_EQ(run("apply -f " + file_ + flags()).exitCode, 0);
  auto c = server_->client();
  std::string text;
  for (int i = 0; i < 100; ++i) {
    auto r = c.call("GET", "/metrics", "", "");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    text = r->body;
    if (text.find("tender_services{phase=\"Running\"} 1") != std::string::npos) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_NE(text.find("tender_services{phase=\"Running\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("tender_engine_up 1"), std::string::npos) << text;
  EXPECT_NE(text.find("tender_reconcile_duration_seconds_count"), std::string::npos) << text;
}

TEST_F(CliE2E, DryRunChangesNothing) {
  auto c = server_->client();
  auto r = c.call("POST", "/api/v1/apply?dryRun=true", service("dry"), "application/yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["dryRun"], true);
  bool created = false;
  for (const auto& item : j["items"]) created |= item["kind"] == "Service" && item["outcome"] == "created";
  EXPECT_TRUE(created) << r->body;
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(containers().empty());
  auto got = c.call("GET", "/api/v1/namespaces/" + ns_ + "/services/dry", "", "");
  EXPECT_TRUE(!got.ok() && got.status().IsNotFound());
}

}  // namespace
}  // namespace tender

// POST /api/v1/apply through the router, on a real SQLite file: all or none,
// and every field error in one answer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "api/apply_api.h"
#include "api/resource_api.h"
#include "api/router.h"
#include "store/store.h"
#include "tests/support/simulated_clock.h"

namespace tender {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "tender-apply-test-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    auto s = Store::open(dir_ + "/tender.db", clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    ResourceApiOptions o;
    o.enqueue = [this](const Key& k) { enqueued_.push_back(k.str()); };
    registerResourceApi(router_, *store_, clock_, o);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  HttpResponse apply(const std::string& body, std::map<std::string, std::string> query = {}) {
    HttpRequest req;
    req.method = "POST";
    req.path = req.target = "/api/v1/apply";
    req.query = std::move(query);
    req.body = body;
    return router_.route(req);
  }
  bool stored(const std::string& kind, const std::string& ns, const std::string& name) {
    auto r = store_->get(kind, ns, name);
    return r.ok() && !r->deletedAt;
  }
  static std::string service(const std::string& name, const std::string& extra = "") {
    return "apiVersion: tender/v1\nkind: Service\nmetadata:\n  name: " + name +
           "\n  namespace: shop\n" + extra + "spec:\n  image: tender-busybox:latest\n---\n";
  }

  std::string dir_;
  SimulatedClock clock_;
  std::unique_ptr<Store> store_;
  Router router_;
  std::vector<std::string> enqueued_;
};

TEST_F(ApplyTest, AConflictInTheLastObjectLeavesTheOthersUnwritten) {
  ASSERT_EQ(apply(service("api")).status, 200);
  const auto api = store_->get("Service", "shop", "api");
  ASSERT_TRUE(api.ok());
  enqueued_.clear();
  const std::string stale =
      "  resourceVersion: \"" + std::to_string(api->resourceVersion + 5) + "\"\n";
  std::string body;
  for (const char* name : {"a", "b", "c", "d", "e", "f"}) body += service(name);
  body += service("api", stale);

  HttpResponse r = apply(body);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("Service \\\"api\\\""), std::string::npos) << r.body;
  for (const char* name : {"a", "b", "c", "d", "e", "f"})
    EXPECT_FALSE(stored("Service", "shop", name)) << name;
  EXPECT_TRUE(enqueued_.empty()) << "nothing to reconcile";
  EXPECT_EQ(store_->get("Service", "shop", "api")->resourceVersion, api->resourceVersion);
}

TEST_F(ApplyTest, AnImplicitNamespaceIsCreatedWithTheApplyAndNotBeforeIt) {
  std::string body = service("web") + service("api", "  resourceVersion: \"999\"\n");
  EXPECT_EQ(apply(body).status, 409);
  EXPECT_FALSE(stored("Namespace", "", "shop")) << "the failed apply created no namespace";
  HttpResponse ok = apply(service("web"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  json answer = json::parse(ok.body);
  ASSERT_EQ(answer["items"].size(), 2u);
  EXPECT_EQ(answer["items"][0],
            json({{"kind", "Namespace"}, {"name", "shop"}, {"outcome", "created"}}));
  EXPECT_EQ(answer["items"][1]["outcome"], "created");
  EXPECT_TRUE(stored("Namespace", "", "shop"));
  EXPECT_TRUE(stored("Service", "shop", "web"));
}

TEST_F(ApplyTest, EveryFieldErrorIsAnsweredAtOnceAndNothingIsWritten) {
  std::string body = service("web", "");
  body +=
      "apiVersion: tender/v1\nkind: Service\nmetadata:\n  name: api\n  namespace: shop\n"
      "spec:\n  image: tender-busybox:latest\n  networks: [back]\n  dependsOn: [nowhere]\n";
  HttpResponse r = apply(body);
  ASSERT_EQ(r.status, 400) << r.body;
  json details = json::parse(r.body)["error"]["details"];
  std::vector<std::string> fields;
  for (const auto& d : details) fields.push_back(d["field"]);
  EXPECT_NE(std::find(fields.begin(), fields.end(), "[1].spec.networks[0]"), fields.end())
      << r.body;
  EXPECT_GE(fields.size(), 2u) << "the dependency error too: " << r.body;
  EXPECT_FALSE(stored("Service", "shop", "web"));
}

TEST_F(ApplyTest, PruneDeletesWhatTheBodyLeavesOutInTheSameCommit) {
  ASSERT_EQ(apply(service("web") + service("old")).status, 200);
  HttpResponse dry = apply(service("web"), {{"prune", "true"}, {"dryRun", "true"}});
  ASSERT_EQ(dry.status, 200) << dry.body;
  json items = json::parse(dry.body)["items"];
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]["outcome"], "unchanged");
  EXPECT_EQ(
      items[1],
      json({{"kind", "Service"}, {"namespace", "shop"}, {"name", "old"}, {"outcome", "deleted"}}));
  EXPECT_TRUE(stored("Service", "shop", "old")) << "a dry run changes nothing";

  ASSERT_EQ(apply(service("web"), {{"prune", "true"}}).status, 200);
  EXPECT_FALSE(stored("Service", "shop", "old"));
  EXPECT_TRUE(stored("Service", "shop", "web"));
}

TEST_F(ApplyTest, ThePlanOrdersNamespacesNetworksVolumesThenServices) {
  HttpRequest req;
  req.body = service("web") +
             "apiVersion: tender/v1\nkind: Volume\nmetadata:\n  name: data\n  namespace: "
             "shop\nspec: {}\n---\n"
             "apiVersion: tender/v1\nkind: Namespace\nmetadata:\n  name: shop\n";
  auto plan = planApply(req, *store_, hostPathResolver());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  std::vector<std::string> kinds;
  for (const auto& w : plan->writes) kinds.push_back(w.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"Namespace", "Volume", "Service"}));
  EXPECT_EQ(plan->firstResourceWrite, 0u) << "the namespace is declared, not implicit";
  EXPECT_FALSE(stored("Namespace", "", "shop")) << "planning writes nothing";
}

TEST_F(ApplyTest, ANamespaceTheTokenDoesNotGrantIsRefusedBeforeAnythingElse) {
  HttpRequest req;
  req.body = service("web");
  req.principal = Principal{"alice", false, {"alice-dev"}};
  auto plan = planApply(req, *store_, hostPathResolver());
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Status::Code::kForbidden);
  EXPECT_NE(plan.status().message().find("namespace \"shop\""), std::string::npos);
}

}  // namespace
}  // namespace tender

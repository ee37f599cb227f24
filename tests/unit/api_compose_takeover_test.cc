// What an apply does with a docker compose project's leftovers, through the
// apply route on a real SQLite file, the project's footprint given as the
// engine would list it: adoptions recorded with the write (an admin's act),
// running containers a conflict unless replaced, nothing removed on a dry run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "api/resource_api.h"
#include "api/router.h"
#include "store/store.h"
#include "tests/support/simulated_clock.h"

namespace tender {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char kCompose[] = R"(services:
  db:
    image: tender-busybox:latest
    volumes: [db_data:/data]
volumes:
  db_data: {}
)";

class ComposeTakeoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "tender-takeover-test-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    auto s = Store::open(dir_ + "/tender.db", clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    footprint_.project = "my_shop";
    footprint_.volumes = {{"my_shop_db_data", "db_data"}, {"my_shop_unused", "unused"}};
    footprint_.networks = {{"my_shop_default", "default"}};
    ResourceApiOptions o;
    o.composeProject = [this](const std::string& project) -> Result<ComposeFootprint> {
      asked_.push_back(project);
      if (project != footprint_.project) return ComposeFootprint{project, {}, {}, {}};
      return footprint_;
    };
    o.removeComposeContainers = [this](const ComposeFootprint& f) {
      removed_.push_back(f.project);
      return Status::Ok();
    };
    registerResourceApi(router_, *store_, clock_, o);
    // The token is the principal's name; "root" is the admin.
    router_.setAuthenticator([](const HttpRequest& req) -> Result<Principal> {
      const std::string who = req.header("authorization");
      if (who == "root") return Principal{"root", true, {}};
      return Principal{who, false, {"my_shop"}};
    });
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  HttpResponse apply(const std::string& who, std::map<std::string, std::string> query = {}) {
    HttpRequest req;
    req.method = "POST";
    req.path = req.target = "/api/v1/apply";
    query.emplace("project", "my_shop");
    req.query = std::move(query);
    req.body = kCompose;
    req.headers["authorization"] = who;
    return router_.route(req);
  }
  static std::string tenant() { return "alice"; }
  static std::string admin() { return "root"; }
  json answer(const HttpResponse& r) { return json::parse(r.body); }
  bool adopted(const std::string& kind, const std::string& name) {
    auto a = store_->adoption(kind, "my_shop", name);
    return a.ok() && a->has_value();
  }

  std::string dir_;
  SimulatedClock clock_;
  std::unique_ptr<Store> store_;
  Router router_;
  ComposeFootprint footprint_;
  std::vector<std::string> asked_, removed_;
};

TEST_F(ComposeTakeoverTest, AnAdminsApplyAdoptsTheProjectsVolumeAndDefaultNetworkWithTheWrite) {
  HttpResponse r = apply(admin());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(asked_, std::vector<std::string>{"my_shop"});
  auto a = store_->adoption("Volume", "my_shop", "db_data");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->engineName, "my_shop_db_data");
  EXPECT_EQ((*a)->by, "root");
  EXPECT_TRUE(adopted("Network", "default"));
  EXPECT_FALSE(adopted("Volume", "unused")) << "a volume the file does not name is left alone";
  json warnings = answer(r)["warnings"];
  EXPECT_NE(warnings.dump().find("took over docker compose's volume my_shop_db_data with its data"),
            std::string::npos)
      << warnings;
  // The answer's items are the resources, not the adoption of the default network.
  for (const json& item : answer(r)["items"]) EXPECT_NE(item["kind"], "Adoption");
  EXPECT_EQ(answer(r)["items"].size(), 3u) << r.body;  // namespace, volume, service

  // Applied again: nothing new to take over, nothing said.
  HttpResponse again = apply(admin());
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_FALSE(answer(again).contains("warnings")) << again.body;
}

TEST_F(ComposeTakeoverTest, ATenantMayNotTakeOverAProjectsVolume) {
  HttpResponse r = apply(tenant());
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("token \\\"alice\\\" may not take over docker compose's volume my_shop_db_data"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("metadata.name"), std::string::npos) << r.body;
  EXPECT_FALSE(adopted("Volume", "db_data"));
  EXPECT_TRUE(store_->get("Service", "my_shop", "db").status().IsNotFound()) << "nothing is written";

  // With no Compose leftovers a tenant's apply of the same file goes through.
  footprint_ = ComposeFootprint{"my_shop", {}, {}, {}};
  EXPECT_EQ(apply(tenant()).status, 200);
}

TEST_F(ComposeTakeoverTest, RunningComposeContainersRefuseTheApplyUntilReplaceIsAsked) {
  footprint_.containers = {{"c1", "my_shop_db_1", "db", true}, {"c2", "my_shop_old_1", "old", false}};
  HttpResponse refused = apply(admin());
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("my_shop_db_1"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("--replace-compose"), std::string::npos) << refused.body;
  EXPECT_TRUE(removed_.empty());
  EXPECT_FALSE(adopted("Volume", "db_data"));

  HttpResponse tenantAsks = apply(tenant(), {{"replaceCompose", "true"}});
  EXPECT_EQ(tenantAsks.status, 403) << tenantAsks.body;
  EXPECT_TRUE(removed_.empty());

  HttpResponse dryRun = apply(admin(), {{"replaceCompose", "true"}, {"dryRun", "true"}});
  EXPECT_EQ(dryRun.status, 200) << dryRun.body;
  EXPECT_TRUE(removed_.empty()) << "a dry run removed containers";
  EXPECT_FALSE(adopted("Volume", "db_data")) << "a dry run recorded an adoption";

  HttpResponse replaced = apply(admin(), {{"replaceCompose", "true"}});
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(removed_, std::vector<std::string>{"my_shop"});
  EXPECT_NE(replaced.body.find("my_shop_db_1, my_shop_old_1"), std::string::npos) << replaced.body;
  EXPECT_TRUE(adopted("Volume", "db_data"));
}

TEST_F(ComposeTakeoverTest, OnlyStoppedContainersAreReportedNotRefused) {
  footprint_.containers = {{"c2", "my_shop_db_1", "db", false}};
  HttpResponse r = apply(admin());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("stopped containers of project my_shop are left alone (my_shop_db_1)"),
            std::string::npos)
      << r.body;
  EXPECT_TRUE(removed_.empty());
}

}  // namespace
}  // namespace tender

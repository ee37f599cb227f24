// Who may write what, through the router with a real token table and a
// real SQLite file: a tenant's namespaces at baseline, a namespace's limits
// the admin's alone, the same rules for apply, Compose and PUT, and nothing
// written when a request is refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "api/auth.h"
#include "api/resource_api.h"
#include "api/router.h"
#include "manifests/manifest.h"
#include "store/store.h"
#include "tests/support/simulated_clock.h"

namespace tender {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kAdmin = "0123456789abcdef0123456789abcdef";
constexpr const char* kAlice = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

class AdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "tender-admission-test-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    auto s = Store::open(dir_ + "/tender.db", clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    auto tokens = TokenTable::parse(std::string(kAdmin) + " root *\n" + kAlice +
                                    " alice alice-dev,alice-ci\n");
    ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
    tokens_ = std::move(*tokens);
    router_.setAuthenticator([this](const HttpRequest& req) { return tokens_.authenticate(req); });
    registerResourceApi(router_, *store_, clock_, ResourceApiOptions{});
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  HttpResponse call(const char* token, const std::string& method, const std::string& path,
                    const std::string& body, std::map<std::string, std::string> query = {}) {
    HttpRequest req;
    req.method = method;
    req.path = req.target = path;
    req.query = std::move(query);
    req.headers["authorization"] = std::string("Bearer ") + token;
    req.body = body;
    return router_.route(req);
  }
  HttpResponse apply(const char* token, const std::string& body,
                     std::map<std::string, std::string> query = {}) {
    return call(token, "POST", "/api/v1/apply", body, std::move(query));
  }
  static std::string service(const std::string& ns, const std::string& name,
                             const std::string& spec = "") {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns +
           "}\nspec:\n  image: tender-busybox:latest\n" + spec + "---\n";
  }
  static std::string namespaceObject(const std::string& name, const std::string& rest) {
    return "apiVersion: tender/v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n" + rest +
           "---\n";
  }
  bool stored(const std::string& kind, const std::string& ns, const std::string& name) {
    auto r = store_->get(kind, ns, name);
    return r.ok() && !r->deletedAt;
  }
  NamespaceSpec namespaceSpec(const std::string& ns) {
    auto r = store_->get("Namespace", "", ns);
    EXPECT_TRUE(r.ok()) << ns;
    if (!r.ok()) return {};
    auto d = decodeStored("Namespace", "", ns, r->labels, r->spec);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? d->namespaceSpec() : NamespaceSpec{};
  }
  static json details(const HttpResponse& r) { return json::parse(r.body)["error"]["details"]; }
  static bool names(const HttpResponse& r, const std::string& field) {
    for (const auto& d : details(r)) {
      if (d["field"] == field) return true;
    }
    return false;
  }

  std::string dir_;
  SimulatedClock clock_;
  std::unique_ptr<Store> store_;
  TokenTable tokens_;
  Router router_;
};

TEST_F(AdmissionTest, ATenantsPrivilegedServiceIsRefusedNamingTheFieldAndNothingIsWritten) {
  HttpResponse r = apply(kAlice, service("alice-dev", "ok") +
                                     service("alice-dev", "root", "  privileged: true\n"));
  EXPECT_EQ(403, r.status) << r.body;
  EXPECT_TRUE(names(r, "[1].spec.privileged")) << r.body;
  EXPECT_NE(std::string::npos, r.body.find("namespace \\\"alice-dev\\\" is at level baseline"))
      << r.body;
  EXPECT_FALSE(stored("Service", "alice-dev", "ok")) << "all or none";
  EXPECT_FALSE(stored("Namespace", "", "alice-dev")) << "not even the implicit namespace";
}

TEST_F(AdmissionTest, ATenantsFirstWriteSetsItsNamespaceToBaselineForEveryone) {
  ASSERT_EQ(200, apply(kAlice, service("alice-dev", "web")).status);
  EXPECT_EQ(SecurityLevel::kBaseline, namespaceSpec("alice-dev").security.level);
  // The admin writes there under the same level now.
  HttpResponse r = apply(kAdmin, service("alice-dev", "debug", "  pid: host\n"));
  EXPECT_EQ(403, r.status) << r.body;
  EXPECT_TRUE(names(r, "spec.pid")) << r.body;
}

TEST_F(AdmissionTest, AnAdminsNamespaceWithoutALevelIsPrivilegedToTheAdminOnly) {
  ASSERT_EQ(200, apply(kAdmin, service("alice-ci", "docker",
                                       "  volumes: ['/var/run/docker.sock:/var/run/docker.sock']\n"))
                     .status);
  EXPECT_FALSE(namespaceSpec("alice-ci").security.level) << "the admin's write sets no level";
  HttpResponse r = apply(kAlice, service("alice-ci", "docker2",
                                         "  volumes: ['/var/run/docker.sock:/var/run/docker.sock']\n"));
  EXPECT_EQ(403, r.status) << r.body;
  EXPECT_TRUE(names(r, "spec.volumes[0].source")) << r.body;
  // Refused, so the namespace was not set to baseline either.
  EXPECT_FALSE(namespaceSpec("alice-ci").security.level);
  // An ordinary write of the tenant's sets it, keeping what else it had.
  ASSERT_EQ(200, call(kAdmin, "PUT", "/api/v1/namespaces/alice-ci",
                      namespaceObject("alice-ci", "  labels: {team: a}\nspec:\n  quota: {memory: 1Gi}\n"))
                     .status);
  ASSERT_EQ(200, apply(kAlice, service("alice-ci", "web")).status);
  NamespaceSpec spec = namespaceSpec("alice-ci");
  EXPECT_EQ(SecurityLevel::kBaseline, spec.security.level);
  EXPECT_EQ(int64_t{1} << 30, spec.quotaMemory.value_or(0));
  EXPECT_EQ("a", store_->get("Namespace", "", "alice-ci")->labels["team"]);
}

TEST_F(AdmissionTest, ATenantMayChangeItsNamespacesLabelsButNotItsLimits) {
  ASSERT_EQ(200, apply(kAdmin, namespaceObject("alice-dev", "spec:\n  quota: {memory: 1Gi}\n")).status);
  HttpResponse raise =
      apply(kAlice, namespaceObject("alice-dev", "spec:\n  quota: {memory: 100Gi}\n"));
  EXPECT_EQ(403, raise.status) << raise.body;
  EXPECT_TRUE(names(raise, "spec.quota.memory")) << raise.body;
  HttpResponse level = apply(
      kAlice, namespaceObject("alice-dev", "spec:\n  security: {level: privileged}\n"));
  EXPECT_EQ(403, level.status) << level.body;
  EXPECT_TRUE(names(level, "spec.security.level")) << level.body;
  HttpResponse ttl = apply(kAlice, service("alice-dev", "web"), {{"ttl", "1h"}});
  EXPECT_EQ(403, ttl.status) << ttl.body;
  EXPECT_TRUE(names(ttl, "ttl")) << ttl.body;
  EXPECT_EQ(int64_t{1} << 30, namespaceSpec("alice-dev").quotaMemory.value_or(0));

  // Labels only, and the same quota said again: accepted, the quota kept.
  ASSERT_EQ(200, apply(kAlice, namespaceObject("alice-dev", "  labels: {owner: alice}\n")).status);
  ASSERT_EQ(200, apply(kAlice, namespaceObject("alice-dev",
                                               "  labels: {owner: al}\nspec:\n  quota: {memory: 1Gi}\n"))
                     .status);
  EXPECT_EQ(int64_t{1} << 30, namespaceSpec("alice-dev").quotaMemory.value_or(0));
  EXPECT_EQ("al", store_->get("Namespace", "", "alice-dev")->labels["owner"]);
  // The same through PUT.
  HttpResponse put = call(kAlice, "PUT", "/api/v1/namespaces/alice-dev",
                          namespaceObject("alice-dev", "spec:\n  quota: {services: 900}\n"));
  EXPECT_EQ(403, put.status) << put.body;
  EXPECT_TRUE(names(put, "spec.quota.services")) << put.body;
  EXPECT_EQ(200, call(kAlice, "PUT", "/api/v1/namespaces/alice-dev", "").status);
  EXPECT_EQ(int64_t{1} << 30, namespaceSpec("alice-dev").quotaMemory.value_or(0));
}

TEST_F(AdmissionTest, TheAdminSetsALevelAndAllowedHostPathsThatTenantsThenWriteUnder) {
  ASSERT_EQ(200, apply(kAdmin, namespaceObject("alice-dev",
                                               "spec:\n  security:\n    level: restricted\n"
                                               "    allowedHostPaths: [/srv/alice]\n"))
                     .status);
  HttpResponse plain = apply(kAlice, service("alice-dev", "web"));
  EXPECT_EQ(403, plain.status) << plain.body;
  EXPECT_TRUE(names(plain, "spec.user")) << plain.body;
  EXPECT_TRUE(names(plain, "spec.capDrop")) << plain.body;
  EXPECT_EQ(200, apply(kAlice, service("alice-dev", "web",
                                       "  user: '1000'\n  capDrop: [ALL]\n"
                                       "  securityOpt: [no-new-privileges]\n"
                                       "  volumes: ['/srv/alice/site:/site:ro']\n"))
                     .status);
  EXPECT_EQ(SecurityLevel::kRestricted, namespaceSpec("alice-dev").security.level);
}

TEST_F(AdmissionTest, PutOfAServiceMeetsTheSameRules) {
  HttpResponse r = call(kAlice, "PUT", "/api/v1/namespaces/alice-dev/services/web",
                        service("alice-dev", "web", "  capAdd: [SYS_ADMIN]\n"));
  EXPECT_EQ(403, r.status) << r.body;
  EXPECT_TRUE(names(r, "spec.capAdd[0]")) << r.body;
  EXPECT_FALSE(stored("Namespace", "", "alice-dev"));
  HttpResponse ok = call(kAlice, "PUT", "/api/v1/namespaces/alice-dev/services/web",
                         service("alice-dev", "web"));
  EXPECT_EQ(201, ok.status) << ok.body;
  EXPECT_EQ(SecurityLevel::kBaseline, namespaceSpec("alice-dev").security.level);
}

TEST_F(AdmissionTest, AComposeFileMeetsTheSameRules) {
  HttpResponse r = apply(kAlice, R"(
services:
  web:
    image: tender-busybox:latest
    network_mode: host
    volumes: ["/etc:/host-etc:ro"]
)",
                         {{"project", "alice-dev"}});
  EXPECT_EQ(403, r.status) << r.body;
  EXPECT_TRUE(names(r, "spec.networkMode")) << r.body;
  EXPECT_TRUE(names(r, "spec.volumes[0].source")) << r.body;
}

TEST_F(AdmissionTest, ATenantsComposeKeysThatReachTheHostAreRefusedNamingEach) {
  HttpResponse r = apply(kAlice, R"(
services:
  db: {image: tender-busybox:latest, ipc: shareable, shm_size: 64m}
  web:
    image: tender-busybox:latest
    sysctls: {net.core.somaxconn: 1024, net.ipv4.tcp_keepalive_time: 600}
    oom_score_adj: -900
    cpuset: "0"
    ipc: host
    volumes_from: ["db:ro"]
    pids_limit: 100
)",
                         {{"project", "alice-dev"}});
  EXPECT_EQ(403, r.status) << r.body;
  EXPECT_TRUE(names(r, "[1].spec.sysctls.net.core.somaxconn")) << r.body;
  EXPECT_FALSE(names(r, "[1].spec.sysctls.net.ipv4.tcp_keepalive_time")) << r.body;
  EXPECT_TRUE(names(r, "[1].spec.oomScoreAdj")) << r.body;
  EXPECT_TRUE(names(r, "[1].spec.cpuset")) << r.body;
  EXPECT_TRUE(names(r, "[1].spec.ipc")) << r.body;
  EXPECT_EQ(4u, details(r).size()) << r.body;  // volumes_from, pids_limit, the db's ipc: allowed
}

TEST_F(AdmissionTest, ANamespaceNotGrantedIsRefusedBeforeAnyCheckThatReadsIt) {
  ASSERT_EQ(200, apply(kAdmin, service("demo", "web")).status);
  // The network check would read demo's networks: the token's grant comes first.
  HttpResponse r = apply(kAlice, service("demo", "x", "  networks: [secret]\n"));
  EXPECT_EQ(403, r.status) << r.body;
  EXPECT_EQ(std::string::npos, r.body.find("secret")) << r.body;
  EXPECT_TRUE(names(r, "metadata.namespace")) << r.body;
}

TEST_F(AdmissionTest, ADryRunIsAdmittedLikeTheApplyAndWritesNothing) {
  HttpResponse refused = apply(kAlice, service("alice-dev", "web", "  privileged: true\n"),
                               {{"dryRun", "true"}});
  EXPECT_EQ(403, refused.status) << refused.body;
  HttpResponse ok = apply(kAlice, service("alice-dev", "web"), {{"dryRun", "true"}});
  EXPECT_EQ(200, ok.status) << ok.body;
  EXPECT_FALSE(stored("Namespace", "", "alice-dev"));
}

}  // namespace
}  // namespace tender

// Bearer tokens: the token file's format, and what the router lets each
// principal do.
#include <gtest/gtest.h>

#include "api/auth.h"
#include "api/router.h"

namespace tender {
namespace {

const char* kTokens =
    "# TOKEN                            NAME   NAMESPACES\n"
    "alice-0123456789abcdef             alice  alice-dev,alice-ci\n"
    "\n"
    "   admin-0123456789abcdef          admin  *   \n";

HttpRequest request(const std::string& method, const std::string& path, const std::string& token = "") {
  HttpRequest r;
  r.method = method;
  r.path = path;
  r.target = path;
  if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
  return r;
}

std::string headerOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(TokenTable, ReadsTokensNamesAndGrants) {
  auto t = TokenTable::parse(kTokens);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(2u, t->size());
  auto alice = t->authenticate(request("GET", "/", "alice-0123456789abcdef"));
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ("alice", alice->name);
  EXPECT_TRUE(alice->mayUse("alice-dev"));
  EXPECT_TRUE(alice->mayUse("alice-ci"));
  EXPECT_FALSE(alice->mayUse("bob-dev"));
  auto admin = t->authenticate(request("GET", "/", "admin-0123456789abcdef"));
  ASSERT_TRUE(admin.ok());
  EXPECT_TRUE(admin->allNamespaces);
  EXPECT_TRUE(admin->mayUse("anything"));
}

TEST(TokenTable, RefusesMissingMalformedAndUnknownCredentials) {
  auto t = TokenTable::parse(kTokens);
  ASSERT_TRUE(t.ok());
  auto missing = t->authenticate(request("GET", "/"));
  EXPECT_EQ(Status::Code::kUnauthorized, missing.status().code());
  EXPECT_NE(std::string::npos, missing.status().message().find("TENDER_TOKEN"));
  HttpRequest basic = request("GET", "/");
  basic.headers["authorization"] = "Basic YWxpY2U6cHc=";
  EXPECT_EQ(Status::Code::kUnauthorized, t->authenticate(basic).status().code());
  EXPECT_EQ(Status::Code::kUnauthorized, t->authenticate(request("GET", "/", "alice-0123456789abcdeX")).status().code());
  EXPECT_EQ(Status::Code::kUnauthorized, t->authenticate(request("GET", "/", "alice")).status().code());
  // The scheme's case does not matter (RFC 7235).
  HttpRequest lower = request("GET", "/");
  lower.headers["authorization"] = "bearer admin-0123456789abcdef";
  EXPECT_TRUE(t->authenticate(lower).ok());
}

TEST(TokenTable, NamesTheLineOfAMalformedFile) {
  struct Case {
    const char* text;
    const char* expect;
  };
  for (const Case& c : {Case{"# only comments\n", "holds no tokens"},
                        Case{"aaaaaaaaaaaaaaaa alice\n", "line 1: expected TOKEN NAME NAMESPACES"},
                        Case{"short bob *\n", "line 1: token of \"bob\" is shorter than 16"},
                        Case{"\naaaaaaaaaaaaaaaa a *\naaaaaaaaaaaaaaaa b *\n", "line 3: token of \"b\" is used twice"},
                        Case{"aaaaaaaaaaaaaaaa a *\nbbbbbbbbbbbbbbbb a *\n", "line 2: name \"a\" is used twice"},
                        Case{"aaaaaaaaaaaaaaaa a Dev_NS\n", "\"Dev_NS\" is not a namespace name"}}) {
    auto t = TokenTable::parse(c.text, "tokens.txt");
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_TRUE(t.status().IsInvalid());
    EXPECT_NE(std::string::npos, t.status().message().find(c.expect)) << t.status().message();
    EXPECT_NE(std::string::npos, t.status().message().find("tokens.txt")) << t.status().message();
  }
}

TEST(TokenTable, ALineMayGiveItsTokenABudgetOfItsOwn) {
  auto t = TokenTable::parse(
      "aaaaaaaaaaaaaaaa ci * rate=200 burst=400\n"
      "bbbbbbbbbbbbbbbb slow a-dev rate=0.5\n"
      "cccccccccccccccc batch * rate=0\n"
      "dddddddddddddddd plain *\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto b = t->budgets();
  ASSERT_EQ(3u, b.size()) << "plain keeps the server's";
  EXPECT_DOUBLE_EQ(200, *b["ci"].rate);
  EXPECT_EQ(400, *b["ci"].burst);
  EXPECT_DOUBLE_EQ(0.5, *b["slow"].rate);
  EXPECT_FALSE(b["slow"].burst);
  EXPECT_DOUBLE_EQ(0, *b["batch"].rate);
  EXPECT_TRUE(t->authenticate(request("GET", "/", "bbbbbbbbbbbbbbbb"))->mayUse("a-dev"));

  struct Case {
    const char* text;
    const char* expect;
  };
  for (const Case& c : {Case{"aaaaaaaaaaaaaaaa a * rate=fast\n", "line 1: rate=fast is not a rate"},
                        Case{"aaaaaaaaaaaaaaaa a * rate=-1\n", "rate=-1 is not a rate"},
                        Case{"aaaaaaaaaaaaaaaa a * burst=0\n", "burst=0 is not a burst"},
                        Case{"aaaaaaaaaaaaaaaa a * rate=1 rate=2\n", "rate= is given twice"},
                        Case{"aaaaaaaaaaaaaaaa a * b-dev\n", "expected rate=R"}}) {
    auto bad = TokenTable::parse(c.text, "tokens.txt");
    ASSERT_FALSE(bad.ok()) << c.text;
    EXPECT_NE(std::string::npos, bad.status().message().find(c.expect)) << bad.status().message();
  }
}

TEST(TokenTable, LoadNamesAFileThatCannotBeRead) {
  auto t = TokenTable::load("/nonexistent/tokens");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(std::string::npos, t.status().message().find("/nonexistent/tokens"));
}

class RouterAuth : public ::testing::Test {
 protected:
  RouterAuth() {
    auto t = TokenTable::parse(kTokens);
    table_ = std::move(*t);
    router_.addPublic("GET", "/healthz", [](const HttpRequest&) { return HttpResponse::Text(200, "ok"); });
    router_.add("GET", "/api/v1/namespaces/{ns}/services", [](const HttpRequest& r) {
      return HttpResponse::Text(200, "services of " + r.params.at("ns") + " for " + r.principal->name);
    });
    router_.add("GET", "/api/v1/services", [](const HttpRequest& r) {
      return HttpResponse::Text(200, r.mayUse("bob-dev") ? "all" : "filtered");
    });
    router_.setAuthenticator([this](const HttpRequest& r) { return table_.authenticate(r); });
  }
  TokenTable table_ = *TokenTable::parse("placeholder-0123456789 p *\n");
  Router router_;
};

TEST_F(RouterAuth, PublicRoutesNeedNoToken) {
  auto req = request("GET", "/healthz");
  EXPECT_EQ(200, router_.route(req).status);
}

TEST_F(RouterAuth, OtherRoutesAnswer401WithAChallengeWithoutAToken) {
  auto req = request("GET", "/api/v1/namespaces/alice-dev/services");
  HttpResponse r = router_.route(req);
  EXPECT_EQ(401, r.status);
  EXPECT_EQ("Bearer realm=\"tender\"", headerOf(r, "WWW-Authenticate"));
  EXPECT_EQ("Unauthorized", nlohmann::json::parse(r.body)["error"]["reason"]);
  // Unknown routes too: no token, no map of the API.
  auto unknown = request("GET", "/nothing/here");
  EXPECT_EQ(401, router_.route(unknown).status);
}

TEST_F(RouterAuth, ATokenReachesItsOwnNamespacesAndIsForbiddenOthers) {
  auto own = request("GET", "/api/v1/namespaces/alice-dev/services", "alice-0123456789abcdef");
  HttpResponse ok = router_.route(own);
  EXPECT_EQ(200, ok.status);
  EXPECT_EQ("services of alice-dev for alice", ok.body);

  auto other = request("GET", "/api/v1/namespaces/bob-dev/services", "alice-0123456789abcdef");
  HttpResponse no = router_.route(other);
  EXPECT_EQ(403, no.status);
  auto err = nlohmann::json::parse(no.body)["error"];
  EXPECT_EQ("Forbidden", err["reason"]);
  EXPECT_NE(std::string::npos, err["message"].get<std::string>().find("bob-dev"));
  EXPECT_EQ("namespace", err["details"][0]["field"]);

  auto admin = request("GET", "/api/v1/namespaces/bob-dev/services", "admin-0123456789abcdef");
  EXPECT_EQ(200, router_.route(admin).status);
}

TEST_F(RouterAuth, RoutesAcrossNamespacesSeeThePrincipal) {
  auto alice = request("GET", "/api/v1/services", "alice-0123456789abcdef");
  EXPECT_EQ("filtered", router_.route(alice).body);
  auto admin = request("GET", "/api/v1/services", "admin-0123456789abcdef");
  EXPECT_EQ("all", router_.route(admin).body);
}

TEST(RouterWithoutAuth, EverythingIsAllowed) {
  Router router;
  router.add("GET", "/api/v1/namespaces/{ns}/services", [](const HttpRequest& r) {
    return HttpResponse::Text(200, r.principal ? "principal" : "none");
  });
  auto req = request("GET", "/api/v1/namespaces/x/services");
  HttpResponse r = router.route(req);
  EXPECT_EQ(200, r.status);
  EXPECT_EQ("none", r.body);
}

}  // namespace
}  // namespace tender

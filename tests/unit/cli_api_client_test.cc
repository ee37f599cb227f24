// ApiClient and the client-side commands against a real HttpServer on
// loopback, with a Router that plays the part of tender's API.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/loopback_server.h"
#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/container_commands.h"

namespace tender {
namespace {

using nlohmann::json;

// A port nothing listens on: bound by the kernel's choice, then released.
int closedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// An apply of `files` into namespace `ns`, everything else as the flags default.
ApplyOptions applyOf(std::vector<std::string> files, std::string ns) {
  ApplyOptions o;
  o.files = std::move(files);
  o.ns = std::move(ns);
  return o;
}

class ApiClientTest : public ::testing::Test {
 protected:
  ApiClientTest() {
    router_.add("GET", "/version", [](const HttpRequest&) {
      return HttpResponse::Json(200, {{"version", "9.9.9"}});
    });
    router_.add("POST", "/echo", [](const HttpRequest& r) {
      return HttpResponse::Json(200, {{"body", r.body},
                                      {"type", r.header("content-type")},
                                      {"auth", r.header("authorization")}});
    });
    router_.add("GET", "/slow", [](const HttpRequest&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      return HttpResponse::Text(200, "late");
    });
    router_.add("POST", "/api/v1/apply", [this](const HttpRequest& r) {
      std::lock_guard<std::mutex> l(mu_);
      applied_.push_back(r.body);
      appliedNamespace_ = r.queryParam("namespace");
      appliedTarget_ = r.target;
      if (r.body.find("bad") != std::string::npos) {
        return HttpResponse::Error(
            Status::Invalid("manifest is invalid", {{"spec.image", "is required"}}));
      }
      return HttpResponse::Json(200, applyAnswer_);
    });
    router_.add("GET", "/api/v1/namespaces/{ns}/services", [this](const HttpRequest& r) {
      if (r.params.at("ns") == "busy") {
        // As a proxy in front might say it: the wait only in the header.
        HttpResponse res = HttpResponse::Error(Status::TooManyRequests("slow down"));
        res.headers.emplace_back("Retry-After", "3");
        return res;
      }
      json items = json::array();
      if (r.params.at("ns") == "shop") items.push_back(shopApi());
      return HttpResponse::Json(200, {{"kind", "ServiceList"}, {"items", items}});
    });
    router_.add("GET", "/api/v1/namespaces/{ns}/services/{name}", [this](const HttpRequest& r) {
      if (r.params.at("ns") == "bob") {
        return HttpResponse::Error(Status::Forbidden("token \"alice\" may not use namespace \"bob\""));
      }
      if (r.params.at("name") != "api") return HttpResponse::Error(Status::NotFound("Service \"" + r.params.at("name") + "\" not found"));
      return HttpResponse::Json(200, shopApi());
    });
    router_.add("GET", "/api/v1/namespaces/{ns}/services/{name}/logs", [](const HttpRequest& r) {
      if (r.params.at("name") != "api") return HttpResponse::Error(Status::NotFound("no such service"));
      return HttpResponse::Text(200, "api.0 | tail=" + r.queryParam("tail") + "\napi.1 | two\n");
    });
    router_.add("POST", "/api/v1/namespaces/{ns}/services/{name}/restart", [this](const HttpRequest& r) {
      if (r.params.at("name") != "api") return HttpResponse::Error(Status::NotFound("no such service"));
      std::lock_guard<std::mutex> l(mu_);
      restarted_.push_back(r.params.at("ns") + "/" + r.params.at("name"));
      return HttpResponse::Json(202, {{"kind", "Status"}, {"status", "Success"}, {"message", "restarting"}});
    });
    router_.add("GET", "/api/v1/events", [this](const HttpRequest& r) {
      {
        std::lock_guard<std::mutex> l(mu_);
        eventQueries_.push_back(r.target);
      }
      return HttpResponse::Json(200, json::parse(R"({"kind":"EventList","items":[
          {"id":1,"time":"2023-11-14T22:13:00Z","type":"Normal","reason":"Created",
           "involvedObject":{"kind":"Service","namespace":"shop","name":"api"},"message":"created shop.api.0"},
          {"id":2,"time":"2023-11-14T22:13:05Z","type":"Normal","reason":"Created",
           "involvedObject":{"kind":"Service","namespace":"shop","name":"other"},"message":"not about api"}]})"));
    });
    router_.add("DELETE", "/api/v1/namespaces/{ns}/services/{name}", [this](const HttpRequest& r) {
      std::lock_guard<std::mutex> l(mu_);
      deleted_.push_back(r.params.at("ns") + "/" + r.params.at("name"));
      if (r.params.at("name") == "ghost") return HttpResponse::Error(Status::NotFound("no ghost"));
      if (r.params.at("name") == "stuck") {
        return HttpResponse::Error(Status::Unavailable("store is busy"));
      }
      return HttpResponse::Json(200, json::object());
    });

    server_ = std::make_unique<testing::LoopbackServer>(router_);
    EXPECT_TRUE(server_->started().ok()) << server_->started().ToString();
    url_ = server_->url();
  }

  ~ApiClientTest() override { server_.reset(); }

  static json shopApi() {
    return json::parse(R"({"kind":"Service","metadata":{"name":"api","namespace":"shop",
        "generation":1,"creationTimestamp":"2023-11-14T22:13:10Z"},"spec":{"image":"busybox"},
        "status":{"phase":"Running","replicas":1,"readyReplicas":1,"restartCount":0,
                  "observedGeneration":1}})");
  }

  Router router_;
  std::unique_ptr<testing::LoopbackServer> server_;
  std::string url_;

  std::mutex mu_;
  std::vector<std::string> applied_;
  std::string appliedNamespace_;
  std::string appliedTarget_;
  std::vector<std::string> restarted_;
  std::vector<std::string> eventQueries_;
  std::vector<std::string> deleted_;
  json applyAnswer_ = json::parse(R"({"kind":"ApplyResult","items":[
      {"kind":"Service","namespace":"shop","name":"web","outcome":"created"},
      {"kind":"Network","namespace":"shop","name":"backend","outcome":"unchanged"}]})");
};

TEST_F(ApiClientTest, ReturnsTheAnswerOfASuccessfulCall) {
  ApiClient client(url_, "");
  auto r = client.call("GET", "/version");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(200, r->status);
  EXPECT_EQ("application/json", r->contentType);
  EXPECT_EQ("9.9.9", json::parse(r->body)["version"]);
}

TEST_F(ApiClientTest, SendsBodyContentTypeAndBearerToken) {
  ApiClient client(url_, "s3cret");
  auto r = client.call("POST", "/echo", "kind: Service\n", "application/yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  json echoed = json::parse(r->body);
  EXPECT_EQ("kind: Service\n", echoed["body"]);
  EXPECT_EQ("application/yaml", echoed["type"]);
  EXPECT_EQ("Bearer s3cret", echoed["auth"]);
}

TEST_F(ApiClientTest, TurnsAnErrorBodyIntoAStatusWithDetails) {
  ApiClient client(url_, "");
  auto r = client.call("POST", "/api/v1/apply", "bad", "application/yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalid());
  EXPECT_EQ("manifest is invalid", r.status().message());
  ASSERT_EQ(1u, r.status().details().size());
  EXPECT_EQ((FieldError{"spec.image", "is required"}), r.status().details()[0]);
}

TEST_F(ApiClientTest, TurnsAnUnknownRouteIntoNotFound) {
  ApiClient client(url_, "");
  auto r = client.call("GET", "/api/v1/nothing");
  EXPECT_TRUE(r.status().IsNotFound());
}

TEST_F(ApiClientTest, SaysTheServerIsUnreachableWithAHint) {
  std::string url = "http://127.0.0.1:" + std::to_string(closedPort());
  ApiClient client(url, "");
  auto r = client.call("GET", "/version");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsUnavailable()) << r.status().ToString();
  EXPECT_NE(std::string::npos,
            r.status().message().find("cannot reach the tender server at " + url))
      << r.status().message();
  EXPECT_NE(std::string::npos, r.status().message().find("is `tender serve` running?"));
}

TEST_F(ApiClientTest, GivesUpAfterItsTimeout) {
  ApiClient client(url_, "", std::chrono::milliseconds(300));
  auto r = client.call("GET", "/slow");
  EXPECT_TRUE(r.status().IsTimeout()) << r.status().ToString();
}

TEST_F(ApiClientTest, RefusesAUrlItCannotUse) {
  ApiClient client("ftp://example", "");
  EXPECT_TRUE(client.call("GET", "/version").status().IsInvalid());
}

TEST(StatusFromErrorBody, NamesTheHttpStatusWhenTheBodyIsNotAnErrorBody) {
  Status s = statusFromErrorBody(502, "Bad Gateway\n");
  EXPECT_EQ(Status::Code::kInternal, s.code());
  EXPECT_EQ("the server answered HTTP 502: Bad Gateway", s.message());
}

TEST(StatusFromErrorBody, KeepsTheDetailsOfAnyCode) {
  Status s = statusFromErrorBody(403, R"({"error":{"code":403,"message":"token \"a\" may not use namespace \"b\"",
                                          "details":[{"field":"namespace","message":"not granted"}]}})");
  EXPECT_EQ(Status::Code::kForbidden, s.code());
  ASSERT_EQ(1u, s.details().size());
  EXPECT_EQ("namespace", s.details()[0].field);
}

TEST(StatusFromErrorBody, MapsHttpStatusToCode) {
  const std::string body = R"({"error":{"code":409,"reason":"Conflict","message":"stale",
                               "details":[]}})";
  EXPECT_TRUE(statusFromErrorBody(409, body).IsConflict());
  EXPECT_EQ("stale", statusFromErrorBody(409, body).message());
  EXPECT_TRUE(statusFromErrorBody(503, body).IsUnavailable());
  EXPECT_EQ(Status::Code::kUnauthorized, statusFromErrorBody(401, body).code());
}

TEST(StatusFromErrorBody, A429IsTooManyRequestsAndSaysTheWaitOnce) {
  const std::string ours =
      R"({"error":{"code":429,"reason":"TooManyRequests","message":"token \"alice\" is over its )"
      R"(request budget of 20 requests/s (bursts of 40); retry after 1 s","details":[]}})";
  Status s = statusFromErrorBody(429, ours, "1");
  EXPECT_TRUE(s.IsTooManyRequests());
  EXPECT_EQ("token \"alice\" is over its request budget of 20 requests/s (bursts of 40); retry after 1 s",
            s.message());
  EXPECT_EQ("the server answered HTTP 429", statusFromErrorBody(429, "").message())
      << "no Retry-After: nothing to add";
  EXPECT_FALSE(isPermanentError(s)) << "a watch tries again later";
}

TEST(UrlEncode, EscapesAllButUnreservedCharacters) {
  EXPECT_EQ("a-b_c.d~e", urlEncode("a-b_c.d~e"));
  EXPECT_EQ("a%20b%2Fc%3F", urlEncode("a b/c?"));
}

// --- commands ----------------------------------------------------------------

struct Output {
  std::ostringstream out, err;
};

TEST_F(ApiClientTest, ApplyPrintsOneLinePerObject) {
  ApiClient client(url_, "");
  std::istringstream in("kind: Service\n");
  Output o;
  int code = runApply(applyOf({"-"}, "shop"), client, in, o.out, o.err);
  EXPECT_EQ(0, code) << o.err.str();
  EXPECT_EQ("service/web created\nnetwork/backend unchanged\n", o.out.str());
  std::lock_guard<std::mutex> l(mu_);
  EXPECT_EQ(std::vector<std::string>{"kind: Service\n"}, applied_);
  EXPECT_EQ("shop", appliedNamespace_);
}

TEST_F(ApiClientTest, ApplyNamesTheNamespaceWhenObjectsSpanSeveral) {
  applyAnswer_ = json::parse(R"({"items":[
      {"kind":"Namespace","name":"bob","outcome":"created"},
      {"kind":"Service","namespace":"alice","name":"web","outcome":"configured"},
      {"kind":"Service","namespace":"bob","name":"web","outcome":"created"}]})");
  ApiClient client(url_, "");
  std::istringstream in("x");
  Output o;
  EXPECT_EQ(0, runApply(applyOf({"-"}, ""), client, in, o.out, o.err));
  EXPECT_EQ("namespace/bob created\nalice/service/web configured\nbob/service/web created\n",
            o.out.str());
}

TEST_F(ApiClientTest, ApplyPrintsTheErrorAndEachDetailAndFails) {
  ApiClient client(url_, "");
  std::istringstream in("bad");
  Output o;
  EXPECT_EQ(1, runApply(applyOf({"-"}, ""), client, in, o.out, o.err));
  EXPECT_EQ("error: manifest is invalid\n  spec.image: is required\n", o.err.str());
  EXPECT_EQ("", o.out.str());
}

TEST_F(ApiClientTest, ApplyReadsADirectorysManifestsInNameOrder) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("tender-apply-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "b.yaml") << "second";
  std::ofstream(dir / "a.json") << "first";
  std::ofstream(dir / "notes.txt") << "ignored";
  ApiClient client(url_, "");
  std::istringstream in;
  Output o;
  int code = runApply(applyOf({dir.string()}, ""), client, in, o.out, o.err);
  fs::remove_all(dir);
  EXPECT_EQ(0, code) << o.err.str();
  std::lock_guard<std::mutex> l(mu_);
  EXPECT_EQ((std::vector<std::string>{"first", "second"}), applied_);
}

TEST_F(ApiClientTest, ApplyFailsOnAMissingFile) {
  ApiClient client(url_, "");
  std::istringstream in;
  Output o;
  EXPECT_EQ(1, runApply(applyOf({"/nonexistent/tender.yaml"}, ""), client, in, o.out, o.err));
  EXPECT_NE(std::string::npos, o.err.str().find("cannot read /nonexistent/tender.yaml"));
}

TEST_F(ApiClientTest, GetPrintsATableOfServices) {
  ApiClient client(url_, "");
  Output o;
  GetOptions g;
  g.resource = "svc";
  g.ns = "shop";
  EXPECT_EQ(0, runGet(g, client, WallTime(std::chrono::seconds(1'700'000'000)), o.out, o.err));
  EXPECT_EQ(
      "NAME   PHASE     READY   RESTARTS   AGE   IMAGE\n"
      "api    Running   1/1     0          10s   busybox\n",
      o.out.str());
}

TEST_F(ApiClientTest, A429SaysTheServerIsBusyForThisTokenAndWhenToRetry) {
  ApiClient client(url_, "");
  auto answer = client.call("GET", "/api/v1/namespaces/busy/services");
  ASSERT_FALSE(answer.ok());
  EXPECT_TRUE(answer.status().IsTooManyRequests());
  EXPECT_EQ("slow down; retry after 3 s", answer.status().message());
  Output o;
  GetOptions g;
  g.resource = "services";
  g.ns = "busy";
  EXPECT_EQ(1, runGet(g, client, WallTime(), o.out, o.err));
  EXPECT_EQ("error: the server is busy for this token: slow down; retry after 3 s\n", o.err.str());
}

TEST_F(ApiClientTest, GetSaysNoResourcesFoundOnStderr) {
  ApiClient client(url_, "");
  Output o;
  GetOptions g;
  g.resource = "services";
  EXPECT_EQ(0, runGet(g, client, WallTime(), o.out, o.err));
  EXPECT_EQ("", o.out.str());
  EXPECT_EQ("No resources found in default namespace.\n", o.err.str());
}

TEST_F(ApiClientTest, GetPrintsJsonAndYaml) {
  ApiClient client(url_, "");
  GetOptions g;
  g.resource = "services";
  g.ns = "shop";
  g.output = "json";
  Output j;
  EXPECT_EQ(0, runGet(g, client, WallTime(), j.out, j.err));
  EXPECT_EQ("api", json::parse(j.out.str())["items"][0]["metadata"]["name"]);
  g.output = "yaml";
  Output y;
  EXPECT_EQ(0, runGet(g, client, WallTime(), y.out, y.err));
  EXPECT_EQ(0u, y.out.str().find("items:\n- kind: Service\n"));
}

TEST_F(ApiClientTest, DeleteReportsNotFoundAndContinues) {
  ApiClient client(url_, "");
  std::istringstream in;
  Output o;
  DeleteOptions d;
  d.resource = "service";
  d.names = {"ghost", "web"};
  d.ns = "shop";
  EXPECT_EQ(0, runDelete(d, client, in, o.out, o.err));
  EXPECT_EQ("service/ghost not found\nservice/web deleted\n", o.out.str());
  std::lock_guard<std::mutex> l(mu_);
  EXPECT_EQ((std::vector<std::string>{"shop/ghost", "shop/web"}), deleted_);
}

TEST_F(ApiClientTest, DeleteFailsWhenTheServerRefuses) {
  ApiClient client(url_, "");
  std::istringstream in;
  Output o;
  DeleteOptions d;
  d.resource = "service";
  d.names = {"stuck", "web"};
  EXPECT_EQ(1, runDelete(d, client, in, o.out, o.err));
  EXPECT_EQ("service/web deleted\n", o.out.str());
  EXPECT_EQ("error: service/stuck: store is busy\n", o.err.str());
}

TEST_F(ApiClientTest, VersionPrintsClientAndServerVersions) {
  ApiClient client(url_, "");
  Output o;
  EXPECT_EQ(0, runVersion(client, o.out, o.err));
  EXPECT_EQ(std::string("Client Version: ") + TENDER_VERSION + "\nServer Version: 9.9.9\n",
            o.out.str());
}

TEST_F(ApiClientTest, ApplyDryRunSaysSoAndPrintsEachServicesPlan) {
  applyAnswer_ = json::parse(R"({"kind":"ApplyResult","dryRun":true,"items":[
      {"kind":"Service","namespace":"shop","name":"web","outcome":"configured","plan":[
        {"action":"recreate","replica":0,"container":"shop.web.0","reason":"image changed"}]},
      {"kind":"Service","namespace":"shop","name":"api","outcome":"unchanged","plan":[]},
      {"kind":"Network","namespace":"shop","name":"backend","outcome":"unchanged"},
      {"kind":"Service","namespace":"shop","name":"old","outcome":"deleted"}]})");
  ApiClient client(url_, "");
  std::istringstream in("kind: Service\n");
  Output o;
  ApplyOptions a = applyOf({"-"}, "shop");
  a.dryRun = true;
  a.prune = true;
  EXPECT_EQ(0, runApply(a, client, in, o.out, o.err)) << o.err.str();
  EXPECT_EQ(
      "service/web configured (dry run)\n"
      "  recreate replica 0 (shop.web.0): image changed\n"
      "service/api unchanged (dry run)\n"
      "  no container changes\n"
      "network/backend unchanged (dry run)\n"
      "service/old deleted (dry run)\n",
      o.out.str());
  std::lock_guard<std::mutex> l(mu_);
  EXPECT_EQ(appliedTarget_, "/api/v1/apply?namespace=shop&dryRun=true&prune=true");
}

TEST_F(ApiClientTest, ApplyWaitPollsTheAppliedServices) {
  applyAnswer_ = json::parse(R"({"kind":"ApplyResult","items":[
      {"kind":"Service","namespace":"shop","name":"api","outcome":"created"},
      {"kind":"Service","namespace":"shop","name":"gone","outcome":"deleted"}]})");
  ApiClient client(url_, "");
  std::istringstream in("kind: Service\n");
  Output o;
  ApplyOptions a = applyOf({"-"}, "shop");
  a.wait = true;
  a.waitOptions.interval = std::chrono::milliseconds(10);
  a.waitOptions.timeout = std::chrono::seconds(5);
  EXPECT_EQ(0, runApply(a, client, in, o.out, o.err)) << o.err.str();
  EXPECT_EQ("service/api created\nservice/gone deleted\nservice/api: Running 1/1 ready\n",
            o.out.str());
}

TEST_F(ApiClientTest, DescribeShowsTheServiceAndOnlyItsEvents) {
  ApiClient client(url_, "");
  Output o;
  DescribeOptions d;
  d.resource = "svc";
  d.name = "api";
  d.ns = "shop";
  EXPECT_EQ(0, runDescribe(d, client, WallTime(std::chrono::seconds(1'700'000'000)), o.out, o.err))
      << o.err.str();
  EXPECT_NE(std::string::npos, o.out.str().find("Name:           api\n")) << o.out.str();
  EXPECT_NE(std::string::npos, o.out.str().find("created shop.api.0")) << o.out.str();
  EXPECT_EQ(std::string::npos, o.out.str().find("not about api")) << o.out.str();
  std::lock_guard<std::mutex> l(mu_);
  ASSERT_EQ(1u, eventQueries_.size());
  EXPECT_EQ("/api/v1/events?kind=Service&name=api&limit=20&namespace=shop", eventQueries_[0]);
}

TEST_F(ApiClientTest, DescribeOfAMissingServiceFails) {
  ApiClient client(url_, "");
  Output o;
  DescribeOptions d{"service", "nope", "shop"};
  EXPECT_EQ(1, runDescribe(d, client, WallTime(), o.out, o.err));
  EXPECT_EQ("error: Service \"nope\" not found\n", o.err.str());
}

TEST_F(ApiClientTest, ForbiddenPrintsTheServersMessage) {
  ApiClient client(url_, "alice");
  Output o;
  DescribeOptions d{"service", "api", "bob"};
  EXPECT_EQ(1, runDescribe(d, client, WallTime(), o.out, o.err));
  EXPECT_EQ("error: token \"alice\" may not use namespace \"bob\"\n", o.err.str());
}

TEST_F(ApiClientTest, LogsPrintTheBodyAsItIs) {
  ApiClient client(url_, "");
  Output o;
  LogsOptions l{"api", "shop", 5};
  EXPECT_EQ(0, runLogs(l, client, o.out, o.err));
  EXPECT_EQ("api.0 | tail=5\napi.1 | two\n", o.out.str());
  Output missing;
  EXPECT_EQ(1, runLogs({"nope", "shop", -1}, client, missing.out, missing.err));
  EXPECT_EQ("error: no such service\n", missing.err.str());
}

TEST_F(ApiClientTest, RestartPostsAndSaysSo) {
  ApiClient client(url_, "");
  Output o;
  EXPECT_EQ(0, runRestart({"api", "shop"}, client, o.out, o.err)) << o.err.str();
  EXPECT_EQ("service/api restarted\n", o.out.str());
  Output missing;
  EXPECT_EQ(1, runRestart({"nope", "shop"}, client, missing.out, missing.err));
  EXPECT_EQ("error: service/nope: no such service\n", missing.err.str());
  std::lock_guard<std::mutex> l(mu_);
  EXPECT_EQ(std::vector<std::string>{"shop/api"}, restarted_);
}

// --- the binary's command line -----------------------------------------------

int exitCodeOf(const std::string& args) {
  std::string cmd = std::string(TENDER_BINARY) + " " + args + " >/dev/null 2>&1";
  int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(TenderCommandLine, ExitsWithTwoOnAUsageError) {
  EXPECT_EQ(2, exitCodeOf("get"));
  EXPECT_EQ(2, exitCodeOf("frobnicate"));
  EXPECT_EQ(2, exitCodeOf("get services -o wider"));
  EXPECT_EQ(2, exitCodeOf("describe service"));
  EXPECT_EQ(2, exitCodeOf("logs"));
  EXPECT_EQ(2, exitCodeOf("restart"));
  EXPECT_EQ(2, exitCodeOf("apply -f x.yaml --timeout 5s"));
  EXPECT_EQ(2, exitCodeOf("apply -f x.yaml --wait --timeout soon"));
  EXPECT_EQ(2, exitCodeOf("apply -f x.yaml --wait --dry-run"));
  EXPECT_EQ(2, exitCodeOf("delete service"));
}

TEST(TenderCommandLine, ExitsWithOneWhenTheServerIsUnreachable) {
  std::string server = "http://127.0.0.1:" + std::to_string(closedPort());
  EXPECT_EQ(1, exitCodeOf("get services --server " + server));
  EXPECT_EQ(1, exitCodeOf("version --server " + server));
}

}  // namespace
}  // namespace tender

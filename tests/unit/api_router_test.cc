// The router: patterns, methods, parameters, authentication and namespace
// scopes.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "api/router.h"

namespace tender {
namespace {

using nlohmann::json;

HttpRequest request(const std::string& method, const std::string& path) {
  HttpRequest r;
  r.method = method;
  r.path = path;
  r.target = path;
  return r;
}

HttpResponse echoRoute(const std::string& tag) { return HttpResponse::Text(200, tag); }

std::string headerOf(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(Router, CallsTheHandlerOfAMatchingLiteralPath) {
  Router router;
  router.add("GET", "/version", [](const HttpRequest&) { return echoRoute("version"); });
  auto req = request("GET", "/version");
  HttpResponse res = router.route(req);
  EXPECT_EQ(200, res.status);
  EXPECT_EQ("version", res.body);
}

TEST(Router, FillsParamsFromThePattern) {
  Router router;
  router.add("GET", "/api/v1/namespaces/{ns}/services/{name}", [](const HttpRequest& r) {
    return echoRoute(r.params.at("ns") + "|" + r.params.at("name"));
  });
  auto req = request("GET", "/api/v1/namespaces/alice/services/web");
  EXPECT_EQ("alice|web", router.route(req).body);
  EXPECT_EQ("alice", req.params.at("ns"));
}

TEST(Router, PrefersALiteralSegmentOverAParamWhateverTheOrder) {
  Router router;
  router.add("GET", "/api/v1/namespaces/{ns}/{kind}",
             [](const HttpRequest&) { return echoRoute("generic"); });
  router.add("GET", "/api/v1/namespaces/{ns}/services",
             [](const HttpRequest&) { return echoRoute("services"); });
  auto req = request("GET", "/api/v1/namespaces/a/services");
  EXPECT_EQ("services", router.route(req).body);
  auto other = request("GET", "/api/v1/namespaces/a/volumes");
  EXPECT_EQ("generic", router.route(other).body);
}

TEST(Router, IgnoresATrailingSlash) {
  Router router;
  router.add("GET", "/api/v1/services", [](const HttpRequest&) { return echoRoute("list"); });
  auto req = request("GET", "/api/v1/services/");
  EXPECT_EQ("list", router.route(req).body);
}

TEST(Router, AnswersNotFoundForAnUnknownPath) {
  Router router;
  router.add("GET", "/api/v1/services", [](const HttpRequest&) { return echoRoute("list"); });
  auto req = request("GET", "/api/v1/nothing");
  HttpResponse res = router.route(req);
  EXPECT_EQ(404, res.status);
  EXPECT_EQ("application/json", res.contentType);
  EXPECT_EQ("NotFound", json::parse(res.body)["error"]["reason"]);
}

TEST(Router, AnswersMethodNotAllowedWithAllowHeader) {
  Router router;
  router.add("GET", "/api/v1/namespaces/{ns}", [](const HttpRequest&) { return echoRoute("g"); });
  router.add("DELETE", "/api/v1/namespaces/{ns}",
             [](const HttpRequest&) { return echoRoute("d"); });
  auto req = request("PUT", "/api/v1/namespaces/a");
  HttpResponse res = router.route(req);
  EXPECT_EQ(405, res.status);
  EXPECT_EQ("DELETE, GET, HEAD", headerOf(res, "Allow"));
  json body = json::parse(res.body);
  EXPECT_EQ(405, body["error"]["code"]);
  EXPECT_EQ("MethodNotAllowed", body["error"]["reason"]);
  EXPECT_EQ(json::array(), body["error"]["details"]);
}

TEST(Router, AnswersHeadWithTheGetHandler) {
  Router router;
  router.add("GET", "/healthz", [](const HttpRequest&) { return echoRoute("ok"); });
  auto req = request("HEAD", "/healthz");
  HttpResponse res = router.route(req);
  EXPECT_EQ(200, res.status);
  EXPECT_EQ("ok", res.body);  // the server leaves it out on the wire
}

TEST(Router, TurnsAThrowingHandlerIntoInternalError) {
  Router router;
  router.add("GET", "/boom",
             [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("kaput"); });
  auto req = request("GET", "/boom");
  HttpResponse res = router.route(req);
  EXPECT_EQ(500, res.status);
  EXPECT_EQ("Internal", json::parse(res.body)["error"]["reason"]);
}

TEST(HttpResponse, ErrorBodyCarriesCodeReasonMessageAndDetails) {
  HttpResponse res =
      HttpResponse::Error(Status::Invalid("manifest is invalid", {{"spec.image", "is required"}}));
  EXPECT_EQ(400, res.status);
  EXPECT_EQ("application/json", res.contentType);
  EXPECT_EQ(json::parse(R"({"error":{"code":400,"reason":"Invalid","message":"manifest is invalid",
                            "details":[{"field":"spec.image","message":"is required"}]}})"),
            json::parse(res.body));
}

TEST(HttpResponse, ErrorBodyAlwaysHasDetails) {
  HttpResponse res = HttpResponse::Error(Status::Conflict("stale resourceVersion"));
  EXPECT_EQ(409, res.status);
  EXPECT_EQ(json::parse(R"({"error":{"code":409,"reason":"Conflict",
                            "message":"stale resourceVersion","details":[]}})"),
            json::parse(res.body));
}

TEST(HttpResponse, JsonSetsStatusTypeAndBody) {
  HttpResponse res = HttpResponse::Json(201, json{{"name", "web"}});
  EXPECT_EQ(201, res.status);
  EXPECT_EQ("application/json", res.contentType);
  EXPECT_EQ(R"({"name":"web"})", res.body);
}

}  // namespace
}  // namespace tender

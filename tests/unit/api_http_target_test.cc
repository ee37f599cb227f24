// A request target and its headers as the router sees them: the path and
// the query decoded, bad escapes refused, headers by lower-case name.
#include <gtest/gtest.h>

#include "api/http_server_internal.h"

namespace tender {
namespace {

using http_internal::addHeader;
using http_internal::parseTarget;

TEST(HttpTarget, PathAndQueryAreDecodedAndBadEscapesAreRefusedNamingThePart) {
  struct Row {
    const char* target;
    const char* path;  // nullptr: refused
    std::map<std::string, std::string> query;
    const char* error = "";
  } rows[] = {
      {"/api/v1/namespaces", "/api/v1/namespaces", {}},
      {"/a%20b/c%2Fd", "/a b/c/d", {}},
      {"/x?watch=1&since=5", "/x", {{"watch", "1"}, {"since", "5"}}},
      {"/x?q=a+b%21&flag&&", "/x", {{"q", "a b!"}, {"flag", ""}}},
      {"/a+b", "/a+b", {}},  // '+' is a space only in a query
      {"x", nullptr, {}, "must be a path starting with '/'"},
      {"", nullptr, {}, "must be a path starting with '/'"},
      {"/a%2", nullptr, {}, "bad percent-encoding in path"},
      {"/a%zz", nullptr, {}, "bad percent-encoding in path"},
      {"/x?k=%g1", nullptr, {}, "bad percent-encoding in query: k=%g1"},
  };
  for (const Row& r : rows) {
    HttpRequest req;
    req.target = r.target;
    Status s = parseTarget(&req);
    if (!r.path) {
      EXPECT_TRUE(s.IsInvalid()) << r.target;
      EXPECT_NE(std::string::npos, s.message().find(r.error)) << r.target << ": " << s.message();
      continue;
    }
    ASSERT_TRUE(s.ok()) << r.target << ": " << s.ToString();
    EXPECT_EQ(r.path, req.path) << r.target;
    EXPECT_EQ(r.query.size(), req.query.size()) << r.target;
    for (const auto& [k, v] : r.query) EXPECT_EQ(v, req.queryParam(k)) << r.target << " " << k;
  }
}

TEST(HttpTarget, HeadersAreKeptByLowerCaseNameAndRepeatsAreJoined) {
  HttpRequest req;
  addHeader(&req, "Authorization", "Bearer x");
  addHeader(&req, "Accept", "a");
  addHeader(&req, "ACCEPT", "b");
  EXPECT_EQ("Bearer x", req.headers.at("authorization"));
  EXPECT_EQ("a, b", req.headers.at("accept"));
}

}  // namespace
}  // namespace tender

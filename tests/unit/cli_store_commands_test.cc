// `tender export`'s manifests: what the API's lists hold, written so that
// `tender apply -f` reads back the same objects.
#include "cli/store_commands.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "manifests/manifest.h"

namespace tender {
namespace {

using nlohmann::json;

// The example stack: a namespace, a network, a volume, three services.
std::string stack() {
  std::ifstream in(std::string(TENDER_SOURCE_DIR) + "/manifests/examples/webstack.yaml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// What the API lists show: the object, with what only the server adds.
std::vector<json> asListed(const std::vector<Resource>& resources) {
  std::vector<json> out;
  for (const Resource& r : resources) {
    json o = encodeResource(r);
    o["metadata"]["uid"] = "0b7c";
    o["metadata"]["generation"] = 3;
    o["metadata"]["resourceVersion"] = 17;
    o["metadata"]["creationTimestamp"] = "2026-12-08T02:00:00Z";
    o["status"] = {{"phase", "Running"}};
    out.push_back(o);
  }
  return out;
}

TEST(Export, ManifestsApplyBackToTheSameObjects) {
  auto parsed = parseManifests(stack());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  // Listed in the API's order, services first: the export puts them after
  // what they use.
  std::vector<json> listed = asListed(*parsed);
  std::reverse(listed.begin(), listed.end());
  const std::string text = manifestsOf(listed);

  auto back = parseManifests(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << text;
  ASSERT_EQ(back->size(), parsed->size()) << text;
  EXPECT_EQ(back->front().kind, "Namespace");
  EXPECT_EQ(back->back().kind, "Service");
  for (const Resource& original : *parsed) {
    bool found = false;
    for (const Resource& r : *back) {
      if (r.kind != original.kind || r.metadata.name != original.metadata.name) continue;
      found = true;
      EXPECT_EQ(encodeResource(r), encodeResource(original)) << r.kind << " " << r.metadata.name;
    }
    EXPECT_TRUE(found) << original.kind << " " << original.metadata.name;
  }
  EXPECT_EQ(text.find("uid"), std::string::npos) << "what the server adds is not exported";
  EXPECT_EQ(text.find("Running"), std::string::npos);
  EXPECT_EQ(text.find("resourceVersion"), std::string::npos);
}

TEST(Export, LeavesOutObjectsBeingDeleted) {
  auto parsed = parseManifests(stack());
  ASSERT_TRUE(parsed.ok());
  std::vector<json> listed = asListed(*parsed);
  for (json& o : listed) {
    if (o["metadata"]["name"] == "web" && o["kind"] == "Service") o["metadata"]["deletionTimestamp"] = "2026-12-08T02:01:00Z";
  }
  auto back = parseManifests(manifestsOf(listed));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->size(), parsed->size() - 1);
  EXPECT_EQ(manifestsOf({}), "");
}

}  // namespace
}  // namespace tender

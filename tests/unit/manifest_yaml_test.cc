// YAML and JSON text into JSON values.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "manifests/yaml_to_json.h"

namespace tender {
namespace {

using json = nlohmann::json;

// The single document of `text`; fails the test on any error.
json one(const std::string& text) {
  auto docs = yamlToJson(text);
  EXPECT_TRUE(docs.ok()) << docs.status().ToString();
  if (!docs.ok()) return json();
  EXPECT_EQ(docs->size(), 1u);
  return docs->empty() ? json() : docs->front();
}

std::string errorOf(const std::string& text, size_t maxBytes = 4 << 20) {
  auto docs = yamlToJson(text, maxBytes);
  EXPECT_FALSE(docs.ok()) << "accepted: " << text;
  if (docs.ok()) return "";
  EXPECT_TRUE(docs.status().IsInvalid());
  return docs.status().message();
}

TEST(YamlToJson, TypesPlainScalarsByTheCoreSchema) {
  struct Case {
    std::string yaml;
    json want;
  };
  std::vector<Case> cases = {
      {"~", nullptr},
      {"null", nullptr},
      {"NULL", nullptr},
      {"", nullptr},
      {"true", true},
      {"False", false},
      {"TRUE", true},
      {"123", 123},
      {"-7", -7},
      {"+12", 12},
      {"0x1F", 31},
      {"0o17", 15},
      {"017", 15},  // YAML 1.1 octal, as Compose and kubectl read a file mode 0440
      {"09", 9},
      {"1.5", 1.5},
      {"1e3", 1000.0},
      {".5", 0.5},
      {"-2.5E-1", -0.25},
      {"yes", "yes"},
      {"on", "on"},
      {"0x", "0x"},
      {"12Mi", "12Mi"},
      {"1_000", "1_000"},
      {"2024-05-01", "2024-05-01"},
      {"18446744073709551615", 18446744073709551615ull},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    json doc = one("v: " + c.yaml + "\n");
    EXPECT_EQ(doc["v"], c.want);
    EXPECT_EQ(doc["v"].type(), c.want.type());
  }
}

TEST(YamlToJson, InfinityIsAFloat) {
  json doc = one("a: .inf\nb: -.Inf\n");
  EXPECT_TRUE(std::isinf(doc["a"].get<double>()));
  EXPECT_LT(doc["b"].get<double>(), 0);
}

TEST(YamlToJson, QuotedScalarsStayStrings) {
  json doc = one("a: \"123\"\nb: 'true'\nc: \"null\"\nd: |\n  42\n");
  EXPECT_EQ(doc["a"], "123");
  EXPECT_EQ(doc["b"], "true");
  EXPECT_EQ(doc["c"], "null");
  EXPECT_EQ(doc["d"], "42\n");
}

TEST(YamlToJson, HonoursStandardTags) {
  json doc = one("a: !!str 123\nb: !!float 2\nc: !!int \"7\"\n");
  EXPECT_EQ(doc["a"], "123");
  EXPECT_EQ(doc["b"].type(), json::value_t::number_float);
  EXPECT_EQ(doc["c"], 7);
}

TEST(YamlToJson, RefusesUnknownTagsAndMistypedTagValues) {
  EXPECT_EQ(errorOf("a: !reset x\n"), "line 1, column 4: tag !reset is not supported");
  EXPECT_EQ(errorOf("a: !!int abc\n"), "line 1, column 4: \"abc\" is not a valid !!int");
}

TEST(YamlToJson, RefusesDuplicateKeysNamingTheKeyAndWhere) {
  EXPECT_EQ(errorOf("name: a\nimage: x\nname: b\n"),
            "line 3, column 1: duplicate key \"name\" (first at line 1)");
  EXPECT_EQ(errorOf("spec:\n  env:\n    A: 1\n    B: 2\n    A: 3\n"),
            "line 5, column 5: duplicate key \"A\" (first at line 3)");
}

TEST(YamlToJson, ResolvesMergeKeysWithExplicitKeysWinning) {
  json doc =
      one("x-base: &base\n"
          "  image: busybox\n"
          "  restart: always\n"
          "web:\n"
          "  <<: *base\n"
          "  restart: never\n");
  EXPECT_EQ(doc["web"], json({{"image", "busybox"}, {"restart", "never"}}));
}

TEST(YamlToJson, MergesAListOfMapsWithEarlierMapsWinning) {
  json doc =
      one("a: &a {x: 1, y: 1}\n"
          "b: &b {y: 2, z: 2}\n"
          "c:\n"
          "  <<: [*a, *b]\n");
  EXPECT_EQ(doc["c"], json({{"x", 1}, {"y", 1}, {"z", 2}}));
}

TEST(YamlToJson, AQuotedMergeKeyIsAnOrdinaryKey) {
  json doc = one("\"<<\": {x: 1}\n");
  EXPECT_EQ(doc, json({{"<<", {{"x", 1}}}}));
}

TEST(YamlToJson, RefusesMergingAScalar) {
  EXPECT_EQ(errorOf("a:\n  <<: 5\n"),
            "line 2, column 7: the value of << must be a mapping or a list of mappings");
}

TEST(YamlToJson, MalformedYamlNamesLineAndColumn) {
  EXPECT_EQ(errorOf("a: 1\nb: [1, 2\nc: 3\n"), "line 3, column 2: end of sequence flow not found");
  EXPECT_EQ(errorOf("a: 1\n  b: 2\n"), "line 2, column 4: illegal map value");
}

TEST(YamlToJson, MalformedJsonNamesLineAndColumn) {
  EXPECT_EQ(errorOf("{\n  \"a\": 1,\n  \"b\": \n}"),
            "line 4, column 1: syntax error while parsing value - unexpected '}'; expected '[', "
            "'{', or a literal");
}

TEST(YamlToJson, JsonMistakesThatYamlWouldForgiveAreStillErrors) {
  EXPECT_EQ(errorOf("[{\"a\": 1},]"),
            "line 1, column 11: syntax error while parsing value - unexpected ']'; expected '[', "
            "'{', or a literal");
}

TEST(YamlToJson, ReadsJsonWithTheSameTyping) {
  json doc = one("{\"a\": \"1\", \"b\": 1, \"c\": [true, null, 2.5]}");
  EXPECT_EQ(doc, json({{"a", "1"}, {"b", 1}, {"c", {true, nullptr, 2.5}}}));
}

TEST(YamlToJson, RefusesDuplicateKeysInJson) {
  EXPECT_EQ(errorOf("{\"a\": 1,\n \"a\": 2}"),
            "line 2, column 2: duplicate key \"a\" (first at line 1)");
}

TEST(YamlToJson, ReadsFlowYamlThatIsNotJson) {
  EXPECT_EQ(one("{name: web, replicas: 2}"), json({{"name", "web"}, {"replicas", 2}}));
}

TEST(YamlToJson, ReturnsEveryDocumentWithEmptyOnesAsNull) {
  auto docs = yamlToJson("a: 1\n---\n---\nb: 2\n");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[0], json({{"a", 1}}));
  EXPECT_TRUE((*docs)[1].is_null());
  EXPECT_EQ((*docs)[2], json({{"b", 2}}));
}

TEST(YamlToJson, ErrorsInLaterDocumentsCountLinesFromTheStart) {
  EXPECT_EQ(errorOf("a: 1\n---\nb: 1\nb: 2\n"),
            "line 4, column 1: duplicate key \"b\" (first at line 3)");
}

TEST(YamlToJson, RefusesAnAliasBomb) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  std::string prev = "a";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string name(1, c);
    bomb += name + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", " : "") + "*" + prev;
    bomb += "]\n";
    prev = name;
  }
  std::string message = errorOf(bomb);
  EXPECT_NE(message.find("expands to more than 4194304 bytes"), std::string::npos) << message;
}

TEST(YamlToJson, RefusesADocumentLargerThanTheLimit) {
  std::string message = errorOf("a: " + std::string(2000, 'x') + "\n", 1000);
  EXPECT_NE(message.find("expands to more than 1000 bytes"), std::string::npos) << message;
}

TEST(YamlToJson, RefusesAnAliasInsideItself) {
  EXPECT_EQ(errorOf("&a [*a]\n"), "line 1, column 5: alias *a is used inside the node it names");
}

TEST(YamlToJson, RefusesAliasesToUnknownAnchors) {
  EXPECT_EQ(errorOf("a: *nope\n"), "line 1, column 4: the referenced anchor is not defined");
}

// yaml-cpp 0.7's own LoadAll never returns on these, allocating until memory runs out.
TEST(YamlToJson, RefusesAStrayTopLevelCommaInsteadOfLooping) {
  EXPECT_EQ(errorOf(","), "line 1, column 1: unexpected \",\"");
  EXPECT_EQ(errorOf("a: 1\n---\n\"b\" ,\n"), "line 3, column 5: unexpected \",\"");
}

TEST(YamlToJson, RefusesNestingBeyondTheLimit) {
  std::string message = errorOf(std::string(300, '[') + std::string(300, ']'));
  EXPECT_NE(message.find("nesting is deeper than"), std::string::npos) << message;
}

TEST(YamlToJson, RefusesInvalidUtf8) {
  EXPECT_EQ(errorOf("a: \"\xff\xfe\"\n"), "line 1, column 4: the text is not valid UTF-8");
}

}  // namespace
}  // namespace tender

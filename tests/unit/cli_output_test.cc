// The CLI's tables, describe and YAML output, from the API's answers.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/output.h"

namespace tender {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// 2023-11-14T22:13:20Z
const WallTime kNow = WallTime(seconds(1'700'000'000));

std::string age(std::chrono::milliseconds d) { return formatAge(d); }

TEST(FormatAge, ShowsSecondsUnderTwoMinutes) {
  EXPECT_EQ("0s", age(seconds(0)));
  EXPECT_EQ("5s", age(seconds(5)));
  EXPECT_EQ("119s", age(seconds(119)));
}

TEST(FormatAge, ShowsMinutesAndSecondsUnderTenMinutes) {
  EXPECT_EQ("3m", age(minutes(3)));
  EXPECT_EQ("3m20s", age(seconds(200)));
}

TEST(FormatAge, ShowsMinutesUnderThreeHours) {
  EXPECT_EQ("15m", age(minutes(15) + seconds(40)));
  EXPECT_EQ("120m", age(hours(2)));
}

TEST(FormatAge, ShowsHoursThenDaysThenYears) {
  EXPECT_EQ("3h20m", age(hours(3) + minutes(20)));
  EXPECT_EQ("36h", age(hours(36)));
  EXPECT_EQ("4d", age(hours(96)));
  EXPECT_EQ("3d4h", age(hours(76)));
  EXPECT_EQ("400d", age(hours(24 * 400)));
  EXPECT_EQ("2y30d", age(hours(24 * (365 * 2 + 30))));
  EXPECT_EQ("9y", age(hours(24 * 365 * 9 + 24 * 100)));
}

TEST(FormatAge, ShowsZeroForATimeSlightlyAhead) { EXPECT_EQ("0s", age(seconds(-3))); }

TEST(AgeSince, MeasuresFromAnRfc3339Timestamp) {
  EXPECT_EQ("90s", ageSince("2023-11-14T22:11:50Z", kNow));
}

TEST(AgeSince, SaysUnknownForMissingOrMalformedTime) {
  EXPECT_EQ("<unknown>", ageSince("", kNow));
  EXPECT_EQ("<unknown>", ageSince("yesterday", kNow));
}

TEST(RenderTable, PadsColumnsToTheWidestCellWithThreeSpaces) {
  std::string t = renderTable({"NAME", "PHASE", "AGE"},
                              {{"web", "Running", "5s"}, {"database", "Pending", "10m"}});
  EXPECT_EQ(
      "NAME       PHASE     AGE\n"
      "web        Running   5s\n"
      "database   Pending   10m\n",
      t);
}

TEST(RenderTable, LeavesNoTrailingSpacesAfterAnEmptyLastCell) {
  EXPECT_EQ("A      B\nlong\n", renderTable({"A", "B"}, {{"long", ""}}));
}

json service(const std::string& ns, const std::string& name) {
  return json::parse(R"({"apiVersion":"tender/v1","kind":"Service",
    "metadata":{"name":")" +
                     name + R"(","namespace":")" + ns + R"(",
                "creationTimestamp":"2023-11-14T22:10:20Z"},
    "spec":{"image":"busybox:1","replicas":2},
    "status":{"phase":"Running","replicas":2,"readyReplicas":1,"restartCount":4}})");
}

TEST(RenderResourceTable, ShowsServicesWithReadyRestartsAgeAndImage) {
  std::string t = renderResourceTable("services", {service("shop", "api")}, false, kNow);
  EXPECT_EQ(
      "NAME   PHASE     READY   RESTARTS   AGE   IMAGE\n"
      "api    Running   1/2     4          3m    busybox:1\n",
      t);
}

TEST(RenderResourceTable, AddsNamespaceColumnAcrossNamespaces) {
  std::string t =
      renderResourceTable("services", {service("alice", "a"), service("bob", "b")}, true, kNow);
  EXPECT_EQ(
      "NAMESPACE   NAME   PHASE     READY   RESTARTS   AGE   IMAGE\n"
      "alice       a      Running   1/2     4          3m    busybox:1\n"
      "bob         b      Running   1/2     4          3m    busybox:1\n",
      t);
}

TEST(RenderResourceTable, ShowsBuildForAServiceWithoutImageAndDefaultsMissingStatus) {
  json obj = json::parse(R"({"kind":"Service","metadata":{"name":"app"},
                             "spec":{"build":{"context":"."}}})");
  EXPECT_EQ(
      "NAME   PHASE    READY   RESTARTS   AGE         IMAGE\n"
      "app    <none>   0/1     0          <unknown>   (build)\n",
      renderResourceTable("services", {obj}, false, kNow));
}

TEST(RenderResourceTable, ShowsNetworksWithTheirDriver) {
  json net = json::parse(R"({"kind":"Network","metadata":{"name":"backend",
      "creationTimestamp":"2023-11-13T10:13:20Z"},"spec":{},"status":{"phase":"Ready"}})");
  EXPECT_EQ(
      "NAME      DRIVER   PHASE   AGE\n"
      "backend   bridge   Ready   36h\n",
      renderResourceTable("networks", {net}, false, kNow));
}

TEST(ItemsOf, ReturnsAListsItemsOrTheOneObject) {
  json list = json::parse(R"({"kind":"ServiceList","items":[{"metadata":{"name":"a"}},
                                                              {"metadata":{"name":"b"}}]})");
  EXPECT_EQ(2u, itemsOf(list).size());
  EXPECT_EQ(1u, itemsOf(service("x", "y")).size());
  EXPECT_TRUE(itemsOf(json::parse(R"({"kind":"ServiceList","items":[]})")).empty());
}

TEST(ToYaml, WritesNestedMappingsAndSequences) {
  json v = json::parse(R"({"kind":"Service","metadata":{"name":"web","labels":{"tier":"front"}},
                           "spec":{"command":["serve","--port"],"replicas":2,"env":{}}})");
  EXPECT_EQ(
      "kind: Service\n"
      "metadata:\n"
      "  labels:\n"
      "    tier: front\n"
      "  name: web\n"
      "spec:\n"
      "  command:\n"
      "  - serve\n"
      "  - --port\n"
      "  env: {}\n"
      "  replicas: 2\n",
      toYaml(v));
}

TEST(ToYaml, WritesSequencesOfMappingsWithTheFirstKeyAfterTheDash) {
  json v = json::parse(R"({"items":[{"name":"a","ports":[80,443]},{"name":"b"}],"none":[]})");
  EXPECT_EQ(
      "items:\n"
      "- name: a\n"
      "  ports:\n"
      "  - 80\n"
      "  - 443\n"
      "- name: b\n"
      "none: []\n",
      toYaml(v));
}

TEST(ToYaml, WritesNestedSequences) {
  EXPECT_EQ("- - a\n  - b\n- c\n", toYaml(json::parse(R"([["a","b"],"c"])")));
}

TEST(ToYaml, QuotesStringsYamlWouldReadAsSomethingElse) {
  json v = json::parse(R"({"a":"true","b":"8080:80","c":"","d":"2023-11-14T22:13:20Z",
                           "e":"null","f":"- x","g":"k: v","h":"two\nlines","i":"\"quoted\" word",
                           "j":"No","k":"-1","l":"~"})");
  EXPECT_EQ(
      "a: \"true\"\n"
      "b: \"8080:80\"\n"
      "c: \"\"\n"
      "d: \"2023-11-14T22:13:20Z\"\n"
      "e: \"null\"\n"
      "f: \"- x\"\n"
      "g: \"k: v\"\n"
      "h: \"two\\nlines\"\n"
      "i: \"\\\"quoted\\\" word\"\n"
      "j: \"No\"\n"
      "k: \"-1\"\n"
      "l: \"~\"\n",
      toYaml(v));
}

TEST(ToYaml, LeavesOrdinaryStringsAndScalarsPlain) {
  json v = json::parse(R"({"image":"example/api:1","cpus":0.5,"on":true,"gone":null,"count":-3})");
  EXPECT_EQ(
      "count: -3\n"
      "cpus: 0.5\n"
      "gone: null\n"
      "image: example/api:1\n"
      "\"on\": true\n",
      toYaml(v));
}

TEST(ToJsonText, PrintsIndentedJsonWithANewline) {
  EXPECT_EQ("{\n  \"a\": [\n    1\n  ]\n}\n", toJsonText(json::parse(R"({"a":[1]})")));
}

TEST(ParseOutputFormat, RefusesAnUnknownFormat) {
  EXPECT_TRUE(parseOutputFormat("yaml").ok());
  EXPECT_EQ(OutputFormat::kWide, *parseOutputFormat("wide"));
  EXPECT_FALSE(parseOutputFormat("wider").ok());
}

}  // namespace
}  // namespace tender

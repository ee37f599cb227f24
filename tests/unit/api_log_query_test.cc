// The pure parts of the logs route: ?since=, timestamps, the merge of the
// replicas' lines, and the label selector of lists and watches.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/label_selector.h"
#include "api/log_follow.h"
#include "api/log_query.h"
#include "base/time_format.h"

namespace tender {
namespace {

using ::testing::ElementsAre;

WallTime at(const char* rfc3339) { return *parseRfc3339(rfc3339); }

TEST(EngineSince, ADurationCountsBackFromNow) {
  auto s = engineSince("since", "10m", at("2026-12-04T10:00:00Z"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, engineTime(at("2026-12-04T09:50:00Z")));
  EXPECT_EQ(*engineSince("since", "1h30m", at("2026-12-04T10:00:00Z")),
            engineTime(at("2026-12-04T08:30:00Z")));
}

TEST(EngineSince, AnRfc3339TimeIsTakenAsItIs) {
  EXPECT_EQ(*engineSince("since", "2026-12-04T09:00:00.5+01:00", at("2026-12-04T10:00:00Z")),
            engineTime(at("2026-12-04T08:00:00.5Z")));
}

TEST(EngineSince, RefusesWhatIsNeitherNamingTheParameter) {
  for (const char* bad : {"", "yesterday", "10", "-5m", "2026-13-99T00:00:00Z", "2026-02-29T10:00:00Z",
                          "2026-12-04T24:00:00Z", "2026-12-04T10:00:00+25:00"}) {
    auto s = engineSince("since", bad, at("2026-12-04T10:00:00Z"));
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_TRUE(s.status().IsInvalid()) << bad;
    ASSERT_EQ(s.status().details().size(), 1u);
    EXPECT_EQ(s.status().details()[0].field, "since");
  }
}

TEST(EngineTime, IsSecondsAndNanoseconds) {
  EXPECT_EQ(engineTime(at("2026-12-04T10:00:00.000000042Z")).substr(10), ".000000042");
}

TEST(SplitTimestamp, TakesTheEnginesTimeOffTheLine) {
  TimedLogLine l = splitTimestamp("2026-12-04T10:00:00.123456789Z hello world");
  EXPECT_EQ(l.time, "2026-12-04T10:00:00.123456789Z");
  EXPECT_EQ(l.text, "hello world");
  TimedLogLine plain = splitTimestamp("no time here");
  EXPECT_EQ(plain.time, "");
  EXPECT_EQ(plain.text, "no time here");
}

TEST(MergeInTimeOrder, InterleavesReplicasByTime) {
  std::vector<std::vector<TimedLogLine>> replicas = {
      {{"2026-12-04T10:00:01.000000000Z", "a1"}, {"2026-12-04T10:00:03.000000000Z", "a3"}},
      {{"2026-12-04T10:00:02.000000000Z", "b2"}, {"2026-12-04T10:00:04.000000000Z", "b4"}},
  };
  std::vector<std::string> texts;
  for (const auto& l : mergeInTimeOrder(replicas)) texts.push_back(l.text);
  EXPECT_THAT(texts, ElementsAre("a1", "b2", "a3", "b4"));
}

TEST(MergeInTimeOrder, ComparesTimesNotTextAndKeepsTiesInReplicaOrder) {
  // The engine may write fewer digits: 10:00:01.5 is after 10:00:01.25.
  std::vector<std::vector<TimedLogLine>> replicas = {
      {{"2026-12-04T10:00:01.5Z", "a-late"}, {"2026-12-04T10:00:02Z", "a-tie"}},
      {{"2026-12-04T10:00:01.25Z", "b-early"}, {"2026-12-04T10:00:02Z", "b-tie"}},
  };
  std::vector<std::string> texts;
  for (const auto& l : mergeInTimeOrder(replicas)) texts.push_back(l.text);
  EXPECT_THAT(texts, ElementsAre("b-early", "a-late", "a-tie", "b-tie"));
}

TEST(RenderLogLine, PutsTheTimeFirstOnlyWhenAsked) {
  TimedLogLine l{"2026-12-04T10:00:00Z", "hi"};
  EXPECT_EQ(renderLogLine("web.0 | ", l, false), "web.0 | hi\n");
  EXPECT_EQ(renderLogLine("web.0 | ", l, true), "2026-12-04T10:00:00Z web.0 | hi\n");
}

TEST(LabelSelector, ParsesEqualityAndInequality) {
  auto sel = parseLabelSelector("app=web,tier==front,env!=prod");
  ASSERT_TRUE(sel.ok());
  ASSERT_EQ(sel->size(), 3u);
  EXPECT_EQ((*sel)[1].key, "tier");
  EXPECT_EQ((*sel)[1].value, "front");
  EXPECT_TRUE((*sel)[2].negate);
  nlohmann::json labels = {{"app", "web"}, {"tier", "front"}};
  EXPECT_TRUE(selectorMatches(*sel, labels));
  labels["env"] = "prod";
  EXPECT_FALSE(selectorMatches(*sel, labels));
  EXPECT_TRUE(selectorMatches(*parseLabelSelector(""), labels));
}

TEST(LabelSelector, RefusesATermWithoutAKeyOrAnEquals) {
  for (const char* bad : {"app", "=web", "app=web,", "app=web,,tier=x"}) {
    auto sel = parseLabelSelector(bad);
    ASSERT_FALSE(sel.ok()) << bad;
    EXPECT_EQ(sel.status().details().at(0).field, "labelSelector") << bad;
  }
}

TEST(FollowGoesOn, WhileTheServiceMayRunAContainerAgain) {
  for (const char* phase : {"Running", "Starting", "Pending", "CrashLoopBackOff", "Blocked", ""})
    EXPECT_TRUE(followGoesOn(true, false, phase)) << phase;
}

TEST(FollowGoesOn, NotWhenTheServiceIsGoneStoppedOrDoneForGood) {
  EXPECT_FALSE(followGoesOn(false, false, ""));
  EXPECT_FALSE(followGoesOn(true, true, "Running"));
  for (const char* phase : {"Stopped", "Completed", "Failed"})
    EXPECT_FALSE(followGoesOn(true, false, phase)) << phase;
}

TEST(ReplicaPrefix, NamesTheServiceAndTheReplica) {
  EXPECT_EQ(replicaPrefix("web", 2), "web.2 | ");
  EXPECT_EQ(replicaPrefix("web", -1), "web.? | ");
}

}  // namespace
}  // namespace tender

// PUT /api/v1/eviction's body: the settings it changes, or every bad field.
#include <gtest/gtest.h>

#include "api/eviction_api.h"

namespace tender {
namespace {

TEST(EvictionSettings, FieldsChangeOnlyWhatTheyName) {
  EvictionConfig current;
  current.thresholdBytes = 1 << 30;
  current.priorityFloor = 500;
  current.recoverAfter = Millis(30'000);
  auto c =
      evictionSettingsFrom(current, nlohmann::json{{"priorityFloor", 100}, {"recoverAfter", "1m"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->thresholdBytes, 1 << 30);
  EXPECT_EQ(c->priorityFloor, 100);
  EXPECT_EQ(c->recoverAfter, Millis(60'000));
}

TEST(EvictionSettings, AnEmptyThresholdMeansTheDefault) {
  EvictionConfig current;
  current.thresholdBytes = 1 << 30;
  auto c = evictionSettingsFrom(current, nlohmann::json{{"threshold", ""}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->thresholdBytes, 0);
}

TEST(EvictionSettings, EveryBadOrUnknownFieldIsNamed) {
  auto c = evictionSettingsFrom(EvictionConfig{}, nlohmann::json{{"threshold", 12},
                                                                 {"priorityFloor", "high"},
                                                                 {"recoverAfter", "soon"},
                                                                 {"colour", "red"}});
  ASSERT_FALSE(c.ok());
  std::vector<std::string> fields;
  for (const auto& d : c.status().details()) fields.push_back(d.field);
  // nlohmann::json objects iterate in key order.
  EXPECT_EQ(fields,
            (std::vector<std::string>{"colour", "priorityFloor", "recoverAfter", "threshold"}));
}

TEST(EvictionSettings, ABodyThatIsNotAnObjectIsRefused) {
  auto c = evictionSettingsFrom(EvictionConfig{}, nlohmann::json::array());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().IsInvalid());
  EXPECT_NE(c.status().message().find("not a JSON object"), std::string::npos);
}

}  // namespace
}  // namespace tender

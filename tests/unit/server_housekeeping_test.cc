// Housekeeping's periodic cleanup on the simulated clock, and a re-read
// config file moving its schedule (setSchedule).
#include "server/housekeeping.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "engine/labels.h"
#include "tests/support/reconciler_fixture.h"

namespace tender {
namespace {

using namespace std::chrono_literals;

class HousekeepingTest : public testing::ReconcilerFixture {
 protected:
  // A container of this instance whose service the store does not hold.
  std::string leftover(const std::string& service) {
    Labels labels = ownerLabels("test", "shop");
    labels[kLabelService] = service;
    labels[kLabelReplica] = "0";
    auto id = engine_.createContainer(containerName("shop", service, 0),
                                      {{"Image", "tender-busybox:latest"}, {"Labels", labels}});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return *id;
  }
  bool exists(const std::string& id) { return engine_.peekContainer(id).has_value(); }
  // Until the housekeeping thread waits on the clock again (real time, 5 s at most).
  void parked() {
    std::this_thread::sleep_for(20ms);
    for (int i = 0; i < 500 && clock_.waiters() == 0; ++i) std::this_thread::sleep_for(10ms);
  }
  // Whether `id` is gone within 5 s of real time (the cleanup runs on its thread).
  bool goneSoon(const std::string& id) {
    for (int i = 0; i < 500; ++i) {
      if (!exists(id)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

TEST_F(HousekeepingTest, CleansUpEveryIntervalAndARescheduleCountsFromItself) {
  Janitor janitor(*store_, engine_, clock_, "test");
  Housekeeping housekeeping(janitor, *store_, clock_, "test");
  housekeeping.start(10min, "", LowDiskThreshold{});
  parked();

  const std::string first = leftover("gone");
  clock_.advance(10min);
  EXPECT_TRUE(goneSoon(first)) << "the periodic cleanup removes a leftover";
  parked();

  const std::string second = leftover("also-gone");
  clock_.advance(2min);
  parked();
  EXPECT_TRUE(exists(second)) << "eight minutes before the next cleanup";
  housekeeping.setSchedule(1min, LowDiskThreshold{});
  parked();
  clock_.advance(1min);
  EXPECT_TRUE(goneSoon(second)) << "one new interval after the re-read";
  parked();

  const std::string third = leftover("kept");
  housekeeping.setSchedule(0ms, LowDiskThreshold{});
  parked();
  clock_.advance(1h);
  parked();
  EXPECT_TRUE(exists(third)) << "interval 0: no periodic cleanup";
  housekeeping.stop();
}

}  // namespace
}  // namespace tender

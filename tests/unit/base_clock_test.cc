// The clock seam: waits and timers through RealClock and SimulatedClock.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "controller/scheduler.h"
#include "tests/support/simulated_clock.h"

namespace tender {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A thread waiting through `clock` until `period` from now (the time of
// construction, whenever the thread gets to run) or for `stop`.
struct PeriodicWaiter {
  explicit PeriodicWaiter(Clock& c, milliseconds period) : clock(c) {
    const MonoTime deadline = clock.monotonic() + period;
    result = std::async(std::launch::async, [this, deadline] {
      std::unique_lock<std::mutex> l(mu);
      return clock.waitUntil(l, cv, deadline, [this] { return stop; });
    });
  }
  ~PeriodicWaiter() {
    {
      std::lock_guard<std::mutex> l(mu);
      stop = true;
    }
    cv.notify_all();
  }
  Clock& clock;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::future<bool> result;
};

void waitForWaiters(const SimulatedClock& clock, size_t n) {
  for (int i = 0; i < 5000 && clock.waiters() < n; ++i)
    std::this_thread::sleep_for(milliseconds(1));
  ASSERT_GE(clock.waiters(), n) << "the waiting thread never parked";
}

TEST(SimulatedClock, AWaitReturnsOnlyOnceTimeIsAdvancedPastItsDeadline) {
  SimulatedClock clock;
  PeriodicWaiter w(clock, seconds(30));
  waitForWaiters(clock, 1);
  clock.advance(seconds(29));
  EXPECT_EQ(w.result.wait_for(milliseconds(50)), std::future_status::timeout)
      << "29 s of 30 have passed";
  clock.advance(seconds(1));
  ASSERT_EQ(w.result.wait_for(seconds(10)), std::future_status::ready);
  EXPECT_FALSE(w.result.get()) << "the deadline passed; the predicate never became true";
}

TEST(SimulatedClock, AWaitReturnsTrueWhenNotifiedBeforeItsDeadline) {
  SimulatedClock clock;
  PeriodicWaiter w(clock, seconds(30));
  waitForWaiters(clock, 1);
  {
    std::lock_guard<std::mutex> l(w.mu);
    w.stop = true;
  }
  w.cv.notify_all();
  ASSERT_EQ(w.result.wait_for(seconds(10)), std::future_status::ready);
  EXPECT_TRUE(w.result.get());
}

TEST(SimulatedClock, AWaitWhoseDeadlineHasPassedReturnsAtOnce) {
  SimulatedClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> l(mu);
  const MonoTime past = clock.monotonic();
  clock.advance(seconds(1));
  EXPECT_FALSE(clock.waitUntil(l, cv, past, [] { return false; }));
  EXPECT_EQ(clock.waiters(), 0u);
}

TEST(SimulatedClock, ManyAdvancesRacingManyWaitersLoseNoWakeUp) {
  SimulatedClock clock;
  std::vector<std::unique_ptr<PeriodicWaiter>> ws;
  for (int i = 0; i < 8; ++i)
    ws.push_back(std::make_unique<PeriodicWaiter>(clock, milliseconds(100 * (i + 1))));
  std::thread advancer([&] {
    for (int i = 0; i < 100; ++i) clock.advance(milliseconds(10));
  });
  advancer.join();
  // 1 s has passed: every deadline (100 ms .. 800 ms) is behind us.
  for (auto& w : ws) {
    clock.advance(milliseconds(0));
    ASSERT_EQ(w->result.wait_for(seconds(10)), std::future_status::ready);
  }
}

TEST(SimulatedClock, SchedulerTimersFireInsideAdvanceInDueOrder) {
  SimulatedClock clock;
  Scheduler scheduler(clock);
  std::vector<int> fired;
  scheduler.schedule(milliseconds(200), [&] { fired.push_back(2); });
  scheduler.schedule(milliseconds(100), [&] { fired.push_back(1); });
  scheduler.schedule(milliseconds(300), [&] { fired.push_back(3); });
  clock.advance(milliseconds(250));
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
  clock.advance(milliseconds(50));
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
}

TEST(SimulatedClock, ADestroyedSchedulerIsNoLongerDriven) {
  SimulatedClock clock;
  int fired = 0;
  {
    Scheduler scheduler(clock);
    scheduler.schedule(milliseconds(10), [&] { ++fired; });
  }
  clock.advance(seconds(1));
  EXPECT_EQ(fired, 0);
}

TEST(RealClock, AWaitWithADeadlineReturnsAfterIt) {
  RealClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> l(mu);
  const MonoTime start = clock.monotonic();
  EXPECT_FALSE(clock.waitFor(l, cv, milliseconds(20), [] { return false; }));
  EXPECT_GE(clock.monotonic() - start, milliseconds(20));
}

TEST(RealClock, SchedulerTimersFireOnTheirThread) {
  RealClock clock;
  Scheduler scheduler(clock);
  std::promise<std::thread::id> ran;
  scheduler.schedule(milliseconds(5), [&] { ran.set_value(std::this_thread::get_id()); });
  auto f = ran.get_future();
  ASSERT_EQ(f.wait_for(seconds(10)), std::future_status::ready);
  EXPECT_NE(f.get(), std::this_thread::get_id());
}

}  // namespace
}  // namespace tender

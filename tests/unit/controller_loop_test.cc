// The worker loop (Controller) and the timers (Scheduler) it lives beside.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "controller/controller.h"
#include "controller/scheduler.h"
#include "tests/support/simulated_clock.h"

namespace tender {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Waits (bounded) for a condition set by another thread.
bool eventually(const std::function<bool()>& pred, milliseconds limit = milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

// ---- Scheduler ----

TEST(Scheduler, SimulatedClockFiresTimersInDueOrderOnAdvance) {
  SimulatedClock clock;
  Scheduler s(clock);
  std::vector<int> fired;
  s.schedule(milliseconds(300), [&] { fired.push_back(300); });
  s.schedule(milliseconds(100), [&] { fired.push_back(100); });
  s.schedule(milliseconds(200), [&] { fired.push_back(200); });
  clock.advance(milliseconds(250));
  EXPECT_EQ(fired, (std::vector<int>{100, 200}));
  clock.advance(milliseconds(50));
  EXPECT_EQ(fired, (std::vector<int>{100, 200, 300}));
  EXPECT_EQ(s.pending(), 0u);
}

TEST(Scheduler, CancelledTimerNeverFires) {
  SimulatedClock clock;
  Scheduler s(clock);
  bool fired = false;
  TimerId id = s.schedule(milliseconds(100), [&] { fired = true; });
  EXPECT_TRUE(s.cancel(id));
  EXPECT_FALSE(s.cancel(id));
  clock.advance(seconds(1));
  EXPECT_FALSE(fired);
}

TEST(Scheduler, CallbackCanScheduleTheNextTimer) {
  SimulatedClock clock;
  Scheduler s(clock);
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    s.schedule(milliseconds(100), tick);
  };
  s.schedule(milliseconds(100), tick);
  for (int i = 0; i < 3; ++i) clock.advance(milliseconds(100));
  EXPECT_EQ(ticks, 3);
}

TEST(Scheduler, ThrowingCallbackDoesNotStopLaterTimers) {
  SimulatedClock clock;
  Scheduler s(clock);
  bool later = false;
  s.schedule(milliseconds(1), [] { throw std::runtime_error("boom"); });
  s.schedule(milliseconds(2), [&] { later = true; });
  clock.advance(milliseconds(2));
  EXPECT_TRUE(later);
}

TEST(Scheduler, ShutDownDropsPendingTimersAndRefusesNewOnes) {
  SimulatedClock clock;
  Scheduler s(clock);
  bool fired = false;
  s.schedule(milliseconds(10), [&] { fired = true; });
  s.shutDown();
  EXPECT_EQ(s.schedule(milliseconds(10), [&] { fired = true; }), 0u);
  clock.advance(seconds(1));
  EXPECT_FALSE(fired);
}

TEST(Scheduler, RealClockFiresOnItsThreadInOrder) {
  RealClock clock;
  Scheduler s(clock);
  std::mutex mu;
  std::vector<int> fired;
  auto record = [&](int v) {
    std::lock_guard<std::mutex> l(mu);
    fired.push_back(v);
  };
  s.schedule(milliseconds(40), [&] { record(40); });
  s.schedule(milliseconds(10), [&] { record(10); });
  ASSERT_TRUE(eventually([&] {
    std::lock_guard<std::mutex> l(mu);
    return fired.size() == 2;
  }));
  EXPECT_EQ(fired, (std::vector<int>{10, 40}));
}

// ---- Controller ----

const Key kApi{"Service", "shop", "api"};

// A reconciler whose answer each test scripts; counts its calls.
class ScriptedReconciler : public Reconciler {
 public:
  void setScript(std::function<ReconcileResult(int call)> script) { script_ = std::move(script); }
  ReconcileResult reconcile(const Key&) override { return script_(++calls_); }
  int calls() const { return calls_.load(); }

 private:
  std::function<ReconcileResult(int)> script_;
  std::atomic<int> calls_{0};
};

// Members are destroyed controller first, so no worker outlives the reconciler.
struct ControllerTest : ::testing::Test {
  SimulatedClock clock;
  ScriptedReconciler r;
  std::unique_ptr<Controller> controller;

  void startWith(std::function<ReconcileResult(int call)> script, int workers = 2) {
    r.setScript(std::move(script));
    controller = std::make_unique<Controller>(clock, ControllerOptions{workers});
    controller->registerReconciler("Service", &r);
    ASSERT_TRUE(controller->start().ok());
  }
  size_t delayed() const { return controller->queue().pendingDelayed(); }
};

TEST_F(ControllerTest, ErrorIsRetriedWithGrowingBackoff) {
  startWith([](int) { return ReconcileResult::Error(Status::Unavailable("engine down")); });
  controller->enqueue(kApi);
  ASSERT_TRUE(eventually([&] { return r.calls() == 1 && delayed() == 1; }));

  clock.advance(milliseconds(199));
  EXPECT_EQ(delayed(), 1u);  // not due yet: nothing for a worker to run
  EXPECT_EQ(r.calls(), 1);
  clock.advance(milliseconds(1));
  ASSERT_TRUE(eventually([&] { return r.calls() == 2 && delayed() == 1; }));

  clock.advance(milliseconds(399));  // the second retry waits 400 ms
  EXPECT_EQ(delayed(), 1u);
  EXPECT_EQ(r.calls(), 2);
  clock.advance(milliseconds(1));
  ASSERT_TRUE(eventually([&] { return r.calls() == 3; }));
  EXPECT_GE(controller->metrics().errorsTotal, 2u);
}

TEST_F(ControllerTest, SuccessForgetsEarlierFailures) {
  startWith([](int call) {
    return call == 2 ? ReconcileResult::Done()
                     : ReconcileResult::Error(Status::Unavailable("engine down"));
  });
  controller->enqueue(kApi);
  ASSERT_TRUE(eventually([&] { return delayed() == 1; }));
  clock.advance(milliseconds(200));
  ASSERT_TRUE(eventually([&] { return r.calls() == 2 && delayed() == 0; }));

  controller->enqueue(kApi);  // fails again: back to the 200 ms base
  ASSERT_TRUE(eventually([&] { return r.calls() == 3 && delayed() == 1; }));
  clock.advance(milliseconds(200));
  ASSERT_TRUE(eventually([&] { return r.calls() == 4; }));
}

TEST_F(ControllerTest, RequeueAfterIsHonoured) {
  startWith([](int) { return ReconcileResult::After(seconds(10)); });
  controller->enqueue(kApi);
  ASSERT_TRUE(eventually([&] { return r.calls() == 1 && delayed() == 1; }));
  clock.advance(milliseconds(9999));
  EXPECT_EQ(delayed(), 1u);
  EXPECT_EQ(r.calls(), 1);
  clock.advance(milliseconds(1));
  ASSERT_TRUE(eventually([&] { return r.calls() == 2; }));
  EXPECT_EQ(controller->metrics().errorsTotal, 0u);
}

TEST_F(ControllerTest, ThrowingReconcilerIsRetriedAndWorkerSurvives) {
  startWith(
      [](int call) -> ReconcileResult {
        if (call == 1) throw std::runtime_error("bug");
        return ReconcileResult::Done();
      },
      /*workers=*/1);
  controller->enqueue(kApi);
  ASSERT_TRUE(eventually([&] { return r.calls() == 1 && delayed() == 1; }));
  EXPECT_EQ(controller->metrics().errorsTotal, 1u);
  clock.advance(milliseconds(200));
  ASSERT_TRUE(eventually([&] { return r.calls() == 2; }));
}

TEST_F(ControllerTest, StopLetsTheReconcileInProgressFinish) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  // Unblocks the reconciler if an assertion below fails, so the test cannot hang.
  struct ReleaseOnExit {
    std::promise<void>& p;
    bool done = false;
    void now() {
      if (!done) p.set_value();
      done = true;
    }
    ~ReleaseOnExit() { now(); }
  } releaser{release};
  std::atomic<bool> entered{false}, finished{false};
  startWith([&](int) {
    entered = true;
    released.wait();
    finished = true;
    return ReconcileResult::Done();
  });
  controller->enqueue(kApi);
  ASSERT_TRUE(eventually([&] { return entered.load(); }));

  auto stopped = std::async(std::launch::async, [&] { controller->stop(); });
  EXPECT_EQ(stopped.wait_for(milliseconds(50)), std::future_status::timeout);
  releaser.now();
  ASSERT_EQ(stopped.wait_for(seconds(5)), std::future_status::ready);
  EXPECT_TRUE(finished.load());
}

TEST_F(ControllerTest, OneKeyIsNeverReconciledByTwoWorkersAtOnce) {
  std::atomic<int> inFlight{0}, overlaps{0};
  startWith(
      [&](int) {
        if (inFlight.fetch_add(1) != 0) ++overlaps;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        inFlight.fetch_sub(1);
        return ReconcileResult::Done();
      },
      /*workers=*/4);
  for (int i = 0; i < 300; ++i) controller->enqueue(kApi);
  ASSERT_TRUE(eventually([&] { return controller->metrics().queueDepth == 0 && inFlight == 0; }));
  controller->stop();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_GE(r.calls(), 1);
}

TEST_F(ControllerTest, DurationsLandInTheirHistogramBucket) {
  startWith(
      [&](int) {
        clock.advance(milliseconds(30));  // a reconcile that takes 30 ms of clock time
        return ReconcileResult::Done();
      },
      /*workers=*/1);
  controller->enqueue(kApi);
  ASSERT_TRUE(eventually([&] { return controller->metrics().reconcilesTotal == 1; }));
  const DurationHistogram h = controller->metrics().reconcileDuration;
  const auto& bounds = DurationHistogram::bounds();
  ASSERT_EQ(h.cumulative.size(), bounds.size() + 1);
  EXPECT_EQ(bounds[2], 0.025);
  EXPECT_EQ(h.cumulative[2], 0u);  // le 0.025
  EXPECT_EQ(h.cumulative[3], 1u);  // le 0.05
  EXPECT_EQ(h.cumulative.back(), 1u);
  EXPECT_EQ(h.count, 1u);
  EXPECT_NEAR(h.sum, 0.030, 1e-9);
}

TEST_F(ControllerTest, KeyOfUnknownKindIsDroppedWithoutRetry) {
  startWith([](int) { return ReconcileResult::Done(); }, /*workers=*/1);
  controller->enqueue(Key{"Gadget", "shop", "x"});
  controller->enqueue(kApi);
  ASSERT_TRUE(eventually([&] { return controller->metrics().reconcilesTotal == 1; }));
  EXPECT_EQ(r.calls(), 1);
  EXPECT_EQ(delayed(), 0u);
}

TEST_F(ControllerTest, StartTwiceIsRefused) {
  startWith([](int) { return ReconcileResult::Done(); });
  EXPECT_FALSE(controller->start().ok());
}

}  // namespace
}  // namespace tender

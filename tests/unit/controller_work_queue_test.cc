// The work queue: one worker per key, delays, and shutdown.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <thread>
#include <vector>

#include "controller/work_queue.h"
#include "tests/support/simulated_clock.h"

namespace tender {

void PrintTo(const Key& key, std::ostream* os) { *os << key.str(); }

namespace {

using std::chrono::milliseconds;

Key svc(const std::string& name) { return Key{"Service", "ns", name}; }

// Runs get() on another thread so a test can check whether it returned.
std::future<std::optional<Key>> asyncGet(WorkQueue& q) {
  return std::async(std::launch::async, [&q] { return q.get(); });
}

// Declared after a future from asyncGet(): on a failed assertion it unblocks
// the getter so the test fails instead of hanging.
struct ShutDownOnExit {
  WorkQueue& q;
  ~ShutDownOnExit() { q.shutDown(); }
};

bool returnsWithin(std::future<std::optional<Key>>& f, milliseconds d) {
  return f.wait_for(d) == std::future_status::ready;
}

TEST(WorkQueue, AddOfQueuedKeyIsDeduplicated) {
  SimulatedClock clock;
  WorkQueue q(clock);
  q.add(svc("a"));
  q.add(svc("a"));
  q.add(svc("b"));
  ASSERT_EQ(q.len(), 2u);  // get() below would block on a shorter queue
  EXPECT_EQ(q.get(), svc("a"));
  EXPECT_EQ(q.get(), svc("b"));
  EXPECT_EQ(q.len(), 0u);
}

TEST(WorkQueue, KeyBeingProcessedIsNotHandedOutAgainUntilDone) {
  SimulatedClock clock;
  WorkQueue q(clock);
  q.add(svc("a"));
  ASSERT_EQ(q.get(), svc("a"));
  q.add(svc("a"));
  EXPECT_EQ(q.len(), 0u);  // dirty, but held back while processing
  q.done(svc("a"));
  EXPECT_EQ(q.len(), 1u);
}

TEST(WorkQueue, AddsDuringProcessingGiveExactlyOneMorePass) {
  SimulatedClock clock;
  WorkQueue q(clock);
  q.add(svc("a"));
  ASSERT_EQ(q.get(), svc("a"));
  q.add(svc("a"));
  q.add(svc("a"));
  q.add(svc("a"));
  q.done(svc("a"));
  ASSERT_EQ(q.len(), 1u);
  ASSERT_EQ(q.get(), svc("a"));
  q.done(svc("a"));
  EXPECT_EQ(q.len(), 0u);
}

TEST(WorkQueue, DoneWithoutNewAddDropsTheKey) {
  SimulatedClock clock;
  WorkQueue q(clock);
  q.add(svc("a"));
  ASSERT_EQ(q.get(), svc("a"));
  q.done(svc("a"));
  EXPECT_EQ(q.len(), 0u);
}

TEST(WorkQueue, OneKeyIsNeverHandedToTwoWorkersAtOnce) {
  SimulatedClock clock;
  WorkQueue q(clock);
  constexpr int kKeys = 4;
  std::vector<std::atomic<int>> inFlight(kKeys);
  std::atomic<int> overlaps{0};
  std::atomic<int> passes{0};

  std::vector<std::thread> workers;
  for (int w = 0; w < 6; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.get()) {
        int i = key->name[0] - '0';
        if (inFlight[i].fetch_add(1) != 0) ++overlaps;
        std::this_thread::yield();
        inFlight[i].fetch_sub(1);
        ++passes;
        q.done(*key);
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < 3; ++p) {
    producers.emplace_back([&] {
      for (int n = 0; n < 2000; ++n) q.add(svc(std::to_string(n % kKeys)));
    });
  }
  for (auto& t : producers) t.join();
  // Every key added is eventually processed: wait (bounded) for the queue to drain.
  for (int i = 0; i < 5000 && q.len() > 0; ++i) std::this_thread::sleep_for(milliseconds(1));
  q.shutDown();
  for (auto& t : workers) t.join();

  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_GE(passes.load(), kKeys);
  EXPECT_EQ(q.len(), 0u);
}

TEST(WorkQueue, DelayedAddIsReadyOnlyAfterTheClockPassesIt) {
  SimulatedClock clock;
  WorkQueue q(clock);
  q.addAfter(svc("a"), milliseconds(500));
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.pendingDelayed(), 1u);
  clock.advance(milliseconds(499));
  EXPECT_EQ(q.len(), 0u);
  clock.advance(milliseconds(1));
  EXPECT_EQ(q.len(), 1u);
  EXPECT_EQ(q.pendingDelayed(), 0u);
}

TEST(WorkQueue, EarlierDelayedAddWins) {
  SimulatedClock clock;
  WorkQueue q(clock);
  q.addAfter(svc("a"), milliseconds(1000));
  q.addAfter(svc("a"), milliseconds(100));
  q.addAfter(svc("a"), milliseconds(5000));
  EXPECT_EQ(q.pendingDelayed(), 1u);
  clock.advance(milliseconds(100));
  ASSERT_EQ(q.len(), 1u);
  ASSERT_EQ(q.get(), svc("a"));
  q.done(svc("a"));
  clock.advance(milliseconds(10000));
  EXPECT_EQ(q.len(), 0u);  // the later adds were merged into the first
}

TEST(WorkQueue, BlockedGetWakesWhenSimulatedClockPassesDelayedItem) {
  SimulatedClock clock;
  WorkQueue q(clock);
  q.addAfter(svc("a"), milliseconds(300));
  auto got = asyncGet(q);
  ShutDownOnExit guard{q};
  EXPECT_FALSE(returnsWithin(got, milliseconds(50)));
  clock.advance(milliseconds(300));
  ASSERT_TRUE(returnsWithin(got, milliseconds(5000)));
  EXPECT_EQ(got.get(), svc("a"));
}

TEST(WorkQueue, BlockedGetWakesForDelayedItemWithRealClock) {
  RealClock clock;
  WorkQueue q(clock);
  auto start = std::chrono::steady_clock::now();
  q.addAfter(svc("a"), milliseconds(30));
  auto got = asyncGet(q);
  ShutDownOnExit guard{q};
  ASSERT_TRUE(returnsWithin(got, milliseconds(5000)));
  EXPECT_EQ(got.get(), svc("a"));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(30));
}

TEST(WorkQueue, ShutDownWakesEveryBlockedGetter) {
  SimulatedClock clock;
  WorkQueue q(clock);
  auto g1 = asyncGet(q);
  auto g2 = asyncGet(q);
  ShutDownOnExit guard{q};
  EXPECT_FALSE(returnsWithin(g1, milliseconds(20)));
  q.shutDown();
  ASSERT_TRUE(returnsWithin(g1, milliseconds(5000)));
  ASSERT_TRUE(returnsWithin(g2, milliseconds(5000)));
  EXPECT_EQ(g1.get(), std::nullopt);
  EXPECT_EQ(g2.get(), std::nullopt);
}

TEST(WorkQueue, AddsAfterShutDownAreIgnored) {
  SimulatedClock clock;
  WorkQueue q(clock);
  q.shutDown();
  q.add(svc("a"));
  q.addAfter(svc("b"), milliseconds(10));
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.pendingDelayed(), 0u);
  EXPECT_EQ(q.get(), std::nullopt);
}

}  // namespace
}  // namespace tender

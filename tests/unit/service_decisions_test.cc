// The service reconciler's pure decisions, table by table.
#include "reconcilers/service_decisions.h"

#include <gtest/gtest.h>

#include "reconcilers/service_status.h"

namespace tender {
namespace {

using std::chrono::milliseconds;

ObservedContainer replica(const std::string& id, int r, const std::string& state,
                          const std::string& health = "", const std::string& hash = "h1") {
  ObservedContainer c;
  c.id = id;
  c.replica = r;
  c.state = state;
  c.health = health;
  c.specHash = hash;
  return c;
}

TEST(Liveness, OnlyRunningUnhealthyReplicasOfTheCurrentSpecAreStopped) {
  struct Row {
    ObservedContainer c;
    bool stopped;
  } rows[] = {
      {replica("a", 0, "running", "unhealthy"), true},
      {replica("b", 1, "running", "healthy"), false},
      {replica("c", 2, "running", "starting"), false},
      {replica("d", 3, "exited", "unhealthy"), false},
      {replica("e", 4, "running", "unhealthy", "old-spec"), false},  // recreated anyway
      {replica("f", -1, "running", "unhealthy"), false},             // not one of ours to count
  };
  for (const Row& row : rows) {
    auto stops = unhealthyReplicas({row.c}, "h1");
    EXPECT_EQ(!stops.empty(), row.stopped) << row.c.id;
  }
}

TEST(Eviction, RunningContainersOfEvictedReplicasStopAndEveryEvictedReplicaIsHeld) {
  std::vector<ObservedContainer> observed = {replica("a", 0, "running"), replica("b", 1, "running"),
                                             replica("c", 2, "exited")};
  std::map<int, std::string> evictions = {{1, "host under pressure"}, {2, "host under pressure"}};
  auto stops = evictedToStop(observed, evictions);
  EXPECT_EQ(stops, (std::map<std::string, std::string>{{"b", "host under pressure"}}));
  RuntimeState runtime;
  holdEvicted(runtime, evictions);
  EXPECT_EQ(runtime.heldReason, (std::map<int, std::string>{{1, "Evicted"}, {2, "Evicted"}}));
  EXPECT_EQ(runtime.held.at(1), "evicted: host under pressure");
}

TEST(StopActions, UnhealthyFirstThenEvictedEachOnce) {
  std::vector<ObservedContainer> observed = {replica("a", 0, "running", "unhealthy"), replica("b", 1, "running"),
                                             replica("c", 2, "running", "unhealthy")};
  std::map<int, std::string> evictions = {{1, "pressure"}, {2, "pressure"}};
  auto stops = stopActions(observed, "h1", true, evictions);
  ASSERT_EQ(stops.size(), 3u);
  EXPECT_EQ(stops[0], (Action{Action::Type::kStop, 0, "a", ""}));
  EXPECT_EQ(stops[0].reason, "unhealthy");
  EXPECT_EQ(stops[1], (Action{Action::Type::kStop, 2, "c", ""}));
  EXPECT_EQ(stops[2], (Action{Action::Type::kStop, 1, "b", ""}));
  EXPECT_EQ(stops[2].reason, "evicted: pressure");
  auto noLiveness = stopActions(observed, "h1", false, {});
  EXPECT_TRUE(noLiveness.empty()) << "without restartWhenUnhealthy an unhealthy replica keeps running";
}

TEST(RestartRequest, RestartsWhatRanBeforeTheRequestAndClearsTheBackoffOfTheStopped) {
  const WallTime at = WallTime(milliseconds(1'000'000));
  struct Row {
    const char* state;
    std::optional<WallTime> started;
    RestartStep step;
  } rows[] = {
      {"running", at - milliseconds(5000), RestartStep::kRestart},
      {"running", std::nullopt, RestartStep::kRestart},
      {"running", at, RestartStep::kLeave},  // started by this request already
      {"running", at + milliseconds(1), RestartStep::kLeave},
      {"exited", at - milliseconds(5000), RestartStep::kClearBackoff},
      {"created", std::nullopt, RestartStep::kClearBackoff},
      {"exited", at + milliseconds(1), RestartStep::kLeave},
      {"restarting", at - milliseconds(5000), RestartStep::kLeave},
      {"paused", at - milliseconds(5000), RestartStep::kLeave},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(r.step, restartStep(r.state, r.started, at)) << r.state;
  }
}

TEST(Dependencies, AnUnmetDependencyHoldsEveryReplicaNotAlreadyHeld) {
  RuntimeState runtime;
  runtime.held[1] = "evicted: x";
  runtime.heldReason[1] = "Evicted";
  holdForDependencies(runtime, 3, "db to be healthy");
  EXPECT_EQ(runtime.heldReason,
            (std::map<int, std::string>{
                {0, "WaitingForDependencies"}, {1, "Evicted"}, {2, "WaitingForDependencies"}}));
  EXPECT_EQ(runtime.held.at(0), "waiting for db to be healthy");
  RuntimeState none;
  holdForDependencies(none, 3, "");
  EXPECT_TRUE(none.held.empty()) << "all dependencies met";
}

TEST(Backoff, DoublesFromTheInitialDelayUpToTheCap) {
  BackoffSpec defaults;
  struct Row {
    int restarts;
    int64_t ms;
  } rows[] = {{0, 10'000},  {1, 20'000},    {2, 40'000},      {4, 160'000},
              {5, 300'000}, {100, 300'000}, {100000, 300'000}};
  for (const Row& row : rows)
    EXPECT_EQ(backoffDelayMs(defaults, row.restarts), row.ms) << row.restarts;
  BackoffSpec custom;
  custom.initialMs = 500;
  custom.factor = 3;
  custom.maxMs = 4000;
  EXPECT_EQ(backoffDelayMs(custom, 1), 1500);
  EXPECT_EQ(backoffDelayMs(custom, 2), 4000);
}

TEST(NextLook, ErrorThenBackoffWakeThenStartingThenBlocked) {
  const WallTime now = WallTime(std::chrono::seconds(1000));
  const Millis poll(2000);
  EXPECT_FALSE(
      nextLook(Status::Unavailable("engine"), now + std::chrono::seconds(5), "Running", now, poll)
          .status.ok());
  EXPECT_EQ(nextLook(Status::Ok(), now + std::chrono::seconds(5), "CrashLoopBackOff", now, poll)
                .requeueAfter,
            milliseconds(5000));
  EXPECT_EQ(nextLook(Status::Ok(), now - std::chrono::seconds(5), "CrashLoopBackOff", now, poll)
                .requeueAfter,
            milliseconds(1))
      << "a wake time already passed: at once";
  EXPECT_EQ(nextLook(Status::Ok(), std::nullopt, "Starting", now, poll).requeueAfter, poll);
  EXPECT_EQ(nextLook(Status::Ok(), std::nullopt, "Pending", now, poll).requeueAfter, poll);
  EXPECT_EQ(nextLook(Status::Ok(), std::nullopt, "Blocked", now, poll).requeueAfter,
            milliseconds(10'000));
  EXPECT_FALSE(nextLook(Status::Ok(), std::nullopt, "Running", now, poll).requeueAfter);
}

TEST(ObservedFromSummary, ReadsReplicaStateExitCodeAndHealthFromTheList) {
  ContainerSummary exited;
  exited.id = "x";
  exited.state = "exited";
  exited.status = "Exited (137) 3 seconds ago";
  exited.labels = {{"tender.replica", "2"}, {"tender.spec-hash", "h"}};
  ObservedContainer o = observedFromSummary(exited);
  EXPECT_EQ(o.replica, 2);
  EXPECT_EQ(o.specHash, "h");
  EXPECT_EQ(o.exitCode, 137);
  EXPECT_EQ(o.health, "");
  ContainerSummary running;
  running.state = "running";
  running.status = "Up 5 seconds (unhealthy)";
  running.labels = {{"tender.replica", "nope"}};
  o = observedFromSummary(running);
  EXPECT_EQ(o.replica, -1);
  EXPECT_EQ(o.health, "unhealthy");
  EXPECT_FALSE(o.exitCode);
}

}  // namespace
}  // namespace tender

// planService: the decision of what to do for one service, table-style.
#include "reconcilers/service_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tender {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const WallTime t0 = WallTime(std::chrono::seconds(1'700'000'000));

ObservedContainer running(int replica, const std::string& hash, const std::string& id) {
  ObservedContainer c;
  c.id = id;
  c.replica = replica;
  c.specHash = hash;
  c.state = "running";
  return c;
}
ObservedContainer exited(int replica, const std::string& hash, const std::string& id, int code) {
  ObservedContainer c = running(replica, hash, id);
  c.state = "exited";
  c.exitCode = code;
  return c;
}
DesiredService want(int replicas, const std::string& hash,
                    RestartPolicy p = RestartPolicy::kAlways) {
  DesiredService d;
  d.replicas = replicas;
  d.specHash = hash;
  d.restartPolicy = p;
  return d;
}
Action act(Action::Type t, int replica, const std::string& id = "") { return Action{t, replica, id, ""}; }

TEST(PlanService, CreatesMissingReplicas) {
  auto plan = planService(want(3, "h1"), {running(1, "h1", "b")}, {}, t0);
  EXPECT_THAT(plan.actions, ElementsAre(act(Action::Type::kCreate, 0), act(Action::Type::kCreate, 2)));
}

TEST(PlanService, KeepsRunningContainersWithTheCurrentHash) {
  auto plan = planService(want(2, "h1"), {running(0, "h1", "a"), running(1, "h1", "b")}, {}, t0);
  EXPECT_THAT(plan.actions, IsEmpty());
}

TEST(PlanService, RecreatesWhenSpecHashDiffers) {
  auto plan = planService(want(1, "h2"), {running(0, "h1", "a")}, {}, t0);
  EXPECT_THAT(plan.actions, ElementsAre(act(Action::Type::kRecreate, 0, "a")));
}

TEST(PlanService, ScaleDownRemovesHighReplicasOnly) {
  auto plan = planService(want(1, "h1"), {running(0, "h1", "a"), running(1, "h1", "b"), running(2, "h1", "c")},
                          {}, t0);
  EXPECT_THAT(plan.actions, UnorderedElementsAre(act(Action::Type::kRemove, 1, "b"), act(Action::Type::kRemove, 2, "c")));
}

TEST(PlanService, DeletedServiceRemovesEverything) {
  auto plan = planService(std::nullopt, {running(0, "h1", "a"), exited(1, "h1", "b", 0)}, {}, t0);
  EXPECT_THAT(plan.actions, ElementsAre(act(Action::Type::kRemove, 0, "a"), act(Action::Type::kRemove, 1, "b")));
}

TEST(PlanService, StartsStoppedContainerUnderAlways) {
  auto plan = planService(want(1, "h1"), {exited(0, "h1", "a", 0)}, {}, t0);
  EXPECT_THAT(plan.actions, ElementsAre(act(Action::Type::kStart, 0, "a")));
}

TEST(PlanService, OnFailureDoesNotRestartASuccessfulExit) {
  auto ok = planService(want(1, "h1", RestartPolicy::kOnFailure), {exited(0, "h1", "a", 0)}, {}, t0);
  EXPECT_THAT(ok.actions, IsEmpty());
  auto failed = planService(want(1, "h1", RestartPolicy::kOnFailure), {exited(0, "h1", "a", 2)}, {}, t0);
  EXPECT_THAT(failed.actions, ElementsAre(act(Action::Type::kStart, 0, "a")));
}

TEST(PlanService, NeverRestartsNothingButStartsACreatedContainer) {
  auto plan = planService(want(1, "h1", RestartPolicy::kNever), {exited(0, "h1", "a", 1)}, {}, t0);
  EXPECT_THAT(plan.actions, IsEmpty());
  ObservedContainer created = running(0, "h1", "a");
  created.state = "created";
  auto plan2 = planService(want(1, "h1", RestartPolicy::kNever), {created}, {}, t0);
  EXPECT_THAT(plan2.actions, ElementsAre(act(Action::Type::kStart, 0, "a")));
}

TEST(PlanService, WaitsForBackoffAndSaysWhenToWake) {
  RuntimeState rt;
  rt.notBefore[0] = t0 + std::chrono::seconds(10);
  auto plan = planService(want(1, "h1"), {exited(0, "h1", "a", 1)}, rt, t0);
  EXPECT_THAT(plan.actions, IsEmpty());
  ASSERT_TRUE(plan.wakeAt.has_value());
  EXPECT_EQ(*plan.wakeAt, t0 + std::chrono::seconds(10));
  auto later = planService(want(1, "h1"), {exited(0, "h1", "a", 1)}, rt, t0 + std::chrono::seconds(11));
  EXPECT_THAT(later.actions, ElementsAre(act(Action::Type::kStart, 0, "a")));
}

TEST(PlanService, HeldReplicaIsNeitherCreatedNorStarted) {
  RuntimeState rt;
  rt.held[0] = "waiting for db";
  auto plan = planService(want(2, "h1"), {exited(1, "h1", "b", 1)}, rt, t0);
  EXPECT_THAT(plan.actions, ElementsAre(act(Action::Type::kStart, 1, "b")));
}

TEST(PlanService, DuplicateReplicaKeepsTheRunningCurrentOne) {
  auto plan = planService(want(1, "h1"), {exited(0, "h0", "old", 0), running(0, "h1", "good")}, {}, t0);
  EXPECT_THAT(plan.actions, ElementsAre(act(Action::Type::kRemove, 0, "old")));
}

TEST(PlanService, ContainerWithoutReplicaLabelIsRemoved) {
  auto plan = planService(want(1, "h1"), {running(0, "h1", "a"), running(-1, "h1", "stray")}, {}, t0);
  EXPECT_THAT(plan.actions, ElementsAre(act(Action::Type::kRemove, -1, "stray")));
}

TEST(PlanService, ZeroReplicasRemovesAll) {
  auto plan = planService(want(0, "h1"), {running(0, "h1", "a")}, {}, t0);
  EXPECT_THAT(plan.actions, ElementsAre(act(Action::Type::kRemove, 0, "a")));
}

TEST(PlanService, PausedAndRestartingContainersAreLeftAlone) {
  ObservedContainer p = running(0, "h1", "a");
  p.state = "paused";
  auto plan = planService(want(1, "h1"), {p}, {}, t0);
  EXPECT_THAT(plan.actions, IsEmpty());
}

}  // namespace
}  // namespace tender

// The dependsOn graph of a namespace, as an apply checks it.
#include "manifests/dependencies.h"

#include <gtest/gtest.h>

namespace tender {
namespace {

Dependency on(DependencyCondition c = DependencyCondition::kStarted, bool required = true) {
  Dependency d;
  d.condition = c;
  d.required = required;
  return d;
}

TEST(CheckDependencies, AnUnknownRequiredServiceIsNamedAtItsPath) {
  auto errors = checkDependencies("shop", {{"api", {{"db", on()}, {"cache", on(DependencyCondition::kStarted, false)}}, "[1].", true}});
  ASSERT_EQ(1u, errors.size());
  EXPECT_EQ("[1].spec.dependsOn.db", errors[0].field);
  EXPECT_EQ("service \"db\" does not exist in namespace \"shop\"", errors[0].message);
}

TEST(CheckDependencies, ACycleIsNamedFromTheFirstServiceOfTheRequest) {
  auto errors = checkDependencies("shop", {{"api", {{"web", on()}}, "[0].", true},
                                           {"db", {}, "[1].", true},
                                           {"web", {{"api", on(DependencyCondition::kHealthy)}, {"db", on()}}, "[2].", true}});
  ASSERT_EQ(1u, errors.size());
  EXPECT_EQ("[0].spec.dependsOn", errors[0].field);
  EXPECT_EQ("dependency cycle: api -> web -> api", errors[0].message);
}

TEST(CheckDependencies, ASelfDependencyIsACycle) {
  auto errors = checkDependencies("shop", {{"api", {{"api", on()}}, "", true}});
  ASSERT_EQ(1u, errors.size());
  EXPECT_EQ("spec.dependsOn", errors[0].field);
  EXPECT_EQ("dependency cycle: api -> api", errors[0].message);
}

TEST(CheckDependencies, StoredServicesCountButTheirOwnProblemsAreNotTheApplys) {
  // web (applied) -> api (stored) -> web: a cycle the apply closes.
  auto closes = checkDependencies("shop", {{"web", {{"api", on()}}, "", true}, {"api", {{"web", on()}}, "", false}});
  ASSERT_EQ(1u, closes.size());
  EXPECT_EQ("dependency cycle: web -> api -> web", closes[0].message);
  // A stored service depending on one that no longer exists is not reported.
  auto stored = checkDependencies("shop", {{"web", {{"api", on()}}, "", true}, {"api", {{"gone", on()}}, "", false}});
  EXPECT_TRUE(stored.empty());
  // A chain without a cycle is fine.
  EXPECT_TRUE(checkDependencies("shop", {{"web", {{"api", on()}}, "[0].", true},
                                         {"api", {{"db", on(DependencyCondition::kHealthy)}}, "[1].", true},
                                         {"db", {}, "[2].", true},
                                         {"migrate", {{"db", on()}}, "[3].", true}})
                  .empty());
}

}  // namespace
}  // namespace tender

// The resync's shared container list: each service's entry is used once,
// only while fresh, and never after something happened to the service.
#include "reconcilers/container_snapshot.h"

#include <gtest/gtest.h>

namespace tender {
namespace {

ContainerSummary container(const std::string& ns, const std::string& service, const std::string& id) {
  ContainerSummary c;
  c.id = id;
  c.labels = {{kLabelNamespace, ns}, {kLabelService, service}};
  return c;
}

TEST(ContainerSnapshot, EachServiceTakesItsContainersOnceWhileTheListIsFresh) {
  ContainerSnapshot snapshot(std::chrono::seconds(5));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(snapshot.take("shop", "web", t0)) << "nothing listed yet";
  snapshot.fill({container("shop", "web", "a"), container("shop", "web", "b"), container("shop", "db", "c")}, t0);
  auto web = snapshot.take("shop", "web", t0);
  ASSERT_TRUE(web);
  EXPECT_EQ(2u, web->size());
  EXPECT_FALSE(snapshot.take("shop", "web", t0)) << "a second pass lists for itself";
  auto none = snapshot.take("shop", "new", t0);
  ASSERT_TRUE(none) << "the list was complete: a service missing from it has no containers";
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(snapshot.take("shop", "db", t0 + std::chrono::seconds(6))) << "too old";
}

TEST(ContainerSnapshot, AnEventAboutAServiceRetiresItsEntry) {
  ContainerSnapshot snapshot;
  const auto t0 = std::chrono::steady_clock::now();
  snapshot.fill({container("shop", "db", "c")}, t0);
  snapshot.invalidate("shop", "db");
  EXPECT_FALSE(snapshot.take("shop", "db", t0));
  snapshot.fill({container("shop", "db", "c")}, t0);
  EXPECT_TRUE(snapshot.take("shop", "db", t0)) << "a new list starts afresh";
}

}  // namespace
}  // namespace tender

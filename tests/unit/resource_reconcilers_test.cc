// Network, volume, namespace and resync reconcilers against the in-memory
// engine and a real SQLite file.
#include "reconcilers/resource_reconcilers.h"

#include <gtest/gtest.h>

#include "base/time_format.h"

#include <set>
#include <thread>

#include "engine/labels.h"
#include "tests/support/reconciler_fixture.h"

namespace tender {
namespace {

class ResourceReconcilersTest : public testing::ReconcilerFixture {
 protected:
  bool networkExists(const std::string& name) {
    auto r = engine_.listNetworks(Filters{{"name", {name}}});
    if (!r.ok()) return false;
    for (const auto& n : *r) {
      if (n.name == name) return true;
    }
    return false;
  }
};

constexpr const char* kService =
    "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
    "spec: {image: \"tender-busybox:latest\"}\n";

TEST_F(ResourceReconcilersTest, DeclaredNetworkIsCreatedWithOwnerLabelsAndRemovedOnDelete) {
  apply("apiVersion: tender/v1\nkind: Network\nmetadata: {name: backend, namespace: shop}\nspec: {internal: true}\n");
  NetworkReconciler r(*store_, engine_, clock_, "test");
  ASSERT_TRUE(r.reconcile(Key{"Network", "shop", "backend"}).status.ok());
  auto n = engine_.inspectNetwork("shop_backend");
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(n->internal);
  EXPECT_TRUE(ownedBy(n->labels, "test"));
  EXPECT_EQ(store_->get("Network", "shop", "backend")->status["phase"], "Ready");

  ASSERT_TRUE(store_->markDeleted("Network", "shop", "backend").ok());
  ASSERT_TRUE(r.reconcile(Key{"Network", "shop", "backend"}).status.ok());
  EXPECT_FALSE(networkExists("shop_backend"));
  EXPECT_TRUE(store_->get("Network", "shop", "backend").status().IsNotFound());
}

TEST_F(ResourceReconcilersTest, DefaultNetworkStaysWhileAServiceNeedsItEvenWithItsContainerStopped) {
  apply(kService);
  ASSERT_TRUE(services_->reconcile(Key{"Service", "shop", "web"}).status.ok());
  ASSERT_TRUE(networkExists("shop_default"));
  auto c = engine_.inspectContainer("shop.web.0");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(engine_.crash(c->id, 0).ok());
  NetworkReconciler r(*store_, engine_, clock_, "test");
  ASSERT_TRUE(r.reconcile(Key{"Network", "shop", "default"}).status.ok());
  EXPECT_TRUE(networkExists("shop_default"));

  // Once the service and its container are gone, so is the network.
  ASSERT_TRUE(store_->markDeleted("Service", "shop", "web").ok());
  ASSERT_TRUE(services_->reconcile(Key{"Service", "shop", "web"}).status.ok());
  ASSERT_TRUE(r.reconcile(Key{"Network", "shop", "default"}).status.ok());
  EXPECT_FALSE(networkExists("shop_default"));
}

TEST_F(ResourceReconcilersTest, ConcurrentEnsuresOfOneNetworkCreateOne) {
  apply("apiVersion: tender/v1\nkind: Network\nmetadata: {name: backend, namespace: shop}\n");
  NetworkReconciler r(*store_, engine_, clock_, "test");
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i) ts.emplace_back([&] { r.reconcile(Key{"Network", "shop", "backend"}); });
  for (auto& t : ts) t.join();
  auto all = engine_.listNetworks(Filters{{"name", {"shop_backend"}}});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(ResourceReconcilersTest, VolumeIsCreatedAndOnlyAnExplicitDeleteRemovesIt) {
  apply("apiVersion: tender/v1\nkind: Volume\nmetadata: {name: data, namespace: shop}\n");
  VolumeReconciler r(*store_, engine_, clock_, "test");
  ASSERT_TRUE(r.reconcile(Key{"Volume", "shop", "data"}).status.ok());
  ASSERT_TRUE(engine_.inspectVolume("shop_data").ok());
  // A volume no resource names is kept: it may hold data.
  Labels labels = ownerLabels("test", "shop");
  labels[kLabelResource] = "orphan";
  ASSERT_TRUE(engine_.createVolume("shop_orphan", "local", labels, {}).ok());
  ASSERT_TRUE(r.reconcile(Key{"Volume", "shop", "orphan"}).status.ok());
  EXPECT_TRUE(engine_.inspectVolume("shop_orphan").ok());

  ASSERT_TRUE(store_->markDeleted("Volume", "shop", "data", /*purgeData=*/true).ok());
  ASSERT_TRUE(r.reconcile(Key{"Volume", "shop", "data"}).status.ok());
  EXPECT_TRUE(engine_.inspectVolume("shop_data").status().IsNotFound());
}

// docker compose's volume of project "shop": used only once an admin's
// apply recorded the adoption, then kept on deletion unless purged.
TEST_F(ResourceReconcilersTest, ComposesVolumeIsUsedOnlyOnceAdoptedAndGoesOnlyWithPurge) {
  Labels compose = {{"com.docker.compose.project", "shop"}, {"com.docker.compose.volume", "db_data"}};
  ASSERT_TRUE(engine_.createVolume("shop_db_data", "local", compose, {}).ok());
  apply("apiVersion: tender/v1\nkind: Volume\nmetadata: {name: db_data, namespace: shop}\n");
  apply("apiVersion: tender/v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n"
        "spec: {image: \"tender-busybox:latest\", volumes: [\"db_data:/data\"]}\n");
  VolumeReconciler r(*store_, engine_, clock_, "test");
  const Key key{"Volume", "shop", "db_data"};
  ASSERT_TRUE(r.reconcile(key).status.ok());
  auto st = store_->get("Volume", "shop", "db_data")->status;
  EXPECT_EQ(st["phase"], "Failed");
  EXPECT_NE(st["message"].get<std::string>().find("created by docker compose for project \"shop\": apply "
                                                  "the project with an admin token"),
            std::string::npos)
      << st;
  // Nor does the service mount it.
  ASSERT_TRUE(services_->reconcile(Key{"Service", "shop", "db"}).status.ok());
  EXPECT_FALSE(engine_.inspectContainer("shop.db.0").ok());

  ResourceWrite adopt;
  adopt.op = ResourceWrite::Op::kAdopt;
  adopt.kind = "Volume";
  adopt.ns = "shop";
  adopt.name = "db_data";
  adopt.adoption = Adoption{"Volume", "shop", "db_data", "shop_db_data", "shop", "admin", 0};
  ASSERT_TRUE(store_->commit({adopt}).ok());
  ASSERT_TRUE(r.reconcile(key).status.ok());
  st = store_->get("Volume", "shop", "db_data")->status;
  EXPECT_EQ(st["phase"], "Ready");
  EXPECT_EQ(st["adoptedFrom"], "docker compose project shop");
  ASSERT_TRUE(services_->reconcile(Key{"Service", "shop", "db"}).status.ok());
  EXPECT_TRUE(engine_.inspectContainer("shop.db.0").ok());

  // Deleted without purge: kept, and the adoption goes with the record.
  ASSERT_TRUE(store_->markDeleted("Volume", "shop", "db_data").ok());
  ASSERT_TRUE(r.reconcile(key).status.ok());
  EXPECT_TRUE(engine_.inspectVolume("shop_db_data").ok());
  EXPECT_FALSE(*store_->adoption("Volume", "shop", "db_data"));

  // Adopted again and deleted with purge: removed.
  apply("apiVersion: tender/v1\nkind: Volume\nmetadata: {name: db_data, namespace: shop}\n");
  ASSERT_TRUE(store_->commit({adopt}).ok());
  ASSERT_TRUE(store_->markDeleted("Service", "shop", "db").ok());
  ASSERT_TRUE(services_->reconcile(Key{"Service", "shop", "db"}).status.ok());
  ASSERT_TRUE(store_->markDeleted("Volume", "shop", "db_data", /*purgeData=*/true).ok());
  ASSERT_TRUE(r.reconcile(key).status.ok());
  EXPECT_TRUE(engine_.inspectVolume("shop_db_data").status().IsNotFound());
}

// With '_' in namespace and volume names, namespace "a" volume "b_c" and
// namespace "a_b" volume "c" are one engine name: the labels decide whose.
TEST_F(ResourceReconcilersTest, AVolumeOfTheSameEngineNameInAnotherNamespaceIsNeverUsed) {
  apply("apiVersion: tender/v1\nkind: Volume\nmetadata: {name: c, namespace: a_b}\n");
  VolumeReconciler r(*store_, engine_, clock_, "test");
  ASSERT_TRUE(r.reconcile(Key{"Volume", "a_b", "c"}).status.ok());
  ASSERT_TRUE(engine_.inspectVolume("a_b_c").ok());

  apply("apiVersion: tender/v1\nkind: Volume\nmetadata: {name: b_c, namespace: a}\n");
  ASSERT_TRUE(r.reconcile(Key{"Volume", "a", "b_c"}).status.ok());
  auto st = store_->get("Volume", "a", "b_c")->status;
  EXPECT_EQ(st["phase"], "Failed");
  EXPECT_NE(st["message"].get<std::string>().find("belongs to namespace \"a_b\""), std::string::npos) << st;
  apply("apiVersion: tender/v1\nkind: Service\nmetadata: {name: thief, namespace: a}\n"
        "spec: {image: \"tender-busybox:latest\", volumes: [\"b_c:/data\"]}\n");
  ASSERT_TRUE(services_->reconcile(Key{"Service", "a", "thief"}).status.ok());
  EXPECT_FALSE(engine_.inspectContainer("a.thief.0").ok()) << "mounted namespace a_b's data";
}

TEST_F(ResourceReconcilersTest, ANamespaceDeletedWithoutPurgeKeepsItsVolumesData) {
  apply("apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: shop}\n");
  apply("apiVersion: tender/v1\nkind: Volume\nmetadata: {name: data, namespace: shop}\n");
  VolumeReconciler volumes(*store_, engine_, clock_, "test");
  NamespaceReconciler ns(*store_, clock_, [](const Key&) {}, &engine_, "test");
  ASSERT_TRUE(volumes.reconcile(Key{"Volume", "shop", "data"}).status.ok());
  ASSERT_TRUE(store_->markDeleted("Namespace", "", "shop").ok());
  ASSERT_TRUE(ns.reconcile(Key{"Namespace", "", "shop"}).status.ok());
  ASSERT_TRUE(volumes.reconcile(Key{"Volume", "shop", "data"}).status.ok());
  ASSERT_TRUE(ns.reconcile(Key{"Namespace", "", "shop"}).status.ok());
  EXPECT_TRUE(store_->get("Namespace", "", "shop").status().IsNotFound());
  EXPECT_TRUE(store_->get("Volume", "shop", "data").status().IsNotFound());
  EXPECT_TRUE(engine_.inspectVolume("shop_data").ok()) << "as compose down without -v";
  EventQuery q;
  q.name = "data";
  auto events = store_->events(q);
  ASSERT_FALSE(events->empty());
  EXPECT_EQ("Kept", events->back().reason);
}

TEST_F(ResourceReconcilersTest, ANamespaceDeletedWithPurgeRemovesEveryVolumeOfItOnceUnused) {
  apply("apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: shop}\n");
  apply("apiVersion: tender/v1\nkind: Volume\nmetadata: {name: data, namespace: shop}\n");
  VolumeReconciler volumes(*store_, engine_, clock_, "test");
  NamespaceReconciler ns(*store_, clock_, [](const Key&) {}, &engine_, "test");
  ASSERT_TRUE(volumes.reconcile(Key{"Volume", "shop", "data"}).status.ok());
  // One a service made on use (never declared), one in use, one another instance's.
  Labels mine = ownerLabels("test", "shop");
  mine[kLabelResource] = "cache";
  ASSERT_TRUE(engine_.createVolume("shop_cache", "local", mine, {}).ok());
  Labels theirs = ownerLabels("other", "shop");
  ASSERT_TRUE(engine_.createVolume("shop_cache-other", "local", theirs, {}).ok());
  auto user = engine_.createContainer(
      "leftover", {{"Image", "tender-busybox:latest"},
                   {"HostConfig", {{"Mounts", {{{"Type", "volume"}, {"Source", "shop_cache"}, {"Target", "/c"}}}}}}});
  ASSERT_TRUE(user.ok());

  ASSERT_TRUE(store_->markDeleted("Namespace", "", "shop", /*purgeData=*/true).ok());
  ASSERT_TRUE(ns.reconcile(Key{"Namespace", "", "shop"}).status.ok());
  EXPECT_TRUE(store_->get("Volume", "shop", "data")->purgeData) << "the purge reaches the namespace's objects";
  ASSERT_TRUE(volumes.reconcile(Key{"Volume", "shop", "data"}).status.ok());
  EXPECT_TRUE(engine_.inspectVolume("shop_data").status().IsNotFound());

  auto waiting = ns.reconcile(Key{"Namespace", "", "shop"});
  ASSERT_TRUE(waiting.status.ok());
  EXPECT_TRUE(waiting.requeueAfter.has_value()) << "shop_cache is still in use";
  EXPECT_EQ("1 volumes still in use by containers", store_->get("Namespace", "", "shop")->status["message"]);
  ASSERT_TRUE(engine_.removeContainer(*user, true, false).ok());
  ASSERT_TRUE(ns.reconcile(Key{"Namespace", "", "shop"}).status.ok());
  EXPECT_TRUE(engine_.inspectVolume("shop_cache").status().IsNotFound());
  EXPECT_TRUE(engine_.inspectVolume("shop_cache-other").ok()) << "never another instance's";
  EXPECT_TRUE(store_->get("Namespace", "", "shop").status().IsNotFound());
}

TEST_F(ResourceReconcilersTest, DeletedNamespaceTakesItsResourcesAlong) {
  apply("apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: shop}\n");
  apply(kService);
  std::vector<Key> keys;
  NamespaceReconciler r(*store_, clock_, [&](const Key& k) { keys.push_back(k); });
  ASSERT_TRUE(r.reconcile(Key{"Namespace", "", "shop"}).status.ok());
  EXPECT_EQ(store_->get("Namespace", "", "shop")->status["phase"], "Active");

  ASSERT_TRUE(store_->markDeleted("Namespace", "", "shop").ok());
  auto res = r.reconcile(Key{"Namespace", "", "shop"});
  EXPECT_TRUE(res.requeueAfter.has_value()) << "waits for its services to go";
  EXPECT_TRUE(store_->get("Service", "shop", "web")->deletedAt.has_value());
  EXPECT_NE(std::find(keys.begin(), keys.end(), Key{"Service", "shop", "web"}), keys.end());

  ASSERT_TRUE(services_->reconcile(Key{"Service", "shop", "web"}).status.ok());
  ASSERT_TRUE(r.reconcile(Key{"Namespace", "", "shop"}).status.ok());
  EXPECT_TRUE(store_->get("Namespace", "", "shop").status().IsNotFound());
}

TEST_F(ResourceReconcilersTest, ANamespaceGoesWithEverythingInItWhenItsTtlPasses) {
  apply("apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: shop}\nspec: {ttl: 3s}\n");
  apply(kService);
  std::vector<Key> keys;
  NamespaceReconciler r(*store_, clock_, [&](const Key& k) { keys.push_back(k); });
  auto first = r.reconcile(Key{"Namespace", "", "shop"});
  ASSERT_TRUE(first.status.ok());
  ASSERT_TRUE(first.requeueAfter.has_value()) << "looks again when it expires";
  EXPECT_GT(*first.requeueAfter, std::chrono::milliseconds(2900));
  EXPECT_LE(*first.requeueAfter, std::chrono::milliseconds(3001));
  EXPECT_EQ("Active", store_->get("Namespace", "", "shop")->status["phase"]);
  EXPECT_TRUE(store_->get("Namespace", "", "shop")->status.contains("expiresAt"));

  clock_.advance(std::chrono::seconds(3));
  ASSERT_TRUE(r.reconcile(Key{"Namespace", "", "shop"}).status.ok());
  EXPECT_TRUE(store_->get("Namespace", "", "shop")->deletedAt.has_value());
  ASSERT_TRUE(r.reconcile(Key{"Namespace", "", "shop"}).status.ok());
  EXPECT_TRUE(store_->get("Service", "shop", "web")->deletedAt.has_value());
  EventQuery q;
  q.kind = "Namespace";
  bool expired = false;
  auto events = store_->events(q);
  ASSERT_TRUE(events.ok());
  for (const auto& e : *events) expired |= e.reason == "Expired";
  EXPECT_TRUE(expired);
}

TEST_F(ResourceReconcilersTest, ANamespaceExpiresAtItsExpiresAt) {
  apply("apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: shop}\nspec: {expiresAt: \"" +
        formatRfc3339(clock_.now() + std::chrono::seconds(10)) + "\"}\n");
  NamespaceReconciler r(*store_, clock_, [](const Key&) {});
  auto first = r.reconcile(Key{"Namespace", "", "shop"});
  ASSERT_TRUE(first.requeueAfter.has_value());
  clock_.advance(std::chrono::seconds(11));
  ASSERT_TRUE(r.reconcile(Key{"Namespace", "", "shop"}).status.ok());
  EXPECT_TRUE(store_->get("Namespace", "", "shop")->deletedAt.has_value());
}

TEST_F(ResourceReconcilersTest, ResyncFindsContainersOfServicesTheStoreDoesNotKnow) {
  Labels labels = ownerLabels("test", "old");
  labels[kLabelService] = "ghost";
  labels[kLabelReplica] = "0";
  ASSERT_TRUE(engine_.createContainer("old.ghost.0", {{"Image", "tender-busybox:latest"}, {"Labels", labels}}).ok());
  Labels foreign = ownerLabels("someone-else", "old");
  foreign[kLabelService] = "theirs";
  ASSERT_TRUE(engine_.createContainer("old.theirs.0", {{"Image", "tender-busybox:latest"}, {"Labels", foreign}}).ok());
  apply(kService);
  std::set<Key> keys;
  ResyncReconciler r(*store_, engine_, "test", [&](const Key& k) { keys.insert(k); });
  ASSERT_TRUE(r.reconcile(ResyncReconciler::key()).status.ok());
  EXPECT_TRUE(keys.count(Key{"Service", "old", "ghost"}));
  EXPECT_TRUE(keys.count(Key{"Service", "shop", "web"}));
  EXPECT_FALSE(keys.count(Key{"Service", "old", "theirs"}));
  EXPECT_EQ(engine_.callCount("listContainers"), 1);
}

}  // namespace
}  // namespace tender

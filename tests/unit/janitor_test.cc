// The janitor against the in-memory engine and a real SQLite file: what it
// removes, what it must never touch, dry runs, events and bytes.
#include "reconcilers/janitor.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "engine/labels.h"
#include "tests/support/reconciler_fixture.h"

namespace tender {
namespace {

class JanitorTest : public testing::ReconcilerFixture {
 protected:
  // A container as tender would have made it for (instance, ns, service).
  std::string container(const std::string& instance, const std::string& ns, const std::string& service,
                        bool running = true, const std::string& image = "tender-busybox:latest") {
    Labels labels = ownerLabels(instance, ns);
    labels[kLabelService] = service;
    labels[kLabelReplica] = "0";
    auto id = engine_.createContainer(containerName(ns, service, 0) + (instance == "test" ? "" : "-" + instance),
                                      {{"Image", image}, {"Labels", labels}});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (running) {
      EXPECT_TRUE(engine_.startContainer(*id).ok());
    }
    return *id;
  }
  std::string network(const std::string& instance, const std::string& ns, const std::string& resource) {
    Labels labels = ownerLabels(instance, ns);
    labels[kLabelResource] = resource;
    auto id = engine_.createNetwork(scopedName(ns, resource) + (instance == "test" ? "" : "-" + instance),
                                    {{"Labels", labels}});
    EXPECT_TRUE(id.ok());
    return *id;
  }
  void volume(const std::string& instance, const std::string& ns, const std::string& resource) {
    Labels labels = ownerLabels(instance, ns);
    labels[kLabelResource] = resource;
    ASSERT_TRUE(engine_.createVolume(scopedName(ns, resource) + (instance == "test" ? "" : "-" + instance), "local",
                                     labels, {})
                    .ok());
  }
  bool containerExists(const std::string& id) { return engine_.peekContainer(id).has_value(); }
  bool networkExists(const std::string& id) { return engine_.inspectNetwork(id).ok(); }
  bool volumeExists(const std::string& name) { return engine_.inspectVolume(name).ok(); }
  std::vector<std::string> names(const CleanupReport& r, const std::string& type) {
    std::vector<std::string> out;
    for (const auto& i : r.removed) {
      if (i.type == type) out.push_back(i.name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<EventRecord> events(const std::string& reason) {
    EventQuery q;
    q.limit = 0;
    auto all = store_->events(q);
    std::vector<EventRecord> out;
    for (const auto& e : *all) {
      if (e.reason == reason) out.push_back(e);
    }
    return out;
  }

  Janitor& janitor() {
    if (!janitor_) janitor_ = std::make_unique<Janitor>(*store_, engine_, clock_, "test");
    return *janitor_;
  }
  std::unique_ptr<Janitor> janitor_;
};

constexpr const char* kWeb =
    "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
    "spec: {image: \"tender-busybox:latest\"}\n";

TEST_F(JanitorTest, RemovesExactlyTheLeftoversOfItsOwnInstance) {
  apply(kWeb);
  const std::string wanted = container("test", "shop", "web");
  const std::string orphanRunning = container("test", "ghost", "api");
  const std::string orphanStopped = container("test", "ghost", "worker", /*running=*/false);
  const std::string otherInstance = container("other", "ghost", "api");
  auto unlabelled = engine_.createContainer("someone-elses", {{"Image", "tender-busybox:latest"}});
  ASSERT_TRUE(unlabelled.ok());
  const std::string ghostNet = network("test", "ghost", "default");
  const std::string ghostBackend = network("test", "ghost", "backend");
  const std::string shopNet = network("test", "shop", "default");
  const std::string otherNet = network("other", "ghost", "default");
  volume("test", "ghost", "data");

  CleanupOptions o;
  o.trigger = "pre-flight";
  auto r = janitor().run(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();

  EXPECT_TRUE(containerExists(wanted)) << "a desired service's container stays";
  EXPECT_FALSE(containerExists(orphanRunning));
  EXPECT_FALSE(containerExists(orphanStopped));
  EXPECT_TRUE(containerExists(otherInstance)) << "another instance's container is never touched";
  EXPECT_TRUE(containerExists(*unlabelled)) << "an unlabelled container is never touched";
  EXPECT_FALSE(networkExists(ghostNet));
  EXPECT_FALSE(networkExists(ghostBackend));
  EXPECT_TRUE(networkExists(shopNet)) << "the default network of a namespace with services stays";
  EXPECT_TRUE(networkExists(otherNet));
  EXPECT_TRUE(volumeExists("ghost_data")) << "data is removed only when asked";

  EXPECT_EQ((std::vector<std::string>{"ghost.api.0", "ghost.worker.0"}), names(*r, "container"));
  EXPECT_EQ((std::vector<std::string>{"ghost_backend", "ghost_default"}), names(*r, "network"));
  EXPECT_TRUE(r->failed.empty());
  auto cleaned = events("CleanedUp");
  ASSERT_EQ(4u, cleaned.size());
  EXPECT_EQ("Service", cleaned[0].kind);
  EXPECT_EQ("ghost", cleaned[0].namespace_);
  EXPECT_NE(std::string::npos, cleaned[0].message.find("pre-flight cleanup")) << cleaned[0].message;
}

TEST_F(JanitorTest, NeverRemovesTheContainerTenderRunsIn) {
  // tender's own container, labelled as if it were one of its leftovers.
  const std::string self = container("test", "ghost", "tender");
  const std::string orphan = container("test", "ghost", "api");
  janitor().protect(self);
  CleanupOptions o;
  o.trigger = "pre-flight";
  auto r = janitor().run(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(containerExists(self));
  EXPECT_FALSE(containerExists(orphan));
  for (const CleanupItem& i : r->removed) EXPECT_NE(i.id, self);
}

TEST_F(JanitorTest, LeavesAServiceBeingDeletedToItsReconciler) {
  apply(kWeb);
  const std::string id = container("test", "shop", "web");
  ASSERT_TRUE(store_->markDeleted("Service", "shop", "web").ok());
  auto r = janitor().run({});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(containerExists(id)) << "its reconciler records how it ended, then removes it";
  EXPECT_TRUE(r->removed.empty());
}

TEST_F(JanitorTest, ADryRunReportsTheSameAndChangesNothing) {
  volume("test", "ghost", "data");
  Labels labels = ownerLabels("test", "ghost");
  labels[kLabelService] = "api";
  auto orphan = engine_.createContainer(
      "ghost.api.0", {{"Image", "tender-busybox:latest"},
                      {"Labels", labels},
                      {"HostConfig", {{"Mounts", {{{"Type", "volume"}, {"Source", "ghost_data"}, {"Target", "/data"}}}}}}});
  ASSERT_TRUE(orphan.ok()) << orphan.status().ToString();
  const std::string net = network("test", "ghost", "default");
  CleanupOptions o;
  o.dryRun = true;
  o.volumes = true;
  auto dry = janitor().run(o);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_TRUE(dry->dryRun);
  EXPECT_EQ((std::vector<std::string>{"ghost.api.0"}), names(*dry, "container"));
  EXPECT_EQ((std::vector<std::string>{"ghost_default"}), names(*dry, "network"));
  EXPECT_TRUE(names(*dry, "volume").empty()) << "a volume a container still uses stays, even asked";
  EXPECT_TRUE(containerExists(*orphan));
  EXPECT_TRUE(networkExists(net));
  EXPECT_TRUE(events("CleanedUp").empty());

  o.dryRun = false;
  auto real = janitor().run(o);
  ASSERT_TRUE(real.ok());
  EXPECT_EQ(names(*dry, "container"), names(*real, "container"));
  EXPECT_EQ(names(*dry, "network"), names(*real, "network"));
  // The container went with the first pass, so its volume is free now.
  auto again = janitor().run(o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((std::vector<std::string>{"ghost_data"}), names(*again, "volume"));
  EXPECT_FALSE(volumeExists("ghost_data"));
}

TEST_F(JanitorTest, VolumesGoOnlyWhenAskedAndOnlyOfNamespacesThatHoldNothing) {
  apply(kWeb);
  volume("test", "shop", "cache");   // the namespace still has a service: kept
  volume("test", "ghost", "data");   // nothing stored in "ghost": goes with --volumes
  volume("other", "ghost", "data");  // another instance's: never
  auto withoutAsking = janitor().run({});
  ASSERT_TRUE(withoutAsking.ok());
  EXPECT_TRUE(volumeExists("ghost_data"));

  CleanupOptions o;
  o.volumes = true;
  auto r = janitor().run(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((std::vector<std::string>{"ghost_data"}), names(*r, "volume"));
  EXPECT_FALSE(volumeExists("ghost_data"));
  EXPECT_TRUE(volumeExists("shop_cache"));
  EXPECT_TRUE(volumeExists("ghost_data-other"));
}

TEST_F(JanitorTest, RemovesImagesItBuiltThatNothingUsesAndReportsTheirBytes) {
  apply("apiVersion: tender/v1\nkind: Service\nmetadata: {name: app, namespace: shop}\n"
        "spec: {build: {context: /tmp}}\n");
  Labels shop = ownerLabels("test", "shop");
  shop[kLabelService] = "app";
  engine_.addImage("tender-shop-app:latest", "sha256:b1", shop);         // the stored service builds it
  Labels ghost = ownerLabels("test", "ghost");
  ghost[kLabelService] = "app";
  engine_.addImage("tender-ghost-app:latest", "sha256:b2", ghost);       // nobody builds it now
  engine_.addImage("tender-ghost-run:latest", "sha256:b3", ghost);       // a container still runs it
  container("other", "elsewhere", "x", true, "tender-ghost-run:latest");
  engine_.addImage("tender-other:latest", "sha256:b4", ownerLabels("other", "ghost"));
  engine_.addImage("plain:latest", "sha256:b5");

  CleanupOptions noImages;
  noImages.images = false;
  ASSERT_TRUE(janitor().run(noImages).ok());
  EXPECT_TRUE(engine_.inspectImage("tender-ghost-app:latest").ok()) << "images only when asked";

  auto r = janitor().run({});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((std::vector<std::string>{"tender-ghost-app:latest"}), names(*r, "image"));
  EXPECT_EQ(2 * 1024 * 1024, r->bytesFreed);
  EXPECT_FALSE(engine_.inspectImage("sha256:b2").ok());
  for (const char* kept : {"sha256:b1", "sha256:b3", "sha256:b4", "sha256:b5", "sha256:aaaa"}) {
    EXPECT_TRUE(engine_.inspectImage(kept).ok()) << kept;
  }
  EXPECT_EQ("1 image (2.0MiB)", r->summary());
}

TEST_F(JanitorTest, AFailedRemovalIsReportedAndTheRestStillGoes) {
  container("test", "ghost", "a");
  container("test", "ghost", "b");
  engine_.failNext("removeContainer", Status::Internal("driver failed"));
  auto r = janitor().run({});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(1u, r->removed.size());
  ASSERT_EQ(1u, r->failed.size());
  EXPECT_EQ("driver failed", r->failed[0].error);
  auto left = engine_.listContainers(ownedFilters("test", "ghost"), true);
  EXPECT_EQ(1u, left->size()) << "the one the engine refused is still there";
}

TEST_F(JanitorTest, AHostWidePruneUsesTheEnginesPrunesAndADryRunOnlyLists) {
  const std::string stopped = container("other", "x", "a", /*running=*/false);
  auto unlabelledStopped = engine_.createContainer("plain-stopped", {{"Image", "tender-busybox:latest"}});
  const std::string running = container("other", "x", "b");
  engine_.addImage("dangling-later:latest", "sha256:d1");
  engine_.addImage("dangling-later:latest", "sha256:d2");  // moves the tag: d1 is dangling now

  CleanupOptions o;
  o.allHost = true;
  o.images = false;  // dangling ones only
  o.dryRun = true;
  auto dry = janitor().run(o);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_EQ(2u, names(*dry, "container").size());
  EXPECT_EQ((std::vector<std::string>{"sha256:d1"}), names(*dry, "image"));
  EXPECT_EQ(0, engine_.callCount("prune"));
  EXPECT_TRUE(containerExists(stopped));

  o.dryRun = false;
  auto r = janitor().run(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(containerExists(stopped));
  EXPECT_FALSE(containerExists(*unlabelledStopped));
  EXPECT_TRUE(containerExists(running));
  EXPECT_FALSE(engine_.inspectImage("sha256:d1").ok());
  EXPECT_TRUE(engine_.inspectImage("sha256:d2").ok()) << "tagged images stay without --images";
  EXPECT_EQ(1u, events("Pruned").size());
}

TEST(LowDisk, ThresholdIsAFractionOrASize) {
  auto pct = parseLowDiskThreshold("10%", "--min-free-disk");
  ASSERT_TRUE(pct.ok());
  EXPECT_TRUE(diskIsLow({100 << 20, 9 << 20}, *pct));
  EXPECT_FALSE(diskIsLow({100 << 20, 11 << 20}, *pct));
  auto size = parseLowDiskThreshold("5Gi", "--min-free-disk");
  ASSERT_TRUE(size.ok());
  EXPECT_TRUE(diskIsLow({int64_t{100} << 30, int64_t{4} << 30}, *size));
  EXPECT_FALSE(diskIsLow({int64_t{100} << 30, int64_t{6} << 30}, *size));
  auto bad = parseLowDiskThreshold("lots", "--min-free-disk");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ("--min-free-disk: \"lots\" is neither a percentage below 100 (10%) nor a size (5Gi)",
            bad.status().message());
  EXPECT_FALSE(parseLowDiskThreshold("150%", "--min-free-disk").ok());
  EXPECT_FALSE(diskIsLow({0, 0}, *pct)) << "an unknown disk is not low";
}

TEST(LowDisk, FreeSpaceOfARealDirectory) {
  auto space = diskSpaceOf("/");
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_GT(space->totalBytes, 0);
  EXPECT_LE(space->freeBytes, space->totalBytes);
  auto missing = diskSpaceOf("/no/such/dir");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(std::string::npos, missing.status().message().find("/no/such/dir"));
}

}  // namespace
}  // namespace tender

// Eviction under memory pressure with the in-memory engine and a real SQLite
// file: who goes first, the post-mortem it leaves, and the way back.
#include "reconcilers/eviction.h"

#include <gtest/gtest.h>

#include "engine/labels.h"
#include "tests/support/reconciler_fixture.h"

namespace tender {
namespace {

constexpr int64_t kMi = 1 << 20;

TEST(EvictionOrder, LowestPriorityFirstThenFurthestOverItsReservation) {
  auto c = [](const std::string& name, int priority, int64_t usage, int64_t reservation) {
    EvictionCandidate e;
    e.key = Key{"Service", "shop", name};
    e.replica = 0;
    e.priority = priority;
    e.usageBytes = usage * kMi;
    e.reservationBytes = reservation * kMi;
    return e;
  };
  auto order = evictionOrder({c("db", 100, 900, 100), c("batch", 0, 200, 100), c("cache", 0, 300, 100),
                              c("api", 10, 50, 10), c("core", 1000, 5000, 0)},
                             1000);
  std::vector<std::string> names;
  for (const auto& e : order) names.push_back(e.key.name);
  EXPECT_EQ((std::vector<std::string>{"cache", "batch", "api", "db"}), names) << "core is at the floor: never";
}

TEST(EvictionThreshold, DefaultsToTheLargerOfFivePercentAnd256Mi) {
  EvictionConfig c;
  EXPECT_EQ(256 * kMi, evictionThreshold(c, 1024 * kMi));
  EXPECT_EQ(int64_t{1638} * kMi, evictionThreshold(c, int64_t{32760} * kMi));
  c.thresholdBytes = 42 * kMi;
  EXPECT_EQ(42 * kMi, evictionThreshold(c, 1024 * kMi));
}

class EvictorTest : public testing::ReconcilerFixture {
 protected:
  std::string service(const std::string& name, int priority) {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name +
           ", namespace: shop}\nspec:\n  image: tender-busybox:latest\n  priority: " + std::to_string(priority) +
           "\n  resources: {reservations: {memory: 100Mi}}\n";
  }
  std::vector<ContainerMemory> usage() {
    std::vector<ContainerMemory> out;
    auto cs = engine_.listContainers(ownedFilters("test"), false);
    for (const auto& c : *cs) {
      ContainerMemory m;
      m.ns = c.labels.at(kLabelNamespace);
      m.service = c.labels.at(kLabelService);
      m.container = c.name;
      m.containerId = c.id;
      m.bytes = 150 * kMi;
      out.push_back(m);
    }
    return out;
  }
  std::string state(const std::string& name) {
    auto c = engine_.peekContainer(containerName("shop", name, 0));
    return c ? c->state.status : "missing";
  }
  void reconcileAll() {
    for (const auto& k : enqueued_) services_->reconcile(k);
    enqueued_.clear();
  }

  HostMemory host_{1000 * kMi, 900 * kMi, "", "", std::nullopt};
  std::vector<Key> enqueued_;
};

TEST_F(EvictorTest, UnderPressureTheLowestPriorityGoesFirstAndAllComeBackWhenItIsOver) {
  apply(service("batch", 0));
  apply(service("api", 10));
  apply(service("core", 2000));
  for (const char* s : {"batch", "api", "core"}) ASSERT_TRUE(services_->reconcile(Key{"Service", "shop", s}).status.ok());
  EvictionConfig config;
  config.thresholdBytes = 300 * kMi;
  config.between = Millis(0);
  config.recoverAfter = Millis(0);
  Evictor evictor(*store_, clock_, *services_, [this] { return std::optional<HostMemory>(host_); }, [this] { return usage(); },
                  [this](const Key& k) { enqueued_.push_back(k); }, config);

  evictor.check();
  EXPECT_TRUE(enqueued_.empty()) << "900Mi available: no pressure";

  host_.memAvailableBytes = 200 * kMi;
  evictor.check();
  reconcileAll();
  EXPECT_EQ("exited", state("batch")) << "the lowest priority goes first";
  EXPECT_EQ("running", state("api"));
  auto batch = store_->get("Service", "shop", "batch")->status;
  EXPECT_EQ("Evicted", batch["phase"]);
  EXPECT_EQ("Evicted", batch["conditions"][0]["reason"]);
  auto deaths = store_->terminations("shop", "batch");
  ASSERT_FALSE(deaths->empty());
  EXPECT_EQ("Evicted", deaths->front().reason);
  EXPECT_NE(std::string::npos, deaths->front().data.value("message", "").find("below the eviction threshold (300.0MiB)"))
      << deaths->front().data.dump();

  evictor.check();
  reconcileAll();
  EXPECT_EQ("exited", state("api")) << "still under pressure: the next one";
  evictor.check();
  reconcileAll();
  EXPECT_EQ("running", state("core")) << "at or above the floor: never";

  host_.memAvailableBytes = 800 * kMi;
  evictor.check();  // the pressure ends
  evictor.check();  // and has been gone for recoverAfter (0 here)
  reconcileAll();
  EXPECT_EQ("running", state("batch"));
  EXPECT_EQ("running", state("api"));
  EXPECT_EQ("Running", store_->get("Service", "shop", "batch")->status["phase"]);
}

TEST_F(EvictorTest, AnEvictedReplicaStaysEvictedAcrossARestartOfTenderUntilThePressureHasBeenGoneLongEnough) {
  apply(service("batch", 0));
  ASSERT_TRUE(services_->reconcile(Key{"Service", "shop", "batch"}).status.ok());
  EvictionConfig config;
  config.thresholdBytes = 300 * kMi;
  config.recoverAfter = std::chrono::seconds(30);
  const auto host = [this] { return std::optional<HostMemory>(host_); };
  const auto usageOf = [this] { return usage(); };
  const auto enqueue = [this](const Key& k) { enqueued_.push_back(k); };
  {
    Evictor evictor(*store_, clock_, *services_, host, usageOf, enqueue, config);
    host_.memAvailableBytes = 200 * kMi;
    evictor.check();
    reconcileAll();
    ASSERT_EQ("exited", state("batch"));
  }

  // tender restarts (a new reconciler and evictor on the same file), and
  // the pressure is gone by then.
  services_.reset();
  store_.reset();
  auto reopened = Store::open((dir_ / "tender.db").string(), clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(*reopened);
  ServiceReconcilerOptions o;
  o.instance = "test";
  services_ = std::make_unique<ServiceReconciler>(*store_, engine_, clock_, gate_, o);
  host_.memAvailableBytes = 800 * kMi;
  Evictor evictor(*store_, clock_, *services_, host, usageOf, enqueue, config);

  EXPECT_TRUE(services_->evicted(Key{"Service", "shop", "batch"}, 0));
  ASSERT_TRUE(services_->reconcile(Key{"Service", "shop", "batch"}).status.ok());
  EXPECT_EQ("exited", state("batch")) << "the new run keeps it evicted";
  EXPECT_EQ("Evicted", store_->get("Service", "shop", "batch")->status["phase"]);

  evictor.check();
  clock_.advance(std::chrono::seconds(20));
  evictor.check();
  reconcileAll();
  EXPECT_EQ("exited", state("batch")) << "the pressure has been gone 20s of the 30s";

  clock_.advance(std::chrono::seconds(11));
  evictor.check();
  ASSERT_EQ(1u, enqueued_.size());
  EXPECT_EQ("Service/shop/batch", enqueued_.front().str());
  reconcileAll();
  EXPECT_EQ("running", state("batch"));
  EXPECT_FALSE(services_->evicted(Key{"Service", "shop", "batch"}, 0));
}

}  // namespace
}  // namespace tender

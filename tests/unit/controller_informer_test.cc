// The informer: the engine's event stream, reconnects with backoff, and the
// keys it enqueues.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "controller/informer.h"
#include "tests/support/simulated_clock.h"

namespace tender {

void PrintTo(const Key& key, std::ostream* os) { *os << key.str(); }

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kInstance = "test-instance";

class TestStream : public EngineStream {
 public:
  explicit TestStream(std::shared_ptr<bool> cancelled) : cancelled_(std::move(cancelled)) {}
  void cancel() override { *cancelled_ = true; }

 private:
  std::shared_ptr<bool> cancelled_;
};

// Only ping, listContainers and streamEvents do anything. Every call comes on
// the test's own thread (the SimulatedClock scheduler fires inside advance()).
class TestEngine : public DockerEngine {
 public:
  struct Subscription {
    Filters filters;
    std::string since;
    EventStreamCallbacks callbacks;
    std::shared_ptr<bool> cancelled = std::make_shared<bool>(false);
  };

  Status pingResult;
  int pings = 0;
  std::vector<ContainerSummary> containers;
  std::vector<Subscription> streams;

  Subscription& last() { return streams.back(); }
  void emit(const EngineEvent& e) { last().callbacks.onEvent(e); }
  void end(const Status& s) { last().callbacks.onEnd(s); }

  Status ping() override {
    ++pings;
    return pingResult;
  }
  Result<std::vector<ContainerSummary>> listContainers(const Filters&, bool) override {
    return containers;
  }
  std::unique_ptr<EngineStream> streamEvents(const Filters& filters, const std::string& since,
                                             EventStreamCallbacks callbacks) override {
    streams.push_back(Subscription{filters, since, std::move(callbacks)});
    return std::make_unique<TestStream>(streams.back().cancelled);
  }

  std::string apiVersion() const override { return ""; }
  Result<EngineVersion> version() override { return unused(); }
  Result<EngineInfo> info() override { return unused(); }
  Result<ContainerInfo> inspectContainer(const std::string&) override { return unused(); }
  Result<std::string> createContainer(const std::string&, const nlohmann::json&) override {
    return unused();
  }
  Status startContainer(const std::string&) override { return unused(); }
  Status stopContainer(const std::string&, int) override { return unused(); }
  Status killContainer(const std::string&, const std::string&) override { return unused(); }
  Status removeContainer(const std::string&, bool, bool) override { return unused(); }
  Status copyToContainer(const std::string&, const std::string&, const std::string&) override {
    return unused();
  }
  Result<std::vector<LogLine>> containerLogs(const std::string&, const LogOptions&) override {
    return unused();
  }
  Result<ContainerStats> containerStats(const std::string&) override { return unused(); }
  Result<std::string> createNetwork(const std::string&, const nlohmann::json&) override {
    return unused();
  }
  Result<std::vector<NetworkInfo>> listNetworks(const Filters&) override { return unused(); }
  Result<NetworkInfo> inspectNetwork(const std::string&) override { return unused(); }
  Status removeNetwork(const std::string&) override { return unused(); }
  Status connectNetwork(const std::string&, const std::string&,
                        const std::vector<std::string>&) override {
    return unused();
  }
  Result<VolumeInfo> createVolume(const std::string&, const std::string&, const Labels&,
                                  const std::map<std::string, std::string>&) override {
    return unused();
  }
  Result<std::vector<VolumeInfo>> listVolumes(const Filters&) override { return unused(); }
  Result<VolumeInfo> inspectVolume(const std::string&) override { return unused(); }
  Status removeVolume(const std::string&, bool) override { return unused(); }
  Result<ImageInfo> inspectImage(const std::string&) override { return unused(); }
  Status removeImage(const std::string&, bool) override { return unused(); }
  Result<std::vector<ImageInfo>> listImages(const Filters&) override { return unused(); }
  Result<DiskUsage> diskUsage() override { return unused(); }
  Result<PruneReport> prune(const std::string&, const Filters&) override { return unused(); }
  Result<std::string> buildImage(const std::string&, const BuildOptions&) override {
    return unused();
  }

 private:
  static Status unused() { return Status::Internal("not used by the informer"); }
};

Labels ownLabels(const std::string& ns, const std::string& service) {
  return {{"tender.managed", "true"},
          {"tender.instance", kInstance},
          {"tender.namespace", ns},
          {"tender.service", service},
          {"tender.replica", "0"}};
}

EngineEvent containerEvent(const std::string& action, Labels labels, int64_t timeNano,
                           const std::string& id = "c1") {
  EngineEvent e;
  e.type = "container";
  e.action = action;
  e.id = id;
  e.attributes = std::move(labels);
  e.timeNano = timeNano;
  e.time = timeNano / 1'000'000'000;
  return e;
}

struct InformerTest : ::testing::Test {
  SimulatedClock clock;
  Scheduler scheduler{clock};
  TestEngine engine;
  std::vector<Key> keys;
  std::vector<EngineEvent> events;
  int resyncs = 0;
  std::unique_ptr<Informer> informer;

  void start(InformerOptions options = {}) {
    informer = std::make_unique<Informer>(
        engine, scheduler, clock, kInstance, [this](const Key& k) { keys.push_back(k); },
        [this] { ++resyncs; }, options);
    informer->setOnEvent([this](const EngineEvent& e) { events.push_back(e); });
    informer->start();
  }
  void TearDown() override {
    if (informer) informer->stop();
  }
};

TEST_F(InformerTest, SubscribesToTheContainerEventsThatMatterForThisInstance) {
  start();
  ASSERT_EQ(engine.streams.size(), 1u);
  const Filters& f = engine.last().filters;
  EXPECT_EQ(f.at("type"), std::vector<std::string>{"container"});
  EXPECT_EQ(f.at("event"), (std::vector<std::string>{"create", "start", "die", "oom", "kill",
                                                     "stop", "destroy", "health_status"}));
  EXPECT_EQ(f.at("label"),
            (std::vector<std::string>{"tender.managed=true", "tender.instance=" + kInstance}));
  EXPECT_EQ(engine.last().since, "");
  EXPECT_TRUE(informer->connected());
}

TEST_F(InformerTest, EventOfAManagedContainerBecomesAServiceKey) {
  start();
  keys.clear();
  engine.emit(containerEvent("die", ownLabels("shop", "api"), 1));
  EXPECT_EQ(keys, (std::vector<Key>{{"Service", "shop", "api"}}));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "die");
}

TEST_F(InformerTest, EventsOfOtherObjectsAreIgnored) {
  start();
  keys.clear();
  Labels otherInstance = ownLabels("shop", "api");
  otherInstance["tender.instance"] = "someone-else";
  Labels noService = ownLabels("shop", "api");
  noService.erase("tender.service");
  EngineEvent network = containerEvent("create", ownLabels("shop", "api"), 4);
  network.type = "network";

  engine.emit(containerEvent("start", {{"name", "unrelated"}}, 1));
  engine.emit(containerEvent("start", otherInstance, 2));
  engine.emit(containerEvent("start", noService, 3));
  engine.emit(network);
  EXPECT_TRUE(keys.empty());
  EXPECT_TRUE(events.empty());
}

TEST_F(InformerTest, ConnectingResyncsWithoutAListOfItsOwn) {
  ContainerSummary api0;
  api0.labels = ownLabels("shop", "api");
  engine.containers = {api0};
  start();
  EXPECT_EQ(resyncs, 1) << "the resync lists the containers, once";
  EXPECT_TRUE(keys.empty()) << "the informer itself does not look at every service again";
}

TEST_F(InformerTest, StreamEndReconnectsSinceLastEventAndResyncs) {
  start();
  engine.emit(containerEvent("start", ownLabels("shop", "api"), 1'700'000'000'123'456'789));
  engine.end(Status::Ok());  // the engine restarted
  EXPECT_FALSE(informer->connected());

  clock.advance(milliseconds(99));
  EXPECT_EQ(engine.streams.size(), 1u);
  clock.advance(milliseconds(1));
  ASSERT_EQ(engine.streams.size(), 2u);
  EXPECT_EQ(engine.last().since, "1700000000.123456789");
  EXPECT_EQ(resyncs, 2);
  EXPECT_EQ(informer->reconnects(), 1u);
  EXPECT_TRUE(informer->connected());
}

TEST_F(InformerTest, AnEngineThatWasUnreachableIsReportedAsAnOutage) {
  std::vector<std::pair<WallTime, WallTime>> outages;
  informer = std::make_unique<Informer>(
      engine, scheduler, clock, kInstance, [this](const Key& k) { keys.push_back(k); }, [this] { ++resyncs; });
  informer->setOnOutage([&](WallTime lost, WallTime back) { outages.emplace_back(lost, back); });
  informer->start();
  const WallTime lost = clock.now();
  engine.pingResult = Status::Unavailable("connection refused");
  engine.end(Status::Ok());  // the engine is going down
  clock.advance(milliseconds(100));  // a ping fails
  engine.pingResult = Status::Ok();
  clock.advance(milliseconds(200));  // back
  ASSERT_TRUE(informer->connected());
  ASSERT_EQ(1u, outages.size());
  EXPECT_EQ(lost, outages[0].first);
  EXPECT_EQ(lost + milliseconds(300), outages[0].second);

  // A stream that ends while the engine keeps answering is no outage.
  engine.end(Status::Ok());
  clock.advance(milliseconds(1000));
  ASSERT_TRUE(informer->connected());
  EXPECT_EQ(1u, outages.size());
}

TEST_F(InformerTest, BackoffBetweenFailedReconnectsGrows) {
  start();
  engine.pingResult = Status::Unavailable("connection refused");
  engine.end(Status::Unavailable("connection reset"));
  const int pingsBefore = engine.pings;

  // Attempts come 100, 200, 400 ms apart while the engine stays away.
  clock.advance(milliseconds(99));
  EXPECT_EQ(engine.pings, pingsBefore);
  clock.advance(milliseconds(1));
  EXPECT_EQ(engine.pings, pingsBefore + 1);
  clock.advance(milliseconds(199));
  EXPECT_EQ(engine.pings, pingsBefore + 1);
  clock.advance(milliseconds(1));
  EXPECT_EQ(engine.pings, pingsBefore + 2);
  clock.advance(milliseconds(399));
  EXPECT_EQ(engine.pings, pingsBefore + 2);
  clock.advance(milliseconds(1));
  EXPECT_EQ(engine.pings, pingsBefore + 3);
  EXPECT_EQ(engine.streams.size(), 1u);

  engine.pingResult = Status::Ok();
  clock.advance(milliseconds(800));
  EXPECT_EQ(engine.streams.size(), 2u);
  EXPECT_TRUE(informer->connected());
}

TEST_F(InformerTest, StreamThatStayedUpResetsTheBackoff) {
  InformerOptions options;
  options.pingInterval = Millis(0);
  start(options);
  engine.end(Status::Unavailable("reset"));
  clock.advance(milliseconds(100));  // reconnect 1 after 100 ms
  engine.end(Status::Unavailable("reset"));
  clock.advance(milliseconds(200));  // reconnect 2 after 200 ms
  ASSERT_EQ(engine.streams.size(), 3u);

  clock.advance(seconds(30));  // this stream stays up long enough
  engine.end(Status::Ok());
  clock.advance(milliseconds(100));
  EXPECT_EQ(engine.streams.size(), 4u);
}

TEST_F(InformerTest, ReplayedEventsAfterReconnectAreSkipped) {
  start();
  engine.emit(containerEvent("die", ownLabels("shop", "api"), 500));
  engine.end(Status::Ok());
  clock.advance(milliseconds(100));
  keys.clear();
  events.clear();

  engine.emit(containerEvent("die", ownLabels("shop", "api"), 500));  // the replay
  EXPECT_TRUE(events.empty());
  engine.emit(containerEvent("start", ownLabels("shop", "api"), 600));
  EXPECT_EQ(events.size(), 1u);
}

TEST_F(InformerTest, PeriodicResyncRelistsAndCallsOnResync) {
  start();
  EXPECT_EQ(resyncs, 1);
  clock.advance(seconds(30));
  EXPECT_EQ(resyncs, 2);
  clock.advance(seconds(30));
  EXPECT_EQ(resyncs, 3);
}

TEST_F(InformerTest, FailedPingClosesTheSilentStreamAndReopensIt) {
  start();
  engine.pingResult = Status::Timeout("no answer");
  clock.advance(seconds(10));
  EXPECT_FALSE(informer->connected());
  EXPECT_TRUE(*engine.last().cancelled);

  engine.pingResult = Status::Ok();
  clock.advance(milliseconds(100));
  EXPECT_EQ(engine.streams.size(), 2u);
  EXPECT_TRUE(informer->connected());
}

TEST_F(InformerTest, StopCancelsTheStreamAndEveryTimer) {
  start();
  informer->stop();
  EXPECT_TRUE(*engine.last().cancelled);
  EXPECT_FALSE(informer->connected());
  EXPECT_EQ(scheduler.pending(), 0u);
  const int pings = engine.pings;
  clock.advance(std::chrono::hours(1));
  EXPECT_EQ(engine.pings, pings);
  EXPECT_EQ(resyncs, 1);
  EXPECT_EQ(engine.streams.size(), 1u);
}

TEST_F(InformerTest, StopWhileReconnectIsPendingCancelsIt) {
  start();
  engine.end(Status::Unavailable("reset"));
  informer->stop();
  clock.advance(seconds(10));
  EXPECT_EQ(engine.streams.size(), 1u);
}

TEST(InformerSince, NanosecondsArePaddedToNineDigits) {
  EXPECT_EQ(Informer::formatSince(1'700'000'000'000'000'042), "1700000000.000000042");
}

}  // namespace
}  // namespace tender

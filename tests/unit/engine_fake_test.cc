// Pins the behaviour of FakeDockerEngine that other modules' tests rely on,
// and its test controls. Where the fake imitates the engine (messages,
// filters, events, signals, volumes), the engine contract
// (support/engine_contract.h) checks the same against a real engine.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/fake_docker_engine.h"
#include "tests/support/simulated_clock.h"

namespace tender {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class FakeEngineTest : public ::testing::Test {
 protected:
  FakeEngineTest() : engine_(&clock_) { engine_.addImage("app:1"); }

  std::string create(const std::string& name, Labels labels = {}, json extra = json::object()) {
    json body = {{"Image", "app:1"}, {"Labels", labels}};
    body.update(extra);
    auto id = engine_.createContainer(name, body);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }

  std::string run(const std::string& name, Labels labels = {}) {
    std::string id = create(name, std::move(labels));
    EXPECT_TRUE(engine_.startContainer(id).ok());
    return id;
  }

  std::vector<std::string> names(const Filters& filters, bool all = true) {
    auto list = engine_.listContainers(filters, all);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    std::vector<std::string> out;
    if (list.ok()) {
      for (const auto& c : *list) out.push_back(c.name);
    }
    return out;
  }

  // Records "action name" for every event of a stream.
  std::unique_ptr<EngineStream> record(std::vector<std::string>* seen, Filters filters = {},
                                       const std::string& since = "") {
    EventStreamCallbacks cb;
    cb.onEvent = [seen](const EngineEvent& e) {
      seen->push_back(e.action + " " + e.attributes.at("name"));
    };
    return engine_.streamEvents(filters, since, cb);
  }

  SimulatedClock clock_;
  FakeDockerEngine engine_;
};

TEST_F(FakeEngineTest, InspectShowsTheCreateBodyInTheEnginesShape) {
  std::string id =
      create("shop.api.0", {{"tier", "web"}},
             {{"Env", {"A=1"}}, {"Cmd", {"serve"}}, {"HostConfig", {{"Memory", 64 << 20}}}});
  auto c = engine_.inspectContainer("shop.api.0");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->id, id);
  EXPECT_EQ(c->name, "shop.api.0");
  EXPECT_EQ(c->configImage, "app:1");
  EXPECT_EQ(c->labels, (Labels{{"tier", "web"}}));
  EXPECT_EQ(c->state.status, "created");
  EXPECT_EQ(c->memoryLimit, 64 << 20);
  EXPECT_EQ(c->raw["Config"]["Env"], json({"A=1"}));
  EXPECT_EQ(c->raw["Config"]["Cmd"], json({"serve"}));
  EXPECT_EQ(c->raw["HostConfig"]["Memory"], 64 << 20);
  EXPECT_EQ(c->raw["Name"], "/shop.api.0");
}

TEST_F(FakeEngineTest, ContainersAreFoundByIdPrefix) {
  std::string id = create("web");
  auto c = engine_.inspectContainer(id.substr(0, 12));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->name, "web");
}

TEST_F(FakeEngineTest, DuplicateNameIsConflictWithTheEnginesMessage) {
  create("web");
  auto again = engine_.createContainer("web", {{"Image", "app:1"}});
  EXPECT_TRUE(again.status().IsConflict());
  EXPECT_THAT(again.status().message(), HasSubstr("\"/web\" is already in use"));
}

TEST_F(FakeEngineTest, UnknownImageIsNotFound) {
  auto r = engine_.createContainer("web", {{"Image", "nosuch"}});
  EXPECT_TRUE(r.status().IsNotFound());
  EXPECT_EQ(r.status().message(), "No such image: nosuch:latest");
}

TEST_F(FakeEngineTest, InvalidNamesAreInvalidAsInTheEngine) {
  EXPECT_TRUE(engine_.createContainer("-bad name", {{"Image", "app:1"}}).status().IsInvalid());
  // The engine's pattern needs at least two characters.
  EXPECT_TRUE(engine_.createContainer("a", {{"Image", "app:1"}}).status().IsInvalid());
}

TEST_F(FakeEngineTest, MemoryBelowSixMegabytesIsInvalid) {
  auto r = engine_.createContainer("web", {{"Image", "app:1"}, {"HostConfig", {{"Memory", 1024}}}});
  EXPECT_TRUE(r.status().IsInvalid());
}

TEST_F(FakeEngineTest, OnlyOneNetworkAtCreate) {
  ASSERT_TRUE(engine_.createNetwork("a", json::object()).ok());
  ASSERT_TRUE(engine_.createNetwork("b", json::object()).ok());
  json body = {
      {"Image", "app:1"},
      {"NetworkingConfig", {{"EndpointsConfig", {{"a", json::object()}, {"b", json::object()}}}}}};
  EXPECT_TRUE(engine_.createContainer("web", body).status().IsInvalid());
}

TEST_F(FakeEngineTest, StartRunsTheContainerWithAnAddress) {
  clock_.advance(std::chrono::seconds(5));
  run("web");
  auto c = engine_.peekContainer("web");
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->state.running);
  EXPECT_EQ(c->state.status, "running");
  EXPECT_GT(c->state.pid, 0);
  EXPECT_EQ(c->state.startedAt, "2023-11-14T22:13:25.000000000Z");
  EXPECT_FALSE(c->networkIps.at("bridge").empty());
}

TEST_F(FakeEngineTest, StartingARunningContainerIsNotModified) {
  run("web");
  EXPECT_TRUE(engine_.startContainer("web").IsNotModified());
}

TEST_F(FakeEngineTest, StoppingAStoppedContainerIsNotModified) {
  run("web");
  ASSERT_TRUE(engine_.stopContainer("web", 10).ok());
  EXPECT_TRUE(engine_.stopContainer("web", 10).IsNotModified());
  EXPECT_EQ(engine_.peekContainer("web")->state.status, "exited");
}

TEST_F(FakeEngineTest, KillEndsWithTheSignalsExitCode) {
  run("web");
  ASSERT_TRUE(engine_.killContainer("web", "SIGKILL").ok());
  EXPECT_EQ(engine_.peekContainer("web")->state.exitCode, 137);
}

TEST_F(FakeEngineTest, ByDefaultAProgramDiesOfTheStopSignal) {
  run("web");
  ASSERT_TRUE(engine_.stopContainer("web", 10).ok());
  EXPECT_EQ(engine_.peekContainer("web")->state.exitCode, 143);
}

TEST_F(FakeEngineTest, SetSignalExitNeedsACatchableSignalAndAContainer) {
  create("web");
  EXPECT_TRUE(engine_.setSignalExit("web", "SIGKILL", 0).IsInvalid());
  EXPECT_TRUE(engine_.setSignalExit("web", "SIGBOGUS", 0).IsInvalid());
  EXPECT_TRUE(engine_.setSignalExit("nosuch", "SIGTERM", 0).IsNotFound());
  ASSERT_TRUE(engine_.setSignalExit("web", "USR1", 7).ok());
  ASSERT_TRUE(engine_.startContainer("web").ok());
  ASSERT_TRUE(engine_.killContainer("web", "SIGUSR1").ok());
  EXPECT_EQ(engine_.peekContainer("web")->state.exitCode, 7);
}

TEST_F(FakeEngineTest, KillingAStoppedContainerIsConflict) {
  create("web");
  EXPECT_TRUE(engine_.killContainer("web", "SIGKILL").IsConflict());
}

TEST_F(FakeEngineTest, RemovingARunningContainerNeedsForce) {
  run("web");
  EXPECT_TRUE(engine_.removeContainer("web", false, false).IsConflict());
  EXPECT_TRUE(engine_.removeContainer("web", true, false).ok());
  EXPECT_EQ(engine_.containerCount(), 0u);
  EXPECT_TRUE(engine_.inspectContainer("web").status().IsNotFound());
}

TEST_F(FakeEngineTest, LabelFiltersAreAnded) {
  create("ax", {{"tender.managed", "true"}, {"tender.instance", "x"}});
  create("by", {{"tender.managed", "true"}, {"tender.instance", "y"}});
  create("cz", {{"other", "1"}});
  EXPECT_THAT(names({{"label", {"tender.managed"}}}), UnorderedElementsAre("ax", "by"));
  EXPECT_THAT(names({{"label", {"tender.managed=true", "tender.instance=x"}}}), ElementsAre("ax"));
}

TEST_F(FakeEngineTest, NameFilterSearchesAsTheEngineDoes) {
  create("shop.api.0");
  create("shop.db.0");
  create("other");
  // A regular expression searched in "/name", so "shop" matches both shop containers.
  EXPECT_THAT(names({{"name", {"shop"}}}), UnorderedElementsAre("shop.api.0", "shop.db.0"));
  EXPECT_THAT(names({{"name", {"^/other$"}}}), ElementsAre("other"));
}

TEST_F(FakeEngineTest, StatusFilterAndAll) {
  run("up");
  create("created");
  EXPECT_THAT(names({}, /*all=*/false), ElementsAre("up"));
  EXPECT_THAT(names({{"status", {"created"}}}), ElementsAre("created"));
}

TEST_F(FakeEngineTest, UnknownFilterIsInvalid) {
  EXPECT_TRUE(engine_.listContainers({{"colour", {"red"}}}).status().IsInvalid());
}

TEST_F(FakeEngineTest, EventsArriveOnTheCallingThreadInEngineOrder) {
  std::vector<std::string> seen;
  auto stream = record(&seen);
  run("web");
  ASSERT_TRUE(engine_.stopContainer("web", 1).ok());
  ASSERT_TRUE(engine_.removeContainer("web", false, false).ok());
  EXPECT_THAT(seen, ElementsAre("create web", "start web", "kill web", "die web", "stop web",
                                "destroy web"));
}

TEST_F(FakeEngineTest, EventsCarryLabelsAndExitCode) {
  std::vector<EngineEvent> events;
  EventStreamCallbacks cb;
  cb.onEvent = [&](const EngineEvent& e) { events.push_back(e); };
  auto stream = engine_.streamEvents({{"event", {"die"}}}, "", cb);
  run("web", {{"tender.managed", "true"}});
  ASSERT_TRUE(engine_.crash("web", 3).ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "container");
  EXPECT_EQ(events[0].attributes.at("exitCode"), "3");
  EXPECT_EQ(events[0].attributes.at("tender.managed"), "true");
  EXPECT_EQ(events[0].attributes.at("image"), "app:1");
}

TEST_F(FakeEngineTest, EventLabelFilterSkipsOtherContainers) {
  std::vector<std::string> seen;
  auto stream = record(&seen, {{"label", {"mine=1"}}, {"event", {"start"}}});
  run("other");
  run("web", {{"mine", "1"}});
  EXPECT_THAT(seen, ElementsAre("start web"));
}

TEST_F(FakeEngineTest, CrashRecordsExitCodeAndOom) {
  std::vector<std::string> seen;
  run("web");
  auto stream = record(&seen);
  ASSERT_TRUE(engine_.crash("web", 137, /*oomKilled=*/true).ok());
  auto c = engine_.peekContainer("web");
  EXPECT_EQ(c->state.exitCode, 137);
  EXPECT_TRUE(c->state.oomKilled);
  EXPECT_FALSE(c->state.running);
  EXPECT_THAT(seen, ElementsAre("oom web", "die web"));
}

TEST_F(FakeEngineTest, RestartClearsOomKilled) {
  run("web");
  ASSERT_TRUE(engine_.crash("web", 137, true).ok());
  ASSERT_TRUE(engine_.startContainer("web").ok());
  EXPECT_FALSE(engine_.peekContainer("web")->state.oomKilled);
}

TEST_F(FakeEngineTest, CancelledStreamGetsNoMoreEvents) {
  std::vector<std::string> seen;
  auto stream = record(&seen);
  create("first");
  stream->cancel();
  create("second");
  EXPECT_THAT(seen, ElementsAre("create first"));
}

TEST_F(FakeEngineTest, EndEventStreamsCallsOnEndOnce) {
  int ends = 0;
  Status last = Status::Internal("not called");
  EventStreamCallbacks cb;
  cb.onEnd = [&](const Status& s) {
    ends++;
    last = s;
  };
  auto stream = engine_.streamEvents({}, "", cb);
  EXPECT_EQ(engine_.openEventStreams(), 1u);
  engine_.endEventStreams();
  engine_.endEventStreams();
  EXPECT_EQ(ends, 1);
  EXPECT_TRUE(last.ok());
  EXPECT_EQ(engine_.openEventStreams(), 0u);
}

TEST_F(FakeEngineTest, NoOnEndAfterCancel) {
  int ends = 0;
  EventStreamCallbacks cb;
  cb.onEnd = [&](const Status&) { ends++; };
  auto stream = engine_.streamEvents({}, "", cb);
  stream.reset();
  engine_.endEventStreams();
  EXPECT_EQ(ends, 0);
}

TEST_F(FakeEngineTest, SinceReplaysRecentEvents) {
  create("old");
  clock_.advance(std::chrono::seconds(10));
  create("new");
  std::vector<std::string> seen;
  auto stream = record(&seen, {}, "1700000005.000000000");
  EXPECT_THAT(seen, ElementsAre("create new"));
}

TEST_F(FakeEngineTest, FailNextFailsOneCallAndCountsIt) {
  engine_.failNext("listContainers", Status::Unavailable("engine down"));
  EXPECT_TRUE(engine_.listContainers({}).status().IsUnavailable());
  EXPECT_TRUE(engine_.listContainers({}).ok());
  EXPECT_EQ(engine_.callCount("listContainers"), 2);
  EXPECT_EQ(engine_.callCount("inspectContainer"), 0);
}

TEST_F(FakeEngineTest, FailNextOnStreamEventsEndsTheStreamAtOnce) {
  engine_.failNext("streamEvents", Status::Unavailable("engine down"));
  Status ended;
  EventStreamCallbacks cb;
  cb.onEnd = [&](const Status& s) { ended = s; };
  auto stream = engine_.streamEvents({}, "", cb);
  EXPECT_TRUE(ended.IsUnavailable());
}

TEST_F(FakeEngineTest, HealthChangesAreEvents) {
  std::vector<std::string> seen;
  create("db", {}, {{"Healthcheck", {{"Test", {"CMD", "true"}}}}});
  ASSERT_TRUE(engine_.startContainer("db").ok());
  EXPECT_EQ(engine_.peekContainer("db")->state.health, "starting");
  auto stream = record(&seen);
  ASSERT_TRUE(engine_.setHealth("db", "healthy").ok());
  ASSERT_TRUE(engine_.setHealth("db", "healthy").ok());
  EXPECT_EQ(engine_.peekContainer("db")->state.health, "healthy");
  EXPECT_THAT(seen, ElementsAre("health_status: healthy db"));
}

TEST_F(FakeEngineTest, LogsHonourStreamAndTail) {
  create("web");
  ASSERT_TRUE(engine_
                  .appendLogs("web", {{LogLine::Stream::kStdout, "one"},
                                      {LogLine::Stream::kStderr, "oops"},
                                      {LogLine::Stream::kStdout, "two"}})
                  .ok());
  LogOptions o;
  o.stderrStream = false;
  auto lines = engine_.containerLogs("web", o);
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 2u);
  o.stderrStream = true;
  o.tail = 1;
  lines = engine_.containerLogs("web", o);
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_EQ((*lines)[0].text, "two");
}

TEST_F(FakeEngineTest, NetworkNamesAreUnique) {
  ASSERT_TRUE(engine_.createNetwork("shop_backend", json::object()).ok());
  EXPECT_TRUE(engine_.createNetwork("shop_backend", json::object()).status().IsConflict());
}

TEST_F(FakeEngineTest, ConnectedRunningContainerShowsOnTheNetwork) {
  auto net = engine_.createNetwork("shop_backend", {{"Labels", {{"tender.managed", "true"}}}});
  ASSERT_TRUE(net.ok());
  std::string id = run("web");
  ASSERT_TRUE(engine_.connectNetwork("shop_backend", "web", {"api"}).ok());
  auto info = engine_.inspectNetwork("shop_backend");
  ASSERT_TRUE(info.ok());
  EXPECT_THAT(info->containerIds, ElementsAre(id));
  EXPECT_EQ(info->labels.at("tender.managed"), "true");
  EXPECT_FALSE(engine_.peekContainer("web")->networkIps.at("shop_backend").empty());
  EXPECT_FALSE(engine_.removeNetwork("shop_backend").ok());
}

TEST_F(FakeEngineTest, ListNetworksFiltersByLabel) {
  ASSERT_TRUE(engine_.createNetwork("mine", {{"Labels", {{"tender.managed", "true"}}}}).ok());
  auto list = engine_.listNetworks({{"label", {"tender.managed=true"}}});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "mine");
}

TEST_F(FakeEngineTest, CreatingAnExistingVolumeReturnsIt) {
  ASSERT_TRUE(engine_.createVolume("shop_data", "", {{"a", "1"}}, {}).ok());
  auto again = engine_.createVolume("shop_data", "", {{"a", "2"}}, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->labels.at("a"), "1");
}

TEST_F(FakeEngineTest, VolumeUsedByAContainerIsCreatedAndCannotBeRemoved) {
  create("db", {}, {{"HostConfig", {{"Binds", {"shop_data:/var/lib/db"}}}}});
  ASSERT_TRUE(engine_.inspectVolume("shop_data").ok());
  EXPECT_TRUE(engine_.removeVolume("shop_data", false).IsConflict());
  ASSERT_TRUE(engine_.removeContainer("db", true, false).ok());
  EXPECT_TRUE(engine_.removeVolume("shop_data", false).ok());
  EXPECT_TRUE(engine_.inspectVolume("shop_data").status().IsNotFound());
}

TEST_F(FakeEngineTest, RebuildMovesTheTagToANewImage) {
  // A one-file tar: a 512-byte header naming "Dockerfile" with size 0, then the end blocks.
  std::string tar(512 * 3, '\0');
  tar.replace(0, 10, "Dockerfile");
  tar.replace(124, 11, "00000000000");
  tar[156] = '0';
  BuildOptions o;
  o.tag = "shop/api:dev";
  auto first = engine_.buildImage(tar, o);
  auto second = engine_.buildImage(tar, o);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*first, *second);
  EXPECT_EQ(engine_.inspectImage("shop/api:dev")->id, *second);
  EXPECT_EQ(engine_.callCount("buildImage"), 2);
}

TEST_F(FakeEngineTest, BuildWithoutDockerfileIsInvalid) {
  BuildOptions o;
  o.tag = "x";
  EXPECT_TRUE(engine_.buildImage(std::string(1024, '\0'), o).status().IsInvalid());
}

TEST_F(FakeEngineTest, ImageIsFoundByTagWithLatestImplied) {
  std::string id = engine_.addImage("busybox");
  auto image = engine_.inspectImage("busybox:latest");
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->id, id);
  EXPECT_THAT(image->repoTags, ElementsAre("busybox:latest"));
}

TEST_F(FakeEngineTest, ApiVersionIsEmptyUntilTheFirstCall) {
  EXPECT_THAT(engine_.apiVersion(), IsEmpty());
  ASSERT_TRUE(engine_.ping().ok());
  EXPECT_EQ(engine_.apiVersion(), "1.41");
}

}  // namespace
}  // namespace tender

// The engine contract: one suite of DockerEngine behaviours that runs against
// both FakeDockerEngine (unit/engine_contract_fake_test.cc) and a real Docker
// engine (integration/engine_contract_docker_test.cc), so the fake cannot
// drift from the engine that the unit tests stand in for.
//
// What a container's own program does (trap SIGTERM, ignore it, exit by
// itself, pass its health check) is no part of the engine: the real engine
// runs the program named in Cmd, and the fake is told through the backend's
// hooks. Everything else is asserted the same way on both.
//
// Include this header from exactly one .cc of a test binary (it defines the
// tests) and instantiate it there:
//   INSTANTIATE_TEST_SUITE_P(Fake, EngineContractTest,
//                            ::testing::Values(contract::EngineTarget{"Fake", makeFakeBackend}),
//                            contract::EngineTargetName());
//
// Every test labels what it makes with ownerLabels() of an instance name no
// other test or process uses, names it with uniqueName(), removes it at the
// end even when the test fails, and checks that nothing labelled with its
// instance is left. It never assumes the engine is empty.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/docker_engine.h"
#include "engine/labels.h"
#include "tests/support/engine_env.h"

namespace tender {
namespace contract {

// The programs the contract's containers run (tender-busybox:latest).
enum class Program {
  kTrapsTerm,    // traps SIGTERM and exits 0: a stop ends it with 0
  kIgnoresTerm,  // sleep as PID 1, which has no handler: a stop's SIGTERM does nothing
  kExits3,       // exits with 3 right after it starts
};

inline std::vector<std::string> commandOf(Program p) {
  switch (p) {
    case Program::kTrapsTerm:
      return {"sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"};
    case Program::kIgnoresTerm:
      return {"sleep", "300"};
    case Program::kExits3:
      return {"sh", "-c", "exit 3"};
  }
  return {};
}

// The engine under test, with what stands in for the programs it runs.
class EngineBackend {
 public:
  virtual ~EngineBackend() = default;
  virtual DockerEngine& engine() = 0;
  // After container `id`, running `program`, was created / started. The
  // real engine runs the program; the fake is told what it does.
  virtual void created(const std::string& id, Program program) = 0;
  virtual void started(const std::string& id, Program program) = 0;
  // Returns once the health check of running container `id` has passed
  // (the real engine runs it; the fake is told), false when it did not.
  virtual bool healthCheckPasses(const std::string& id) = 0;
  // Gives the engine time to do what a test asserts it does NOT do (for
  // example end a container on a signal its program ignores).
  virtual void settle() = 0;
};

struct EngineTarget {
  std::string name;  // the instantiation's suffix: "Fake", "Docker"
  // Null when there is no engine (after recording a failure that says why).
  std::function<std::unique_ptr<EngineBackend>()> make;
};

inline void PrintTo(const EngineTarget& t, std::ostream* os) { *os << t.name; }

struct EngineTargetName {
  std::string operator()(const ::testing::TestParamInfo<EngineTarget>& info) const {
    return info.param.name;
  }
};

// An event's attribute, "" when it has none.
inline std::string attr(const EngineEvent& e, const std::string& key) {
  auto it = e.attributes.find(key);
  return it == e.attributes.end() ? "" : it->second;
}

inline constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";
inline constexpr const char* kNamespace = "contract";

// Collects what an events stream delivers (from any thread).
struct EventLog {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<EngineEvent> events;
  std::vector<Status> ends;

  EventStreamCallbacks callbacks() {
    EventStreamCallbacks cb;
    cb.onEvent = [this](const EngineEvent& e) {
      std::lock_guard<std::mutex> l(mu);
      events.push_back(e);
      cv.notify_all();
    };
    cb.onEnd = [this](const Status& s) {
      std::lock_guard<std::mutex> l(mu);
      ends.push_back(s);
      cv.notify_all();
    };
    return cb;
  }
  // Waits (up to 30 s) until an event of `action` for `id` has arrived.
  bool waitForAction(const std::string& id, const std::string& action) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(30), [&] {
      for (const auto& e : events) {
        if (e.id == id && e.action == action) return true;
      }
      return false;
    });
  }
  bool waitForEnd() {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(30), [&] { return !ends.empty(); });
  }
  // The actions seen for `id`, in order.
  std::vector<std::string> actionsOf(const std::string& id) {
    std::lock_guard<std::mutex> l(mu);
    std::vector<std::string> out;
    for (const auto& e : events) {
      if (e.id == id) out.push_back(e.action);
    }
    return out;
  }
  std::vector<EngineEvent> eventsOf(const std::string& id) {
    std::lock_guard<std::mutex> l(mu);
    std::vector<EngineEvent> out;
    for (const auto& e : events) {
      if (e.id == id) out.push_back(e);
    }
    return out;
  }
};

class EngineContractTest : public ::testing::TestWithParam<EngineTarget> {
 protected:
  void SetUp() override {
    backend_ = GetParam().make();
    ASSERT_NE(backend_, nullptr);
    engine_ = &backend_->engine();
    cleanup_.setEngine(engine_);
    instance_ = testenv::uniqueName("contract");
  }

  void TearDown() override {
    if (!engine_) return;
    cleanup_.run();
    // Removal works, and this test left nothing of its own behind.
    Filters mine = ownedFilters(instance_);
    auto containers = engine_->listContainers(mine, true);
    auto networks = engine_->listNetworks(mine);
    auto volumes = engine_->listVolumes(mine);
    ASSERT_TRUE(containers.ok() && networks.ok() && volumes.ok());
    EXPECT_TRUE(containers->empty()) << containers->size() << " containers left";
    EXPECT_TRUE(networks->empty()) << networks->size() << " networks left";
    EXPECT_TRUE(volumes->empty()) << volumes->size() << " volumes left";
  }

  // This test's owner labels, plus `extra`.
  Labels labels(const Labels& extra = {}) const {
    Labels l = ownerLabels(instance_, kNamespace);
    for (const auto& [k, v] : extra) l[k] = v;
    return l;
  }

  nlohmann::json bodyFor(Program program, const Labels& extra = {},
                         const nlohmann::json& more = nlohmann::json::object()) const {
    nlohmann::json body = {
        {"Image", testenv::kTestImage}, {"Cmd", commandOf(program)}, {"Labels", labels(extra)}};
    body.update(more);
    return body;
  }

  // Creates a container running `program` under a fresh name (or `name`),
  // registered for removal. "" (with a failure) when the engine refuses.
  std::string create(Program program, const Labels& extra = {},
                     const nlohmann::json& more = nlohmann::json::object(), std::string name = "") {
    if (name.empty()) name = testenv::uniqueName("c");
    auto id = engine_->createContainer(name, bodyFor(program, extra, more));
    EXPECT_TRUE(id.ok()) << "create " << name << ": " << id.status().ToString();
    if (!id.ok()) return "";
    cleanup_.container(*id);
    backend_->created(*id, program);
    return *id;
  }

  bool start(const std::string& id, Program program) {
    Status s = engine_->startContainer(id);
    EXPECT_TRUE(s.ok()) << "start " << id << ": " << s.ToString();
    if (!s.ok()) return false;
    backend_->started(id, program);
    return true;
  }

  std::string run(Program program, const Labels& extra = {},
                  const nlohmann::json& more = nlohmann::json::object()) {
    std::string id = create(program, extra, more);
    if (!id.empty()) start(id, program);
    return id;
  }

  ContainerInfo inspect(const std::string& idOrName) {
    auto c = engine_->inspectContainer(idOrName);
    EXPECT_TRUE(c.ok()) << "inspect " << idOrName << ": " << c.status().ToString();
    return c.ok() ? *c : ContainerInfo{};
  }

  // Polls inspect until `done` holds for the container (30 s at most).
  bool waitUntil(const std::string& id, const std::function<bool(const ContainerInfo&)>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      auto c = engine_->inspectContainer(id);
      if (c.ok() && done(*c)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  bool waitExited(const std::string& id) {
    return waitUntil(id, [](const ContainerInfo& c) { return c.state.status == "exited"; });
  }

  // This test's containers matching `filters` (its owner labels are added).
  std::vector<ContainerSummary> list(Filters filters = {}, bool all = true) {
    const Filters mine = ownedFilters(instance_);
    for (const auto& l : mine.at("label")) filters["label"].push_back(l);
    auto found = engine_->listContainers(filters, all);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() ? *found : std::vector<ContainerSummary>{};
  }
  std::vector<std::string> listIds(Filters filters = {}, bool all = true) {
    std::vector<std::string> ids;
    for (const auto& c : list(std::move(filters), all)) ids.push_back(c.id);
    return ids;
  }
  std::optional<ContainerSummary> summaryOf(const std::string& id) {
    for (const auto& c : list()) {
      if (c.id == id) return c;
    }
    return std::nullopt;
  }

  std::vector<std::string> networkNames(const Filters& filters) {
    auto found = engine_->listNetworks(filters);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    std::vector<std::string> out;
    if (found.ok()) {
      for (const auto& n : *found) out.push_back(n.name);
    }
    return out;
  }
  std::vector<std::string> volumeNames(const Filters& filters) {
    auto found = engine_->listVolumes(filters);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    std::vector<std::string> out;
    if (found.ok()) {
      for (const auto& v : *found) out.push_back(v.name);
    }
    return out;
  }

  std::string createNetwork(const Labels& extra = {},
                            nlohmann::json body = nlohmann::json::object()) {
    std::string name = testenv::uniqueName("net");
    nlohmann::json labelsJson = nlohmann::json::object();
    for (const auto& [k, v] : labels(extra)) labelsJson[k] = v;
    body["Labels"] = labelsJson;
    auto id = engine_->createNetwork(name, body);
    EXPECT_TRUE(id.ok()) << "create network " << name << ": " << id.status().ToString();
    if (!id.ok()) return "";
    cleanup_.network(*id);
    return name;
  }

  // The informer's stream (controller/informer.cc): this test's container
  // events of the kinds tender follows, from `since` on.
  std::unique_ptr<EngineStream> streamMine(EventLog& log, const std::string& since = "",
                                           const Labels& extra = {}) {
    Filters f = ownedFilters(instance_);
    for (const auto& [k, v] : extra) f["label"].push_back(k + "=" + v);
    f["type"] = {"container"};
    f["event"] = {"create", "start", "die", "oom", "kill", "stop", "destroy", "health_status"};
    return engine_->streamEvents(f, since, log.callbacks());
  }
  // A `since` that replays every event of container `id` (its creation second).
  std::string sinceCreated(const std::string& id) {
    auto s = summaryOf(id);
    EXPECT_TRUE(s.has_value()) << id << " is not listed";
    return s ? std::to_string(s->created) : "";
  }

  std::unique_ptr<EngineBackend> backend_;
  DockerEngine* engine_ = nullptr;
  testenv::EngineCleanup cleanup_;
  std::string instance_;  // this test's tender.instance label
};

using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

// --- the engine itself ---

TEST_P(EngineContractTest, PingVersionAndInfoDescribeTheEngine) {
  ASSERT_TRUE(engine_->ping().ok());
  EXPECT_THAT(engine_->apiVersion(), StartsWith("1."));
  auto version = engine_->version();
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_FALSE(version->version.empty());
  EXPECT_THAT(version->apiVersion, StartsWith("1."));
  std::string id = run(Program::kTrapsTerm);
  auto info = engine_->info();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_GT(info->memTotal, 0);
  EXPECT_GT(info->ncpu, 0);
  EXPECT_GE(info->containers, 1);
  EXPECT_GE(info->containersRunning, 1);
}

TEST_P(EngineContractTest, TheTestImageIsFoundByTagAndId) {
  auto image = engine_->inspectImage(testenv::kTestImage);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_THAT(image->id, StartsWith("sha256:"));
  EXPECT_THAT(image->repoTags, Contains(testenv::kTestImage));
  auto byId = engine_->inspectImage(image->id);
  ASSERT_TRUE(byId.ok()) << byId.status().ToString();
  EXPECT_EQ(byId->id, image->id);
  auto listed = engine_->listImages({{"reference", {testenv::kTestImage}}});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, image->id);
  Status missing = engine_->inspectImage(testenv::uniqueName("absent") + ":latest").status();
  EXPECT_TRUE(missing.IsNotFound()) << missing.ToString();
}

// --- containers: create, find, inspect ---

TEST_P(EngineContractTest, ACreatedContainerIsListedAndInspectedAsCreated) {
  std::string name = testenv::uniqueName("c");
  std::string id = create(Program::kTrapsTerm, {{"tier", "web"}}, json::object(), name);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(id.size(), 64u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;

  ContainerInfo c = inspect(id);
  EXPECT_EQ(c.id, id);
  EXPECT_EQ(c.name, name);
  EXPECT_THAT(c.image, StartsWith("sha256:"));
  EXPECT_EQ(c.configImage, testenv::kTestImage);
  EXPECT_EQ(c.labels, labels({{"tier", "web"}}));
  EXPECT_EQ(c.state.status, "created");
  EXPECT_FALSE(c.state.running);
  EXPECT_EQ(c.state.pid, 0);
  EXPECT_EQ(c.state.exitCode, 0);
  EXPECT_EQ(c.state.startedAt, kZeroTime);
  EXPECT_EQ(c.state.finishedAt, kZeroTime);
  EXPECT_EQ(c.state.health, "");

  auto s = summaryOf(id);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, name);
  EXPECT_EQ(s->image, testenv::kTestImage);
  EXPECT_EQ(s->imageId, c.image);
  EXPECT_EQ(s->state, "created");
  EXPECT_EQ(s->status, "Created");
  EXPECT_EQ(s->labels, c.labels);
  EXPECT_GT(s->created, 0);
  // Not running: only listed with all.
  EXPECT_THAT(listIds({}, /*all=*/false), Not(Contains(id)));
}

TEST_P(EngineContractTest, AContainerIsFoundByIdNameAndIdPrefix) {
  std::string name = testenv::uniqueName("c");
  std::string id = create(Program::kTrapsTerm, {}, json::object(), name);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(inspect(name).id, id);
  // The name as the engine's JSON spells it ("/name") is no way to find it:
  // in a URL path the engine answers it with a redirect.
  EXPECT_FALSE(engine_->inspectContainer("/" + name).ok());
  EXPECT_EQ(inspect(id.substr(0, 12)).id, id);
}

TEST_P(EngineContractTest, InspectShowsTheCreateBodyInTheEnginesShape) {
  std::string name = testenv::uniqueName("c");
  std::string id = create(Program::kTrapsTerm, {},
                          {{"Env", {"A=1"}}, {"HostConfig", {{"Memory", 64 << 20}}}}, name);
  ASSERT_FALSE(id.empty());
  ContainerInfo c = inspect(id);
  EXPECT_EQ(c.memoryLimit, 64 << 20);
  EXPECT_FALSE(c.tty);
  EXPECT_EQ(c.restartCount, 0);
  EXPECT_EQ(c.raw["Id"], id);
  EXPECT_EQ(c.raw["Name"], "/" + name);
  EXPECT_EQ(c.raw["Image"], c.image);
  EXPECT_EQ(c.raw["Config"]["Image"], testenv::kTestImage);
  EXPECT_EQ(c.raw["Config"]["Cmd"], json(commandOf(Program::kTrapsTerm)));
  // The engine adds the image's environment (PATH) to the body's.
  EXPECT_THAT(c.raw["Config"]["Env"].get<std::vector<std::string>>(), Contains("A=1"));
  EXPECT_EQ(c.raw["Config"]["Labels"][kLabelInstance], instance_);
  EXPECT_EQ(c.raw["HostConfig"]["Memory"], 64 << 20);
  EXPECT_EQ(c.raw["State"]["Status"], "created");
  EXPECT_TRUE(c.raw["NetworkSettings"]["Networks"].contains("bridge"));
}

TEST_P(EngineContractTest, ASecondCreateWithTheSameNameIsConflict) {
  std::string name = testenv::uniqueName("c");
  std::string id = create(Program::kTrapsTerm, {}, json::object(), name);
  ASSERT_FALSE(id.empty());
  auto again = engine_->createContainer(name, bodyFor(Program::kTrapsTerm));
  if (again.ok()) cleanup_.container(*again);
  EXPECT_TRUE(again.status().IsConflict()) << again.status().ToString();
  EXPECT_THAT(again.status().message(), HasSubstr("\"/" + name + "\" is already in use"));
  EXPECT_THAT(again.status().message(), HasSubstr(id));
  // Once the holder is gone the name is free again.
  ASSERT_TRUE(engine_->removeContainer(id, false, false).ok());
  EXPECT_FALSE(create(Program::kTrapsTerm, {}, json::object(), name).empty());
}

TEST_P(EngineContractTest, InvalidNamesAreInvalid) {
  for (const std::string name : {"-bad name", "a", "no/slash"}) {
    auto r = engine_->createContainer(name, bodyFor(Program::kTrapsTerm));
    if (r.ok()) cleanup_.container(*r);
    EXPECT_TRUE(r.status().IsInvalid()) << name << ": " << r.status().ToString();
  }
}

TEST_P(EngineContractTest, UnknownImageIsNotFound) {
  std::string image = testenv::uniqueName("absent");
  json body = bodyFor(Program::kTrapsTerm);
  body["Image"] = image;
  auto r = engine_->createContainer(testenv::uniqueName("c"), body);
  if (r.ok()) cleanup_.container(*r);
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  EXPECT_THAT(r.status().message(), HasSubstr("No such image: " + image));
}

TEST_P(EngineContractTest, MemoryBelowSixMegabytesIsInvalid) {
  auto r = engine_->createContainer(
      testenv::uniqueName("c"),
      bodyFor(Program::kTrapsTerm, {}, {{"HostConfig", {{"Memory", 1 << 20}}}}));
  if (r.ok()) cleanup_.container(*r);
  EXPECT_TRUE(r.status().IsInvalid()) << r.status().ToString();
  EXPECT_THAT(r.status().message(), HasSubstr("Minimum memory limit allowed is 6MB"));
}

TEST_P(EngineContractTest, AMissingContainerIsNotFound) {
  const std::string missing = testenv::uniqueName("absent");
  auto expectNotFound = [&](const char* what, const Status& s) {
    EXPECT_TRUE(s.IsNotFound()) << what << ": " << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr("No such container")) << what;
  };
  expectNotFound("inspect", engine_->inspectContainer(missing).status());
  expectNotFound("start", engine_->startContainer(missing));
  expectNotFound("stop", engine_->stopContainer(missing, 1));
  expectNotFound("kill", engine_->killContainer(missing, "SIGKILL"));
  expectNotFound("remove", engine_->removeContainer(missing, false, false));
  expectNotFound("force remove", engine_->removeContainer(missing, true, true));
  expectNotFound("stats", engine_->containerStats(missing).status());
  expectNotFound("logs", engine_->containerLogs(missing, LogOptions()).status());
}

// --- containers: start, stop, kill, remove ---

TEST_P(EngineContractTest, StartRunsTheContainer) {
  std::string id = run(Program::kTrapsTerm);
  ASSERT_FALSE(id.empty());
  ContainerInfo c = inspect(id);
  EXPECT_EQ(c.state.status, "running");
  EXPECT_TRUE(c.state.running);
  EXPECT_GT(c.state.pid, 0);
  EXPECT_NE(c.state.startedAt, kZeroTime);
  EXPECT_EQ(c.state.finishedAt, kZeroTime);
  ASSERT_TRUE(c.networkIps.count("bridge"));
  EXPECT_FALSE(c.networkIps.at("bridge").empty());
  auto s = summaryOf(id);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->state, "running");
  EXPECT_THAT(s->status, StartsWith("Up "));
  EXPECT_THAT(listIds({}, /*all=*/false), ElementsAre(id));
}

TEST_P(EngineContractTest, StartingARunningContainerIsNotModified) {
  std::string id = run(Program::kTrapsTerm);
  ASSERT_FALSE(id.empty());
  Status again = engine_->startContainer(id);
  EXPECT_TRUE(again.IsNotModified()) << again.ToString();
  EXPECT_TRUE(inspect(id).state.running);
}

TEST_P(EngineContractTest, StopEndsTheProgramWithTheCodeItChose) {
  std::string id = run(Program::kTrapsTerm);
  ASSERT_FALSE(id.empty());
  Status stop = engine_->stopContainer(id, 10);
  ASSERT_TRUE(stop.ok()) << stop.ToString();
  // Stop returns once the container has stopped.
  ContainerInfo c = inspect(id);
  EXPECT_EQ(c.state.status, "exited");
  EXPECT_FALSE(c.state.running);
  EXPECT_EQ(c.state.pid, 0);
  EXPECT_EQ(c.state.exitCode, 0);
  EXPECT_FALSE(c.state.oomKilled);
  EXPECT_NE(c.state.finishedAt, kZeroTime);
  // A stopped container keeps its networks, without an address.
  ASSERT_TRUE(c.networkIps.count("bridge"));
  EXPECT_EQ(c.networkIps.at("bridge"), "");
  auto s = summaryOf(id);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->state, "exited");
  EXPECT_THAT(s->status, StartsWith("Exited (0) "));
  EXPECT_THAT(listIds({}, /*all=*/false), Not(Contains(id)));
}

TEST_P(EngineContractTest, StoppingAStoppedOrNeverStartedContainerIsNotModified) {
  std::string ran = run(Program::kTrapsTerm);
  std::string created = create(Program::kTrapsTerm);
  ASSERT_FALSE(ran.empty() || created.empty());
  ASSERT_TRUE(engine_->stopContainer(ran, 10).ok());
  Status again = engine_->stopContainer(ran, 10);
  EXPECT_TRUE(again.IsNotModified()) << again.ToString();
  Status never = engine_->stopContainer(created, 10);
  EXPECT_TRUE(never.IsNotModified()) << never.ToString();
  EXPECT_EQ(inspect(created).state.status, "created");
}

TEST_P(EngineContractTest, StopKillsAProgramThatIgnoresTermAfterTheGracePeriod) {
  std::string id = run(Program::kIgnoresTerm);
  ASSERT_FALSE(id.empty());
  Status stop = engine_->stopContainer(id, 1);
  ASSERT_TRUE(stop.ok()) << stop.ToString();
  ContainerInfo c = inspect(id);
  EXPECT_EQ(c.state.status, "exited");
  EXPECT_EQ(c.state.exitCode, 137);
}

TEST_P(EngineContractTest, StopSendsTheConfiguredStopSignal) {
  // SIGKILL cannot be trapped: the program that exits 0 on SIGTERM dies of it.
  std::string id = run(Program::kTrapsTerm, {}, {{"StopSignal", "SIGKILL"}});
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(engine_->stopContainer(id, 10).ok());
  EXPECT_EQ(inspect(id).state.exitCode, 137);
}

TEST_P(EngineContractTest, KillEndsTheContainerWith128PlusTheSignal) {
  std::string id = run(Program::kTrapsTerm);
  ASSERT_FALSE(id.empty());
  Status kill = engine_->killContainer(id, "SIGKILL");
  ASSERT_TRUE(kill.ok()) << kill.ToString();
  ASSERT_TRUE(waitExited(id));
  EXPECT_EQ(inspect(id).state.exitCode, 137);
  auto s = summaryOf(id);
  ASSERT_TRUE(s.has_value());
  EXPECT_THAT(s->status, StartsWith("Exited (137) "));
  // Only a running container can be killed.
  Status again = engine_->killContainer(id, "SIGKILL");
  EXPECT_TRUE(again.IsConflict()) << again.ToString();
  EXPECT_THAT(again.message(), HasSubstr("is not running"));
  std::string created = create(Program::kTrapsTerm);
  ASSERT_FALSE(created.empty());
  EXPECT_TRUE(engine_->killContainer(created, "SIGKILL").IsConflict());
}

TEST_P(EngineContractTest, KillDeliversTheSignalToTheProgram) {
  std::string traps = run(Program::kTrapsTerm);
  std::string ignores = run(Program::kIgnoresTerm);
  ASSERT_FALSE(traps.empty() || ignores.empty());
  ASSERT_TRUE(engine_->killContainer(traps, "SIGTERM").ok());
  ASSERT_TRUE(engine_->killContainer(ignores, "SIGTERM").ok());
  ASSERT_TRUE(waitExited(traps));
  EXPECT_EQ(inspect(traps).state.exitCode, 0);
  backend_->settle();
  EXPECT_TRUE(inspect(ignores).state.running) << "a signal the program ignores ends nothing";
  EXPECT_TRUE(engine_->killContainer(ignores, "SIGNOTASIGNAL").IsInvalid());
}

TEST_P(EngineContractTest, AProgramThatEndsByItselfLeavesItsExitCode) {
  std::string id = run(Program::kExits3);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(waitExited(id));
  ContainerInfo c = inspect(id);
  EXPECT_EQ(c.state.exitCode, 3);
  EXPECT_FALSE(c.state.running);
  EXPECT_NE(c.state.finishedAt, kZeroTime);
  Status stop = engine_->stopContainer(id, 1);
  EXPECT_TRUE(stop.IsNotModified()) << stop.ToString();
}

TEST_P(EngineContractTest, AStoppedContainerStartsAgain) {
  std::string id = run(Program::kTrapsTerm);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(engine_->killContainer(id, "SIGKILL").ok());
  ASSERT_TRUE(waitExited(id));
  std::string firstStart = inspect(id).state.startedAt;
  ASSERT_TRUE(start(id, Program::kTrapsTerm));
  ContainerInfo c = inspect(id);
  EXPECT_TRUE(c.state.running);
  EXPECT_EQ(c.state.status, "running");
  EXPECT_GT(c.state.pid, 0);
  EXPECT_GE(c.state.startedAt, firstStart);
  // The last run's exit code stays until this run ends.
  EXPECT_EQ(c.state.exitCode, 0);
  EXPECT_FALSE(c.networkIps.at("bridge").empty());
}

TEST_P(EngineContractTest, RemovingARunningContainerNeedsForce) {
  std::string id = run(Program::kTrapsTerm);
  ASSERT_FALSE(id.empty());
  Status plain = engine_->removeContainer(id, false, false);
  EXPECT_TRUE(plain.IsConflict()) << plain.ToString();
  EXPECT_TRUE(inspect(id).state.running);
  Status forced = engine_->removeContainer(id, true, false);
  ASSERT_TRUE(forced.ok()) << forced.ToString();
  EXPECT_TRUE(engine_->inspectContainer(id).status().IsNotFound());
  EXPECT_TRUE(engine_->removeContainer(id, true, false).IsNotFound());
  EXPECT_THAT(listIds(), IsEmpty());
}

TEST_P(EngineContractTest, AStoppedContainerIsRemovedWithoutForce) {
  std::string id = run(Program::kTrapsTerm);
  std::string created = create(Program::kTrapsTerm);
  ASSERT_FALSE(id.empty() || created.empty());
  ASSERT_TRUE(engine_->stopContainer(id, 10).ok());
  EXPECT_TRUE(engine_->removeContainer(id, false, false).ok());
  EXPECT_TRUE(engine_->removeContainer(created, false, false).ok());
  EXPECT_THAT(listIds(), IsEmpty());
}

TEST_P(EngineContractTest, AContainerThatDoesNotRunReportsNoMemoryUse) {
  std::string id = create(Program::kTrapsTerm, {}, {{"HostConfig", {{"Memory", 64 << 20}}}});
  ASSERT_FALSE(id.empty());
  auto stats = engine_->containerStats(id);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->memoryUsageBytes, 0);
}

TEST_P(EngineContractTest, HealthIsStartingUntilTheCheckPasses) {
  json check = {
      {"Healthcheck",
       {{"Test", {"CMD", "true"}}, {"Interval", 200'000'000}, {"StartPeriod", 0}, {"Retries", 3}}}};
  std::string checked = run(Program::kTrapsTerm, {}, check);
  std::string unchecked = run(Program::kTrapsTerm);
  ASSERT_FALSE(checked.empty() || unchecked.empty());
  EXPECT_EQ(inspect(unchecked).state.health, "");
  auto plain = summaryOf(unchecked);
  ASSERT_TRUE(plain.has_value());
  EXPECT_THAT(plain->status, Not(HasSubstr("health")));

  EventLog log;
  auto stream = streamMine(log, sinceCreated(checked));
  ASSERT_TRUE(backend_->healthCheckPasses(checked));
  ContainerInfo c = inspect(checked);
  EXPECT_EQ(c.state.health, "healthy");
  EXPECT_EQ(c.state.failingStreak, 0);
  auto s = summaryOf(checked);
  ASSERT_TRUE(s.has_value());
  EXPECT_THAT(s->status, HasSubstr("(healthy)"));  // what service_reconciler.cc reads
  // "health_status" in the event filter selects "health_status: healthy".
  EXPECT_TRUE(log.waitForAction(checked, "health_status: healthy"));
}

// --- label, name and status filters on containers ---

TEST_P(EngineContractTest, LabelFiltersOnContainersAreAnded) {
  std::string a = create(Program::kTrapsTerm, {{"role", "a"}});
  std::string b = create(Program::kTrapsTerm, {{"role", "b"}});
  std::string bare = create(Program::kTrapsTerm);
  ASSERT_FALSE(a.empty() || b.empty() || bare.empty());
  EXPECT_THAT(listIds(), UnorderedElementsAre(a, b, bare));
  EXPECT_THAT(listIds({{"label", {"role"}}}), UnorderedElementsAre(a, b));
  EXPECT_THAT(listIds({{"label", {"role=a"}}}), ElementsAre(a));
  EXPECT_THAT(listIds({{"label", {"role=a", "role=b"}}}), IsEmpty());
  EXPECT_THAT(listIds({{"label", {"role=c"}}}), IsEmpty());
  // Another instance's filter sees none of them.
  auto other = engine_->listContainers(ownedFilters(instance_ + "-other"), true);
  ASSERT_TRUE(other.ok());
  EXPECT_THAT(*other, IsEmpty());
}

TEST_P(EngineContractTest, NameAndIdFiltersAreRegularExpressions) {
  std::string name = testenv::uniqueName("c");
  std::string id = create(Program::kTrapsTerm, {}, json::object(), name);
  std::string other = create(Program::kTrapsTerm, {}, json::object(), name + "-x");
  ASSERT_FALSE(id.empty() || other.empty());
  EXPECT_THAT(listIds({{"name", {name}}}), UnorderedElementsAre(id, other));
  EXPECT_THAT(listIds({{"name", {"^/" + name + "$"}}}), ElementsAre(id));
  EXPECT_THAT(listIds({{"name", {"^/" + name + "$", "-x$"}}}), UnorderedElementsAre(id, other));
  EXPECT_THAT(listIds({{"id", {id.substr(0, 12)}}}), ElementsAre(id));
}

TEST_P(EngineContractTest, StatusFilterSelectsTheState) {
  std::string created = create(Program::kTrapsTerm);
  std::string running = run(Program::kTrapsTerm);
  std::string exited = run(Program::kTrapsTerm);
  ASSERT_FALSE(created.empty() || running.empty() || exited.empty());
  ASSERT_TRUE(engine_->stopContainer(exited, 10).ok());
  EXPECT_THAT(listIds({{"status", {"created"}}}), ElementsAre(created));
  EXPECT_THAT(listIds({{"status", {"running"}}}), ElementsAre(running));
  EXPECT_THAT(listIds({{"status", {"exited"}}}), ElementsAre(exited));
  EXPECT_THAT(listIds({{"status", {"created", "exited"}}}), UnorderedElementsAre(created, exited));
  EXPECT_THAT(listIds({{"status", {"exited"}}}, /*all=*/false), ElementsAre(exited))
      << "a status filter lists stopped containers without all";
  EXPECT_TRUE(engine_->listContainers({{"status", {"sleeping"}}}, true).status().IsInvalid());
}

TEST_P(EngineContractTest, UnknownFilterNamesAreInvalid) {
  Filters bad = {{"colour", {"red"}}};
  Status c = engine_->listContainers(bad, true).status();
  Status n = engine_->listNetworks(bad).status();
  Status v = engine_->listVolumes(bad).status();
  EXPECT_TRUE(c.IsInvalid()) << c.ToString();
  EXPECT_TRUE(n.IsInvalid()) << n.ToString();
  EXPECT_TRUE(v.IsInvalid()) << v.ToString();
  EXPECT_THAT(c.message(), HasSubstr("nvalid filter 'colour'"));
}

// --- events ---

TEST_P(EngineContractTest, EventsOfAContainersLifeArriveInOrderWithItsLabels) {
  std::string name = testenv::uniqueName("c");
  std::string id = create(Program::kTrapsTerm, {{"tier", "web"}}, json::object(), name);
  ASSERT_FALSE(id.empty());
  EventLog log;
  // Opened after the create: `since` replays it.
  auto stream = streamMine(log, sinceCreated(id));
  ASSERT_TRUE(start(id, Program::kTrapsTerm));
  ASSERT_TRUE(engine_->stopContainer(id, 10).ok());
  ASSERT_TRUE(engine_->removeContainer(id, false, false).ok());
  ASSERT_TRUE(log.waitForAction(id, "destroy")) << ::testing::PrintToString(log.actionsOf(id));
  EXPECT_THAT(log.actionsOf(id), ElementsAre("create", "start", "kill", "die", "stop", "destroy"));
  for (const EngineEvent& e : log.eventsOf(id)) {
    EXPECT_EQ(e.type, "container") << e.action;
    EXPECT_EQ(attr(e, "name"), name) << e.action;
    EXPECT_EQ(attr(e, "image"), testenv::kTestImage) << e.action;
    EXPECT_EQ(attr(e, kLabelInstance), instance_) << e.action;
    EXPECT_EQ(attr(e, kLabelManaged), "true") << e.action;
    EXPECT_EQ(attr(e, "tier"), "web") << e.action;
    EXPECT_GT(e.time, 0) << e.action;
    EXPECT_EQ(e.time, e.timeNano / 1'000'000'000) << e.action;
    if (e.action == "kill") {
      EXPECT_EQ(attr(e, "signal"), "15");
    }
    if (e.action == "die") {
      EXPECT_EQ(attr(e, "exitCode"), "0");
    }
  }
  std::lock_guard<std::mutex> l(log.mu);
  EXPECT_THAT(log.ends, IsEmpty());
}

TEST_P(EngineContractTest, AStopThatMustKillShowsBothSignals) {
  std::string id = run(Program::kIgnoresTerm);
  ASSERT_FALSE(id.empty());
  EventLog log;
  auto stream = streamMine(log, sinceCreated(id));
  ASSERT_TRUE(engine_->stopContainer(id, 1).ok());
  ASSERT_TRUE(log.waitForAction(id, "stop")) << ::testing::PrintToString(log.actionsOf(id));
  EXPECT_THAT(log.actionsOf(id), ElementsAre("create", "start", "kill", "kill", "die", "stop"));
  auto events = log.eventsOf(id);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(attr(events[2], "signal"), "15");
  EXPECT_EQ(attr(events[3], "signal"), "9");
  EXPECT_EQ(attr(events[4], "exitCode"), "137");
}

TEST_P(EngineContractTest, ForceRemovingARunningContainerKillsIt) {
  std::string id = run(Program::kTrapsTerm);
  ASSERT_FALSE(id.empty());
  EventLog log;
  auto stream = streamMine(log, sinceCreated(id));
  ASSERT_TRUE(engine_->removeContainer(id, true, false).ok());
  ASSERT_TRUE(log.waitForAction(id, "destroy")) << ::testing::PrintToString(log.actionsOf(id));
  EXPECT_THAT(log.actionsOf(id), ElementsAre("create", "start", "kill", "die", "destroy"));
  auto events = log.eventsOf(id);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(attr(events[2], "signal"), "9");
  EXPECT_EQ(attr(events[3], "exitCode"), "137");
}

TEST_P(EngineContractTest, ADieEventCarriesTheProgramsExitCode) {
  std::string id = run(Program::kExits3);
  ASSERT_FALSE(id.empty());
  EventLog log;
  auto stream = streamMine(log, sinceCreated(id));
  ASSERT_TRUE(log.waitForAction(id, "die"));
  auto events = log.eventsOf(id);
  ASSERT_EQ(events.size(), 3u) << ::testing::PrintToString(log.actionsOf(id));
  EXPECT_EQ(attr(events[2], "exitCode"), "3");
}

TEST_P(EngineContractTest, TheLabelFilterOfAStreamSkipsOtherContainers) {
  std::string other = create(Program::kTrapsTerm);
  std::string picked = create(Program::kTrapsTerm, {{"pick", "1"}});
  ASSERT_FALSE(other.empty() || picked.empty());
  EventLog log;
  auto stream = streamMine(log, sinceCreated(other), {{"pick", "1"}});
  ASSERT_TRUE(start(other, Program::kTrapsTerm));
  ASSERT_TRUE(start(picked, Program::kTrapsTerm));
  ASSERT_TRUE(engine_->removeContainer(other, true, false).ok());
  ASSERT_TRUE(engine_->removeContainer(picked, true, false).ok());
  // Events arrive in order: once the picked one's destroy is here, every
  // event of the other one would have been too.
  ASSERT_TRUE(log.waitForAction(picked, "destroy"));
  EXPECT_THAT(log.actionsOf(other), IsEmpty());
  EXPECT_THAT(log.actionsOf(picked), ElementsAre("create", "start", "kill", "die", "destroy"));
}

TEST_P(EngineContractTest, ACancelledStreamDeliversNothingMore) {
  EventLog cancelled, open;
  auto first = streamMine(cancelled);
  auto second = streamMine(open);
  // Both are connected once a container made now shows up on the open one.
  std::string before = create(Program::kTrapsTerm);
  ASSERT_FALSE(before.empty());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (open.actionsOf(before).empty() && std::chrono::steady_clock::now() < deadline) {
    // The stream may have connected after the create: make another event.
    ASSERT_TRUE(engine_->removeContainer(before, true, false).ok());
    before = create(Program::kTrapsTerm);
    ASSERT_FALSE(before.empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(cancelled.waitForAction(before, "create"));
  first->cancel();
  std::string after = create(Program::kTrapsTerm);
  ASSERT_FALSE(after.empty());
  ASSERT_TRUE(open.waitForAction(after, "create"));
  EXPECT_THAT(cancelled.actionsOf(after), IsEmpty());
  std::lock_guard<std::mutex> l(cancelled.mu);
  EXPECT_THAT(cancelled.ends, IsEmpty()) << "no onEnd after cancel";
}

TEST_P(EngineContractTest, AStreamTheEngineRefusesEndsWithItsError) {
  EventLog log;
  auto stream = engine_->streamEvents({{"type", {"container"}}}, "not-a-time", log.callbacks());
  ASSERT_TRUE(log.waitForEnd());
  std::lock_guard<std::mutex> l(log.mu);
  ASSERT_EQ(log.ends.size(), 1u);
  EXPECT_FALSE(log.ends[0].ok());
  EXPECT_THAT(log.ends[0].message(), HasSubstr("not-a-time"));
  EXPECT_THAT(log.events, IsEmpty());
}

TEST_P(EngineContractTest, UnknownStreamFilterNamesAreIgnored) {
  // Unlike the list calls, the engine checks no filter names on /events.
  EventLog log;
  Filters f = ownedFilters(instance_);
  f["colour"] = {"red"};
  std::string id = create(Program::kTrapsTerm);
  ASSERT_FALSE(id.empty());
  auto stream = engine_->streamEvents(f, sinceCreated(id), log.callbacks());
  ASSERT_TRUE(log.waitForAction(id, "create"));
  std::lock_guard<std::mutex> l(log.mu);
  EXPECT_THAT(log.ends, IsEmpty());
}

// --- networks ---

TEST_P(EngineContractTest, NetworkLifecycle) {
  std::string name = createNetwork({{"role", "a"}});
  std::string other = createNetwork({{"role", "b"}}, {{"Internal", true}});
  ASSERT_FALSE(name.empty() || other.empty());
  auto dup = engine_->createNetwork(name, json::object());
  if (dup.ok()) cleanup_.network(*dup);
  EXPECT_TRUE(dup.status().IsConflict()) << dup.status().ToString();

  Filters mine = ownedFilters(instance_);
  EXPECT_THAT(networkNames(mine), UnorderedElementsAre(name, other));
  Filters a = mine;
  a["label"].push_back("role=a");
  EXPECT_THAT(networkNames(a), ElementsAre(name));
  Filters keyOnly = mine;
  keyOnly["label"].push_back("role");
  EXPECT_THAT(networkNames(keyOnly), UnorderedElementsAre(name, other));
  EXPECT_THAT(networkNames({{"name", {"^" + name + "$"}}}), ElementsAre(name));

  auto byName = engine_->inspectNetwork(name);
  ASSERT_TRUE(byName.ok()) << byName.status().ToString();
  EXPECT_EQ(byName->name, name);
  EXPECT_EQ(byName->driver, "bridge");
  EXPECT_FALSE(byName->internal);
  EXPECT_EQ(byName->labels, labels({{"role", "a"}}));
  EXPECT_THAT(byName->containerIds, IsEmpty());
  auto byId = engine_->inspectNetwork(byName->id);
  ASSERT_TRUE(byId.ok());
  EXPECT_EQ(byId->name, name);
  auto internal = engine_->inspectNetwork(other);
  ASSERT_TRUE(internal.ok());
  EXPECT_TRUE(internal->internal);

  ASSERT_TRUE(engine_->removeNetwork(name).ok());
  Status gone = engine_->inspectNetwork(name).status();
  EXPECT_TRUE(gone.IsNotFound()) << gone.ToString();
  EXPECT_THAT(gone.message(), HasSubstr("not found"));
  EXPECT_TRUE(engine_->removeNetwork(name).IsNotFound());
  EXPECT_THAT(networkNames(mine), ElementsAre(other));
}

TEST_P(EngineContractTest, ThePredefinedNetworksExist) {
  auto bridge = engine_->inspectNetwork("bridge");
  ASSERT_TRUE(bridge.ok()) << bridge.status().ToString();
  EXPECT_EQ(bridge->driver, "bridge");
  EXPECT_THAT(networkNames({{"name", {"^none$"}}}), ElementsAre("none"));
  EXPECT_THAT(networkNames({{"name", {"^host$"}}}), ElementsAre("host"));
  EXPECT_FALSE(engine_->removeNetwork("bridge").ok());
}

TEST_P(EngineContractTest, ANetworkShowsOnlyItsRunningContainers) {
  std::string net = createNetwork();
  ASSERT_FALSE(net.empty());
  std::string id = create(Program::kTrapsTerm, {}, {{"HostConfig", {{"NetworkMode", net}}}});
  ASSERT_FALSE(id.empty());
  EXPECT_THAT(engine_->inspectNetwork(net)->containerIds, IsEmpty());
  ASSERT_TRUE(start(id, Program::kTrapsTerm));
  EXPECT_THAT(engine_->inspectNetwork(net)->containerIds, ElementsAre(id));
  ContainerInfo c = inspect(id);
  ASSERT_TRUE(c.networkIps.count(net));
  EXPECT_FALSE(c.networkIps.at(net).empty());
  EXPECT_FALSE(c.networkIps.count("bridge"));
  // A network with a running container on it cannot go.
  Status busy = engine_->removeNetwork(net);
  EXPECT_FALSE(busy.ok());
  EXPECT_FALSE(busy.IsNotFound()) << busy.ToString();
  EXPECT_THAT(busy.message(), HasSubstr("active endpoints"));

  ASSERT_TRUE(engine_->stopContainer(id, 10).ok());
  EXPECT_THAT(engine_->inspectNetwork(net)->containerIds, IsEmpty());
  // A stopped container does not hold its network; it cannot start without it.
  ASSERT_TRUE(engine_->removeNetwork(net).ok());
  Status s = engine_->startContainer(id);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("network"));  // what service_reconciler.cc looks for
}

TEST_P(EngineContractTest, ConnectGivesARunningContainerAnAddressAndItsAliases) {
  std::string net = createNetwork();
  std::string id = run(Program::kTrapsTerm);
  ASSERT_FALSE(net.empty() || id.empty());
  Status connect = engine_->connectNetwork(net, id, {"api"});
  ASSERT_TRUE(connect.ok()) << connect.ToString();
  ContainerInfo c = inspect(id);
  ASSERT_TRUE(c.networkIps.count(net));
  EXPECT_FALSE(c.networkIps.at(net).empty());
  EXPECT_FALSE(c.networkIps.at("bridge").empty());
  EXPECT_THAT(c.raw["NetworkSettings"]["Networks"][net]["Aliases"].get<std::vector<std::string>>(),
              Contains("api"));
  EXPECT_THAT(engine_->inspectNetwork(net)->containerIds, ElementsAre(id));
  EXPECT_FALSE(engine_->connectNetwork(net, id, {}).ok()) << "connected twice";
  EXPECT_TRUE(engine_->connectNetwork(testenv::uniqueName("absent"), id, {}).IsNotFound());
  EXPECT_TRUE(engine_->connectNetwork(net, testenv::uniqueName("absent"), {}).IsNotFound());
}

TEST_P(EngineContractTest, ACreatedContainerCanBeConnected) {
  std::string net = createNetwork();
  std::string id = create(Program::kTrapsTerm);
  ASSERT_FALSE(net.empty() || id.empty());
  ASSERT_TRUE(engine_->connectNetwork(net, id, {"api"}).ok());
  ContainerInfo c = inspect(id);
  ASSERT_TRUE(c.networkIps.count(net));
  EXPECT_EQ(c.networkIps.at(net), "");
  ASSERT_TRUE(start(id, Program::kTrapsTerm));
  EXPECT_FALSE(inspect(id).networkIps.at(net).empty());
}

TEST_P(EngineContractTest, OnlyOneNetworkAtCreateBeforeApi144) {
  if (engine_->apiVersion().empty()) {
    ASSERT_TRUE(engine_->ping().ok());
  }
  const std::string api = engine_->apiVersion();
  int minor = std::atoi(api.substr(api.find('.') + 1).c_str());
  if (minor >= 44) GTEST_SKIP() << "API " << api << " takes several networks at create";
  std::string a = createNetwork();
  std::string b = createNetwork();
  ASSERT_FALSE(a.empty() || b.empty());
  json body = bodyFor(Program::kTrapsTerm);
  body["NetworkingConfig"] = {{"EndpointsConfig", {{a, json::object()}, {b, json::object()}}}};
  auto r = engine_->createContainer(testenv::uniqueName("c"), body);
  if (r.ok()) cleanup_.container(*r);
  EXPECT_TRUE(r.status().IsInvalid()) << r.status().ToString();
  // One is fine, and names the container's only network.
  body["NetworkingConfig"] = {{"EndpointsConfig", {{a, {{"Aliases", {"web"}}}}}}};
  body["HostConfig"] = {{"NetworkMode", a}};
  auto one = engine_->createContainer(testenv::uniqueName("c"), body);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  cleanup_.container(*one);
  ContainerInfo c = inspect(*one);
  EXPECT_TRUE(c.networkIps.count(a));
  EXPECT_FALSE(c.networkIps.count("bridge"));
  EXPECT_THAT(c.raw["NetworkSettings"]["Networks"][a]["Aliases"].get<std::vector<std::string>>(),
              Contains("web"));
}

// --- volumes ---

TEST_P(EngineContractTest, VolumeLifecycle) {
  std::string name = testenv::uniqueName("vol");
  std::string other = testenv::uniqueName("vol");
  auto created = engine_->createVolume(name, "", labels({{"role", "a"}}), {});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  cleanup_.volume(name);
  ASSERT_TRUE(engine_->createVolume(other, "local", labels({{"role", "b"}}), {}).ok());
  cleanup_.volume(other);
  EXPECT_EQ(created->name, name);
  EXPECT_EQ(created->driver, "local");
  EXPECT_EQ(created->labels, labels({{"role", "a"}}));
  EXPECT_THAT(created->mountpoint, HasSubstr(name));
  EXPECT_FALSE(created->createdAt.empty());

  Filters mine = ownedFilters(instance_);
  EXPECT_THAT(volumeNames(mine), UnorderedElementsAre(name, other));
  Filters a = mine;
  a["label"].push_back("role=a");
  EXPECT_THAT(volumeNames(a), ElementsAre(name));
  Filters keyOnly = mine;
  keyOnly["label"].push_back("role");
  EXPECT_THAT(volumeNames(keyOnly), UnorderedElementsAre(name, other));
  EXPECT_THAT(volumeNames({{"name", {name + "$"}}}), ElementsAre(name));

  auto inspected = engine_->inspectVolume(name);
  ASSERT_TRUE(inspected.ok()) << inspected.status().ToString();
  EXPECT_EQ(inspected->labels, created->labels);
  EXPECT_EQ(inspected->mountpoint, created->mountpoint);

  // Creating it again returns it unchanged.
  auto again = engine_->createVolume(name, "", labels({{"role", "changed"}}), {});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->labels.at("role"), "a");

  ASSERT_TRUE(engine_->removeVolume(name, false).ok());
  Status gone = engine_->inspectVolume(name).status();
  EXPECT_TRUE(gone.IsNotFound()) << gone.ToString();
  EXPECT_THAT(gone.message(), HasSubstr("no such volume"));
  EXPECT_TRUE(engine_->removeVolume(name, false).IsNotFound());
  EXPECT_TRUE(engine_->removeVolume(name, true).ok()) << "force ignores a missing volume";
  EXPECT_THAT(volumeNames(mine), ElementsAre(other));
}

TEST_P(EngineContractTest, ANamedVolumeIsCreatedOnUseAndHeldByItsContainer) {
  std::string bound = testenv::uniqueName("vol");
  std::string mounted = testenv::uniqueName("vol");
  cleanup_.volume(bound);  // made by the engine, without labels: removed by name
  cleanup_.volume(mounted);
  json host = {{"Binds", {bound + ":/a"}},
               {"Mounts", {{{"Type", "volume"}, {"Source", mounted}, {"Target", "/b"}}}}};
  std::string id = create(Program::kTrapsTerm, {}, {{"HostConfig", host}});
  ASSERT_FALSE(id.empty());
  for (const std::string& v : {bound, mounted}) {
    auto info = engine_->inspectVolume(v);
    ASSERT_TRUE(info.ok()) << v << ": " << info.status().ToString();
    EXPECT_EQ(info->driver, "local");
    Status busy = engine_->removeVolume(v, false);
    EXPECT_TRUE(busy.IsConflict()) << busy.ToString();
    EXPECT_THAT(busy.message(), HasSubstr("volume is in use"));
  }
  // inspect's Mounts name the volumes (tender reads them to hand volumes on).
  ContainerInfo c = inspect(id);
  ASSERT_TRUE(c.raw.contains("Mounts")) << c.raw.dump();
  std::map<std::string, std::string> byDestination;
  for (const auto& m : c.raw["Mounts"]) {
    EXPECT_EQ(m.value("Type", ""), "volume");
    byDestination[m.value("Destination", "")] = m.value("Name", "");
  }
  EXPECT_EQ(byDestination, (std::map<std::string, std::string>{{"/a", bound}, {"/b", mounted}}));
  ASSERT_TRUE(engine_->removeContainer(id, false, /*removeVolumes=*/true).ok());
  // Named volumes outlive their container, even with removeVolumes.
  for (const std::string& v : {bound, mounted}) {
    EXPECT_TRUE(engine_->inspectVolume(v).ok()) << v;
    EXPECT_TRUE(engine_->removeVolume(v, false).ok()) << v;
  }
}

// The Mounts of inspect, by destination: {type, volume name}.
inline std::map<std::string, std::pair<std::string, std::string>> mountsOf(const ContainerInfo& c) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  if (!c.raw.contains("Mounts") || !c.raw["Mounts"].is_array()) return out;
  for (const auto& m : c.raw["Mounts"]) {
    out[m.value("Destination", "")] = {m.value("Type", ""), m.value("Name", "")};
  }
  return out;
}

inline bool isAnonymousVolumeName(const std::string& name) {
  return name.size() == 64 && name.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST_P(EngineContractTest, AnonymousVolumesGoWithTheirContainer) {
  // Both ways to ask for one: a Mounts entry without Source (as tender's
  // container_spec.cc does) and Config.Volumes (as an image's VOLUME).
  json more = {
      {"Volumes", {{"/img", json::object()}}},
      {"HostConfig",
       {{"Mounts",
         {{{"Type", "volume"}, {"Target", "/cache"}}, {{"Type", "tmpfs"}, {"Target", "/run"}}}}}}};
  std::string id = create(Program::kTrapsTerm, {}, more);
  ASSERT_FALSE(id.empty());
  auto mounts = mountsOf(inspect(id));
  ASSERT_EQ(mounts.size(), 3u) << inspect(id).raw.dump();
  EXPECT_EQ(mounts["/run"], std::make_pair(std::string("tmpfs"), std::string()));
  for (const std::string dest : {"/cache", "/img"}) {
    const auto& [type, name] = mounts[dest];
    EXPECT_EQ(type, "volume") << dest;
    EXPECT_TRUE(isAnonymousVolumeName(name)) << dest << ": " << name;
    cleanup_.volume(name);
    auto v = engine_->inspectVolume(name);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->driver, "local");
    EXPECT_TRUE(engine_->removeVolume(name, false).IsConflict()) << dest;
  }
  EXPECT_NE(mounts["/cache"].second, mounts["/img"].second);
  ASSERT_TRUE(engine_->removeContainer(id, false, /*removeVolumes=*/true).ok());
  for (const std::string dest : {"/cache", "/img"}) {
    EXPECT_TRUE(engine_->inspectVolume(mounts[dest].second).status().IsNotFound()) << dest;
  }
}

TEST_P(EngineContractTest, AnAnonymousVolumeHandedOnByNameOutlivesItsNextContainer) {
  // What service_reconciler.cc does when it replaces a container.
  std::string first =
      create(Program::kTrapsTerm, {},
             {{"HostConfig", {{"Mounts", {{{"Type", "volume"}, {"Target", "/cache"}}}}}}});
  ASSERT_FALSE(first.empty());
  std::string volume = mountsOf(inspect(first))["/cache"].second;
  ASSERT_TRUE(isAnonymousVolumeName(volume)) << volume;
  cleanup_.volume(volume);
  // Without removeVolumes the volume stays.
  ASSERT_TRUE(engine_->removeContainer(first, false, /*removeVolumes=*/false).ok());
  ASSERT_TRUE(engine_->inspectVolume(volume).ok());
  std::string second =
      create(Program::kTrapsTerm, {},
             {{"HostConfig",
               {{"Mounts", {{{"Type", "volume"}, {"Source", volume}, {"Target", "/cache"}}}}}}});
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(mountsOf(inspect(second))["/cache"], std::make_pair(std::string("volume"), volume));
  // Mounted by name, it is not the second container's to take along.
  ASSERT_TRUE(engine_->removeContainer(second, false, /*removeVolumes=*/true).ok());
  EXPECT_TRUE(engine_->inspectVolume(volume).ok());
  EXPECT_TRUE(engine_->removeVolume(volume, false).ok());
}

}  // namespace contract
}  // namespace tender

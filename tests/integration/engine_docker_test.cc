// The Beast client against a real Docker engine (DOCKER_HOST or the default
// socket). Every object carries a name and a "tender.test" label unique to
// this process and is removed at the end of its test, pass or fail. What
// needs no engine (deadlines, a missing socket, negotiation, stream parsing)
// is in unit/engine_beast_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "engine/docker_engine_beast.h"
#include "engine/docker_engine_codec.h"
#include "tests/support/engine_env.h"

namespace tender {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using Clock = std::chrono::steady_clock;

// DockerEngine has no call that removes an image, so the image a build test
// made is removed with a plain HTTP request. Returns the HTTP status, or -1.
int rawEngineDelete(const std::string& target) {
  auto address = engine_codec::parseEngineAddress(resolvedEngineHost({}));
  if (!address.ok()) return -1;
  int fd = -1;
  if (address->kind == engine_codec::EngineAddress::Kind::kUnix) {
    fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, address->path.c_str(), sizeof addr.sun_path - 1);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      if (fd >= 0) ::close(fd);
      return -1;
    }
  } else {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(address->host.c_str(), address->port.c_str(), &hints, &found) != 0) return -1;
    fd = ::socket(found->ai_family, found->ai_socktype, found->ai_protocol);
    bool connected = fd >= 0 && ::connect(fd, found->ai_addr, found->ai_addrlen) == 0;
    ::freeaddrinfo(found);
    if (!connected) {
      if (fd >= 0) ::close(fd);
      return -1;
    }
  }
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string request =
      "DELETE " + target + " HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n";
  if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return -1;
  }
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) answer.append(buf, static_cast<size_t>(n));
  ::close(fd);
  int status = -1;
  std::sscanf(answer.c_str(), "HTTP/1.%*d %d", &status);
  return status;
}

// An uncompressed tar (ustar) of regular files.
std::string tarOf(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out;
  for (const auto& [name, content] : files) {
    char h[512] = {};
    std::strncpy(h, name.c_str(), 99);
    std::snprintf(h + 100, 8, "%07o", 0644);
    std::snprintf(h + 108, 8, "%07o", 0);
    std::snprintf(h + 116, 8, "%07o", 0);
    std::snprintf(h + 124, 12, "%011o", static_cast<unsigned>(content.size()));
    std::snprintf(h + 136, 12, "%011o", 0);
    std::memset(h + 148, ' ', 8);
    h[156] = '0';
    std::memcpy(h + 257, "ustar", 6);
    std::memcpy(h + 263, "00", 2);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    std::snprintf(h + 148, 8, "%06o", sum);
    h[155] = ' ';
    out.append(h, sizeof h);
    out += content;
    out.append((512 - content.size() % 512) % 512, '\0');
  }
  out.append(1024, '\0');
  return out;
}

// Collects what an events stream delivers, from the engine's loop thread.
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

  // Waits up to `limit` for `done` to hold, checked under the lock.
  template <class Pred>
  bool waitFor(std::chrono::seconds limit, Pred done) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, limit, [&] { return done(); });
  }
};

class EngineDockerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testenv::connectTestEngine();
    ASSERT_NE(engine_, nullptr);
    cleanup_.setEngine(engine_.get());
    tag_ = testenv::uniqueName("t");
  }
  void TearDown() override { cleanup_.run(); }

  // Creates (and registers for removal) a busybox container running `cmd`.
  std::string create(const std::vector<std::string>& cmd, json extra = json::object(),
                     Labels labels = {}) {
    std::string name = testenv::uniqueName("c");
    labels["tender.test"] = tag_;
    json body = {{"Image", testenv::kTestImage}, {"Cmd", cmd}, {"Labels", labels}};
    body.update(extra);
    auto id = engine_->createContainer(name, body);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (!id.ok()) return "";
    cleanup_.container(*id);
    return *id;
  }

  std::string runSleeping() {
    std::string id = create({"sleep", "300"});
    Status s = engine_->startContainer(id);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return id;
  }

  // Polls until the container is no longer running; its state afterwards.
  ContainerState waitExited(const std::string& id) {
    auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < deadline) {
      auto c = engine_->inspectContainer(id);
      if (!c.ok()) break;
      if (!c->state.running && c->state.status != "created") return c->state;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "container " << id << " did not exit within 20 s";
    return {};
  }

  std::unique_ptr<DockerEngine> engine_;
  testenv::EngineCleanup cleanup_;
  std::string tag_;  // the "tender.test" label of everything this test creates
};

// --- talking to the engine ---

TEST_F(EngineDockerTest, PingNegotiatesTheSmallerOfBothVersions) {
  auto version = engine_->version();
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(engine_->apiVersion(),
            engine_codec::negotiateApiVersion(version->apiVersion, kMaxEngineApiVersion));
}

TEST_F(EngineDockerTest, PinnedApiVersionIsSpoken) {
  EngineOptions options;
  options.apiVersion = "1.40";
  auto pinned = makeStandaloneBeastDockerEngine(options);
  ASSERT_TRUE(pinned->version().ok());  // pings first
  EXPECT_EQ(pinned->apiVersion(), "1.40");
}

TEST_F(EngineDockerTest, VersionAndInfoDescribeTheEngine) {
  auto version = engine_->version();
  ASSERT_TRUE(version.ok());
  EXPECT_FALSE(version->version.empty());
  auto info = engine_->info();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_GT(info->memTotal, 0);
  EXPECT_GT(info->ncpu, 0);
}

// --- containers ---

TEST_F(EngineDockerTest, RunsAContainerAndDemultiplexesItsLogs) {
  std::string id = create({"sh", "-c", "echo out; echo err >&2; echo two"});
  ASSERT_TRUE(engine_->startContainer(id).ok());
  ContainerState state = waitExited(id);
  EXPECT_EQ(state.exitCode, 0);
  auto lines = engine_->containerLogs(id, LogOptions());
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  std::vector<std::pair<LogLine::Stream, std::string>> got;
  for (const auto& l : *lines) got.emplace_back(l.stream, l.text);
  EXPECT_THAT(got, UnorderedElementsAre(std::make_pair(LogLine::Stream::kStdout, "out"),
                                        std::make_pair(LogLine::Stream::kStderr, "err"),
                                        std::make_pair(LogLine::Stream::kStdout, "two")));
}

TEST_F(EngineDockerTest, LogsOfATtyContainerAreRawLines) {
  std::string id = create({"sh", "-c", "echo first; echo second"}, {{"Tty", true}});
  ASSERT_TRUE(engine_->startContainer(id).ok());
  waitExited(id);
  LogOptions tail;
  tail.tail = 1;
  auto lines = engine_->containerLogs(id, tail);
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_EQ((*lines)[0].text, "second");
}

TEST_F(EngineDockerTest, InspectReadsNameLabelsAndLimits) {
  std::string id = create({"true"}, {{"HostConfig", {{"Memory", 64 << 20}}}}, {{"tier", "web"}});
  auto c = engine_->inspectContainer(id);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->id, id);
  EXPECT_EQ(c->name.find('/'), std::string::npos);
  EXPECT_EQ(c->configImage, testenv::kTestImage);
  EXPECT_EQ(c->labels.at("tier"), "web");
  EXPECT_EQ(c->memoryLimit, 64 << 20);
  EXPECT_EQ(c->state.status, "created");
  EXPECT_EQ(c->raw["HostConfig"]["Memory"], 64 << 20);
}

TEST_F(EngineDockerTest, ListWithLabelFilterShowsOnlyOurs) {
  std::string a = create({"true"}, json::object(), {{"role", "a"}});
  std::string b = create({"true"}, json::object(), {{"role", "b"}});
  auto all = engine_->listContainers({{"label", {"tender.test=" + tag_}}});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<std::string> ids;
  for (const auto& c : *all) ids.push_back(c.id);
  EXPECT_THAT(ids, UnorderedElementsAre(a, b));
  auto onlyA = engine_->listContainers({{"label", {"tender.test=" + tag_, "role=a"}}});
  ASSERT_TRUE(onlyA.ok());
  ASSERT_EQ(onlyA->size(), 1u);
  EXPECT_EQ((*onlyA)[0].id, a);
  EXPECT_EQ((*onlyA)[0].name.find('/'), std::string::npos);
  EXPECT_EQ((*onlyA)[0].state, "created");
}

TEST_F(EngineDockerTest, StartAndStopTwiceAreNotModified) {
  std::string id = runSleeping();
  EXPECT_TRUE(engine_->startContainer(id).IsNotModified());
  Status stop = engine_->stopContainer(id, 1);
  ASSERT_TRUE(stop.ok()) << stop.ToString();
  EXPECT_TRUE(engine_->stopContainer(id, 1).IsNotModified());
}

TEST_F(EngineDockerTest, StopMayTakeLongerThanTheCallTimeout) {
  EngineOptions options;
  options.callTimeout = std::chrono::seconds(2);
  auto impatient = makeStandaloneBeastDockerEngine(options);
  // sleep as PID 1 ignores SIGTERM, so the engine waits the whole grace period.
  std::string id = runSleeping();
  Status s = impatient->stopContainer(id, 3);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(EngineDockerTest, KillEndsTheContainerWith137) {
  std::string id = runSleeping();
  ASSERT_TRUE(engine_->killContainer(id, "SIGKILL").ok());
  EXPECT_EQ(waitExited(id).exitCode, 137);
  EXPECT_TRUE(engine_->killContainer(id, "SIGKILL").IsConflict());
}

TEST_F(EngineDockerTest, RemovingARunningContainerNeedsForce) {
  std::string id = runSleeping();
  EXPECT_TRUE(engine_->removeContainer(id, false, false).IsConflict());
  ASSERT_TRUE(engine_->removeContainer(id, true, true).ok());
  EXPECT_TRUE(engine_->inspectContainer(id).status().IsNotFound());
}

TEST_F(EngineDockerTest, DuplicateNameIsConflictWithTheEnginesMessage) {
  std::string id = create({"true"});
  auto first = engine_->inspectContainer(id);
  ASSERT_TRUE(first.ok());
  auto again = engine_->createContainer(first->name, {{"Image", testenv::kTestImage}});
  if (again.ok()) cleanup_.container(*again);
  EXPECT_TRUE(again.status().IsConflict()) << again.status().ToString();
  EXPECT_THAT(again.status().message(), HasSubstr("is already in use"));
}

TEST_F(EngineDockerTest, InspectMissingIsNotFound) {
  Status s = engine_->inspectContainer(testenv::uniqueName("absent")).status();
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("No such container"));
}

TEST_F(EngineDockerTest, UnknownImageIsNotFound) {
  auto r = engine_->createContainer(testenv::uniqueName("c"), {{"Image", "tender-absent:latest"}});
  if (r.ok()) cleanup_.container(*r);
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
}

// --- events ---

TEST_F(EngineDockerTest, EventsStreamSeesStartAndDieOfOurContainer) {
  EventLog log;
  auto stream = engine_->streamEvents(
      {{"type", {"container"}}, {"event", {"start", "die"}}, {"label", {"tender.test=" + tag_}}},
      "", log.callbacks());
  // The stream is open once the engine has answered its header; give it a moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::string id = create({"sh", "-c", "exit 3"});
  ASSERT_TRUE(engine_->startContainer(id).ok());
  bool seen = log.waitFor(std::chrono::seconds(20), [&] { return log.events.size() >= 2; });
  ASSERT_TRUE(seen) << "saw " << log.events.size() << " events";
  std::lock_guard<std::mutex> l(log.mu);
  EXPECT_EQ(log.events[0].action, "start");
  EXPECT_EQ(log.events[0].id, id);
  EXPECT_EQ(log.events[1].action, "die");
  EXPECT_EQ(log.events[1].attributes.at("exitCode"), "3");
  EXPECT_EQ(log.events[1].attributes.at("tender.test"), tag_);
  EXPECT_GT(log.events[1].timeNano, 0);
  EXPECT_TRUE(log.ends.empty());
}

TEST_F(EngineDockerTest, CancelledStreamNeverEnds) {
  EventLog log;
  auto stream = engine_->streamEvents({{"label", {"tender.test=" + tag_}}}, "", log.callbacks());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stream->cancel();
  create({"true"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::lock_guard<std::mutex> l(log.mu);
  EXPECT_TRUE(log.ends.empty());
  EXPECT_TRUE(log.events.empty());
}

// --- networks, volumes, images ---

TEST_F(EngineDockerTest, NetworkLifecycle) {
  std::string name = testenv::uniqueName("net");
  auto id = engine_->createNetwork(name, {{"Labels", {{"tender.test", tag_}}}});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  cleanup_.network(*id);
  EXPECT_TRUE(engine_->createNetwork(name, json::object()).status().IsConflict());

  auto list = engine_->listNetworks({{"label", {"tender.test=" + tag_}}});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, name);
  EXPECT_EQ((*list)[0].driver, "bridge");

  std::string container = runSleeping();
  ASSERT_TRUE(engine_->connectNetwork(name, container, {"api"}).ok());
  auto network = engine_->inspectNetwork(name);
  ASSERT_TRUE(network.ok());
  EXPECT_THAT(network->containerIds, ElementsAre(container));
  auto c = engine_->inspectContainer(container);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->networkIps.at(name).empty());

  ASSERT_TRUE(engine_->removeContainer(container, true, true).ok());
  ASSERT_TRUE(engine_->removeNetwork(name).ok());
  EXPECT_TRUE(engine_->inspectNetwork(name).status().IsNotFound());
}

TEST_F(EngineDockerTest, VolumeLifecycle) {
  std::string name = testenv::uniqueName("vol");
  auto created = engine_->createVolume(name, "", {{"tender.test", tag_}}, {});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  cleanup_.volume(name);
  EXPECT_EQ(created->driver, "local");

  auto list = engine_->listVolumes({{"label", {"tender.test=" + tag_}}});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, name);
  auto inspected = engine_->inspectVolume(name);
  ASSERT_TRUE(inspected.ok());
  EXPECT_EQ(inspected->labels.at("tender.test"), tag_);

  ASSERT_TRUE(engine_->removeVolume(name, false).ok());
  EXPECT_TRUE(engine_->inspectVolume(name).status().IsNotFound());
}

TEST_F(EngineDockerTest, InspectsTheTestImage) {
  auto image = engine_->inspectImage(testenv::kTestImage);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->id.rfind("sha256:", 0), 0u);
  EXPECT_THAT(image->repoTags, Contains(testenv::kTestImage));
}

class EngineBuildTest : public EngineDockerTest {
 protected:
  void TearDown() override {
    EngineDockerTest::TearDown();
    if (!image_.empty()) rawEngineDelete("/images/" + image_ + "?force=1");
  }
  std::string image_;  // the tag a test built, removed afterwards
};

TEST_F(EngineBuildTest, BuildsAnImageFromATar) {
  image_ = testenv::uniqueName("img") + ":latest";
  std::string tar = tarOf({{"Dockerfile",
                            "FROM tender-busybox:latest\n"
                            "RUN [\"/bin/sh\",\"-c\",\"echo hi > /hello\"]\n"}});
  BuildOptions options;
  options.tag = image_;
  options.labels = {{"tender.test", tag_}};
  auto id = engine_->buildImage(tar, options);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->rfind("sha256:", 0), 0u);
  auto image = engine_->inspectImage(image_);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->id, *id);
  EXPECT_EQ(image->labels.at("tender.test"), tag_);
}

TEST_F(EngineBuildTest, FailingStepIsInvalidWithTheEnginesMessage) {
  image_ = testenv::uniqueName("img") + ":latest";
  std::string tar = tarOf({{"Dockerfile",
                            "FROM tender-busybox:latest\n"
                            "RUN [\"/bin/sh\",\"-c\",\"exit 3\"]\n"}});
  BuildOptions options;
  options.tag = image_;
  auto id = engine_->buildImage(tar, options);
  EXPECT_TRUE(id.status().IsInvalid()) << id.status().ToString();
  EXPECT_THAT(id.status().message(), HasSubstr("returned a non-zero code: 3"));
}

}  // namespace
}  // namespace tender

// Post-mortems from the facts of a death, and the host's memory as the
// kernel's files tell it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/time_format.h"
#include "reconcilers/host_monitor.h"
#include "reconcilers/post_mortem.h"
#include "tests/support/simulated_clock.h"

namespace tender {
namespace {

using namespace std::chrono_literals;

DeathFacts facts(int exitCode, bool oomKilled = false) {
  DeathFacts f;
  f.ns = "shop";
  f.service = "web";
  f.replica = 1;
  f.info.id = "c0ffee";
  f.info.state.exitCode = exitCode;
  f.info.state.oomKilled = oomKilled;
  f.info.state.startedAt = "2026-11-22T10:00:00.000000000Z";
  f.info.state.finishedAt = "2026-11-22T10:00:02.500000000Z";
  return f;
}

TEST(PostMortem, TellsTheReasonFromTheFacts) {
  EXPECT_EQ("Completed", postMortem(facts(0)).reason);
  EXPECT_EQ("Error", postMortem(facts(1)).reason);
  EXPECT_EQ("Error", postMortem(facts(137)).reason) << "137 alone is a SIGKILL, not an OOM";
  EXPECT_EQ("OOMKilled", postMortem(facts(137, true)).reason);
  DeathFacts oomEvent = facts(137);
  oomEvent.oomEvent = true;
  EXPECT_EQ("OOMKilled", postMortem(oomEvent).reason);
  DeathFacts host = facts(137);
  host.hostOomKill = true;
  TerminationRecord h = postMortem(host);
  EXPECT_EQ("OOMKilled", h.reason);
  EXPECT_EQ(true, h.data["hostOomKill"]);
  EXPECT_NE(std::string::npos, h.data["message"].get<std::string>().find("host's OOM killer"));
  DeathFacts hostButNot137 = facts(1);
  hostButNot137.hostOomKill = true;
  EXPECT_EQ("Error", postMortem(hostButNot137).reason);
  DeathFacts killed = facts(143);
  killed.killedByTender = "restart requested";
  EXPECT_EQ("Killed", postMortem(killed).reason);
  DeathFacts unhealthy = facts(137);
  unhealthy.unhealthy = true;
  EXPECT_EQ("Unhealthy", postMortem(unhealthy).reason);
  DeathFacts engine = facts(143);
  engine.engineRestart = true;
  engine.killedByTender = "x";
  EXPECT_EQ("EngineRestart", postMortem(engine).reason);
}

TEST(PostMortem, RecordedFactsOfTheRunTellTheReasonAfterARestartOfTender) {
  const WallTime started = *parseRfc3339("2026-11-22T10:00:00Z");
  struct Case {
    const char* what;
    nlohmann::json recorded;
    const char* reason;
  };
  nlohmann::json stoppedAndOom = stopFact(kStopKilled, "restart requested");
  stoppedAndOom.merge_patch(oomFact(started + 1s));
  nlohmann::json stopTakenBack = stopFact(kStopUnhealthy, "unhealthy");
  stopTakenBack.merge_patch(noStopFact());
  const Case cases[] = {
      {"nothing recorded", nlohmann::json::object(), "Error"},
      {"a stop tender made", stopFact(kStopKilled, "restart requested"), "Killed"},
      {"an eviction", stopFact(kStopEvicted, "memory is short"), "Evicted"},
      {"a failed health check", stopFact(kStopUnhealthy, "unhealthy"), "Unhealthy"},
      {"a stop the engine refused", stopTakenBack, "Error"},
      {"an oom during the run", oomFact(started + 1s), "OOMKilled"},
      {"an oom of an earlier run", oomFact(started - 5s), "Error"},
      {"tender's stop wins over an oom", stoppedAndOom, "Killed"},
      {"not an object", nlohmann::json::array(), "Error"},
  };
  for (const Case& c : cases) {
    DeathFacts f = facts(137);
    addRecordedFacts(c.recorded, started, f);
    EXPECT_EQ(c.reason, postMortem(f).reason) << c.what << ": " << c.recorded.dump();
  }
  DeathFacts f = facts(137);
  addRecordedFacts(stopFact(kStopKilled, "restart requested"), started, f);
  EXPECT_EQ("stopped by tender: restart requested", postMortem(f).data.value("message", ""));
}

TEST(PostMortem, RecordsSignalTimesMemoryAndTheHost) {
  DeathFacts f = facts(137, true);
  f.info.memoryLimit = 8 << 20;
  f.memory = ContainerMemory{"shop", "web", "shop.web.1", "c0ffee", 7 << 20, 8 << 20};
  HostMemory host;
  host.memTotalBytes = 24LL << 30;
  host.memAvailableBytes = 20LL << 30;
  host.pressureSome = "avg10=0.00 avg60=0.00 avg300=0.00 total=1";
  f.host = host;
  TerminationRecord t = postMortem(f);
  EXPECT_EQ("shop", t.namespace_);
  EXPECT_EQ(1, t.replica);
  EXPECT_EQ(137, t.exitCode);
  EXPECT_EQ("SIGKILL", t.data["signal"]);
  EXPECT_DOUBLE_EQ(2.5, t.data["ranSeconds"].get<double>());
  EXPECT_EQ(2500, t.finishedAt - t.startedAt);
  EXPECT_EQ(7 << 20, t.data["memory"]["usedBytes"]);
  EXPECT_EQ(8 << 20, t.data["memory"]["limitBytes"]);
  EXPECT_EQ(20LL << 30, t.data["host"]["memAvailableBytes"]);
  EXPECT_NE(std::string::npos, t.data["message"].get<std::string>().find("memory limit of 8.0MiB"));
  EXPECT_EQ("SIGTERM", postMortem(facts(143)).data["signal"]);
  EXPECT_FALSE(postMortem(facts(1)).data.contains("signal"));

  nlohmann::json j = terminationJson(t);
  EXPECT_EQ("OOMKilled", j["reason"]);
  EXPECT_EQ("2026-11-22T10:00:02.500Z", j["finishedAt"]);
  EXPECT_EQ("2026-11-22T10:00:00.000Z", j["startedAt"]);
  EXPECT_EQ(true, j["oomKilled"]);
  EXPECT_EQ("replica 1 exited with code 137 (SIGKILL): OOMKilled: killed by the kernel's OOM killer: the "
            "container reached its memory limit of 8.0MiB after 2.5s",
            deathSummary(t));
}

TEST(PostMortem, ANeverStartedContainerHasNoRunTime) {
  DeathFacts f = facts(127);
  f.info.state.startedAt = "0001-01-01T00:00:00Z";
  TerminationRecord t = postMortem(f);
  EXPECT_EQ(0, t.startedAt);
  EXPECT_FALSE(t.data.contains("ranSeconds"));
}

class HostMonitorTest : public ::testing::Test {
 protected:
  HostMonitorTest() {
    dir_ = std::filesystem::temp_directory_path() / ("tender-proc-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "pressure");
    std::ofstream(dir_ / "meminfo") << "MemTotal:       24576000 kB\nMemFree:  100 kB\nMemAvailable:   20480000 kB\n";
    std::ofstream(dir_ / "pressure" / "memory")
        << "some avg10=1.50 avg60=0.20 avg300=0.00 total=12345\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=10\n";
    setOomKills(3);
  }
  ~HostMonitorTest() override { std::filesystem::remove_all(dir_); }
  void setOomKills(int n) { std::ofstream(dir_ / "vmstat") << "nr_free_pages 1\noom_kill " << n << "\npgfault 9\n"; }

  std::filesystem::path dir_;
  SimulatedClock clock_;
};

TEST_F(HostMonitorTest, ReadsMemoryPressureAndTheOomCount) {
  HostMonitor m(clock_, dir_.string());
  HostMemory h = m.read();
  EXPECT_EQ(24576000LL * 1024, h.memTotalBytes);
  EXPECT_EQ(20480000LL * 1024, h.memAvailableBytes);
  EXPECT_EQ("avg10=1.50 avg60=0.20 avg300=0.00 total=12345", h.pressureSome);
  EXPECT_EQ("avg10=0.00 avg60=0.00 avg300=0.00 total=10", h.pressureFull);
  ASSERT_TRUE(h.oomKills);
  EXPECT_EQ(3, *h.oomKills);
  // A kernel without PSI or the counter: those stay empty.
  std::filesystem::remove_all(dir_ / "pressure");
  std::ofstream(dir_ / "vmstat") << "nr_free_pages 1\n";
  HostMemory old = m.read();
  EXPECT_TRUE(old.pressureSome.empty());
  EXPECT_FALSE(old.oomKills);
}

TEST_F(HostMonitorTest, TellsWhetherTheKernelKilledForMemoryAroundATime) {
  HostMonitor m(clock_, dir_.string());
  m.sample();  // 3 at t0
  clock_.advance(10s);
  m.sample();  // still 3 at t0+10
  const WallTime quiet = clock_.now() - 5s;
  clock_.advance(5s);
  const WallTime death = clock_.now();  // t0+15
  setOomKills(4);
  clock_.advance(1s);
  m.sample();  // 4 at t0+16
  EXPECT_TRUE(m.oomKillAround(death));
  // Nothing rose between the samples around t0+5.
  EXPECT_FALSE(m.oomKillAround(quiet));
  // Without a sample from before, nothing can be told.
  HostMonitor fresh(clock_, dir_.string());
  fresh.sample();
  EXPECT_FALSE(fresh.oomKillAround(death));
}

}  // namespace
}  // namespace tender

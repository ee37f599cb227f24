// The server's pure parts: what the flags mean, and the order parts stop in.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/components.h"
#include "server/serve_config.h"

namespace tender {
namespace {

std::vector<std::string> fieldsOf(const Status& s) {
  std::vector<std::string> out;
  for (const auto& d : s.details()) out.push_back(d.field);
  return out;
}

TEST(ServeConfig, TheDefaultsParse) {
  auto c = serveConfigFrom(ServeOptions{}, 2);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->startLimit, 8) << "four starts per CPU";
  EXPECT_EQ(c->workers, 8);
  EXPECT_EQ(c->engineWait, Millis(60'000));
  EXPECT_EQ(c->cleanupInterval, Millis(600'000));
  EXPECT_DOUBLE_EQ(c->lowDisk.minFreeFraction, 0.10);
  EXPECT_EQ(c->admission.defaultReservationBytes, 64 << 20);
  EXPECT_EQ(c->retention.maxEventAgeMs, 7LL * 24 * 3600 * 1000);
}

TEST(ServeConfig, EveryBadFlagIsNamedAtOnce) {
  ServeOptions o;
  o.hostMemory = "lots";
  o.systemReserve = "150%";
  o.evictionRecovery = "soon";
  o.minFreeDisk = "plenty";
  o.logMaxSize = "big";
  auto c = serveConfigFrom(o, 2);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().IsInvalid());
  EXPECT_EQ(fieldsOf(c.status()),
            (std::vector<std::string>{"--log-max-size", "--host-memory", "--system-reserve",
                                      "--eviction-recovery", "--min-free-disk"}));
  for (const auto& d : c.status().details()) {
    EXPECT_EQ(d.message.find(d.field), std::string::npos)
        << "the flag is not named twice: " << d.message;
  }
  EXPECT_EQ(c.status().details()[1].message, "\"lots\" is not a memory size (2Gi, 512Mi)");
  EXPECT_EQ(c.status().details()[3].message, "\"soon\" is not a duration (30s, 10m, 1h)");
}

TEST(ServeConfig, ZeroIsAValidReservationButNotAValidHostMemory) {
  ServeOptions o;
  o.defaultReservation = "0";
  EXPECT_TRUE(serveConfigFrom(o, 1).ok());
  o.hostMemory = "0";
  auto c = serveConfigFrom(o, 1);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(fieldsOf(c.status()), std::vector<std::string>{"--host-memory"});
}

TEST(ServeConfig, MinFreeDiskZeroTurnsTheCheckOff) {
  ServeOptions o;
  o.minFreeDisk = "0";
  auto c = serveConfigFrom(o, 1);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->lowDisk.minFreeBytes, 0);
  EXPECT_DOUBLE_EQ(c->lowDisk.minFreeFraction, 0);
}

TEST(ServeConfig, AnExplicitStartConcurrencyWinsAndWorkersAreAtLeastOne) {
  ServeOptions o;
  o.startConcurrency = 3;
  o.workers = 0;
  auto c = serveConfigFrom(o, 16);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->startLimit, 3);
  EXPECT_EQ(c->workers, 1);
}

TEST(Components, StopTheLastStartedFirstAndOnlyOnce) {
  Components parts;
  std::vector<std::string> stopped;
  parts.started("loop", [&] { stopped.push_back("loop"); });
  parts.started("api", [&] { stopped.push_back("api"); });
  parts.started("controller", [&] { stopped.push_back("controller"); });
  EXPECT_EQ(parts.running(), (std::vector<std::string>{"loop", "api", "controller"}));
  parts.stopAll();
  parts.stopAll();
  EXPECT_EQ(stopped, (std::vector<std::string>{"controller", "api", "loop"}));
  EXPECT_TRUE(parts.running().empty());
}

}  // namespace
}  // namespace tender

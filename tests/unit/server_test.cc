// The server's pure parts: what the flags mean, and the order parts stop in.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "server/components.h"
#include "server/serve_config.h"
#include "tests/support/status_fields.h"

namespace tender {
namespace {

using testing::fieldsOf;

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

TEST(ServeConfig, EachTokensFairShareDefaultsToGenerousAndExemptsTheLocalAdmin) {
  auto c = serveConfigFrom(ServeOptions{}, 2);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_DOUBLE_EQ(50, c->fairShare.rate.perSecond);
  EXPECT_DOUBLE_EQ(100, c->fairShare.rate.burst);
  EXPECT_EQ(8u, c->fairShare.maxStreamsPerToken);
  EXPECT_EQ(std::set<std::string>{"local-admin"}, c->fairShare.exempt);
}

TEST(ServeConfig, FairShareFlagsTakeZeroForUnlimitedAndNameTheFlagOtherwise) {
  struct Case {
    double rate;
    int burst;
    int watches;
    std::string exempt;
    std::vector<std::string> badFlags;
  };
  const std::vector<Case> cases = {
      {0, 0, 0, "", {}},                        // no budget, no cap, no exemption
      {0.5, 1, 1, "local-admin, ci", {}},       // a slow budget, two exempt
      {-1, 10, 8, "local-admin", {"--request-rate"}},
      {20, 0, 8, "local-admin", {"--request-burst"}},
      {20, 10, -1, "local-admin", {"--max-watches-per-token"}},
      {20, 10, 8, "local admin", {"--budget-exempt"}},
      {-5, -5, -5, "", {"--request-rate", "--request-burst", "--max-watches-per-token"}},  // each one named
      {0, -5, 8, "", {}},  // no budget: the burst is moot
  };
  for (const Case& k : cases) {
    ServeOptions o;
    o.requestRate = k.rate;
    o.requestBurst = k.burst;
    o.maxWatchesPerToken = k.watches;
    o.budgetExempt = k.exempt;
    auto c = serveConfigFrom(o, 2);
    SCOPED_TRACE(std::to_string(k.rate) + " " + std::to_string(k.burst) + " " + std::to_string(k.watches) + " \"" + k.exempt + "\"");
    if (k.badFlags.empty()) {
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      continue;
    }
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(k.badFlags, fieldsOf(c.status())) << c.status().ToString();
  }
  ServeOptions slow;
  slow.requestRate = 0.5;
  slow.budgetExempt = "local-admin, ci";
  auto c = serveConfigFrom(slow, 2);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((std::set<std::string>{"ci", "local-admin"}), c->fairShare.exempt);
  ServeOptions off;
  off.requestRate = 0;
  off.maxWatchesPerToken = 0;
  c = serveConfigFrom(off, 2);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->fairShare.rate.unlimited());
  EXPECT_EQ(0u, c->fairShare.maxStreamsPerToken);
  ServeOptions bad;
  bad.requestRate = -1;
  c = serveConfigFrom(bad, 2);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ("\"-1\" is not a rate: give requests a second per token (20, 0.5), or 0 for no budget",
            c.status().details()[0].message);
}

TEST(ServeConfig, ATokenLinesBudgetReplacesTheFlagsForThatTokenOnly) {
  FairShareOptions flags;
  flags.rate = {50, 100};
  std::map<std::string, TokenBudget> lines;
  lines["ci"] = TokenBudget{200.0, 400};
  lines["slow"] = TokenBudget{0.5, std::nullopt};
  lines["batch"] = TokenBudget{0.0, std::nullopt};
  FairShareOptions f = withTokenBudgets(flags, lines);
  EXPECT_DOUBLE_EQ(50, f.rate.perSecond) << "everyone else keeps the flags'";
  EXPECT_DOUBLE_EQ(200, f.rates["ci"].perSecond);
  EXPECT_DOUBLE_EQ(400, f.rates["ci"].burst);
  EXPECT_DOUBLE_EQ(0.5, f.rates["slow"].perSecond);
  EXPECT_DOUBLE_EQ(100, f.rates["slow"].burst) << "the burst it leaves out is the flag's";
  EXPECT_TRUE(f.rates["batch"].unlimited());
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

// The TLS flags, as `tender serve` reads them: what starts, what is refused
// and which flag the refusal names.
TEST(ServeConfig, TlsFlagsTable) {
  struct Case {
    const char* name;
    std::vector<std::string> listen;
    std::string cert, key;
    bool allowPlaintext;
    std::vector<std::string> errorFields;  // empty: accepted
    std::vector<std::string> mentioned;    // in the one error's message
    bool tls;
    std::vector<std::string> warned;  // plaintext on reachable addresses
  };
  // clang-format off
  const std::vector<Case> cases = {
      {"loopback needs no TLS", {"127.0.0.1:7420"}, "", "", false, {}, {}, false, {}},
      {"nor does ::1, localhost, 127/8 or a unix socket",
       {"[::1]:7420", "localhost:0", "unix:/run/tender.sock", "127.1.2.3:7420"}, "", "", false,
       {}, {}, false, {}},
      {"every interface without TLS is refused", {"0.0.0.0:7420"}, "", "", false, {"--listen"},
       {"0.0.0.0:7420", "--tls-cert", "--tls-key", "--allow-plaintext"}, false, {}},
      {"\":port\" is every interface too", {":7420"}, "", "", false, {"--listen"}, {":7420"},
       false, {}},
      {"a host name is not known to be loopback", {"myhost.example:7420"}, "", "", false,
       {"--listen"}, {"myhost.example:7420"}, false, {}},
      {"one reachable address among local ones is refused",
       {"unix:/run/t.sock", "192.0.2.10:7420"}, "", "", false, {"--listen"}, {"192.0.2.10:7420"},
       false, {}},
      {"--allow-plaintext lets it through, with a warning", {"127.0.0.1:1", "0.0.0.0:7420"}, "",
       "", true, {}, {}, false, {"0.0.0.0:7420"}},
      {"TLS serves every interface", {"0.0.0.0:7420"}, "s.crt", "s.key", false, {}, {}, true, {}},
      {"TLS on loopback is fine too", {"127.0.0.1:7420"}, "s.crt", "s.key", false, {}, {}, true,
       {}},
      {"a certificate without its key", {"127.0.0.1:7420"}, "s.crt", "", false, {"--tls-key"},
       {"--tls-cert"}, false, {}},
      {"a key without its certificate", {"0.0.0.0:7420"}, "", "s.key", false, {"--tls-cert"},
       {"--tls-key"}, false, {}},
  };
  // clang-format on
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    ServeOptions o;
    o.listen = k.listen;
    o.tlsCert = k.cert;
    o.tlsKey = k.key;
    o.allowPlaintext = k.allowPlaintext;
    auto c = serveConfigFrom(o, 2);
    if (k.errorFields.empty()) {
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      EXPECT_EQ(c->tls, k.tls);
      EXPECT_EQ(c->plaintextReachable, k.warned);
      continue;
    }
    ASSERT_FALSE(c.ok());
    EXPECT_TRUE(c.status().IsInvalid());
    EXPECT_EQ(fieldsOf(c.status()), k.errorFields);
    for (const std::string& word : k.mentioned) {
      EXPECT_NE(c.status().details()[0].message.find(word), std::string::npos)
          << word << " in: " << c.status().details()[0].message;
    }
  }
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

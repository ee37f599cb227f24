// `tender serve --config FILE`: the file's settings, their errors (key and
// line), flags over the file, and what a re-read may change at run time.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "server/serve_config.h"
#include "server/serve_config_file.h"
#include "tests/support/status_fields.h"

namespace tender {
namespace {

using testing::fieldsOf;

TEST(ServeConfigFile, NoSettingsGiveTheDefaults) {
  for (const char* text : {"", "# only a comment\n", "---\n"}) {
    auto f = parseServeConfigFile(text);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_EQ(f->options.listen, ServeOptions{}.listen);
    EXPECT_EQ(f->options.workers, ServeOptions{}.workers);
    EXPECT_TRUE(f->lines.empty());
  }
}

TEST(ServeConfigFile, ReadsEverySettingKind) {
  auto f = parseServeConfigFile(
      "listen:\n"
      "  - 127.0.0.1:7500\n"
      "  - unix:/run/tender.sock\n"
      "stateDir: /var/lib/tender\n"
      "instance: ci\n"
      "engine: unix:///var/run/docker.sock\n"
      "workers: 3\n"
      "allowPlaintext: true\n"
      "memoryHeadroom: 1.5\n"
      "maxBodyBytes: 1048576\n"
      "logMaxFile: 5\n"
      "keepDeleted: 2h\n"
      "minFreeDisk: 0\n"
      "hostMemory:\n"
      "logLevel: debug\n"
      "logFormat: json\n");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const ServeOptions& o = f->options;
  EXPECT_EQ(o.listen, (std::vector<std::string>{"127.0.0.1:7500", "unix:/run/tender.sock"}));
  EXPECT_EQ(o.stateDir, "/var/lib/tender");
  EXPECT_EQ(o.instance, "ci");
  EXPECT_EQ(o.engineHost, "unix:///var/run/docker.sock");
  EXPECT_EQ(o.workers, 3);
  EXPECT_TRUE(o.allowPlaintext);
  EXPECT_DOUBLE_EQ(o.memoryHeadroom, 1.5);
  EXPECT_EQ(o.maxBodyBytes, 1048576u);
  EXPECT_EQ(o.logMaxFile, "5");
  EXPECT_EQ(o.keepDeleted, "2h");
  EXPECT_EQ(o.minFreeDisk, "0");
  EXPECT_EQ(o.hostMemory, "") << "a null value keeps the default";
  EXPECT_EQ(o.logLevel, "debug");
  EXPECT_TRUE(o.jsonLogs);
  EXPECT_EQ(f->lines.at("listen"), 1);
  EXPECT_EQ(f->lines.at("workers"), 7);
}

TEST(ServeConfigFile, OneListenAddressMayBeGivenWithoutAList) {
  auto f = parseServeConfigFile("listen: 127.0.0.1:7600\n");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->options.listen, std::vector<std::string>{"127.0.0.1:7600"});
}

TEST(ServeConfigFile, AnUnknownKeyIsNamedWithItsLine) {
  auto f = parseServeConfigFile("workers: 2\nstate-dir: /tmp/x\nfrobnicate: 1\n");
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(f.status().IsInvalid());
  EXPECT_EQ(fieldsOf(f.status()), (std::vector<std::string>{"state-dir", "frobnicate"}));
  EXPECT_EQ(f.status().details()[0].message.rfind("line 2: ", 0), 0u)
      << f.status().details()[0].message;
  EXPECT_NE(f.status().details()[0].message.find("stateDir"), std::string::npos)
      << "a flag's name points at its key: " << f.status().details()[0].message;
  EXPECT_EQ(f.status().details()[1].message.rfind("line 3: ", 0), 0u);
}

TEST(ServeConfigFile, EveryBadValueIsNamedWithItsLineAtOnce) {
  auto f = parseServeConfigFile(
      "workers: many\n"            // 1
      "keepEvents: 0\n"            // 2
      "memoryHeadroom: 20\n"       // 3
      "logLevel: loud\n"           // 4
      "allowPlaintext: perhaps\n"  // 5
      "listen: {a: b}\n"           // 6
      "stateDir: [a, b]\n");       // 7
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(fieldsOf(f.status()),
            (std::vector<std::string>{"workers", "keepEvents", "memoryHeadroom", "logLevel",
                                      "allowPlaintext", "listen", "stateDir"}));
  const auto& d = f.status().details();
  for (size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(d[i].message.rfind("line " + std::to_string(i + 1) + ": ", 0), 0u) << d[i].message;
  }
  EXPECT_EQ(d[0].message, "line 1: \"many\" is not a whole number");
  EXPECT_EQ(d[1].message, "line 2: 0 is too small: give 1 or more");
  EXPECT_EQ(d[3].message,
            "line 4: \"loud\" is not one of trace, debug, info, warn, error, critical, off");
}

TEST(ServeConfigFile, AKeyGivenTwiceIsAnError) {
  auto f = parseServeConfigFile("workers: 2\nworkers: 3\n");
  ASSERT_FALSE(f.ok());
  ASSERT_EQ(fieldsOf(f.status()), std::vector<std::string>{"workers"});
  EXPECT_EQ(f.status().details()[0].message, "line 2: given twice (first on line 1)");
}

TEST(ServeConfigFile, TextThatIsNotAMapOfSettingsSaysWhere) {
  auto notYaml = parseServeConfigFile("workers: 2\nlisten: [a\n");
  ASSERT_FALSE(notYaml.ok());
  EXPECT_EQ(notYaml.status().details().at(0).message.rfind("line ", 0), 0u);
  auto aList = parseServeConfigFile("- workers\n");
  ASSERT_FALSE(aList.ok());
  EXPECT_EQ(aList.status().details().at(0).message.rfind("line 1: is a list", 0), 0u);
}

TEST(ServeConfigFile, AValueTheFlagsCheckRefuseIsNamedByItsKeyAndLine) {
  auto f = parseServeConfigFile("workers: 2\nkeepDeleted: forever\n");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto c = serveConfigFrom(f->options, 2);
  ASSERT_FALSE(c.ok());
  Status named = inTermsOfFile(c.status(), *f, {});
  ASSERT_EQ(fieldsOf(named), std::vector<std::string>{"keepDeleted"});
  EXPECT_EQ(named.details()[0].message, "line 2: \"forever\" is not a duration (30s, 10m, 1h)");
  // Given as a flag too, the bad value is the flag's.
  ServeOptions flags;
  flags.keepDeleted = "never";
  ServeOptions merged = withFlagsOver(f->options, flags, {"--keep-deleted"});
  auto c2 = serveConfigFrom(merged, 2);
  ASSERT_FALSE(c2.ok());
  EXPECT_EQ(fieldsOf(inTermsOfFile(c2.status(), *f, {"--keep-deleted"})),
            std::vector<std::string>{"--keep-deleted"});
}

TEST(ServeConfigFile, AFlagGivenWinsOverTheFileAndOnlyThatFlag) {
  auto f = parseServeConfigFile("workers: 3\ninstance: from-file\nlisten: [127.0.0.1:7001]\n");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ServeOptions flags;  // the command line's: defaults but for what was given
  flags.workers = 5;
  flags.listen = {"127.0.0.1:7002", "127.0.0.1:7003"};
  flags.configFile = "/etc/tender/config.yaml";
  ServeOptions o = withFlagsOver(f->options, flags, {"--workers", "--listen"});
  EXPECT_EQ(o.workers, 5);
  EXPECT_EQ(o.listen, (std::vector<std::string>{"127.0.0.1:7002", "127.0.0.1:7003"}));
  EXPECT_EQ(o.instance, "from-file") << "a flag not given leaves the file's value";
  EXPECT_EQ(o.configFile, "/etc/tender/config.yaml");
  EXPECT_EQ(o.flagsGiven, (std::vector<std::string>{"--workers", "--listen"}));
}

TEST(ServeConfigFile, EveryKeyIsItsFlagInCamelCase) {
  std::map<std::string, std::string> keys;
  for (const ServeSetting& s : serveSettings()) {
    EXPECT_EQ(s.key.find('-'), std::string::npos) << s.key;
    keys[s.flag] = s.key;
  }
  EXPECT_EQ(keys["--post-mortem-lines"], "postMortemLines");
  EXPECT_EQ(keys["--state-dir"], "stateDir");
  EXPECT_EQ(keys["--max-watches-per-token"], "maxWatchesPerToken");
  EXPECT_EQ(keys["--engine"], "engine");
  EXPECT_EQ(keys["--proc-root"], "procRoot");
  EXPECT_EQ(keys["--backup-dir"], "backupDir");
  EXPECT_EQ(keys.size(), 40u);
}

TEST(ServeConfigFile, AReReadTakesOnlyWhatChangesAtRunTime) {
  auto before = parseServeConfigFile("logLevel: info\nworkers: 2\nkeepEvents: 100\n");
  auto after = parseServeConfigFile(
      "logLevel: debug\nworkers: 4\nkeepEvents: 50\ncleanupInterval: 1m\n");
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(changedSettings(before->options, after->options),
            (std::vector<std::string>{"workers", "keepEvents", "cleanupInterval", "logLevel"}));
  EXPECT_FALSE(changesAtRunTime("workers"));
  EXPECT_TRUE(changesAtRunTime("logLevel"));
  EXPECT_TRUE(changesAtRunTime("keepEvents"));
  EXPECT_TRUE(changesAtRunTime("cleanupInterval"));
  EXPECT_TRUE(changesAtRunTime("evictionThreshold"));
  ServeOptions running = withRunTimeSettingsOf(before->options, after->options);
  EXPECT_EQ(running.logLevel, "debug");
  EXPECT_EQ(running.keepEvents, 50);
  EXPECT_EQ(running.workers, 2) << "the workers in force stay until a restart";
  EXPECT_EQ(changedSettings(running, after->options), std::vector<std::string>{"workers"})
      << "and a second re-read still says so";
}

// The packaged /etc/tender/config.yaml: every setting is there, each
// commented line holds its built-in default, and the file as shipped sets
// only the state directory and the log format.
TEST(ServeConfigFile, ThePackagedFileNamesEverySettingWithItsDefault) {
  std::ifstream in(std::string(TENDER_SOURCE_DIR) + "/packaging/config.yaml");
  ASSERT_TRUE(in) << "packaging/config.yaml";
  std::stringstream shipped;
  shipped << in.rdbuf();

  auto asShipped = parseServeConfigFile(shipped.str());
  ASSERT_TRUE(asShipped.ok()) << asShipped.status().ToString();
  EXPECT_EQ(changedSettings(ServeOptions{}, asShipped->options),
            (std::vector<std::string>{"stateDir", "logFormat"}));
  EXPECT_EQ(asShipped->options.stateDir, "/var/lib/tender");
  EXPECT_TRUE(asShipped->options.jsonLogs);

  // Every "# key: value" line uncommented.
  const std::regex setting("^# ?([a-zA-Z]+):( .*)?$");
  std::istringstream lines(shipped.str());
  std::string line, uncommented;
  std::set<std::string> named;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_match(line, m, setting) && std::any_of(serveSettings().begin(), serveSettings().end(),
                    [&](const ServeSetting& s) { return s.key == m[1]; })) {
      line = line.substr(line.find(m[1].str()));
    }
    uncommented += line + "\n";
  }
  auto all = parseServeConfigFile(uncommented);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  for (const ServeSetting& s : serveSettings()) EXPECT_EQ(all->lines.count(s.key), 1u) << s.key;
  EXPECT_EQ(changedSettings(ServeOptions{}, all->options),
            (std::vector<std::string>{"stateDir", "logFormat"}))
      << "each commented value is the default";
}

}  // namespace
}  // namespace tender

// Quantities and the small syntaxes inside manifests.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "manifests/manifest.h"
#include "manifests/manifest_syntax.h"

namespace tender {
namespace {

constexpr int64_t Ki = 1024;
constexpr int64_t Mi = 1024 * Ki;
constexpr int64_t Gi = 1024 * Mi;

struct ValueCase {
  std::string text;
  int64_t want;
};

struct ErrorCase {
  std::string text;
  std::string message;
};

template <typename Parse>
void expectValues(Parse parse, const std::vector<ValueCase>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = parse(c.text);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, c.want);
  }
}

template <typename Parse>
void expectErrors(Parse parse, const std::vector<ErrorCase>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = parse(c.text);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsInvalid());
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST(MemoryQuantity, ReadsKubernetesUnits) {
  expectValues(parseMemoryQuantity, {
                                        {"128974848", 128974848},
                                        {"129e6", 129000000},
                                        {"129E6", 129000000},
                                        {"129M", 129000000},
                                        {"123Mi", 123 * Mi},
                                        {"1G", 1000000000},
                                        {"1Gi", Gi},
                                        {"1k", 1000},
                                        {"1Ki", Ki},
                                        {"2T", 2000000000000},
                                        {"1Ti", 1024 * Gi},
                                        {"1P", 1000000000000000},
                                        {"1Pi", 1024 * 1024 * Gi},
                                        {"1E", 1000000000000000000},
                                        {"1Ei", 1024LL * 1024 * 1024 * Gi},
                                        {"1.5Gi", Gi + Gi / 2},
                                        {"0.5Ki", 512},
                                        {"+1Ki", Ki},
                                        {"0", 0},
                                        {".5k", 500},
                                        {"1.5", 2},  // a fraction of a byte rounds up
                                    });
}

TEST(MemoryQuantity, RefusesWhatIsNotAQuantity) {
  expectErrors(
      parseMemoryQuantity,
      {
          {"12XB", "\"12XB\" is not a memory quantity"},
          {"", "\"\" is not a memory quantity"},
          {"Mi", "\"Mi\" is not a memory quantity"},
          {"1 Gi", "\"1 Gi\" is not a memory quantity"},
          {"1K", "\"1K\" is not a memory quantity"},
          {"1e3Mi", "\"1e3Mi\" is not a memory quantity"},
          {"-1Gi", "\"-1Gi\" must not be negative"},
          {"8Ei", "\"8Ei\" is too large"},
          {"99999999999999999999", "\"99999999999999999999\" is too large"},
          {"512m", "\"512m\" is not a memory quantity (Kubernetes units: Ki, Mi, Gi or k, M, G)"},
          {"1gb", "\"1gb\" is not a memory quantity (Kubernetes units: Ki, Mi, Gi or k, M, G)"},
      });
}

TEST(DockerMemory, ReadsDockerUnitsAsPowersOf1024) {
  expectValues(parseDockerMemory, {
                                      {"1024", 1024},
                                      {"1024b", 1024},
                                      {"100k", 100 * Ki},
                                      {"512m", 512 * Mi},
                                      {"512mb", 512 * Mi},
                                      {"512M", 512 * Mi},
                                      {"1g", Gi},
                                      {"1GB", Gi},
                                      {"1.5g", Gi + Gi / 2},
                                      {"1t", 1024 * Gi},
                                  });
}

TEST(DockerMemory, RefusesUnknownUnitsAndNegatives) {
  expectErrors(parseDockerMemory, {
                                      {"12x", "\"12x\" is not a memory quantity"},
                                      {"1Gi", "\"1Gi\" is not a memory quantity"},
                                      {"1bb", "\"1bb\" is not a memory quantity"},
                                      {"g", "\"g\" is not a memory quantity"},
                                      {"-1g", "\"-1g\" must not be negative"},
                                  });
}

TEST(CpuQuantity, ReadsCpusAndMillicpus) {
  expectValues(parseCpuQuantity, {
                                     {"0.5", 500000000},
                                     {"2", 2000000000},
                                     {"500m", 500000000},
                                     {"1.5m", 1500000},
                                     {"0.1", 100000000},
                                     {"0.000000001", 1},
                                 });
}

TEST(CpuQuantity, RefusesWhatIsNotACpuQuantity) {
  expectErrors(parseCpuQuantity, {
                                     {"half", "\"half\" is not a CPU quantity (e.g. 0.5, 2, 500m)"},
                                     {"2cpu", "\"2cpu\" is not a CPU quantity (e.g. 0.5, 2, 500m)"},
                                     {"-1", "\"-1\" must not be negative"},
                                     {"99999999999", "\"99999999999\" is too large"},
                                 });
}

TEST(Duration, ReadsGoStyleDurations) {
  expectValues(parseDurationMs, {
                                    {"500ms", 500},
                                    {"10s", 10000},
                                    {"1.5s", 1500},
                                    {"5m", 300000},
                                    {"2h", 7200000},
                                    {"1h30m", 5400000},
                                    {"1m30s", 90000},
                                    {"2d", 172800000},
                                    {"1500us", 2},  // rounds up to whole milliseconds
                                    {"0s", 0},
                                    {"0", 0},
                                    {"10", 10000},  // a bare number is seconds
                                    {"0.25", 250},
                                });
}

TEST(Duration, RefusesWhatIsNotADuration) {
  const std::string hint = " is not a duration (e.g. 500ms, 10s, 5m, 1h30m)";
  expectErrors(parseDurationMs, {
                                    {"", "\"\"" + hint},
                                    {"10x", "\"10x\"" + hint},
                                    {"s", "\"s\"" + hint},
                                    {"1h-5m", "\"1h-5m\"" + hint},
                                    {"10 s", "\"10 s\"" + hint},
                                    {"-5s", "\"-5s\" must not be negative"},
                                    {"999999999999h", "\"999999999999h\" is too large"},
                                });
}

TEST(Duration, FormatsTheShortestReadableForm) {
  EXPECT_EQ(formatDurationMs(0), "0s");
  EXPECT_EQ(formatDurationMs(500), "500ms");
  EXPECT_EQ(formatDurationMs(10000), "10s");
  EXPECT_EQ(formatDurationMs(90000), "1m30s");
  EXPECT_EQ(formatDurationMs(1500), "1.5s");
  EXPECT_EQ(formatDurationMs(7200000), "2h");
  EXPECT_EQ(formatDurationMs(3600500), "1h0.5s");
}

TEST(Duration, FormattedDurationsParseBackToTheSameValue) {
  for (int64_t ms : {1, 999, 1000, 1001, 61500, 3599999, 3600000, 86400001, 123456789}) {
    SCOPED_TRACE(ms);
    auto back = parseDurationMs(formatDurationMs(ms));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, ms);
  }
}

TEST(CpuQuantity, FormattedCpusParseBackToTheSameValue) {
  EXPECT_EQ(formatCpuQuantity(500000000), "0.5");
  EXPECT_EQ(formatCpuQuantity(2000000000), "2");
  for (int64_t nano : {1, 250000000, 1500000000, 123456789}) {
    auto back = parseCpuQuantity(formatCpuQuantity(nano));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, nano);
  }
}

TEST(ShellSplit, SplitsLikeAPosixShell) {
  struct Case {
    std::string text;
    std::vector<std::string> want;
  };
  std::vector<Case> cases = {
      {"serve --port 8080", {"serve", "--port", "8080"}},
      {"  spaced \t out  ", {"spaced", "out"}},
      {"echo 'single $quoted'", {"echo", "single $quoted"}},
      {"echo \"a \\\"b\\\" \\$c \\d\"", {"echo", "a \"b\" $c \\d"}},
      {"a\\ b c", {"a b", "c"}},
      {"x '' y", {"x", "", "y"}},
      {"pre'mid'\"post\"", {"premidpost"}},
      {"sh -c 'echo hi && exit 1'", {"sh", "-c", "echo hi && exit 1"}},
      {"", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = shellSplit(c.text);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, c.want);
  }
}

TEST(ShellSplit, RefusesUnterminatedQuotes) {
  expectErrors(shellSplit, {
                               {"echo 'hi", "\"echo 'hi\" has an unterminated single quote"},
                               {"echo \"hi", "\"echo \\\"hi\" has an unterminated double quote"},
                               {"echo \\", "\"echo \\\\\" ends with a backslash"},
                           });
}

TEST(DnsLabel, AcceptsLowercaseLettersDigitsAndInnerDashes) {
  EXPECT_TRUE(isDnsLabel("web"));
  EXPECT_TRUE(isDnsLabel("web-1"));
  EXPECT_TRUE(isDnsLabel("1a"));
  EXPECT_TRUE(isDnsLabel(std::string(63, 'a')));
  EXPECT_FALSE(isDnsLabel(std::string(64, 'a')));
  EXPECT_FALSE(isDnsLabel(""));
  EXPECT_FALSE(isDnsLabel("Web"));
  EXPECT_FALSE(isDnsLabel("web_1"));
  EXPECT_FALSE(isDnsLabel("web.1"));
  EXPECT_FALSE(isDnsLabel("-web"));
  EXPECT_FALSE(isDnsLabel("web-"));
}

PortMapping port(std::string ip, int host, int hostEnd, int container, int containerEnd,
                 std::string protocol = "tcp") {
  PortMapping p;
  p.hostIp = std::move(ip);
  p.hostPort = host;
  p.hostPortEnd = hostEnd;
  p.containerPort = container;
  p.containerPortEnd = containerEnd;
  p.protocol = std::move(protocol);
  return p;
}

void expectPort(const std::string& text, const PortMapping& want) {
  SCOPED_TRACE(text);
  auto r = parsePortSpec(text);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->hostIp, want.hostIp);
  EXPECT_EQ(r->hostPort, want.hostPort);
  EXPECT_EQ(r->hostPortEnd, want.hostPortEnd);
  EXPECT_EQ(r->containerPort, want.containerPort);
  EXPECT_EQ(r->containerPortEnd, want.containerPortEnd);
  EXPECT_EQ(r->protocol, want.protocol);
  EXPECT_EQ(formatPortSpec(*r), text);  // every case here is already canonical
}

TEST(PortSpec, ReadsComposeShortSyntax) {
  expectPort("8080", port("", 0, 0, 8080, 8080));
  expectPort("8080:80", port("", 8080, 8080, 80, 80));
  expectPort("127.0.0.1:8080:80", port("127.0.0.1", 8080, 8080, 80, 80));
  expectPort("127.0.0.1::80", port("127.0.0.1", 0, 0, 80, 80));
  expectPort("[::1]:8080:80", port("::1", 8080, 8080, 80, 80));
  expectPort("8000-8002:80-82", port("", 8000, 8002, 80, 82));
  expectPort("53:53/udp", port("", 53, 53, 53, 53, "udp"));
  expectPort("80-82", port("", 0, 0, 80, 82));
}

TEST(PortSpec, RefusesBadPortsAndRanges) {
  const std::string shape = " is not a port mapping (e.g. \"8080:80\", \"127.0.0.1:8080:80/udp\")";
  expectErrors(parsePortSpec,
               {
                   {"http", "\"http\"" + shape},
                   {"1:2:3:4", "\"1:2:3:4\"" + shape},
                   {":80", "\":80\"" + shape},
                   {"70000:80", "\"70000:80\": port 70000 is out of range (1-65535)"},
                   {"0", "\"0\": port 0 is out of range (1-65535)"},
                   {"8000-8002:80-81",
                    "\"8000-8002:80-81\": host range 8000-8002 and container range 80-81 differ "
                    "in length"},
                   {"82-80", "\"82-80\": range 82-80 is backwards"},
                   {"53:53/icmp", "\"53:53/icmp\": protocol \"icmp\" is not one of tcp, udp, sctp"},
                   {"localhost:80:80", "\"localhost:80:80\": \"localhost\" is not an IP address"},
               });
}

TEST(VolumeSpec, ReadsComposeShortSyntax) {
  struct Case {
    std::string text;
    std::string type, source, target;
    bool readOnly;
  };
  std::vector<Case> cases = {
      {"data:/var/lib/data", "volume", "data", "/var/lib/data", false},
      {"data:/var/lib/data:ro", "volume", "data", "/var/lib/data", true},
      {"data:/var/lib/data:rw", "volume", "data", "/var/lib/data", false},
      {"/srv/www:/usr/share/www", "bind", "/srv/www", "/usr/share/www", false},
      {"./src:/src:ro", "bind", "./src", "/src", true},
      {"../shared:/shared", "bind", "../shared", "/shared", false},
      {".:/app", "bind", ".", "/app", false},
      {"/cache", "volume", "", "/cache", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = parseVolumeSpec(c.text);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->type, c.type);
    EXPECT_EQ(r->source, c.source);
    EXPECT_EQ(r->target, c.target);
    EXPECT_EQ(r->readOnly, c.readOnly);
  }
}

TEST(VolumeSpec, RefusesRelativeTargetsBadNamesAndModes) {
  expectErrors(
      parseVolumeSpec,
      {
          {"data:app", "\"data:app\": target \"app\" is not an absolute path"},
          {"cache", "\"cache\": target \"cache\" is not an absolute path"},
          {"~data:/x",
           "\"~data:/x\": volume name \"~data\" is not a volume name (letters, digits, '_', "
           "'.' and '-'; a host path starts with /, ./ or ../)"},
          {"data:/x:zz", "\"data:/x:zz\": mode \"zz\" is not one of ro, rw"},
          {"a:/b:ro:x",
           "\"a:/b:ro:x\" is not a volume (e.g. \"data:/var/lib/data\", \"./src:/src:ro\")"},
      });
}

TEST(Rfc3339, AcceptsDateTimesWithZoneAndRefusesTheRest) {
  EXPECT_TRUE(isRfc3339("2024-05-01T18:00:00Z"));
  EXPECT_TRUE(isRfc3339("2024-05-01t18:00:00.123z"));
  EXPECT_TRUE(isRfc3339("2024-05-01T20:00:00+02:00"));
  EXPECT_TRUE(isRfc3339("2024-02-29T00:00:00Z"));
  EXPECT_FALSE(isRfc3339("2023-02-29T00:00:00Z"));  // not a leap year
  EXPECT_FALSE(isRfc3339("2024-05-01T18:00:00"));   // no zone
  EXPECT_FALSE(isRfc3339("2024-05-01 18:00:00Z"));
  EXPECT_FALSE(isRfc3339("2024-13-01T18:00:00Z"));
  EXPECT_FALSE(isRfc3339("2024-05-01T24:00:00Z"));
  EXPECT_FALSE(isRfc3339("tomorrow"));
}

}  // namespace
}  // namespace tender

namespace tender {
namespace {

TEST(Percentage, ReadsAPercentageBelow100) {
  EXPECT_DOUBLE_EQ(0.10, *parsePercentage("10%"));
  EXPECT_DOUBLE_EQ(0.0, *parsePercentage("0%"));
  EXPECT_DOUBLE_EQ(0.125, *parsePercentage("12.5%"));
  for (const char* bad : {"", "10", "%", "100%", "-1%", "ten%", "10%%"}) {
    auto r = parsePercentage(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ("\"" + std::string(bad) + "\" is not a percentage below 100 (10%)", r.status().message());
  }
}

}  // namespace
}  // namespace tender

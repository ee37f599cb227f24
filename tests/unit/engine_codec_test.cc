// The Engine API client's pure parts: addresses, versions, error mapping, and
// the decoding of answers, log frames and line streams.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "engine/docker_engine_codec.h"

namespace tender {
namespace engine_codec {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;

// One log frame: stream byte, three zeros, big-endian size, payload.
std::string frame(int stream, const std::string& payload) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(stream);
  uint32_t n = static_cast<uint32_t>(payload.size());
  f[4] = static_cast<char>(n >> 24);
  f[5] = static_cast<char>(n >> 16);
  f[6] = static_cast<char>(n >> 8);
  f[7] = static_cast<char>(n);
  return f + payload;
}

std::vector<std::string> texts(const std::vector<LogLine>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    out.push_back(std::string(l.stream == LogLine::Stream::kStdout ? "out:" : "err:") + l.text);
  }
  return out;
}

TEST(EngineAddress, UnixSocket) {
  auto a = parseEngineAddress("unix:///var/run/docker.sock");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->kind, EngineAddress::Kind::kUnix);
  EXPECT_EQ(a->path, "/var/run/docker.sock");
}

TEST(EngineAddress, TcpWithAndWithoutPort) {
  auto a = parseEngineAddress("tcp://10.0.0.5:2376");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->kind, EngineAddress::Kind::kTcp);
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, "2376");
  EXPECT_EQ(parseEngineAddress("tcp://engine")->port, "2375");
}

TEST(EngineAddress, OtherSchemesAreInvalid) {
  EXPECT_TRUE(parseEngineAddress("ssh://me@host").status().IsInvalid());
  EXPECT_TRUE(parseEngineAddress("/var/run/docker.sock").status().IsInvalid());
}

TEST(ApiVersion, NegotiatesTheSmallerVersionNumerically) {
  EXPECT_EQ(negotiateApiVersion("1.41", "1.45"), "1.41");
  EXPECT_EQ(negotiateApiVersion("1.52", "1.45"), "1.45");
  EXPECT_LT(compareApiVersions("1.9", "1.41"), 0);
}

TEST(Query, FiltersAreEscapedJson) {
  std::string q = Query().add("filters", filtersJson({{"label", {"tender.managed=true"}}})).str();
  EXPECT_EQ(q, "?filters=%7B%22label%22%3A%5B%22tender.managed%3Dtrue%22%5D%7D");
}

TEST(Query, ImagePathsKeepSlashesAndColons) {
  EXPECT_EQ(pathEscape("registry:5000/team/app:1", true), "registry:5000/team/app:1");
  EXPECT_EQ(pathEscape("a b/c"), "a%20b%2Fc");
}

TEST(StatusFromHttp, PassesTheEnginesMessageOn) {
  Status s = statusFromHttp(404, R"({"message":"No such container: x"})");
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_EQ(s.message(), "No such container: x");
}

TEST(StatusFromHttp, MapsCodes) {
  EXPECT_TRUE(statusFromHttp(204, "").ok());
  EXPECT_TRUE(statusFromHttp(304, "").IsNotModified());
  EXPECT_TRUE(statusFromHttp(400, "{}").IsInvalid());
  EXPECT_TRUE(statusFromHttp(409, "{}").IsConflict());
  EXPECT_EQ(statusFromHttp(500, "{}").code(), Status::Code::kInternal);
}

TEST(StatusFromHttp, PlainTextBodyBecomesTheMessage) {
  EXPECT_EQ(statusFromHttp(500, "page not found\n").message(), "page not found");
}

TEST(LineSplitter, JoinsLinesCutAcrossPieces) {
  LineSplitter s;
  std::vector<std::string> lines;
  auto add = [&](std::string_view l) { lines.emplace_back(l); };
  s.feed("{\"a\":1}\n{\"b\"", add);
  s.feed(":2}\n{\"c\":3}", add);
  EXPECT_THAT(lines, ElementsAre("{\"a\":1}", "{\"b\":2}"));
  s.finish(add);
  EXPECT_THAT(lines, ElementsAre("{\"a\":1}", "{\"b\":2}", "{\"c\":3}"));
}

TEST(DecodeLogs, SplitsAFrameHoldingSeveralLines) {
  auto lines = decodeLogs(frame(1, "one\ntwo\n"), false);
  EXPECT_THAT(texts(lines), ElementsAre("out:one", "out:two"));
}

TEST(DecodeLogs, JoinsALineSpanningFramesPerStream) {
  std::string body = frame(1, "hel") + frame(2, "oops\n") + frame(1, "lo\n");
  EXPECT_THAT(texts(decodeLogs(body, false)), ElementsAre("err:oops", "out:hello"));
}

TEST(DecodeLogs, KeepsALastLineWithoutNewline) {
  EXPECT_THAT(texts(decodeLogs(frame(2, "fatal"), false)), ElementsAre("err:fatal"));
}

TEST(DecodeLogs, TtyOutputIsRawText) {
  EXPECT_THAT(texts(decodeLogs("a\r\nb\r\n", true)), ElementsAre("out:a", "out:b"));
}

TEST(FrameLineSplitter, AssemblesLinesFromFramesCutAnywhere) {
  FrameLineSplitter s(false);
  std::vector<LogLine> lines;
  auto add = [&](const LogLine& l) { lines.push_back(l); };
  std::string body = frame(1, "one\ntw") + frame(2, "err\n") + frame(1, "o\n");
  // Byte by byte: every cut of a header or a payload.
  for (char c : body) s.feed(std::string_view(&c, 1), add);
  EXPECT_THAT(texts(lines), ElementsAre("out:one", "err:err", "out:two"));
}

TEST(FrameLineSplitter, PassesALastLineOnAtTheEnd) {
  FrameLineSplitter s(true);
  std::vector<LogLine> lines;
  auto add = [&](const LogLine& l) { lines.push_back(l); };
  s.feed("a\r\nb", add);
  EXPECT_THAT(texts(lines), ElementsAre("out:a"));
  s.finish(add);
  EXPECT_THAT(texts(lines), ElementsAre("out:a", "out:b"));
}

TEST(FrameDecoder, GivesPiecesOfWholeFramesOnly) {
  FrameDecoder d(false);
  std::string got;
  auto add = [&](LogLine::Stream s, std::string_view p) {
    got += (s == LogLine::Stream::kStderr ? "E:" : "O:") + std::string(p) + ";";
  };
  std::string body = frame(1, "hi") + frame(2, "no");
  d.feed(body.substr(0, 9), add);
  EXPECT_EQ(got, "");
  d.feed(body.substr(9), add);
  EXPECT_EQ(got, "O:hi;E:no;");
}

TEST(ParseStats, ReadsCpuFigures) {
  json j = R"({"memory_stats": {"usage": 100, "limit": 1000},
               "cpu_stats": {"cpu_usage": {"total_usage": 5000}, "system_cpu_usage": 90000,
                             "online_cpus": 2}})"_json;
  ContainerStats s = parseStats(j);
  EXPECT_EQ(s.cpuTotalNs, 5000);
  EXPECT_EQ(s.systemCpuNs, 90000);
  EXPECT_EQ(s.onlineCpus, 2);
  EXPECT_EQ(s.memoryLimitBytes, 1000);
}

TEST(ParseContainerInfo, ReadsWhatTheReconcilersNeed) {
  json raw = R"({
    "Id": "abc", "Name": "/shop.api.0", "Image": "sha256:1", "RestartCount": 2,
    "Config": {"Image": "app:1", "Labels": {"tender.managed": "true"}, "Tty": false},
    "State": {"Status": "exited", "Running": false, "OOMKilled": true, "ExitCode": 137,
              "StartedAt": "2024-01-01T00:00:00Z", "FinishedAt": "2024-01-01T00:01:00Z",
              "Health": {"Status": "unhealthy", "FailingStreak": 3}},
    "HostConfig": {"Memory": 67108864},
    "NetworkSettings": {"Networks": {"shop_backend": {"IPAddress": "172.18.0.2"}}}
  })"_json;
  ContainerInfo c = parseContainerInfo(raw);
  EXPECT_EQ(c.name, "shop.api.0");
  EXPECT_EQ(c.configImage, "app:1");
  EXPECT_EQ(c.labels.at("tender.managed"), "true");
  EXPECT_TRUE(c.state.oomKilled);
  EXPECT_EQ(c.state.exitCode, 137);
  EXPECT_EQ(c.state.health, "unhealthy");
  EXPECT_EQ(c.state.failingStreak, 3);
  EXPECT_EQ(c.restartCount, 2);
  EXPECT_EQ(c.memoryLimit, 67108864);
  EXPECT_EQ(c.networkIps.at("shop_backend"), "172.18.0.2");
  EXPECT_EQ(c.raw["HostConfig"]["Memory"], 67108864);
}

TEST(ParseContainerInfo, ToleratesNullsAndMissingFields) {
  ContainerInfo c = parseContainerInfo(R"({"Id": "abc", "Config": {"Labels": null},
                                           "State": null, "NetworkSettings": {"Networks": null}})"_json);
  EXPECT_EQ(c.id, "abc");
  EXPECT_TRUE(c.labels.empty());
  EXPECT_TRUE(c.networkIps.empty());
}

TEST(ParseEvent, ReadsActorAttributes) {
  auto e = parseEvent(R"({"Type":"container","Action":"die","Actor":{"ID":"abc",
      "Attributes":{"exitCode":"3","name":"web","tender.managed":"true"}},
      "time":1700000000,"timeNano":1700000000123456789})"_json);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->action, "die");
  EXPECT_EQ(e->id, "abc");
  EXPECT_EQ(e->attributes.at("exitCode"), "3");
  EXPECT_EQ(e->timeNano, 1700000000123456789);
}

TEST(BuildMessageScanner, FindsTheErrorAndTheImageId) {
  BuildMessageScanner ok;
  ok.line(R"({"stream":"Step 1/2 : FROM scratch\n"})");
  ok.line(R"({"aux":{"ID":"sha256:feed"}})");
  ok.line(R"({"stream":"Successfully built feed\n"})");
  EXPECT_EQ(ok.imageId(), "sha256:feed");
  EXPECT_TRUE(ok.error().empty());

  BuildMessageScanner bad;
  bad.line(R"({"errorDetail":{"code":3,"message":"returned a non-zero code: 3"},"error":"x"})");
  EXPECT_EQ(bad.error(), "returned a non-zero code: 3");
}

}  // namespace
}  // namespace engine_codec
}  // namespace tender

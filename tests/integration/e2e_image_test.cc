// tender as a container, against the real engine: the image scripts/build-image
// makes here (FROM scratch, nothing pulled) answers --help; a tender container
// with the socket and a state volume applies a service, survives a restart
// and a replacement by a new container on the same volume with the same
// containers (nothing recreated); its own container, labelled as if it were
// one of its leftovers, survives its pre-flight cleanup; /readyz?verbose
// says where the host's memory is read; the example stack runs under it.
// Each test has its own image tag,
// instance, volume, port and namespace.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/cli_run.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using testing::CliRun;
using testing::runShell;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

const std::string kImage = "tender-e2e-image-" + std::to_string(::getpid());

class ImageE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string binary = TENDER_BINARY;
    const std::string buildDir = binary.substr(0, binary.rfind('/'));
    built_ = runShell("TENDER_IMAGE=" + kImage + " " + std::string(TENDER_SOURCE_DIR) + "/scripts/build-image " +
                      buildDir);
  }
  static void TearDownTestSuite() {
    runShell("docker rmi -f " + kImage + ":latest " + kImage + ":" + TENDER_VERSION + " >/dev/null");
  }

  void SetUp() override {
    ASSERT_EQ(built_.exitCode, 0) << built_.out;
    id_ = testing::uniqueName("img");
    port_ = testing::freeLoopbackPort();
    server_ = "http://127.0.0.1:" + std::to_string(port_);
  }
  void TearDown() override {
    if (!token_.empty()) {
      runShell(std::string(TENDER_BINARY) + " delete namespace " + id_ + " --purge" + flags());
      for (int i = 0; i < 100 && !owned().empty(); ++i) std::this_thread::sleep_for(200ms);
    }
    runShell("docker rm -f " + id_ + " >/dev/null");
    for (const std::string& c : owned()) runShell("docker rm -f " + c + " >/dev/null");
    runShell("docker network ls -q --filter label=tender.instance=" + id_ + " | xargs -r docker network rm >/dev/null");
    // A purge still under way when tender's container went.
    runShell("docker volume ls -q --filter label=tender.instance=" + id_ + " | xargs -r docker volume rm -f >/dev/null");
    runShell("docker volume rm -f " + id_ + "-state >/dev/null");
  }

  // `docker run -d` of the image as tender, with `extra` docker flags.
  CliRun startTender(const std::string& extra = "") {
    CliRun r = runShell("docker run -d --name " + id_ + " --network host -v /var/run/docker.sock:/var/run/docker.sock -v " +
                        id_ + "-state:/var/lib/tender " + extra + " " + kImage + ":latest serve --listen 127.0.0.1:" +
                        std::to_string(port_) + " --instance " + id_);
    if (r.exitCode == 0) waitReady();
    return r;
  }
  bool waitReady() {
    for (int i = 0; i < 150; ++i) {
      if (runShell("curl -sf " + server_ + "/readyz").exitCode == 0) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }
  std::string flags() { return " --server " + server_ + " --token " + token_; }
  // The ids of the containers tender made for this test, sorted.
  std::vector<std::string> owned() {
    CliRun r = runShell("docker ps -aq --no-trunc --filter label=tender.instance=" + id_);
    std::vector<std::string> ids;
    size_t start = 0;
    for (size_t nl = r.out.find('\n'); nl != std::string::npos; start = nl + 1, nl = r.out.find('\n', start))
      if (nl > start) ids.push_back(r.out.substr(start, nl - start));
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  static CliRun built_;
  std::string id_, server_, token_;
  int port_ = 0;
};

CliRun ImageE2E::built_;

TEST_F(ImageE2E, IsBuiltFromScratchHereAndAnswersHelp) {
  EXPECT_TRUE(contains(built_.out, "built " + kImage + ":")) << built_.out;
  CliRun help = runShell("docker run --rm " + kImage + ":latest --help");
  EXPECT_EQ(help.exitCode, 0) << help.out;
  EXPECT_TRUE(contains(help.out, "Usage: tender")) << help.out;
  CliRun shape = runShell("docker image inspect " + kImage +
                          ":latest --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{json .Config.Volumes}}'");
  EXPECT_EQ(trimmed(shape.out), "[\"/usr/bin/tender\"] [\"serve\"] {\"/var/lib/tender\":{}}") << shape.out;
  // One layer: nothing under it came from a registry.
  CliRun layers = runShell("docker image inspect " + kImage + ":latest --format '{{len .RootFS.Layers}}'");
  EXPECT_EQ(trimmed(layers.out), "1") << layers.out;
}

TEST_F(ImageE2E, AppliesSurvivesARestartAndIsReplacedWithoutRecreatingAnything) {
  ASSERT_EQ(startTender("-v /proc:/host/proc:ro").exitCode, 0);
  ASSERT_TRUE(waitReady()) << runShell("docker logs " + id_).out;
  token_ = trimmed(runShell("docker exec " + id_ + " tender token").out);
  ASSERT_FALSE(token_.empty());
  CliRun verbose = runShell("curl -s '" + server_ + "/readyz?verbose'");
  EXPECT_TRUE(contains(verbose.out, "MemAvailable from /host/proc/meminfo (the host's, mounted)")) << verbose.out;
  const std::string manifest = "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: " + id_ +
                               "}\nspec:\n  image: tender-busybox:latest\n  replicas: 2\n"
                               "  command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 1; done\"]\n"
                               "  stopGracePeriod: 1s\n";
  const std::string file = "/tmp/" + id_ + ".yaml";
  std::ofstream(file) << manifest;
  CliRun applied = runShell(std::string(TENDER_BINARY) + " apply -f " + file + " --wait --timeout 60s" + flags());
  std::remove(file.c_str());
  ASSERT_EQ(applied.exitCode, 0) << applied.out << runShell("docker logs " + id_).out;
  const std::vector<std::string> before = owned();
  ASSERT_EQ(before.size(), 2u);

  ASSERT_EQ(runShell("docker restart " + id_).exitCode, 0);
  ASSERT_TRUE(waitReady()) << runShell("docker logs " + id_).out;
  std::this_thread::sleep_for(3s);  // a pass over every service
  EXPECT_EQ(owned(), before) << "a restart of tender recreates nothing";

  ASSERT_EQ(runShell("docker rm -f " + id_).exitCode, 0);
  ASSERT_EQ(startTender().exitCode, 0);
  ASSERT_TRUE(waitReady()) << runShell("docker logs " + id_).out;
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(owned(), before) << "a new tender container on the same state adopts them";
  CliRun get = runShell(std::string(TENDER_BINARY) + " get services -n " + id_ + flags());
  EXPECT_TRUE(contains(get.out, "Running")) << get.out;
  EXPECT_EQ(trimmed(runShell("docker exec " + id_ + " tender token").out), token_) << "the token lives in the volume";
}

TEST_F(ImageE2E, ItsOwnContainerIsNeverALeftoverAndTheMemorySourceIsSaid) {
  // Labelled as one of its own instance's leftovers: the pre-flight would
  // remove any other container so labelled.
  ASSERT_EQ(startTender("--label tender.managed=true --label tender.instance=" + id_ +
                        " --label tender.namespace=ghost --label tender.service=gone")
                .exitCode,
            0);
  ASSERT_TRUE(waitReady()) << runShell("docker logs " + id_).out;
  const std::string logs = runShell("docker logs " + id_).out;
  EXPECT_TRUE(contains(logs, "running in container")) << logs;
  EXPECT_EQ(trimmed(runShell("docker inspect -f '{{.State.Running}}' " + id_).out), "true") << logs;
  CliRun verbose = runShell("curl -s '" + server_ + "/readyz?verbose'");
  EXPECT_TRUE(contains(verbose.out, "/host/proc/meminfo cannot be read")) << verbose.out;
}

TEST_F(ImageE2E, ATenderContainerRunsTheExampleStack) {
  ASSERT_EQ(startTender().exitCode, 0);
  ASSERT_TRUE(waitReady()) << runShell("docker logs " + id_).out;
  token_ = trimmed(runShell("docker exec " + id_ + " tender token").out);
  // The example as it is, in this test's namespace and on a free port.
  std::ifstream in(std::string(TENDER_SOURCE_DIR) + "/manifests/examples/webstack.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string stack = text.str();
  const int webPort = testing::freeLoopbackPort();
  for (size_t at = stack.find("namespace: demo"); at != std::string::npos; at = stack.find("namespace: demo"))
    stack.replace(at, 15, "namespace: " + id_);
  for (size_t at = stack.find("name: demo\n"); at != std::string::npos; at = stack.find("name: demo\n"))
    stack.replace(at, 11, "name: " + id_ + "\n");
  ASSERT_NE(stack.find("127.0.0.1:18080:80"), std::string::npos);
  stack.replace(stack.find("127.0.0.1:18080:80"), 18, "127.0.0.1:" + std::to_string(webPort) + ":80");
  const std::string file = "/tmp/" + id_ + "-stack.yaml";
  std::ofstream(file) << stack;
  CliRun applied = runShell(std::string(TENDER_BINARY) + " apply -f " + file + " --wait --timeout 90s" + flags());
  std::remove(file.c_str());
  ASSERT_EQ(applied.exitCode, 0) << applied.out << runShell("docker logs " + id_).out;
  CliRun page;
  for (int i = 0; i < 50; ++i) {
    page = runShell("curl -sf http://127.0.0.1:" + std::to_string(webPort) + "/");
    if (contains(page.out, "tender demo")) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(contains(page.out, "<h1>tender demo</h1>")) << page.out;
  CliRun get = runShell(std::string(TENDER_BINARY) + " get services -n " + id_ + flags());
  EXPECT_EQ(get.out.find("Pending"), std::string::npos) << get.out;
  EXPECT_TRUE(contains(get.out, "Running")) << get.out;
}

}  // namespace
}  // namespace tender

// The REST API over real HTTP against a running `tender serve` and the real
// engine: watching events, tokens and their namespaces, unix sockets,
// restart, logs, prune, dry-run plans and metrics.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/cli_run.h"
#include "tests/support/owned_objects.h"
#include "tests/support/raw_http.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::RawHttp;
using testing::TenderProcess;
using testing::uniqueName;

constexpr const char* kAlice = "alice-token-0123456789";
constexpr const char* kAdmin = "admin-token-0123456789";

class ApiE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = makeStandaloneBeastDockerEngine();
    ASSERT_TRUE(engine_->ping().ok()) << "no Docker engine answers (run scripts/setup)";
    ns_ = uniqueName("api");
  }
  void TearDown() override {
    if (server_) {
      // What the test applied goes with its namespace; then whatever is left.
      server_->client().call("DELETE", "/api/v1/namespaces/" + ns_, "", "");
      for (int i = 0; i < 100 && !containers().empty(); ++i) std::this_thread::sleep_for(200ms);
      server_->stop();
      testing::removeOwnedObjects(*engine_, server_->instance());
    }
    if (!tokenFile_.empty()) std::filesystem::remove(tokenFile_);
  }

  void startServer(std::vector<std::string> extra = {}) {
    server_ = std::make_unique<TenderProcess>(uniqueName("api"), std::move(extra));
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  }
  // A server that needs tokens: alice may use ns_ only, admin everything.
  void startServerWithTokens(std::vector<std::string> extra = {}) {
    tokenFile_ = (std::filesystem::temp_directory_path() / (uniqueName("tokens") + ".txt")).string();
    std::ofstream(tokenFile_) << "# test tokens\n"
                              << kAlice << " alice " << ns_ << "\n"
                              << kAdmin << " admin *\n";
    std::filesystem::permissions(tokenFile_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    extra.push_back("--token-file");
    extra.push_back(tokenFile_);
    startServer(std::move(extra));
  }

  std::vector<ContainerSummary> containers() {
    if (!server_) return {};
    auto r = engine_->listContainers(ownedFilters(server_->instance()), true);
    return r.ok() ? *r : std::vector<ContainerSummary>{};
  }
  std::string service(const std::string& name, const std::string& extra = "",
                      const std::string& script = "trap 'exit 0' TERM; while true; do sleep 1; done") {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns_ +
           "}\nspec:\n  image: tender-busybox:latest\n  command: [\"sh\", \"-c\", " + json(script).dump() +
           "]\n  stopGracePeriod: 1s\n" + extra;
  }
  Result<ApiResponse> apply(const std::string& body, const std::string& query = "",
                            const std::string& token = "") {
    return server_->client(token).call("POST", "/api/v1/apply" + query, body, "application/yaml");
  }
  json getService(const std::string& name, const std::string& token = "") {
    auto r = server_->client(token).call("GET", "/api/v1/namespaces/" + ns_ + "/services/" + name, "", "");
    return r.ok() ? json::parse(r->body) : json();
  }
  bool waitRunning(const std::string& name, const std::string& token = "") {
    for (int i = 0; i < 150; ++i) {
      json s = getService(name, token);
      if (s.is_object() && s["status"].value("phase", "") == "Running") return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }
  std::string containerId(const std::string& name) {
    auto info = engine_->inspectContainer(containerName(ns_, name, 0));
    return info.ok() ? info->id : "";
  }

  std::unique_ptr<DockerEngine> engine_;
  std::unique_ptr<TenderProcess> server_;
  std::string ns_;
  std::string tokenFile_;
};

// Reads stream lines until one satisfies `pred` or `within` passes.
template <typename Pred>
std::optional<json> awaitLine(RawHttp& stream, Pred pred, std::chrono::milliseconds within,
                              std::vector<json>* seen = nullptr) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto line = stream.nextLine(left);
    if (!line) return std::nullopt;
    json j = json::parse(*line, nullptr, false);
    if (seen) seen->push_back(j);
    if (pred(j)) return j;
  }
  return std::nullopt;
}

TEST_F(ApiE2E, AWatchSeesAContainerDeathAsItHappens) {
  startServer();
  ASSERT_TRUE(apply(service("web")).ok());
  ASSERT_TRUE(waitRunning("web"));
  RawHttp watch = RawHttp::tcp(server_->port());
  ASSERT_TRUE(watch.send("GET", "/api/v1/events?watch=true&namespace=" + ns_, server_->authHeader()));
  auto head = watch.reply();
  ASSERT_TRUE(head);
  EXPECT_EQ(200, head->status);
  EXPECT_EQ("application/x-ndjson", head->headers["content-type"]);
  EXPECT_EQ("chunked", head->headers["transfer-encoding"]);

  const std::string id = containerId("web");
  ASSERT_FALSE(id.empty());
  const auto killedAt = std::chrono::steady_clock::now();
  ASSERT_TRUE(engine_->killContainer(id, "SIGKILL").ok());
  auto died = awaitLine(
      watch, [](const json& j) { return j.value("kind", "") == "Event" && j.value("reason", "") == "Died"; }, 20s);
  ASSERT_TRUE(died) << "no Died event within 20 s";
  EXPECT_EQ("web", (*died)["involvedObject"]["name"]);
  EXPECT_EQ(ns_, (*died)["involvedObject"]["namespace"]);
  EXPECT_NE(std::string::npos, (*died)["message"].get<std::string>().find("exited with code 137"));
  std::cout << "death seen by the watch after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killedAt).count()
            << " ms\n";
  // And the restart that follows.
  EXPECT_TRUE(awaitLine(
      watch, [](const json& j) { return j.value("reason", "") == "Restarted"; }, 20s));
}

TEST_F(ApiE2E, AWatchResumesFromAnEventIdAndSendsHeartbeats) {
  startServer();
  ASSERT_TRUE(apply(service("web")).ok());
  ASSERT_TRUE(waitRunning("web"));
  auto listed = server_->client().call("GET", "/api/v1/events?namespace=" + ns_, "", "");
  ASSERT_TRUE(listed.ok());
  json items = json::parse(listed->body)["items"];
  ASSERT_GE(items.size(), 2u) << listed->body;
  const int64_t firstId = items[0]["id"];
  const int64_t lastId = items.back()["id"];

  RawHttp watch = RawHttp::tcp(server_->port());
  ASSERT_TRUE(watch.send("GET", "/api/v1/events?watch=true&namespace=" + ns_ + "&since=" + std::to_string(firstId),
                         server_->authHeader()));
  ASSERT_TRUE(watch.reply());
  std::vector<json> seen;
  auto last = awaitLine(
      watch, [&](const json& j) { return j.value("id", int64_t{0}) == lastId; }, 10s, &seen);
  ASSERT_TRUE(last) << "the events after " << firstId << " were not replayed";
  ASSERT_EQ(items.size() - 1, seen.size());
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(items[i + 1]["id"], seen[i]["id"]);
  // Quiet now: a heartbeat comes within 15 s.
  auto hb = awaitLine(
      watch, [](const json& j) { return j.value("kind", "") == "Heartbeat"; }, 16s);
  ASSERT_TRUE(hb) << "no heartbeat within 16 s";
  EXPECT_EQ(lastId, (*hb)["lastEventId"]);
}

// `tender` as another user of the machine, without the test's token
// variables: its output and exit code.
std::pair<int, std::string> asNobody(const std::string& args) {
  const std::string cmd = "env -u TENDER_TOKEN -u TENDER_TOKEN_FILE setpriv --reuid=65534 --regid=65534 --clear-groups " +
                          std::string(TENDER_BINARY) + " " + args + " 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {-1, ""};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST_F(ApiE2E, WithoutATokenFileOnlyWhoMayReadTheAdminTokenDrivesTheServer) {
  startServer();
  const std::string tokenPath = server_->adminTokenPath();
  ASSERT_TRUE(std::filesystem::exists(tokenPath)) << "written before the API listens";
  EXPECT_EQ(std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
            std::filesystem::status(tokenPath).permissions() & std::filesystem::perms::all);
  const std::string token = server_->adminToken();
  ASSERT_GE(token.size(), 32u);

  auto anonymous = server_->anonymousClient().call("GET", "/api/v1/services", "", "");
  EXPECT_EQ(Status::Code::kUnauthorized, anonymous.status().code()) << anonymous.status().ToString();
  auto admin = server_->client().call("GET", "/api/v1/services", "", "");
  EXPECT_TRUE(admin.ok()) << admin.status().ToString();

  // Another local user: cannot read the token, so the server refuses them.
  const std::string server = " --server " + server_->url();
  auto [code, out] = asNobody("get services -A" + server);
  EXPECT_EQ(1, code) << out;
  EXPECT_NE(std::string::npos, out.find("this server needs a bearer token")) << out;
  auto [tokenCode, tokenOut] = asNobody("token --state-dir " + server_->stateDir());
  EXPECT_EQ(1, tokenCode) << tokenOut;
  EXPECT_EQ(std::string::npos, tokenOut.find(token)) << "the token leaked: " << tokenOut;

  // The admin reads it with `tender token`; a restart keeps it.
  auto shown = testing::runTender("token --state-dir " + server_->stateDir());
  EXPECT_EQ(0, shown.exitCode) << shown.out;
  EXPECT_EQ(token + "\n", shown.out);
  server_->stop();
  ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  EXPECT_EQ(token, server_->adminToken());

  // A token file others may read is refused, and the server does not start.
  server_->stop();
  std::filesystem::permissions(tokenPath, std::filesystem::perms::group_read | std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  EXPECT_FALSE(server_->start(5s));
  std::ifstream log(server_->logPath());
  const std::string logText((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(std::string::npos, logText.find("chmod 600 " + tokenPath)) << logText;
  std::filesystem::permissions(tokenPath, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace);
  ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
}

TEST_F(ApiE2E, TokensKeepEachDeveloperInTheirOwnNamespaces) {
  startServerWithTokens();
  auto anonymous = server_->anonymousClient().call("GET", "/api/v1/namespaces/" + ns_ + "/services", "", "");
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(Status::Code::kUnauthorized, anonymous.status().code()) << anonymous.status().ToString();
  auto wrong = server_->client("not-a-token-at-all").call("GET", "/api/v1/services", "", "");
  EXPECT_EQ(Status::Code::kUnauthorized, wrong.status().code());
  // Probes stay open.
  RawHttp probe = RawHttp::tcp(server_->port());
  ASSERT_TRUE(probe.send("GET", "/healthz"));
  auto healthz = probe.reply();
  ASSERT_TRUE(healthz);
  EXPECT_EQ(200, healthz->status);
  // A 401 tells how to authenticate.
  RawHttp raw = RawHttp::tcp(server_->port());
  ASSERT_TRUE(raw.send("GET", "/api/v1/services"));
  auto challenge = raw.reply();
  ASSERT_TRUE(challenge);
  EXPECT_EQ(401, challenge->status);
  EXPECT_EQ("Bearer realm=\"tender\"", challenge->headers["www-authenticate"]);

  // alice works in her namespace...
  ASSERT_TRUE(apply(service("web", "  replicas: 0\n"), "", kAlice).ok());
  EXPECT_EQ("web", getService("web", kAlice)["metadata"]["name"]);
  // ...and not in anyone else's, by path or by body.
  const std::string other = uniqueName("other");
  auto byPath = server_->client(kAlice).call("GET", "/api/v1/namespaces/" + other + "/services", "", "");
  ASSERT_FALSE(byPath.ok());
  EXPECT_EQ(Status::Code::kForbidden, byPath.status().code());
  EXPECT_NE(std::string::npos, byPath.status().message().find(other)) << byPath.status().message();
  std::string foreign = service("intruder", "  replicas: 0\n");
  foreign.replace(foreign.find("namespace: " + ns_), ns_.size() + 11, "namespace: " + other);
  auto byBody = apply(foreign, "", kAlice);
  ASSERT_FALSE(byBody.ok());
  EXPECT_EQ(Status::Code::kForbidden, byBody.status().code());
  auto deleting = server_->client(kAlice).call("DELETE", "/api/v1/namespaces/" + other, "", "");
  EXPECT_EQ(Status::Code::kForbidden, deleting.status().code());
  // Lists across namespaces show her own only; the admin sees all.
  ASSERT_TRUE(apply(foreign, "", kAdmin).ok());
  auto mine = server_->client(kAlice).call("GET", "/api/v1/services", "", "");
  ASSERT_TRUE(mine.ok());
  const json mineItems = json::parse(mine->body)["items"];
  EXPECT_FALSE(mineItems.empty());
  for (const auto& s : mineItems) EXPECT_EQ(ns_, s["metadata"]["namespace"]);
  auto all = server_->client(kAdmin).call("GET", "/api/v1/services", "", "");
  ASSERT_TRUE(all.ok());
  bool sawOther = false;
  const json allItems = json::parse(all->body)["items"];
  for (const auto& s : allItems) sawOther |= s["metadata"]["namespace"] == other;
  EXPECT_TRUE(sawOther);
  // Metrics name every namespace: the admin's alone.
  EXPECT_EQ(Status::Code::kForbidden, server_->client(kAlice).call("GET", "/metrics", "", "").status().code());
  EXPECT_TRUE(server_->client(kAdmin).call("GET", "/metrics", "", "").ok());
  server_->client(kAdmin).call("DELETE", "/api/v1/namespaces/" + other, "", "");
}

TEST_F(ApiE2E, ServesAUnixSocketBesideTcp) {
  const std::string sock = (std::filesystem::temp_directory_path() / (uniqueName("sock") + ".sock")).string();
  startServer({"--listen", "unix:" + sock});
  ASSERT_TRUE(apply(service("web", "  replicas: 0\n")).ok());
  RawHttp c = RawHttp::unix(sock);
  ASSERT_TRUE(c.connected()) << sock;
  ASSERT_TRUE(c.send("GET", "/api/v1/namespaces/" + ns_ + "/services", server_->authHeader()));
  auto r = c.reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(200, r->status);
  EXPECT_EQ("web", json::parse(r->body)["items"][0]["metadata"]["name"]);
  server_->stop();
  EXPECT_FALSE(std::filesystem::exists(sock));
}

TEST_F(ApiE2E, ANonLocalListenerWithoutATokenFileDoesNotStart) {
  // --allow-plaintext: what is refused here is the lack of tokens, not of TLS.
  TenderProcess open(
      uniqueName("api"),
      {"--listen", "0.0.0.0:" + std::to_string(testing::freeLoopbackPort()), "--allow-plaintext"});
  EXPECT_FALSE(open.start(10s));
  std::ifstream log(open.logPath());
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(std::string::npos, text.find("--token-file")) << text;
}

TEST_F(ApiE2E, RestartRestartsEveryReplicaInPlace) {
  startServer();
  ASSERT_TRUE(apply(service("web")).ok());
  ASSERT_TRUE(waitRunning("web"));
  const std::string id = containerId("web");
  auto before = engine_->inspectContainer(id);
  ASSERT_TRUE(before.ok());
  auto r = server_->client().call("POST", "/api/v1/namespaces/" + ns_ + "/services/web/restart", "", "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(202, r->status);
  bool restarted = false;
  for (int i = 0; i < 100 && !restarted; ++i) {
    auto now = engine_->inspectContainer(id);
    restarted = now.ok() && now->state.running && now->state.startedAt != before->state.startedAt;
    if (!restarted) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(restarted) << "the same container was not restarted";
  auto missing = server_->client().call("POST", "/api/v1/namespaces/" + ns_ + "/services/nope/restart", "", "");
  EXPECT_TRUE(missing.status().IsNotFound());
}

TEST_F(ApiE2E, LogsOfAServiceComeWithTheirReplica) {
  startServer();
  ASSERT_TRUE(apply(service("talker", "  replicas: 2\n",
                            "echo hello from $HOSTNAME; trap 'exit 0' TERM; while true; do sleep 1; done"))
                  .ok());
  ASSERT_TRUE(waitRunning("talker"));
  std::string body;
  for (int i = 0; i < 50; ++i) {
    auto r = server_->client().call("GET", "/api/v1/namespaces/" + ns_ + "/services/talker/logs?tail=10", "", "");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    body = r->body;
    if (body.find("talker.0 | hello from") != std::string::npos &&
        body.find("talker.1 | hello from") != std::string::npos)
      break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_NE(std::string::npos, body.find("talker.0 | hello from")) << body;
  EXPECT_NE(std::string::npos, body.find("talker.1 | hello from")) << body;
  auto bad = server_->client().call("GET", "/api/v1/namespaces/" + ns_ + "/services/talker/logs?tail=x", "", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ("tail", bad.status().details().at(0).field);
}

TEST_F(ApiE2E, PruneDeletesWhatTheManifestsNoLongerHold) {
  startServer();
  ASSERT_TRUE(apply(service("keep") + "---\n" + service("drop")).ok());
  ASSERT_TRUE(waitRunning("drop"));
  auto dry = apply(service("keep"), "?prune=true&dryRun=true");
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  bool listed = false;
  const json dryItems = json::parse(dry->body)["items"];
  for (const auto& item : dryItems) {
    listed |= item["name"] == "drop" && item["outcome"] == "deleted";
  }
  EXPECT_TRUE(listed) << dry->body;
  EXPECT_EQ("Running", getService("drop")["status"]["phase"]) << "a dry run deletes nothing";

  auto pruned = apply(service("keep"), "?prune=true");
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = containerId("drop").empty() && getService("drop").is_null();
    if (!gone) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(gone);
  EXPECT_FALSE(containerId("keep").empty());
}

TEST_F(ApiE2E, ADryRunShowsTheContainerPlanWithReasons) {
  startServer();
  ASSERT_TRUE(apply(service("web", "  env: {A: \"1\"}\n")).ok());
  ASSERT_TRUE(waitRunning("web"));
  const std::string id = containerId("web");
  auto r = apply(service("web", "  env: {A: \"2\"}\n  replicas: 2\n"), "?dryRun=true");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  json item;
  const json items = json::parse(r->body)["items"];
  for (const auto& i : items) {
    if (i["kind"] == "Service") item = i;
  }
  ASSERT_TRUE(item.contains("plan")) << r->body;
  EXPECT_EQ("configured", item["outcome"]);
  std::map<std::string, json> byAction;
  for (const auto& a : item["plan"]) byAction[a["action"]] = a;
  ASSERT_TRUE(byAction.count("recreate")) << item.dump();
  ASSERT_TRUE(byAction.count("create")) << item.dump();
  EXPECT_EQ(containerName(ns_, "web", 0), byAction["recreate"]["container"]);
  EXPECT_FALSE(byAction["recreate"]["reason"].get<std::string>().empty());
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(id, containerId("web")) << "a dry run recreates nothing";
}

TEST_F(ApiE2E, MetricsHaveEngineCallsAndMemoryPerContainer) {
  startServer({"--memory-sample", "1"});
  ASSERT_TRUE(apply(service("web")).ok());
  ASSERT_TRUE(waitRunning("web"));
  const std::string memoryLine = "tender_container_memory_bytes{namespace=\"" + ns_ +
                                 "\",service=\"web\",container=\"" + containerName(ns_, "web", 0) + "\"} ";
  std::string text;
  for (int i = 0; i < 50; ++i) {
    auto r = server_->client().call("GET", "/metrics", "", "");
    ASSERT_TRUE(r.ok());
    text = r->body;
    if (text.find(memoryLine) != std::string::npos) break;
    std::this_thread::sleep_for(200ms);
  }
  size_t at = text.find(memoryLine);
  ASSERT_NE(std::string::npos, at) << text;
  EXPECT_GT(std::stoll(text.substr(at + memoryLine.size())), 0);
  EXPECT_NE(std::string::npos, text.find("tender_engine_calls_total{operation=\"create_container\"} ")) << text;
  EXPECT_NE(std::string::npos,
            text.find("tender_engine_call_duration_seconds_count{operation=\"list_containers\"} "))
      << text;
  EXPECT_NE(std::string::npos, text.find("# TYPE tender_engine_call_errors_total counter")) << text;
}

TEST_F(ApiE2E, NamespacesArePutAndBadRequestsAreRefusedWithOneErrorShape) {
  startServer({"--max-body-bytes", "2048"});
  auto c = server_->client();
  auto created = c.call("PUT", "/api/v1/namespaces/" + ns_,
                        "apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: " + ns_ + ", labels: {team: a}}\n",
                        "application/yaml");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(201, created->status);
  EXPECT_EQ("a", json::parse(created->body)["metadata"]["labels"]["team"]);
  auto again = c.call("PUT", "/api/v1/namespaces/" + ns_, "", "");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(200, again->status);

  auto badJson = c.call("POST", "/api/v1/apply", "{\"apiVersion\": \"tender/v1\", ", "application/json");
  ASSERT_FALSE(badJson.ok());
  EXPECT_TRUE(badJson.status().IsInvalid());
  EXPECT_NE(std::string::npos, badJson.status().message().find("line")) << badJson.status().message();
  auto unknownField = c.call("POST", "/api/v1/apply", service("web", "  colour: blue\n"), "application/yaml");
  ASSERT_FALSE(unknownField.ok());
  EXPECT_EQ("spec.colour", unknownField.status().details().at(0).field);
  auto tooLarge = c.call("POST", "/api/v1/apply", std::string(4096, '#'), "application/yaml");
  ASSERT_FALSE(tooLarge.ok());
  EXPECT_EQ(Status::Code::kTooLarge, tooLarge.status().code());
  RawHttp raw = RawHttp::tcp(server_->port());
  ASSERT_TRUE(raw.send("PATCH", "/api/v1/namespaces/" + ns_, server_->authHeader()));
  auto method = raw.reply();
  ASSERT_TRUE(method);
  EXPECT_EQ(405, method->status);
  EXPECT_EQ("MethodNotAllowed", json::parse(method->body)["error"]["reason"]);
  EXPECT_NE(std::string::npos, method->headers["allow"].find("PUT"));
}

TEST_F(ApiE2E, ANamespaceCreatedWithATtlGoesWithItsContainersWhenItExpires) {
  startServer();
  auto bad = apply(service("web"), "?ttl=soon");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ("ttl", bad.status().details().at(0).field);
  ASSERT_TRUE(apply(service("web"), "?ttl=3s").ok());
  auto ns = server_->client().call("GET", "/api/v1/namespaces/" + ns_, "", "");
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ("3s", json::parse(ns->body)["spec"]["ttl"]) << ns->body;
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    auto r = server_->client().call("GET", "/api/v1/namespaces/" + ns_, "", "");
    gone = !r.ok() && r.status().IsNotFound() && containers().empty();
    if (!gone) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(gone) << "the namespace and its containers outlived their ttl";
}

// An apply is all or none: a stale resourceVersion in its last object leaves
// the objects before it unwritten, in the store and on the engine.
TEST_F(ApiE2E, AnApplyThatFailsInItsLastObjectStartsNothing) {
  startServer();
  auto first = apply(service("keep"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(waitRunning("keep"));
  const std::string rv = getService("keep")["metadata"]["resourceVersion"];
  const std::string stale =
      "apiVersion: tender/v1\nkind: Service\nmetadata: {name: keep, namespace: " + ns_ + ", resourceVersion: \"" +
      std::to_string(std::stoll(rv) + 9) + "\"}\nspec:\n  image: tender-busybox:latest\n";
  auto r = apply(service("a") + "---\n" + service("b") + "---\n" + stale);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsConflict()) << r.status().ToString();
  std::this_thread::sleep_for(2s);  // what a partial write would have started by now
  auto a = server_->client().call("GET", "/api/v1/namespaces/" + ns_ + "/services/a", "", "");
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(a.status().IsNotFound()) << a.status().ToString();
  for (const auto& c : containers()) {
    EXPECT_EQ(c.labels.at(kLabelService), "keep") << "only the first apply's service runs";
  }
  EXPECT_EQ(getService("keep")["metadata"]["resourceVersion"], rv) << "the stored one is untouched";
}

}  // namespace
}  // namespace tender

// Many API clients at once against a running `tender serve`: 50 threads,
// each applying its own service again and again (a new env value each time)
// and reading it, the lists and the events between writes. No answer may be
// a 5xx, each write's generation must be one more than the last, and in the
// end every service holds its last write and its status has observed it.
//
//   TENDER_LOAD_SECONDS   how long the clients run (default 10; the soak: 60)
//   TENDER_LOAD_CLIENTS   how many (default 50)
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/raw_http.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::RawHttp;
using testing::RawReply;
using testing::TenderProcess;
using testing::uniqueName;

int envInt(const char* name, int def) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : def;
}

// One keep-alive connection, opened again when the server closes it.
class Connection {
 public:
  Connection(int port, std::string authHeader) : port_(port), auth_(std::move(authHeader)) {}
  std::optional<RawReply> call(const std::string& method, const std::string& target, const std::string& body = "",
                               const std::string& contentType = "") {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!http_ || !http_->connected()) http_.emplace(RawHttp::tcp(port_));
      const std::string headers = auth_ + (contentType.empty() ? "" : "\r\nContent-Type: " + contentType);
      if (http_->send(method, target, headers, body)) {
        auto r = http_->reply(30s);
        if (r) {
          if (r->headers["connection"] == "close") http_.reset();
          return r;
        }
      }
      http_.reset();
    }
    return std::nullopt;
  }

 private:
  int port_;
  std::string auth_;
  std::optional<RawHttp> http_;
};

struct ClientLog {
  int64_t lastGeneration = 0;
  int lastValue = -1;
  int writes = 0, reads = 0;
  std::vector<std::string> problems;
};

TEST(ApiLoad, ConcurrentClientsGetNo5xxAndLoseNoWrite) {
  const int clients = envInt("TENDER_LOAD_CLIENTS", 50);
  const int seconds = envInt("TENDER_LOAD_SECONDS", 10);
  TenderProcess server(uniqueName("load"));
  ASSERT_TRUE(server.start()) << "see " << server.logPath();
  const std::string ns = uniqueName("load");
  auto manifest = [&](int client, int value) {
    return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: s" + std::to_string(client) + ", namespace: " + ns +
           ", labels: {load: \"yes\"}}\nspec:\n  image: tender-busybox:latest\n  replicas: 0\n  env: {VALUE: \"" +
           std::to_string(value) + "\"}\n";
  };

  std::vector<ClientLog> logs(clients);
  std::atomic<int> fiveXX{0};
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      ClientLog& log = logs[c];
      Connection conn(server.port(), server.authHeader());
      const std::string one = "/api/v1/namespaces/" + ns + "/services/s" + std::to_string(c);
      auto note = [&](const std::string& what, const std::optional<RawReply>& r) {
        if (!r) {
          log.problems.push_back(what + ": no answer");
        } else if (r->status >= 500) {
          ++fiveXX;
          log.problems.push_back(what + ": " + std::to_string(r->status) + " " + r->body.substr(0, 200));
        } else if (r->status >= 300) {
          log.problems.push_back(what + ": " + std::to_string(r->status) + " " + r->body.substr(0, 200));
        }
      };
      for (int value = 0; std::chrono::steady_clock::now() < until; ++value) {
        auto w = conn.call("POST", "/api/v1/apply", manifest(c, value), "application/yaml");
        note("apply " + std::to_string(value), w);
        if (w && w->status == 200) {
          json items = json::parse(w->body, nullptr, false)["items"];
          for (const json& item : items) {
            if (item.value("kind", "") != "Service") continue;
            int64_t g = item.value("generation", int64_t{0});
            if (g != log.lastGeneration + 1) {
              log.problems.push_back("apply " + std::to_string(value) + " answered generation " +
                                     std::to_string(g) + " after " + std::to_string(log.lastGeneration));
            }
            log.lastGeneration = g;
            log.lastValue = value;
            ++log.writes;
          }
        }
        const std::string reads[] = {one, "/api/v1/namespaces/" + ns + "/services",
                                     "/api/v1/services?labelSelector=load=yes",
                                     "/api/v1/events?namespace=" + ns + "&limit=20"};
        for (const std::string& target : reads) {
          auto r = conn.call("GET", target);
          note("GET " + target, r);
          ++log.reads;
        }
        // Our own write is visible to our next read.
        auto mine = conn.call("GET", one);
        if (mine && mine->status == 200) {
          json s = json::parse(mine->body, nullptr, false);
          if (s["metadata"].value("generation", int64_t{0}) < log.lastGeneration) {
            log.problems.push_back("read generation " + s["metadata"]["generation"].dump() + " after writing " +
                                   std::to_string(log.lastGeneration));
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  int writes = 0, reads = 0;
  for (int c = 0; c < clients; ++c) {
    writes += logs[c].writes;
    reads += logs[c].reads;
    for (size_t i = 0; i < logs[c].problems.size() && i < 3; ++i) {
      ADD_FAILURE() << "client " << c << ": " << logs[c].problems[i];
    }
  }
  EXPECT_EQ(0, fiveXX.load());
  std::printf("%d clients for %d s: %d writes, %d reads\n", clients, seconds, writes, reads);
  EXPECT_GE(writes, clients) << "every client wrote at least once";

  // Every client's last write is what is stored, and the controller has seen it.
  for (int attempt = 0;; ++attempt) {
    int behind = 0;
    std::string firstBehind;
    for (int c = 0; c < clients; ++c) {
      auto r = server.client().call("GET", "/api/v1/namespaces/" + ns + "/services/s" + std::to_string(c));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      json s = json::parse(r->body);
      ASSERT_EQ(logs[c].lastGeneration, s["metadata"]["generation"].get<int64_t>()) << "s" << c;
      ASSERT_EQ(std::to_string(logs[c].lastValue), s["spec"]["env"]["VALUE"].get<std::string>()) << "s" << c;
      if (s["status"].value("observedGeneration", int64_t{0}) != logs[c].lastGeneration) {
        if (behind++ == 0) firstBehind = "s" + std::to_string(c) + ": " + s["status"].dump();
      }
    }
    if (behind == 0) break;
    ASSERT_LT(attempt, 60) << behind << " services' status never observed their last generation, e.g. "
                           << firstBehind;
    std::this_thread::sleep_for(1s);
  }
  // Leave nothing on the shared engine: the namespace goes, then whatever
  // of this server's instance is still there.
  server.client().call("DELETE", "/api/v1/namespaces/" + ns);
  for (int i = 0; i < 150; ++i) {
    auto gone = server.client().call("GET", "/api/v1/namespaces/" + ns);
    if (!gone.ok() && gone.status().IsNotFound()) break;
    std::this_thread::sleep_for(200ms);
  }
  server.stop();
  auto engine = makeStandaloneBeastDockerEngine();
  if (auto cs = engine->listContainers(ownedFilters(server.instance()), true); cs.ok()) {
    for (const auto& c : *cs) engine->removeContainer(c.id, true, true);
  }
  if (auto nets = engine->listNetworks(ownedFilters(server.instance())); nets.ok()) {
    for (const auto& n : *nets) engine->removeNetwork(n.id);
  }
}

}  // namespace
}  // namespace tender

// ApiClient::stream and `tender events --watch` against a server scripted
// byte by byte: lines come through as they arrive, a broken or silent
// connection is told apart from an ended body, and the watch reconnects
// from the last event it printed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "tests/support/scripted_http_server.h"
#include "tests/support/simulated_clock.h"

namespace tender {
namespace {

using testing::ScriptedHttpServer;
using namespace std::chrono_literals;

// A flag one thread raises and another waits for, with a bound.
class Signal {
 public:
  void raise() {
    std::lock_guard<std::mutex> l(mu_);
    raised_ = true;
    cv_.notify_all();
  }
  bool waitFor(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, d, [this] { return raised_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool raised_ = false;
};

TEST(ApiClientStream, DeliversEachLineAsItArrives) {
  Signal firstSeen;
  std::atomic<bool> sawFirstBeforeSecond{false};
  ScriptedHttpServer server([&](int fd, const std::string&, const std::string&) {
    ScriptedHttpServer::chunkedHead(fd);
    ScriptedHttpServer::chunk(fd, "first\n");
    // The rest only once the client has the first line: a client that
    // waited for the whole body would never get it.
    sawFirstBeforeSecond = firstSeen.waitFor(5s);
    ScriptedHttpServer::chunk(fd, "sec");
    ScriptedHttpServer::chunk(fd, "ond\r\nthird\n\nlast");
    ScriptedHttpServer::lastChunk(fd);
  });
  ApiClient client(server.url(), "tok");
  std::vector<std::string> lines;
  Status s = client.stream("GET", "/watch", [&](const std::string& line) {
    lines.push_back(line);
    if (line == "first") firstSeen.raise();
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(sawFirstBeforeSecond);
  EXPECT_EQ((std::vector<std::string>{"first", "second", "third", "", "last"}), lines);
  EXPECT_EQ(std::vector<std::string>{"GET /watch"}, server.requests());
}

TEST(ApiClientStream, StopsAndClosesTheConnectionWhenTheCallerHasEnough) {
  std::atomic<bool> closed{false};
  ScriptedHttpServer server([&](int fd, const std::string&, const std::string&) {
    ScriptedHttpServer::chunkedHead(fd);
    ScriptedHttpServer::chunk(fd, "one\ntwo\n");
    closed = ScriptedHttpServer::waitForClose(fd, 5000);
  });
  {
    ApiClient client(server.url(), "");
    int n = 0;
    Status s = client.stream("GET", "/watch", [&](const std::string&) { return ++n < 1; });
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(1, n);
  }
  for (int i = 0; i < 50 && !closed; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(closed);
}

TEST(ApiClientStream, TellsABrokenConnectionFromAnEndedBody) {
  Signal gotOne;
  ScriptedHttpServer server([&](int fd, const std::string&, const std::string&) {
    ScriptedHttpServer::chunkedHead(fd);
    ScriptedHttpServer::chunk(fd, "one\n");
    // (Lines not yet read when the connection breaks are lost: cpprest
    // fails every later read. Callers resume from the last line they got.)
    gotOne.waitFor(5s);
    // No last chunk: the server went away.
  });
  ApiClient client(server.url(), "");
  std::vector<std::string> lines;
  Status s = client.stream("GET", "/watch", [&](const std::string& l) {
    lines.push_back(l);
    gotOne.raise();
    return true;
  });
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_EQ(std::vector<std::string>{"one"}, lines);
}

TEST(ApiClientStream, TheIdleTimeoutBoundsEachWaitNotTheWholeStream) {
  ScriptedHttpServer server([&](int fd, const std::string&, const std::string& target) {
    ScriptedHttpServer::chunkedHead(fd);
    if (target == "/silent") {
      ScriptedHttpServer::chunk(fd, "hello\n");
      ScriptedHttpServer::waitForClose(fd, 5000);
      return;
    }
    // Heartbeats every 100 ms for well past the 400 ms idle timeout.
    for (int i = 0; i < 12; ++i) {
      ScriptedHttpServer::chunk(fd, "{\"kind\":\"Heartbeat\"}\n");
      std::this_thread::sleep_for(100ms);
    }
    ScriptedHttpServer::lastChunk(fd);
  });
  ApiClient client(server.url(), "");
  int beats = 0;
  Status alive = client.stream("GET", "/beating", [&](const std::string&) { return ++beats > 0; },
                               400ms);
  EXPECT_TRUE(alive.ok()) << alive.ToString();
  EXPECT_EQ(12, beats);

  auto start = std::chrono::steady_clock::now();
  Status silent = client.stream("GET", "/silent", [](const std::string&) { return true; }, 400ms);
  EXPECT_TRUE(silent.IsTimeout()) << silent.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
}

TEST(ApiClientStream, TurnsAnErrorAnswerIntoItsStatus) {
  ScriptedHttpServer server([&](int fd, const std::string&, const std::string&) {
    ScriptedHttpServer::whole(fd, 403, "application/json",
                              R"({"error":{"code":403,"reason":"Forbidden",)"
                              R"("message":"token \"alice\" may not use namespace \"bob\""}})");
  });
  ApiClient client(server.url(), "alice");
  Status s = client.stream("GET", "/watch", [](const std::string&) { return true; });
  EXPECT_EQ(Status::Code::kForbidden, s.code());
  EXPECT_EQ("token \"alice\" may not use namespace \"bob\"", s.message());
}

// --- tender events --watch ----------------------------------------------------

std::string event(int id, const std::string& reason) {
  return R"({"kind":"Event","id":)" + std::to_string(id) +
         R"(,"time":"2023-11-14T22:13:10Z","type":"Normal","reason":")" + reason +
         R"(","involvedObject":{"kind":"Service","namespace":"shop","name":"api"},"message":"m)" +
         std::to_string(id) + "\"}";
}

TEST(EventsWatch, ListsThenFollowsTheStreamAndReconnectsFromTheLastId) {
  std::atomic<int> watches{0};
  ScriptedHttpServer server([&](int fd, const std::string&, const std::string& target) {
    if (target.find("watch=true") == std::string::npos) {
      ScriptedHttpServer::whole(fd, 200, "application/json",
                                R"({"kind":"EventList","items":[)" + event(1, "Created") + "]}");
      return;
    }
    ScriptedHttpServer::chunkedHead(fd);
    if (++watches == 1) {
      ScriptedHttpServer::chunk(fd, R"({"kind":"Heartbeat","time":"2023-11-14T22:13:15Z","lastEventId":1})" "\n");
      ScriptedHttpServer::chunk(fd, event(2, "Started") + "\n");
      return;  // the server restarts: no last chunk
    }
    ScriptedHttpServer::chunk(fd, event(2, "Started") + "\n" + event(3, "Restarted") + "\n");
    ScriptedHttpServer::lastChunk(fd);
  });
  ApiClient client(server.url(), "");
  SimulatedClock clock(WallTime(std::chrono::seconds(1'700'000'000)));  // 22:13:20Z
  std::vector<std::chrono::milliseconds> sleeps;
  EventsOptions o;
  o.ns = "shop";
  o.watch = true;
  o.maxConnections = 2;
  std::ostringstream out, err;
  EXPECT_EQ(0, runEvents(o, client, clock, [&](std::chrono::milliseconds d) { sleeps.push_back(d); },
                         out, err));
  // Event 2 comes twice (before the break and after), and is printed once.
  EXPECT_EQ(
      "LAST SEEN   TYPE      REASON               OBJECT                         MESSAGE\n"
      "10s         Normal    Created              service/api                    m1\n"
      "10s         Normal    Started              service/api                    m2\n"
      "10s         Normal    Restarted            service/api                    m3\n",
      out.str());
  EXPECT_NE(std::string::npos, err.str().find("the event stream broke")) << err.str();
  EXPECT_EQ(1u, sleeps.size());
  auto requests = server.requests();
  ASSERT_EQ(3u, requests.size());
  EXPECT_EQ("GET /api/v1/events?limit=500&since=0&namespace=shop", requests[0]);
  EXPECT_EQ("GET /api/v1/events?watch=true&since=1&namespace=shop", requests[1]);
  // From the last event printed: 2, or 1 when the break came before the
  // client read event 2 (cpprest then drops what it had not handed over).
  EXPECT_TRUE(requests[2] == "GET /api/v1/events?watch=true&since=2&namespace=shop" ||
              requests[2] == "GET /api/v1/events?watch=true&since=1&namespace=shop")
      << requests[2];
}

TEST(EventsWatch, FailsWhenTheServerAnswersAListInsteadOfAStream) {
  ScriptedHttpServer server([&](int fd, const std::string&, const std::string&) {
    ScriptedHttpServer::whole(fd, 200, "application/json", R"({"kind":"EventList","items":[]})");
  });
  ApiClient client(server.url(), "");
  SimulatedClock clock;
  EventsOptions o;
  o.watch = true;
  o.allNamespaces = true;
  std::ostringstream out, err;
  EXPECT_EQ(1, runEvents(o, client, clock, [](std::chrono::milliseconds) {}, out, err));
  EXPECT_NE(std::string::npos, err.str().find("does not stream events")) << err.str();
}

TEST(EventsWatch, AnErrorLineEndsTheWatchOrIsRetried) {
  ScriptedHttpServer server([&](int fd, const std::string&, const std::string& target) {
    if (target.find("watch=true") == std::string::npos) {
      ScriptedHttpServer::whole(fd, 200, "application/json", R"({"kind":"EventList","items":[]})");
      return;
    }
    ScriptedHttpServer::chunkedHead(fd);
    const bool busy = target.find("namespace=busy") != std::string::npos;
    ScriptedHttpServer::chunk(
        fd, busy ? R"({"kind":"Error","error":{"code":503,"reason":"Unavailable","message":"too many watchers"}})" "\n"
                 : R"({"kind":"Error","error":{"code":403,"reason":"Forbidden","message":"token \"a\" may not use namespace \"b\"",)"
                   R"("details":[{"field":"namespace","message":"not granted"}]}})" "\n");
    ScriptedHttpServer::lastChunk(fd);
  });
  ApiClient client(server.url(), "a");
  SimulatedClock clock;
  EventsOptions o;
  o.ns = "b";
  o.watch = true;
  o.maxConnections = 3;
  std::ostringstream out, err;
  EXPECT_EQ(1, runEvents(o, client, clock, [](std::chrono::milliseconds) {}, out, err));
  EXPECT_EQ("error: token \"a\" may not use namespace \"b\"\n  namespace: not granted\n", err.str());

  o.ns = "busy";
  std::ostringstream out2, err2;
  int sleeps = 0;
  EXPECT_EQ(0, runEvents(o, client, clock, [&](std::chrono::milliseconds) { ++sleeps; }, out2, err2));
  EXPECT_EQ(2, sleeps);
  EXPECT_NE(std::string::npos, err2.str().find("broke: too many watchers; reconnecting")) << err2.str();
}

TEST(EventsList, PrintsATableOrSaysThereAreNone) {
  ScriptedHttpServer server([&](int fd, const std::string&, const std::string& target) {
    std::string items = target.find("namespace=empty") != std::string::npos ? "" : event(1, "Created");
    ScriptedHttpServer::whole(fd, 200, "application/json", R"({"kind":"EventList","items":[)" + items + "]}");
  });
  ApiClient client(server.url(), "");
  SimulatedClock clock;
  EventsOptions o;
  o.ns = "shop";
  std::ostringstream out, err;
  EXPECT_EQ(0, runEvents(o, client, clock, [](std::chrono::milliseconds) {}, out, err));
  EXPECT_EQ(
      "LAST SEEN   TYPE     REASON    OBJECT        MESSAGE\n"
      "10s         Normal   Created   service/api   m1\n",
      out.str());
  o.ns = "empty";
  std::ostringstream out2, err2;
  EXPECT_EQ(0, runEvents(o, client, clock, [](std::chrono::milliseconds) {}, out2, err2));
  EXPECT_EQ("No events found in empty namespace.\n", err2.str());
}

}  // namespace
}  // namespace tender

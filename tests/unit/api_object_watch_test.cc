// ObjectWatchHub over a real SQLite store (in memory): the list first, then
// each change, filtered by namespace, labels and the token's namespaces.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "api/object_watch.h"
#include "base/clock.h"

namespace tender {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;

class RecordingSink : public StreamSink {
 public:
  bool write(std::string data) override {
    std::lock_guard<std::mutex> l(mu_);
    if (closed_) return false;
    text_ += data;
    return true;
  }
  void end() override {
    std::lock_guard<std::mutex> l(mu_);
    ended_ = true;
    closed_ = true;
  }
  bool closed() const override {
    std::lock_guard<std::mutex> l(mu_);
    return closed_;
  }
  void hangUp() {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
  }
  bool ended() const {
    std::lock_guard<std::mutex> l(mu_);
    return ended_;
  }
  // The JSON lines written so far.
  std::vector<nlohmann::json> lines() const {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<nlohmann::json> out;
    size_t start = 0;
    while (true) {
      size_t nl = text_.find('\n', start);
      if (nl == std::string::npos) break;
      out.push_back(nlohmann::json::parse(text_.substr(start, nl - start)));
      start = nl + 1;
    }
    return out;
  }
  // "ADDED web", "SYNCED", ... (heartbeats left out).
  std::vector<std::string> changes() const {
    std::vector<std::string> out;
    for (const auto& l : lines()) {
      if (l["type"] == "HEARTBEAT") continue;
      std::string c = l["type"].get<std::string>();
      if (l.contains("object")) c += " " + l["object"]["metadata"]["name"].get<std::string>();
      out.push_back(c);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::string text_;
  bool closed_ = false;
  bool ended_ = false;
};

class ObjectWatchTest : public ::testing::Test {
 protected:
  ObjectWatchTest() { store_ = std::move(*Store::open(":memory:", clock_)); }

  void put(const std::string& ns, const std::string& name, const std::string& image,
           nlohmann::json labels = nlohmann::json::object()) {
    ASSERT_TRUE(store_->upsert("Service", ns, name, labels, {{"image", image}}).ok());
  }

  template <typename F>
  static bool eventually(F f, milliseconds within = milliseconds(3000)) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      if (f()) return true;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return f();
  }

  RealClock clock_;
  std::unique_ptr<Store> store_;
};

TEST_F(ObjectWatchTest, SendsTheListThenEachChange) {
  put("a", "web", "nginx");
  put("b", "other", "nginx");
  ObjectWatchOptions o;
  o.poll = milliseconds(10);
  ObjectWatchHub hub(*store_, clock_, o);
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(hub.add(sink, ObjectWatchQuery{"Service", std::string("a"), {}, std::nullopt}).ok());
  ASSERT_TRUE(eventually([&] { return sink->changes().size() == 2; }));
  put("a", "web", "nginx:2");
  put("a", "api", "nginx");
  put("b", "other", "nginx:2");  // another namespace
  ASSERT_TRUE(eventually([&] {
    auto c = sink->changes();
    return std::find(c.begin(), c.end(), "ADDED api") != c.end();
  })) << ::testing::PrintToString(sink->changes());
  auto api = store_->get("Service", "a", "api");
  ASSERT_TRUE(api.ok());
  ASSERT_TRUE(store_->markDeleted("Service", "a", "api", false).ok());
  ASSERT_TRUE(store_->purge("Service", "a", "api", api->uid).ok());
  ASSERT_TRUE(eventually([&] {
    auto c = sink->changes();
    return !c.empty() && c.back() == "DELETED api";
  })) << ::testing::PrintToString(sink->changes());
  auto c = sink->changes();
  EXPECT_EQ(c[0], "ADDED web");
  EXPECT_EQ(c[1], "SYNCED");
  EXPECT_NE(std::find(c.begin(), c.end(), "MODIFIED web"), c.end());
  EXPECT_EQ(std::find(c.begin(), c.end(), "ADDED other"), c.end());
  hub.stop();
  EXPECT_TRUE(sink->ended());
}

TEST_F(ObjectWatchTest, KeepsToTheSelectorAndTheTokensNamespaces) {
  put("a", "web", "nginx", {{"tier", "front"}});
  put("a", "db", "pg", {{"tier", "back"}});
  put("b", "hidden", "nginx", {{"tier", "front"}});
  ObjectWatchOptions o;
  o.poll = milliseconds(10);
  ObjectWatchHub hub(*store_, clock_, o);
  auto sink = std::make_shared<RecordingSink>();
  Principal alice{"alice", false, {"a"}};
  ASSERT_TRUE(hub.add(sink, ObjectWatchQuery{"Service", std::nullopt,
                                             *parseLabelSelector("tier=front"), alice})
                  .ok());
  ASSERT_TRUE(eventually([&] { return sink->changes().size() == 2; }));
  EXPECT_THAT(sink->changes(), ElementsAre("ADDED web", "SYNCED"));
}

}  // namespace
}  // namespace tender

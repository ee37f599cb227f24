// EventWatchHub over a real SQLite store (in memory): resuming, live
// delivery, filters, heartbeats and watchers that go away.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "api/event_watch.h"
#include "base/clock.h"

namespace tender {
namespace {

using std::chrono::milliseconds;

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
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const auto& l : lines()) {
      if (l["kind"] == "Event") out.push_back(l["message"]);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::string text_;
  bool closed_ = false;
  bool ended_ = false;
};

class EventWatchTest : public ::testing::Test {
 protected:
  EventWatchTest() {
    auto s = Store::open(":memory:", clock_);
    store_ = std::move(*s);
  }
  ~EventWatchTest() override {
    if (store_) store_->setEventObserver({});
  }

  std::unique_ptr<EventWatchHub> hub(WatchOptions o = {}) {
    auto h = std::make_unique<EventWatchHub>(*store_, clock_, o);
    EventWatchHub* raw = h.get();
    store_->setEventObserver([raw](int64_t) { raw->notify(); });
    return h;
  }

  int64_t append(const std::string& ns, const std::string& message, const std::string& name = "web") {
    EventRecord e;
    e.kind = "Service";
    e.namespace_ = ns;
    e.name = name;
    e.reason = "Test";
    e.message = message;
    return *store_->appendEvent(e);
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

TEST_F(EventWatchTest, ResumesAfterAnIdThenDeliversNewEventsAsTheyAreAppended) {
  int64_t first = append("a", "one");
  append("a", "two");
  WatchOptions o;
  o.poll = milliseconds(60'000);  // only notify() wakes it: delivery is not polling
  auto h = hub(o);
  auto sink = std::make_shared<RecordingSink>();
  EventQuery q;
  q.sinceId = first;
  ASSERT_TRUE(h->add(sink, q, /*fromNow=*/false, std::nullopt).ok());
  ASSERT_TRUE(eventually([&] { return sink->messages().size() == 1; }));
  EXPECT_EQ(std::vector<std::string>{"two"}, sink->messages());
  append("a", "three");
  ASSERT_TRUE(eventually([&] { return sink->messages().size() == 2; }));
  EXPECT_EQ((std::vector<std::string>{"two", "three"}), sink->messages());
  auto lines = sink->lines();
  EXPECT_EQ("Service", lines[0]["involvedObject"]["kind"]);
  EXPECT_GT(lines[1]["id"].get<int64_t>(), lines[0]["id"].get<int64_t>());
}

TEST_F(EventWatchTest, FromNowSkipsWhatIsAlreadyStored) {
  append("a", "old");
  auto h = hub();
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(h->add(sink, EventQuery{}, /*fromNow=*/true, std::nullopt).ok());
  append("a", "new");
  ASSERT_TRUE(eventually([&] { return !sink->messages().empty(); }));
  EXPECT_EQ(std::vector<std::string>{"new"}, sink->messages());
}

TEST_F(EventWatchTest, FiltersByNamespaceNameAndGrants) {
  auto h = hub();
  auto byNamespace = std::make_shared<RecordingSink>();
  EventQuery nsQuery;
  nsQuery.namespace_ = "a";
  ASSERT_TRUE(h->add(byNamespace, nsQuery, true, std::nullopt).ok());
  auto byName = std::make_shared<RecordingSink>();
  EventQuery nameQuery;
  nameQuery.name = "db";
  ASSERT_TRUE(h->add(byName, nameQuery, true, std::nullopt).ok());
  auto granted = std::make_shared<RecordingSink>();
  Principal p;
  p.name = "bob";
  p.namespaces = {"b"};
  ASSERT_TRUE(h->add(granted, EventQuery{}, true, p).ok());

  append("a", "a/web");
  append("b", "b/db", "db");
  append("c", "c/web");
  append("a", "a/db", "db");
  ASSERT_TRUE(eventually([&] { return byName->messages().size() == 2; }));
  ASSERT_TRUE(eventually([&] { return byNamespace->messages().size() == 2; }));
  EXPECT_EQ((std::vector<std::string>{"a/web", "a/db"}), byNamespace->messages());
  EXPECT_EQ((std::vector<std::string>{"b/db", "a/db"}), byName->messages());
  EXPECT_EQ((std::vector<std::string>{"b/db"}), granted->messages());
}

TEST_F(EventWatchTest, SendsHeartbeatsWhenIdleAndDropsWatchersThatWentAway) {
  WatchOptions o;
  o.heartbeat = milliseconds(100);
  o.poll = milliseconds(20);
  auto h = hub(o);
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(h->add(sink, EventQuery{}, true, std::nullopt).ok());
  ASSERT_TRUE(eventually([&] { return sink->lines().size() >= 2; }));
  for (const auto& l : sink->lines()) {
    EXPECT_EQ("Heartbeat", l["kind"]);
    EXPECT_TRUE(l.contains("lastEventId"));
    EXPECT_TRUE(l.contains("time"));
  }
  EXPECT_EQ(1u, h->watchers());
  sink->hangUp();
  EXPECT_TRUE(eventually([&] { return h->watchers() == 0; }));
}

TEST_F(EventWatchTest, RefusesWatchersBeyondTheLimitAndEndsStreamsOnStop) {
  WatchOptions o;
  o.maxWatchers = 1;
  auto h = hub(o);
  auto first = std::make_shared<RecordingSink>();
  ASSERT_TRUE(h->add(first, EventQuery{}, true, std::nullopt).ok());
  EXPECT_TRUE(h->full());
  Status s = h->add(std::make_shared<RecordingSink>(), EventQuery{}, true, std::nullopt);
  EXPECT_TRUE(s.IsUnavailable());
  h->stop();
  EXPECT_TRUE(first->ended());
  EXPECT_TRUE(h->add(std::make_shared<RecordingSink>(), EventQuery{}, true, std::nullopt).IsUnavailable());
}

TEST_F(EventWatchTest, AWatcherFarBehindCatchesUpInOrderWithoutGapsOrRepeats) {
  for (int i = 0; i < 1200; ++i) append("a", std::to_string(i));
  auto h = hub();
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(h->add(sink, EventQuery{}, /*fromNow=*/false, std::nullopt).ok());
  append("a", "live");
  ASSERT_TRUE(eventually([&] { return sink->messages().size() == 1201; }, milliseconds(10000)));
  auto m = sink->messages();
  for (int i = 0; i < 1200; ++i) ASSERT_EQ(std::to_string(i), m[i]);
  EXPECT_EQ("live", m.back());
}

}  // namespace
}  // namespace tender

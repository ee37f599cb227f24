// The SQLite store, on a file and in memory: resources, commits, history and
// its pruning, requests and container facts, migrations and failures.

#include "store/store.h"

#include "store/sqlite_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "tests/support/simulated_clock.h"
#include "tests/support/temp_dir.h"
#include "tests/support/raw_sqlite.h"

namespace tender {
namespace {

using testing::TempDir;
using testing::rawSql;

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

std::string rawPragma(const std::string& file, const std::string& pragma) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, ("PRAGMA " + pragma).c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

std::vector<std::string> names(const std::vector<ResourceRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.namespace_ + "/" + r.name);
  return out;
}

EventRecord event(const std::string& ns, const std::string& name, const std::string& reason) {
  EventRecord e;
  e.reason = reason;
  e.kind = "Service";
  e.namespace_ = ns;
  e.name = name;
  e.message = reason + " " + name;
  return e;
}

// Every behaviour test runs on a file and on ":memory:" (which shares one
// connection between all threads).
class StoreTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    path_ = GetParam() ? ":memory:" : dir_.file("tender.db");
    auto s = Store::open(path_, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }

  Result<UpsertResult> put(const std::string& name, const json& spec,
                           const json& labels = json::object(),
                           std::optional<int64_t> expected = {}) {
    return store_->upsert("Service", "default", name, labels, spec, expected);
  }

  TempDir dir_;
  std::string path_;
  SimulatedClock clock_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(FileAndMemory, StoreTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Memory" : "File"; });

TerminationRecord death(const std::string& service, int replica, const std::string& container, int64_t finishedAt) {
  TerminationRecord t;
  t.namespace_ = "shop";
  t.service = service;
  t.replica = replica;
  t.containerId = container;
  t.startedAt = finishedAt - 1000;
  t.finishedAt = finishedAt;
  t.exitCode = 1;
  t.reason = "Error";
  t.data = {{"message", "exited with code 1"}};
  return t;
}

TEST_P(StoreTest, HistoryStaysWithinItsBoundsByCountAndByAge) {
  EventRecord old = event("shop", "web", "Old");
  old.time = clock_.nowMillis();
  ASSERT_TRUE(store_->appendEvent(old).ok());
  clock_.advance(std::chrono::hours(24 * 8));
  for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(store_->appendEvent(event("shop", "web", "Tick")).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(store_->appendEvent(event("shop", "db", "Tick")).ok());
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(store_->recordTermination(death("web", 0, "c" + std::to_string(i), clock_.nowMillis() + i)).ok());
  }
  ASSERT_TRUE(store_->recordTermination(death("web", 1, "old", 1000)).ok());

  Retention r;
  r.eventsPerObject = 1000;
  r.terminationsPerReplica = 20;
  auto pruned = store_->pruneHistory(r);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(9001, pruned->events);  // the 8-day-old one, and all but the newest 1000 of web's
  EXPECT_EQ(11, pruned->terminations);
  EventQuery web;
  web.name = "web";
  web.limit = 0;
  auto left = store_->events(web);
  ASSERT_EQ(1000u, left->size());
  EXPECT_EQ("Tick", left->front().reason);
  EventQuery db;
  db.name = "db";
  EXPECT_EQ(10u, store_->events(db)->size()) << "other objects keep theirs";
  auto deaths = store_->terminations("shop", "web", 0, 100);
  ASSERT_EQ(20u, deaths->size());
  EXPECT_EQ("c29", deaths->front().containerId);
  EXPECT_TRUE(store_->terminations("shop", "web", 1, 100)->empty()) << "too old";
  if (!GetParam()) {
    EXPECT_GT(pruned->freedPages, 0) << "the file gives the space back";
  }
  // Nothing more to do the second time.
  auto again = store_->pruneHistory(r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(0, again->events + again->terminations);
}

TEST_P(StoreTest, ADeathIsRecordedOnceAndListedNewestFirst) {
  bool created = false;
  auto first = store_->recordTermination(death("web", 0, "c1", 1000), &created);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(created);
  auto again = store_->recordTermination(death("web", 0, "c1", 1000), &created);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(created);
  EXPECT_EQ(*first, *again);
  ASSERT_TRUE(store_->recordTermination(death("web", 1, "c2", 2000), &created).ok());
  ASSERT_TRUE(store_->recordTermination(death("web", 0, "c1", 3000), &created).ok());
  ASSERT_TRUE(store_->recordTermination(death("db", 0, "c3", 4000), &created).ok());

  auto all = store_->terminations("shop", "web");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(3u, all->size());
  EXPECT_EQ(3000, (*all)[0].finishedAt);
  EXPECT_EQ(2000, (*all)[1].finishedAt);
  EXPECT_EQ("exited with code 1", (*all)[0].data["message"]);
  auto replica0 = store_->terminations("shop", "web", 0);
  ASSERT_EQ(2u, replica0->size());
  EXPECT_EQ(1u, store_->terminations("shop", "web", -1, 1)->size());

  ASSERT_TRUE(store_->updateTerminationData(*first, {{"logs", {"a", "b"}}}).ok());
  auto updated = store_->terminations("shop", "web", 0);
  EXPECT_EQ(json({"a", "b"}), updated->back().data["logs"]);

  ASSERT_TRUE(store_->putReplicaState("shop", "web", 0, {{"restarts", 2}}).ok());
  ASSERT_TRUE(store_->putReplicaState("shop", "web", 0, {{"restarts", 3}}).ok());
  ASSERT_TRUE(store_->putReplicaState("shop", "web", 1, {{"restarts", 1}}).ok());
  auto states = store_->replicaStates("shop", "web");
  ASSERT_TRUE(states.ok());
  ASSERT_EQ(2u, states->size());
  EXPECT_EQ(3, (*states)[0]["restarts"]);

  ASSERT_TRUE(store_->forgetService("shop", "web").ok());
  EXPECT_TRUE(store_->replicaStates("shop", "web")->empty()) << "a new service of that name starts afresh";
  EXPECT_FALSE(store_->terminations("shop", "web")->empty()) << "how it died stays for the grace period";
  EXPECT_EQ(1u, store_->terminations("shop", "db")->size()) << "other services keep theirs";
}

ServiceRequest request(const std::string& kind, const std::string& service, int replica, int64_t at,
                       const std::string& reason = "") {
  ServiceRequest q;
  q.kind = kind;
  q.namespace_ = "shop";
  q.service = service;
  q.replica = replica;
  q.requestedAt = at;
  q.reason = reason;
  return q;
}

TEST_P(StoreTest, ARequestIsKeptUntilTheOneCarriedOutIsRemovedAndANewerOneStays) {
  ASSERT_TRUE(*store_->putRequest(request(kRestartRequest, "web", -1, 100), /*replace=*/true));
  ASSERT_TRUE(*store_->putRequest(request(kEvictRequest, "web", 1, 150, "memory 95%"), /*replace=*/false));
  ASSERT_TRUE(*store_->putRequest(request(kRestartRequest, "db", 0, 120), /*replace=*/true));

  auto restarts = store_->requests(kRestartRequest);
  ASSERT_TRUE(restarts.ok()) << restarts.status().ToString();
  ASSERT_EQ(2u, restarts->size());
  EXPECT_EQ("web", (*restarts)[0].service) << "oldest first";
  EXPECT_EQ(-1, (*restarts)[0].replica);
  EXPECT_EQ("db", (*restarts)[1].service);
  auto evictions = store_->requests(kEvictRequest, "shop", "web");
  ASSERT_EQ(1u, evictions->size());
  EXPECT_EQ("memory 95%", evictions->front().reason);
  EXPECT_EQ(1, evictions->front().replica);
  EXPECT_EQ(3u, store_->requests("")->size());

  // Asked again while the first is carried out: the newer one stays.
  const ServiceRequest seen = (*restarts)[0];
  ASSERT_TRUE(*store_->putRequest(request(kRestartRequest, "web", -1, 200), /*replace=*/true));
  ASSERT_TRUE(store_->removeRequests({seen, (*restarts)[1]}).ok());
  auto left = store_->requests(kRestartRequest);
  ASSERT_EQ(1u, left->size());
  EXPECT_EQ(200, left->front().requestedAt);

  // An eviction is not renewed: the first one's time and reason stay.
  EXPECT_FALSE(*store_->putRequest(request(kEvictRequest, "web", 1, 300, "again"), /*replace=*/false));
  EXPECT_EQ(150, store_->requests(kEvictRequest)->front().requestedAt);
}

TEST_P(StoreTest, ContainerFactsMergeAndGoWithTheirServiceOrTheirAge) {
  EXPECT_EQ(json::object(), *store_->containerFacts("c1")) << "none stored";
  ASSERT_TRUE(store_->mergeContainerFacts("c1", "shop", "web", {{"oomAt", 5}}).ok());
  ASSERT_TRUE(store_->mergeContainerFacts("c1", "shop", "web", {{"stop", {{"by", "Killed"}, {"why", "x"}}}}).ok());
  EXPECT_EQ(json({{"oomAt", 5}, {"stop", {{"by", "Killed"}, {"why", "x"}}}}), *store_->containerFacts("c1"));
  ASSERT_TRUE(store_->mergeContainerFacts("c1", "shop", "web", {{"stop", nullptr}}).ok());
  EXPECT_EQ(json({{"oomAt", 5}}), *store_->containerFacts("c1")) << "a null member removes it";
  EXPECT_TRUE(store_->mergeContainerFacts("c1", "shop", "web", json::array()).IsInvalid());

  ASSERT_TRUE(store_->forgetContainerFacts("c1").ok());
  EXPECT_EQ(json::object(), *store_->containerFacts("c1"));

  ASSERT_TRUE(store_->mergeContainerFacts("c2", "shop", "web", {{"oomAt", 1}}).ok());
  ASSERT_TRUE(store_->mergeContainerFacts("c3", "shop", "db", {{"oomAt", 1}}).ok());
  ASSERT_TRUE(*store_->putRequest(request(kRestartRequest, "web", -1, 100), true));
  ASSERT_TRUE(store_->forgetService("shop", "web").ok());
  EXPECT_EQ(json::object(), *store_->containerFacts("c2")) << "the service was deleted";
  EXPECT_TRUE(store_->requests("", "shop", "web")->empty());
  EXPECT_EQ(json({{"oomAt", 1}}), *store_->containerFacts("c3")) << "other services keep theirs";

  Retention r;
  r.maxTerminationAgeMs = 1000;
  clock_.advance(std::chrono::seconds(2));
  auto pruned = store_->pruneHistory(r);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(1, pruned->containerFacts);
  EXPECT_EQ(json::object(), *store_->containerFacts("c3")) << "a run never seen to end is not kept for ever";
}

TEST_P(StoreTest, APurgedObjectsHistoryGoesAfterTheGracePeriodUnlessItCameBack) {
  auto web = store_->upsert("Service", "shop", "web", json::object(), {{"image", "nginx"}});
  auto db = store_->upsert("Service", "shop", "db", json::object(), {{"image", "pg"}});
  ASSERT_TRUE(web.ok() && db.ok());
  ASSERT_TRUE(store_->appendEvent(event("shop", "web", "Created")).ok());
  ASSERT_TRUE(store_->appendEvent(event("shop", "db", "Created")).ok());
  ASSERT_TRUE(store_->recordTermination(death("web", 0, "c1", clock_.nowMillis())).ok());
  ASSERT_TRUE(store_->recordTermination(death("db", 0, "c2", clock_.nowMillis())).ok());
  for (const char* name : {"web", "db"}) {
    ASSERT_TRUE(store_->markDeleted("Service", "shop", name).ok());
    auto rec = store_->get("Service", "shop", name);
    ASSERT_TRUE(store_->purge("Service", "shop", name, rec->uid).ok());
  }
  // db comes back under the same name before the grace period ends.
  ASSERT_TRUE(store_->upsert("Service", "shop", "db", json::object(), {{"image", "pg"}}).ok());

  Retention r;
  r.deletedGraceMs = 3600 * 1000;
  clock_.advance(std::chrono::minutes(59));
  auto early = store_->pruneHistory(r);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(0, early->events + early->terminations) << "within the grace period";

  clock_.advance(std::chrono::minutes(2));
  auto late = store_->pruneHistory(r);
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  EXPECT_EQ(1, late->events);
  EXPECT_EQ(1, late->terminations);
  EXPECT_EQ(2, late->deletedObjects);
  EventQuery q;
  q.name = "web";
  EXPECT_TRUE(store_->events(q)->empty());
  EXPECT_TRUE(store_->terminations("shop", "web")->empty());
  q.name = "db";
  EXPECT_EQ(1u, store_->events(q)->size()) << "a service created again keeps its history";
  EXPECT_EQ(1u, store_->terminations("shop", "db")->size());
}

TEST_P(StoreTest, ADeletionPurgesDataOnlyWhenAskedAndAPurgeCanBeAddedLater) {
  put("web", {{"image", "nginx"}});
  ASSERT_TRUE(store_->markDeleted("Service", "default", "web").ok());
  auto kept = store_->get("Service", "default", "web");
  EXPECT_FALSE(kept->purgeData);
  clock_.advance(std::chrono::seconds(1));
  ASSERT_TRUE(store_->markDeleted("Service", "default", "web", /*purgeData=*/true).ok());
  auto purged = store_->get("Service", "default", "web");
  EXPECT_TRUE(purged->purgeData);
  EXPECT_EQ(kept->deletedAt, purged->deletedAt) << "the first deletion time stands";
  EXPECT_GT(purged->resourceVersion, kept->resourceVersion);
  ASSERT_TRUE(store_->markDeleted("Service", "default", "web", false).ok());
  EXPECT_TRUE(store_->get("Service", "default", "web")->purgeData) << "a purge is never taken back";
  auto revived = put("web", {{"image", "nginx"}});
  EXPECT_FALSE(revived->record.purgeData);
  EXPECT_FALSE(store_->get("Service", "default", "web")->purgeData);
}

TEST_P(StoreTest, CreateStoresANewObjectStampedByTheClock) {
  auto r = put("web", {{"image", "nginx"}}, {{"tier", "front"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(UpsertOutcome::kCreated, r->outcome);
  EXPECT_EQ(1, r->record.generation);
  EXPECT_GT(r->record.resourceVersion, 0);
  EXPECT_TRUE(std::regex_match(
      r->record.uid,
      std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << r->record.uid;
  EXPECT_EQ(clock_.nowMillis(), r->record.createdAt);

  auto got = store_->get("Service", "default", "web");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(r->record.uid, got->uid);
  EXPECT_EQ(json({{"image", "nginx"}}), got->spec);
  EXPECT_EQ(json({{"tier", "front"}}), got->labels);
  EXPECT_EQ(json::object(), got->status);
  EXPECT_EQ(clock_.nowMillis(), got->createdAt);
  EXPECT_EQ(clock_.nowMillis(), got->updatedAt);
  EXPECT_FALSE(got->deletedAt);
}

ResourceWrite upsertWrite(const std::string& name, const json& spec, std::optional<int64_t> expected = {}) {
  ResourceWrite w;
  w.kind = "Service";
  w.ns = "default";
  w.name = name;
  w.spec = spec;
  w.expectedResourceVersion = expected;
  return w;
}

TEST_P(StoreTest, ACommitWritesEveryObjectInOrder) {
  ASSERT_TRUE(put("old", {{"image", "a"}}).ok());
  ResourceWrite gone;
  gone.op = ResourceWrite::Op::kMarkDeleted;
  gone.kind = "Service";
  gone.ns = "default";
  gone.name = "old";
  auto r = store_->commit({upsertWrite("web", {{"image", "nginx"}}), upsertWrite("db", {{"image", "pg"}}), gone});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_TRUE((*r)[0].applied);
  EXPECT_EQ((*r)[0].upsert.outcome, UpsertOutcome::kCreated);
  EXPECT_LT((*r)[0].upsert.record.resourceVersion, (*r)[1].upsert.record.resourceVersion);
  EXPECT_TRUE((*r)[2].applied);
  EXPECT_TRUE(store_->get("Service", "default", "web").ok());
  EXPECT_TRUE(store_->get("Service", "default", "db").ok());
  EXPECT_TRUE(store_->get("Service", "default", "old")->deletedAt);
}

TEST_P(StoreTest, ACommitWhoseLastWriteConflictsWritesNothing) {
  auto existing = put("api", {{"image", "v1"}});
  ASSERT_TRUE(existing.ok());
  const int64_t writesBefore = store_->resourceWrites();
  auto r = store_->commit({upsertWrite("web", {{"image", "nginx"}}), upsertWrite("db", {{"image", "pg"}}),
                           upsertWrite("api", {{"image", "v2"}}, existing->record.resourceVersion + 7)});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsConflict()) << r.status().ToString();
  EXPECT_THAT(r.status().message(), HasSubstr("Service \"api\""));
  EXPECT_TRUE(store_->get("Service", "default", "web").status().IsNotFound()) << "the first write was rolled back";
  EXPECT_TRUE(store_->get("Service", "default", "db").status().IsNotFound());
  EXPECT_EQ(store_->get("Service", "default", "api")->spec, json({{"image", "v1"}}));
  EXPECT_EQ(store_->resourceWrites(), writesBefore) << "nothing was committed";
  // The store still takes writes afterwards.
  EXPECT_TRUE(put("web", {{"image", "nginx"}}).ok());
}

TEST_P(StoreTest, CreateIfAbsentLeavesALiveObjectAloneAndSkipsAMissingDeletion) {
  ASSERT_TRUE(store_->upsert("Namespace", "", "shop", json::object(), {{"ttl", "1h"}}).ok());
  ResourceWrite ns;
  ns.op = ResourceWrite::Op::kCreateIfAbsent;
  ns.kind = "Namespace";
  ns.name = "shop";
  ResourceWrite missing;
  missing.op = ResourceWrite::Op::kMarkDeleted;
  missing.kind = "Service";
  missing.ns = "default";
  missing.name = "never-was";
  auto r = store_->commit({ns, missing});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE((*r)[0].applied);
  EXPECT_FALSE((*r)[1].applied);
  EXPECT_EQ(store_->get("Namespace", "", "shop")->spec, json({{"ttl", "1h"}})) << "its spec is kept";
  ns.name = "new";
  auto created = store_->commit({ns});
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE((*created)[0].applied);
  EXPECT_EQ((*created)[0].upsert.outcome, UpsertOutcome::kCreated);
}

TEST_P(StoreTest, GetOfAbsentObjectIsNotFound) {
  auto got = store_->get("Service", "default", "nope");
  EXPECT_TRUE(got.status().IsNotFound());
  EXPECT_THAT(got.status().message(), HasSubstr("nope"));
}

TEST_P(StoreTest, IdenticalUpsertIsUnchangedAndWritesNothing) {
  auto first = put("web", {{"image", "nginx"}, {"replicas", 2}});
  clock_.advance(std::chrono::seconds(5));
  auto again = put("web", json::parse(R"({"replicas": 2, "image": "nginx"})"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(UpsertOutcome::kUnchanged, again->outcome);
  EXPECT_EQ(first->record.resourceVersion, again->record.resourceVersion);
  EXPECT_EQ(1, again->record.generation);
  EXPECT_EQ(first->record.updatedAt, store_->get("Service", "default", "web")->updatedAt);
  // The store-wide counter did not move either.
  auto next = put("other", json::object());
  EXPECT_EQ(first->record.resourceVersion + 1, next->record.resourceVersion);
}

TEST_P(StoreTest, ChangedSpecBumpsGenerationAndResourceVersion) {
  auto first = put("web", {{"image", "nginx:1"}});
  clock_.advance(std::chrono::seconds(5));
  auto second = put("web", {{"image", "nginx:2"}});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(UpsertOutcome::kConfigured, second->outcome);
  EXPECT_EQ(2, second->record.generation);
  EXPECT_GT(second->record.resourceVersion, first->record.resourceVersion);
  EXPECT_EQ(first->record.uid, second->record.uid);

  auto got = store_->get("Service", "default", "web");
  EXPECT_EQ(json({{"image", "nginx:2"}}), got->spec);
  EXPECT_EQ(2, got->generation);
  EXPECT_EQ(first->record.createdAt, got->createdAt);
  EXPECT_EQ(clock_.nowMillis(), got->updatedAt);
}

TEST_P(StoreTest, ChangedLabelsBumpGeneration) {
  put("web", {{"image", "nginx"}}, {{"tier", "a"}});
  auto second = put("web", {{"image", "nginx"}}, {{"tier", "b"}});
  EXPECT_EQ(UpsertOutcome::kConfigured, second->outcome);
  EXPECT_EQ(2, second->record.generation);
  EXPECT_EQ(json({{"tier", "b"}}), store_->get("Service", "default", "web")->labels);
}

TEST_P(StoreTest, StaleResourceVersionIsConflictAndWritesNothing) {
  auto first = put("web", {{"image", "nginx:1"}});
  auto second = put("web", {{"image", "nginx:2"}});
  const int64_t stale = first->record.resourceVersion;
  const int64_t stored = second->record.resourceVersion;

  auto r = put("web", {{"image", "nginx:3"}}, json::object(), stale);
  EXPECT_TRUE(r.status().IsConflict());
  EXPECT_THAT(r.status().message(), HasSubstr(std::to_string(stored)));
  EXPECT_THAT(r.status().message(), HasSubstr(std::to_string(stale)));
  auto got = store_->get("Service", "default", "web");
  EXPECT_EQ(json({{"image", "nginx:2"}}), got->spec);
  EXPECT_EQ(stored, got->resourceVersion);
}

TEST_P(StoreTest, MatchingResourceVersionIsAccepted) {
  auto first = put("web", {{"image", "nginx:1"}});
  auto r = put("web", {{"image", "nginx:2"}}, json::object(), first->record.resourceVersion);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(UpsertOutcome::kConfigured, r->outcome);
}

TEST_P(StoreTest, ExpectedResourceVersionOfAbsentObjectIsConflict) {
  auto r = put("web", {{"image", "nginx"}}, json::object(), 7);
  EXPECT_TRUE(r.status().IsConflict());
  EXPECT_THAT(r.status().message(), HasSubstr("7"));
  EXPECT_TRUE(store_->get("Service", "default", "web").status().IsNotFound());
}

TEST_P(StoreTest, SpecThatCannotBeStoredIsInvalidAndWritesNothing) {
  auto r = put("web", {{"image", std::string("bad\xff")}});
  EXPECT_TRUE(r.status().IsInvalid()) << r.status().ToString();
  EXPECT_TRUE(store_->get("Service", "default", "web").status().IsNotFound());
}

TEST_P(StoreTest, ListIsOrderedByNamespaceThenNameAndFiltersByNamespaceAndKind) {
  store_->upsert("Service", "b", "x", {}, {});
  store_->upsert("Service", "a", "y", {}, {});
  store_->upsert("Service", "a", "x", {}, {});
  store_->upsert("Volume", "a", "data", {}, {});

  auto all = store_->list("Service", std::nullopt);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_THAT(names(*all), ElementsAre("a/x", "a/y", "b/x"));
  EXPECT_THAT(names(*store_->list("Service", std::string("a"))), ElementsAre("a/x", "a/y"));
  EXPECT_THAT(names(*store_->list("Volume", std::nullopt)), ElementsAre("a/data"));
  EXPECT_TRUE(store_->list("Network", std::nullopt)->empty());
}

TEST_P(StoreTest, NamespacesAreStoredWithAnEmptyNamespace) {
  ASSERT_TRUE(store_->upsert("Namespace", "", "alice", {}, {{"ttl", "2h"}}).ok());
  auto got = store_->get("Namespace", "", "alice");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(json({{"ttl", "2h"}}), got->spec);
}

TEST_P(StoreTest, MarkDeletedKeepsTheFirstDeletedAtAndAdvancesResourceVersionOnce) {
  auto created = put("web", {{"image", "nginx"}});
  clock_.advance(std::chrono::seconds(1));
  const int64_t deletedAt = clock_.nowMillis();
  ASSERT_TRUE(store_->markDeleted("Service", "default", "web").ok());
  auto marked = store_->get("Service", "default", "web");
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(deletedAt, marked->deletedAt);
  EXPECT_GT(marked->resourceVersion, created->record.resourceVersion);

  clock_.advance(std::chrono::seconds(1));
  ASSERT_TRUE(store_->markDeleted("Service", "default", "web").ok());
  auto again = store_->get("Service", "default", "web");
  EXPECT_EQ(deletedAt, again->deletedAt);
  EXPECT_EQ(marked->resourceVersion, again->resourceVersion);
  EXPECT_EQ(1u, store_->list("Service", std::nullopt)->size());
}

TEST_P(StoreTest, MarkDeletedOfAbsentObjectIsNotFound) {
  EXPECT_TRUE(store_->markDeleted("Service", "default", "nope").IsNotFound());
}

TEST_P(StoreTest, PurgeRemovesTheObject) {
  auto created = put("web", {{"image", "nginx"}});
  store_->markDeleted("Service", "default", "web");
  ASSERT_TRUE(store_->purge("Service", "default", "web", created->record.uid).ok());
  EXPECT_TRUE(store_->get("Service", "default", "web").status().IsNotFound());
}

TEST_P(StoreTest, UpsertRevivesADeletedObjectAsANewOneThatAnOldPurgeLeavesAlone) {
  auto old = put("web", {{"image", "nginx"}});
  store_->updateStatus("Service", "default", "web", {{"phase", "Running"}});
  store_->markDeleted("Service", "default", "web");

  auto revived = put("web", {{"image", "nginx"}});
  ASSERT_TRUE(revived.ok());
  EXPECT_EQ(UpsertOutcome::kCreated, revived->outcome);
  EXPECT_NE(old->record.uid, revived->record.uid);
  EXPECT_EQ(1, revived->record.generation);

  ASSERT_TRUE(store_->purge("Service", "default", "web", old->record.uid).ok());
  auto got = store_->get("Service", "default", "web");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(revived->record.uid, got->uid);
  EXPECT_FALSE(got->deletedAt);
  EXPECT_EQ(json::object(), got->status);
}

TEST_P(StoreTest, UpdateStatusAdvancesResourceVersionButNotGeneration) {
  auto created = put("web", {{"image", "nginx"}});
  clock_.advance(std::chrono::seconds(3));
  ASSERT_TRUE(store_->updateStatus("Service", "default", "web", {{"phase", "Running"}}).ok());
  auto got = store_->get("Service", "default", "web");
  EXPECT_EQ(json({{"phase", "Running"}}), got->status);
  EXPECT_EQ(1, got->generation);
  EXPECT_GT(got->resourceVersion, created->record.resourceVersion);
  EXPECT_EQ(clock_.nowMillis(), got->updatedAt);
  // A later apply of the same spec leaves the status alone.
  put("web", {{"image", "nginx"}});
  EXPECT_EQ(json({{"phase", "Running"}}), store_->get("Service", "default", "web")->status);
}

TEST_P(StoreTest, UpdateStatusOfAbsentObjectIsNotFound) {
  EXPECT_TRUE(store_->updateStatus("Service", "default", "nope", {{"phase", "x"}}).IsNotFound());
}

TEST_P(StoreTest, EventsGetIncreasingIdsAndKeepTheirContent) {
  EventRecord e = event("shop", "api", "Died");
  e.type = "Warning";
  e.data = {{"exitCode", 137}};
  auto id1 = store_->appendEvent(e);
  auto id2 = store_->appendEvent(event("shop", "api", "Started"));
  ASSERT_TRUE(id1.ok() && id2.ok());
  EXPECT_LT(*id1, *id2);

  auto all = store_->events({});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(2u, all->size());
  const EventRecord& got = (*all)[0];
  EXPECT_EQ(*id1, got.id);
  EXPECT_EQ("Warning", got.type);
  EXPECT_EQ("Died", got.reason);
  EXPECT_EQ("Service", got.kind);
  EXPECT_EQ("shop", got.namespace_);
  EXPECT_EQ("api", got.name);
  EXPECT_EQ("Died api", got.message);
  EXPECT_EQ(json({{"exitCode", 137}}), got.data);
  EXPECT_EQ(clock_.nowMillis(), got.time);
}

TEST_P(StoreTest, EventsKeepATimeTheCallerGives) {
  EventRecord e = event("shop", "api", "Died");
  e.time = 1234;
  store_->appendEvent(e);
  EXPECT_EQ(1234, store_->events({})->at(0).time);
}

TEST_P(StoreTest, EventQueryFiltersBySinceNamespaceNameAndLimit) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(
        *store_->appendEvent(event(i % 2 ? "odd" : "even", "s" + std::to_string(i), "R")));
  }
  EventQuery q;
  q.sinceId = ids[1];
  auto since = store_->events(q);
  ASSERT_EQ(4u, since->size());
  EXPECT_EQ(ids[2], since->front().id);

  q = EventQuery();
  q.namespace_ = "odd";
  auto odd = store_->events(q);
  ASSERT_EQ(3u, odd->size());
  EXPECT_EQ(ids[1], (*odd)[0].id);
  EXPECT_EQ(ids[3], (*odd)[1].id);
  EXPECT_EQ(ids[5], (*odd)[2].id);

  q.name = "s3";
  ASSERT_EQ(1u, store_->events(q)->size());

  q = EventQuery();
  q.limit = 2;
  auto limited = store_->events(q);
  ASSERT_EQ(2u, limited->size());
  EXPECT_EQ(ids[0], (*limited)[0].id);
  EXPECT_EQ(ids[1], (*limited)[1].id);
}

TEST_P(StoreTest, IntegrityCheckOfAHealthyStoreIsOk) {
  put("web", {{"image", "nginx"}});
  EXPECT_TRUE(store_->integrityCheck().ok());
}

TEST_P(StoreTest, ConcurrentWritersLoseNothingAndReadersSeeWhatIsCommitted) {
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 200;
  std::atomic<int> committed[kWriters] = {};
  std::atomic<bool> done{false};
  std::atomic<int> readerFailures{0};
  std::atomic<int> readerChecks{0};

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        std::string name = "w" + std::to_string(w) + "-" + std::to_string(i);
        if (store_->upsert("Service", "load", name, {}, {{"i", i}}).ok()) {
          committed[w].store(i + 1, std::memory_order_release);
        }
      }
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      while (!done.load()) {
        for (int w = 0; w < kWriters; ++w) {
          int n = committed[w].load(std::memory_order_acquire);
          if (n == 0) continue;
          auto got =
              store_->get("Service", "load", "w" + std::to_string(w) + "-" + std::to_string(n - 1));
          if (!got.ok() || got->spec != json({{"i", n - 1}})) readerFailures++;
          readerChecks++;
        }
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) threads[w].join();
  done = true;
  for (size_t t = kWriters; t < threads.size(); ++t) threads[t].join();

  for (int w = 0; w < kWriters; ++w) EXPECT_EQ(kPerWriter, committed[w].load());
  EXPECT_EQ(0, readerFailures.load());
  EXPECT_GT(readerChecks.load(), 0);
  auto all = store_->list("Service", std::string("load"));
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(static_cast<size_t>(kWriters * kPerWriter), all->size());
  std::set<int64_t> versions;
  for (const auto& r : *all) versions.insert(r.resourceVersion);
  EXPECT_EQ(all->size(), versions.size()) << "every write gets its own resourceVersion";
}

// Tests that need a file on disk.
class StoreFileTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<Store>> open() { return Store::open(path_, clock_); }
  TempDir dir_;
  std::string path_ = dir_.file("tender.db");
  SimulatedClock clock_;
};

TEST_F(StoreFileTest, ReopeningKeepsDataAndKeepsCounting) {
  int64_t version = 0;
  {
    auto store = open();
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    version = (*store)
                  ->upsert("Service", "default", "web", {}, {{"image", "nginx"}})
                  ->record.resourceVersion;
    (*store)->appendEvent(event("default", "web", "Created"));
  }
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto got = (*store)->get("Service", "default", "web");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(json({{"image", "nginx"}}), got->spec);
  EXPECT_EQ(1u, (*store)->events({})->size());
  auto next = (*store)->upsert("Service", "default", "db", {}, {});
  EXPECT_GT(next->record.resourceVersion, version);
}

TEST_F(StoreFileTest, RequestsAndFactsOutliveTheProcessThatWroteThem) {
  {
    auto store = open();
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE(*(*store)->putRequest(request(kRestartRequest, "web", -1, 100), true));
    ASSERT_TRUE((*store)->mergeContainerFacts("c1", "shop", "web", {{"oomAt", 7}}).ok());
  }
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_EQ(1u, (*store)->requests(kRestartRequest)->size());
  EXPECT_EQ(json({{"oomAt", 7}}), *(*store)->containerFacts("c1"));
}

TEST_F(StoreFileTest, NewFileUsesWalAndIncrementalAutoVacuum) {
  ASSERT_TRUE(open().ok());
  EXPECT_EQ("wal", rawPragma(path_, "journal_mode"));
  EXPECT_EQ("2", rawPragma(path_, "auto_vacuum"));  // 2 = INCREMENTAL
  EXPECT_EQ(std::to_string(store_internal::latestSchemaVersion()), rawPragma(path_, "user_version"));
}

TEST_F(StoreFileTest, FileFromANewerTenderIsRefusedAndLeftAlone) {
  ASSERT_TRUE(open().ok());
  rawSql(path_, "PRAGMA user_version = 99");
  auto store = open();
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("schema version 99"));
  EXPECT_THAT(store.status().message(), HasSubstr("newer"));
  EXPECT_EQ("99", rawPragma(path_, "user_version"));
}

TEST_F(StoreFileTest, FileThatIsNotADatabaseIsRefusedWithItsPath) {
  std::ofstream(path_) << std::string(4096, 'x');
  auto store = open();
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("store: open " + path_));
  EXPECT_THAT(store.status().message(), HasSubstr("not a database"));
}

TEST_F(StoreFileTest, WriteErrorsSayWhatWasBeingDone) {
  auto store = open();
  ASSERT_TRUE(store.ok());
  sqlite3* other = nullptr;
  ASSERT_EQ(SQLITE_OK, sqlite3_open(path_.c_str(), &other));
  ASSERT_EQ(SQLITE_OK, sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr));
  // Waits for the busy timeout, then gives up.
  auto r = (*store)->upsert("Service", "default", "web", {}, {});
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_TRUE(r.status().IsUnavailable()) << r.status().ToString();
  EXPECT_EQ("store: upsert Service/default/web: database is locked", r.status().message());
}

TEST_F(StoreFileTest, TwoStoresInOneThreadKeepTheirOwnData) {
  auto a = Store::open(dir_.file("a.db"), clock_);
  auto b = Store::open(dir_.file("b.db"), clock_);
  ASSERT_TRUE(a.ok() && b.ok());
  (*a)->upsert("Service", "default", "only-a", {}, {});
  (*b)->upsert("Service", "default", "only-b", {}, {});
  EXPECT_THAT(names(*(*a)->list("Service", std::nullopt)), ElementsAre("default/only-a"));
  EXPECT_THAT(names(*(*b)->list("Service", std::nullopt)), ElementsAre("default/only-b"));
}

TEST_F(StoreFileTest, ClosingTheStoreClosesEveryConnection) {
  {
    auto store = open();
    ASSERT_TRUE(store.ok());
    (*store)->upsert("Service", "default", "web", {}, {});
    std::vector<std::thread> readers;
    for (int i = 0; i < 3; ++i) {
      readers.emplace_back([&] { EXPECT_TRUE((*store)->get("Service", "default", "web").ok()); });
    }
    for (auto& t : readers) t.join();
  }
  // SQLite removes the WAL when the last connection to the file closes.
  EXPECT_FALSE(fs::exists(path_ + "-wal"));
}

TEST(StateDirLockTest, SecondAcquireIsConflictNamingTheHolder) {
  TempDir dir;
  auto first = StateDirLock::acquire(dir.path());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = StateDirLock::acquire(dir.path());
  ASSERT_TRUE(second.status().IsConflict()) << second.status().ToString();
  EXPECT_EQ("state directory " + dir.path() + " is in use by another tender server (pid " +
                std::to_string(::getpid()) + ")",
            second.status().message());
}

TEST(StateDirLockTest, IsReleasedWhenDestroyed) {
  TempDir dir;
  {
    auto first = StateDirLock::acquire(dir.path());
    ASSERT_TRUE(first.ok());
  }
  EXPECT_TRUE(StateDirLock::acquire(dir.path()).ok());
}

TEST(StateDirLockTest, CreatesMissingDirectories) {
  TempDir dir;
  const std::string nested = dir.file("a/b/state");
  ASSERT_TRUE(StateDirLock::acquire(nested).ok());
  EXPECT_TRUE(fs::is_directory(nested));
}

}  // namespace
}  // namespace tender

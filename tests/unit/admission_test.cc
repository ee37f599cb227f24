// The admission ledger: what fits, what is refused and why (with the
// numbers), quotas, and that concurrent admissions never overcommit.
#include "reconcilers/admission.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace tender {
namespace {

constexpr int64_t kMi = 1 << 20;

AdmissionRequest request(const std::string& ns, const std::string& service, int replica, int64_t mib) {
  AdmissionRequest r;
  r.ns = ns;
  r.service = service;
  r.replica = replica;
  r.bytes = mib * kMi;
  r.source = "its memory reservation";
  return r;
}

AdmissionConfig host(int64_t mib, double reserve = 0.10) {
  AdmissionConfig c;
  c.hostMemoryBytes = mib * kMi;
  c.systemReserveFraction = reserve;
  return c;
}

TEST(AdmissionLedger, AdmitsWithinTheAllocatableMemoryAndRefusesWithTheNumbers) {
  AdmissionLedger ledger(host(1000), [] { return std::nullopt; });
  EXPECT_EQ(900 * kMi, ledger.allocatableBytes());
  EXPECT_TRUE(ledger.admit(request("shop", "db", 0, 500)).admitted);
  EXPECT_TRUE(ledger.admit(request("shop", "api", 0, 300)).admitted);
  auto refused = ledger.admit(request("shop", "web", 0, 200));
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ("InsufficientMemory", refused.reason);
  EXPECT_EQ("replica 0 of web needs 200.0MiB (its memory reservation): 800.0MiB of the host's 900.0MiB "
            "allocatable is reserved (100.0MiB free; 1000.0MiB minus a 10% system reserve)",
            refused.message);
  EXPECT_EQ(800 * kMi, ledger.reservedBytes());
  EXPECT_TRUE(ledger.admit(request("shop", "db", 0, 500)).admitted) << "a replica that holds memory keeps it";
}

TEST(AdmissionLedger, MemAvailableMustExceedTheRequestTimesTheHeadroom) {
  int64_t available = 100 * kMi;
  AdmissionLedger ledger(host(0), [&] { return std::optional<int64_t>(available); });
  auto refused = ledger.admit(request("shop", "db", 0, 90));
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ("replica 0 of db needs 90.0MiB (its memory reservation): the host has 100.0MiB available, "
            "less than that times the headroom of 1.2 (108.0MiB)",
            refused.message);
  available = 200 * kMi;
  EXPECT_TRUE(ledger.admit(request("shop", "db", 0, 90)).admitted);
}

TEST(AdmissionLedger, NamespaceQuotasHoldTheSameWay) {
  AdmissionLedger ledger(host(0), [] { return std::nullopt; });
  auto quota = [](AdmissionRequest r) {
    r.quotaMemory = 256 * kMi;
    r.quotaServices = 2;
    return r;
  };
  EXPECT_TRUE(ledger.admit(quota(request("alice", "db", 0, 128))).admitted);
  EXPECT_TRUE(ledger.admit(quota(request("alice", "api", 0, 64))).admitted);
  EXPECT_TRUE(ledger.admit(quota(request("alice", "api", 1, 64))).admitted) << "a second replica is not a new service";
  auto third = ledger.admit(quota(request("alice", "web", 0, 16)));
  EXPECT_FALSE(third.admitted);
  EXPECT_EQ("QuotaExceeded", third.reason);
  EXPECT_EQ("replica 0 of web needs 16.0MiB (its memory reservation): namespace alice's quota allows 2 services, "
            "and 2 run already (api, db)",
            third.message);
  auto more = ledger.admit(quota(request("alice", "api", 2, 64)));
  EXPECT_FALSE(more.admitted);
  EXPECT_EQ("replica 2 of api needs 64.0MiB (its memory reservation): namespace alice's memory quota is "
            "256.0MiB, of which 256.0MiB is reserved (0B left)",
            more.message);
  EXPECT_TRUE(ledger.admit(request("bob", "web", 0, 512)).admitted) << "another namespace has its own quota";
}

TEST(AdmissionLedger, GivingMemoryBackTellsTheRefusedServices) {
  AdmissionLedger ledger(host(100, 0), [] { return std::nullopt; });
  std::vector<std::string> told;
  ledger.setOnFreed([&](const std::string& ns, const std::string& s) { told.push_back(ns + "/" + s); });
  ASSERT_TRUE(ledger.admit(request("shop", "db", 0, 80)).admitted);
  ASSERT_FALSE(ledger.admit(request("shop", "web", 0, 50)).admitted);
  ledger.release("shop", "nothing", 0);
  EXPECT_TRUE(told.empty()) << "nothing was given back";
  ledger.releaseService("shop", "db");
  EXPECT_EQ(std::vector<std::string>{"shop/web"}, told);
  EXPECT_TRUE(ledger.admit(request("shop", "web", 0, 50)).admitted);
}

TEST(AdmissionLedger, ConcurrentAdmissionsNeverOvercommit) {
  AdmissionLedger ledger(host(1000, 0), [] { return std::nullopt; });
  std::atomic<int> admitted{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < 50; ++i) {
        if (ledger.admit(request("shop", "s" + std::to_string(w), i, 7)).admitted) ++admitted;
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(142, admitted.load()) << "1000 MiB holds 142 replicas of 7 MiB";
  EXPECT_LE(ledger.reservedBytes(), 1000 * kMi);
}

}  // namespace
}  // namespace tender

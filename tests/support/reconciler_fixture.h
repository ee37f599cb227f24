// A fixture for reconciler unit tests: the in-memory engine (with the test
// image), a real SQLite file in a fresh temporary directory, a SimulatedClock,
// and a ServiceReconciler of instance "test".
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "tests/support/fake_docker_engine.h"
#include "manifests/manifest.h"
#include "reconcilers/service_reconciler.h"
#include "store/store.h"
#include "tests/support/simulated_clock.h"

namespace tender::testing {

class ReconcilerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tender-rec-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = Store::open((dir_ / "tender.db").string(), clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    engine_.addImage("tender-busybox:latest", "sha256:aaaa");
    ServiceReconcilerOptions o;
    o.instance = "test";
    services_ = std::make_unique<ServiceReconciler>(*store_, engine_, clock_, gate_, o);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Stores the manifests' objects as the API's apply does (no reconcile).
  void apply(const std::string& yaml) {
    auto parsed = parseManifests(yaml);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    for (const auto& r : *parsed) {
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [k, v] : r.metadata.labels) labels[k] = v;
      const std::string ns = r.kind == "Namespace" ? "" : r.metadata.namespace_;
      ASSERT_TRUE(store_->upsert(r.kind, ns, r.metadata.name, labels, encodeSpec(r)).ok());
    }
  }

  std::filesystem::path dir_;
  SimulatedClock clock_;
  FakeDockerEngine engine_{&clock_};
  StartGate gate_{2};
  std::unique_ptr<Store> store_;
  std::unique_ptr<ServiceReconciler> services_;
};

}  // namespace tender::testing

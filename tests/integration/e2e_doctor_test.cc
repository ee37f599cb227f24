// `tender doctor` against the real engine and a real server: a state
// directory with the modes tender makes passes, one other users may read
// is a WARN, one they may write in a FAIL (exit code 1).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/cli_run.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using testing::runTender;
using testing::TenderProcess;
using testing::uniqueName;
namespace fs = std::filesystem;

class DoctorE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TenderProcess>(uniqueName("doctor"));
    ASSERT_TRUE(server_->start()) << "see " << server_->logPath();
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(server_->stateDir(), fs::perms::owner_all, ec);
    server_->stop();
  }
  testing::CliRun doctor() {
    return runTender("doctor --state-dir " + server_->stateDir() + " --server " + server_->url());
  }
  std::unique_ptr<TenderProcess> server_;
};

TEST_F(DoctorE2E, AStateDirectoryAsTenderMakesItPasses) {
  EXPECT_EQ(fs::status(server_->stateDir()).permissions() & fs::perms::all, fs::perms::owner_all)
      << "tender serve makes its state directory 0700";
  auto r = doctor();
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_NE(r.out.find("OK    engine           answers in "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("engine version   Docker "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OK    state directory  " + server_->stateDir() + " mode 0700"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("OK    token files      " + server_->adminTokenPath() + " mode 0600"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("OK    server           answers at " + server_->url()), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("reserved by admitted replicas"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OK    clock"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OK    listen address"), std::string::npos) << r.out;
}

TEST_F(DoctorE2E, AStateDirectoryOthersMayReadWarnsAndOneTheyMayWriteFails) {
  fs::permissions(server_->stateDir(), static_cast<fs::perms>(0755));
  auto r = doctor();
  EXPECT_NE(r.out.find("WARN  state directory  " + server_->stateDir() + " mode 0755"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.exitCode, 0) << "a WARN is allowed\n" << r.out;

  fs::permissions(server_->stateDir(), static_cast<fs::perms>(0777));
  r = doctor();
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_NE(r.out.find("FAIL  state directory  " + server_->stateDir() + " mode 0777"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("      -> chmod 700 " + server_->stateDir()), std::string::npos) << r.out;
}

TEST_F(DoctorE2E, AnEngineThatDoesNotAnswerFails) {
  auto r = runTender("doctor --state-dir " + server_->stateDir() + " --server " + server_->url() +
                     " --engine unix:///nonexistent/docker.sock");
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_NE(r.out.find("FAIL  engine           unix:///nonexistent/docker.sock does not answer"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace tender

// Which token the CLI sends: --token or TENDER_TOKEN, then TENDER_TOKEN_FILE,
// then the default state directory's admin.token when readable, then the
// installed daemon's.
#include "cli/token_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "base/private_file.h"

namespace tender {
namespace {

class TokenSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tender-tokensrc-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(writePrivateFile(path("file.token"), "from-the-env-file\n").ok());
    ASSERT_TRUE(writePrivateFile(path("admin.token"), "from-the-state-dir\n").ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(TokenSourceTest, TheFirstSourceGivenWins) {
  struct Row {
    const char* what;
    TokenSources sources;
    const char* token;
  } rows[] = {
      {"flag over all", {"from-the-flag", path("file.token"), path("admin.token")}, "from-the-flag"},
      {"env file over the state dir", {"", path("file.token"), path("admin.token")}, "from-the-env-file"},
      {"the state dir's admin token", {"", std::nullopt, path("admin.token")}, "from-the-state-dir"},
      {"an empty env file name is none", {"", std::string(), path("admin.token")}, "from-the-state-dir"},
      {"no admin token: none", {"", std::nullopt, path("missing")}, ""},
      {"then the installed daemon's", {"", std::nullopt, path("missing"), path("admin.token")}, "from-the-state-dir"},
      {"the working directory's first", {"", std::nullopt, path("admin.token"), path("file.token")}, "from-the-state-dir"},
      {"nothing at all", {"", std::nullopt, ""}, ""},
  };
  for (const Row& r : rows) {
    auto t = clientToken(r.sources);
    ASSERT_TRUE(t.ok()) << r.what << ": " << t.status().ToString();
    EXPECT_EQ(r.token, *t) << r.what;
  }
}

TEST_F(TokenSourceTest, ANamedFileThatCannotBeReadOrOthersMayReadIsAnError) {
  auto missing = clientToken({"", path("missing"), path("admin.token")});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(std::string::npos, missing.status().message().find("TENDER_TOKEN_FILE")) << missing.status().message();

  ::chmod(path("file.token").c_str(), 0644);
  auto shared = clientToken({"", path("file.token"), ""});
  ASSERT_FALSE(shared.ok());
  EXPECT_NE(std::string::npos, shared.status().message().find("chmod 600")) << shared.status().message();

  ::chmod(path("admin.token").c_str(), 0644);
  auto sharedAdmin = clientToken({"", std::nullopt, path("admin.token")});
  EXPECT_FALSE(sharedAdmin.ok()) << "an admin token others may read is not sent";
}

TEST(IsLoopbackServer, OnlyThisHostsLoopbackGetsTheLocalAdminToken) {
  for (const char* url : {"http://127.0.0.1:7420", "https://localhost:7420/", "http://[::1]:7420",
                          "http://127.0.0.53:80/prefix"})
    EXPECT_TRUE(isLoopbackServer(url)) << url;
  for (const char* url : {"https://vm2.example:7420", "http://10.0.0.5:7420", "http://localhost.evil.example:1",
                          "http://127.0.0.1.evil.example", "unix:/run/tender/api.sock", "127.0.0.1:7420"})
    EXPECT_FALSE(isLoopbackServer(url)) << url;
}

}  // namespace
}  // namespace tender

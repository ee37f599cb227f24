// Token files re-read by a running server, on a real file: a change is
// taken without a restart, a broken file keeps the tokens in force, and
// the admin's token survives every reload.
#include "api/live_tokens.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace tender {
namespace {

namespace fs = std::filesystem;

constexpr const char* kAdminToken = "admin-0123456789abcdef";
constexpr const char* kAlice = "alice-0123456789abcdef";
constexpr const char* kBob = "bob-0123456789abcdefgh";

class LiveTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "tender-tokens-test-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    file_ = dir_ + "/tokens";
    write(std::string(kAlice) + " alice alice-dev\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& text, fs::perms mode = fs::perms::owner_read | fs::perms::owner_write) {
    // A new file renamed over the old one, as editors and config tools do.
    const std::string tmp = file_ + ".new";
    std::ofstream(tmp) << text;
    fs::permissions(tmp, mode);
    fs::rename(tmp, file_);
  }
  static Result<Principal> who(const LiveTokens& tokens, const std::string& token) {
    HttpRequest req;
    req.headers["authorization"] = "Bearer " + token;
    return tokens.authenticate(req);
  }
  LiveTokens make() {
    Principal admin;
    admin.name = "local-admin";
    admin.allNamespaces = true;
    return LiveTokens(kAdminToken, admin, file_);
  }

  std::string dir_, file_;
};

TEST_F(LiveTokensTest, AChangedFileIsTakenWithoutARestart) {
  LiveTokens tokens = make();
  ASSERT_TRUE(tokens.reload().ok());
  EXPECT_EQ("alice", who(tokens, kAlice)->name);
  EXPECT_FALSE(who(tokens, kBob).ok());
  EXPECT_TRUE(tokens.reloadIfChanged().ok()) << "unchanged: nothing to do";

  write(std::string(kBob) + " bob bob-dev\n");
  ASSERT_TRUE(tokens.reloadIfChanged().ok());
  EXPECT_EQ("bob", who(tokens, kBob)->name);
  EXPECT_TRUE(who(tokens, kAlice).status().code() == Status::Code::kUnauthorized)
      << "a token taken out of the file no longer works";
  EXPECT_EQ("local-admin", who(tokens, kAdminToken)->name);
}

TEST_F(LiveTokensTest, ABrokenFileKeepsTheTokensInForceAndSaysWhy) {
  LiveTokens tokens = make();
  ASSERT_TRUE(tokens.reload().ok());
  write("short alice alice-dev\n");
  Status bad = tokens.reloadIfChanged();
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(std::string::npos, bad.message().find("line 1")) << bad.ToString();
  EXPECT_EQ("alice", who(tokens, kAlice)->name);

  write(std::string(kBob) + " bob bob-dev\n", fs::perms::owner_read | fs::perms::owner_write |
                                                 fs::perms::others_read);
  Status open = tokens.reloadIfChanged();
  EXPECT_FALSE(open.ok());
  EXPECT_NE(std::string::npos, open.message().find("chmod 600")) << open.ToString();
  EXPECT_FALSE(who(tokens, kBob).ok());

  write(std::string(kBob) + " local-admin *\n");
  Status taken = tokens.reloadIfChanged();
  EXPECT_FALSE(taken.ok());
  EXPECT_NE(std::string::npos, taken.message().find("local-admin")) << taken.ToString();
  EXPECT_EQ("alice", who(tokens, kAlice)->name);
  EXPECT_EQ("local-admin", who(tokens, kAdminToken)->name);
}

TEST_F(LiveTokensTest, WithoutAFileOnlyTheAdminsTokenWorks) {
  Principal admin;
  admin.name = "local-admin";
  admin.allNamespaces = true;
  LiveTokens tokens(kAdminToken, admin, "");
  EXPECT_TRUE(tokens.reload().ok());
  EXPECT_TRUE(tokens.reloadIfChanged().ok());
  EXPECT_EQ("local-admin", who(tokens, kAdminToken)->name);
  EXPECT_FALSE(who(tokens, kAlice).ok());
}

}  // namespace
}  // namespace tender

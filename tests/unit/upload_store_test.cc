// Uploaded build contexts on a real folder: named by digest, bounded, and
// swept once no service names them.
#include "store/upload_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/sha256.h"

namespace tender {
namespace {

namespace fs = std::filesystem;

// A tar of `blocks` 512-byte blocks: a ustar header, then zeros.
std::string tarOf(size_t blocks, char fill = 'x') {
  std::string t(blocks * 512, '\0');
  t[0] = fill;
  t.replace(257, 5, "ustar");
  return t;
}

class UploadStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("tender-contexts-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(UploadStoreTest, AnUploadIsNamedByItsDigestAndReadBack) {
  UploadStore store(root_.string());
  const std::string tar = tarOf(4);
  auto stored = store.put("shop", tar);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->digest, "sha256:" + sha256Hex(tar));
  EXPECT_EQ(stored->bytes, 2048);
  EXPECT_TRUE(stored->created);
  EXPECT_TRUE(store.contains("shop", stored->digest));
  EXPECT_FALSE(store.contains("other", stored->digest));
  auto back = store.read("shop", stored->digest);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, tar);
  auto again = store.put("shop", tar);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->digest, stored->digest);
  EXPECT_EQ(store.namespaceBytes("shop"), 2048);
  // Only the server's user reads them.
  struct stat st;
  ASSERT_EQ(::stat((root_ / "shop").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((root_ / "shop" / (stored->digest.substr(7) + ".tar")).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(UploadStoreTest, ReadingWhatWasNeverUploadedNamesTheNamespace) {
  UploadStore store(root_.string());
  auto r = store.read("shop", "sha256:" + std::string(64, 'a'));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
  EXPECT_NE(r.status().message().find("was uploaded to namespace shop"), std::string::npos);
}

TEST_F(UploadStoreTest, WhatIsNotATarIsRefused) {
  UploadStore store(root_.string());
  for (const std::string& body : {std::string(), std::string("FROM scratch\n"),
                                  std::string(1024, 'x'), tarOf(2).substr(0, 1000)}) {
    auto r = store.put("shop", body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Status::Code::kInvalid);
    EXPECT_NE(r.status().message().find("not a tar archive"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(root_ / "shop"));
}

TEST_F(UploadStoreTest, AnUploadPastEitherLimitIsRefusedNamingIt) {
  UploadLimits limits;
  limits.maxBytes = 4 * 512;
  limits.maxNamespaceBytes = 6 * 512;
  UploadStore store(root_.string(), limits);
  auto big = store.put("shop", tarOf(5));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), Status::Code::kTooLarge);
  EXPECT_NE(big.status().message().find("--max-build-context-size"), std::string::npos);
  ASSERT_TRUE(store.put("shop", tarOf(4, 'a')).ok());
  auto over = store.put("shop", tarOf(4, 'b'));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), Status::Code::kTooLarge);
  EXPECT_NE(over.status().message().find("namespace shop holds"), std::string::npos)
      << over.status().message();
  // Another namespace has a budget of its own.
  EXPECT_TRUE(store.put("other", tarOf(4, 'b')).ok());
}

TEST_F(UploadStoreTest, SweepRemovesOnlyOldContextsNoServiceNames) {
  UploadStore store(root_.string());
  auto named = store.put("shop", tarOf(2, 'a'));
  auto unnamedOld = store.put("shop", tarOf(2, 'b'));
  auto unnamedYoung = store.put("shop", tarOf(2, 'c'));
  auto elsewhere = store.put("gone", tarOf(2, 'd'));
  ASSERT_TRUE(named.ok() && unnamedOld.ok() && unnamedYoung.ok() && elsewhere.ok());
  const auto old = fs::file_time_type::clock::now() - std::chrono::hours(2);
  for (const auto* c : {&*named, &*unnamedOld}) {
    fs::last_write_time(root_ / "shop" / (c->digest.substr(7) + ".tar"), old);
  }
  fs::last_write_time(root_ / "gone" / (elsewhere->digest.substr(7) + ".tar"), old);
  std::ofstream(root_ / "shop" / "abc.tar.tmp123") << "half";
  fs::last_write_time(root_ / "shop" / "abc.tar.tmp123", old);

  auto removed = store.sweep({{"shop", named->digest}}, std::chrono::hours(1));
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 2);
  EXPECT_TRUE(store.contains("shop", named->digest));
  EXPECT_FALSE(store.contains("shop", unnamedOld->digest));
  EXPECT_TRUE(store.contains("shop", unnamedYoung->digest));
  EXPECT_FALSE(fs::exists(root_ / "shop" / "abc.tar.tmp123"));
  EXPECT_FALSE(fs::exists(root_ / "gone"));  // left empty, so removed

  // Uploading again renews a context: the next sweep keeps it.
  auto renewed = store.put("shop", tarOf(2, 'c'));
  ASSERT_TRUE(renewed.ok());
  EXPECT_FALSE(renewed->created);
  auto none = store.sweep({{"shop", named->digest}}, std::chrono::minutes(30));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  EXPECT_TRUE(store.contains("shop", unnamedYoung->digest));
}

TEST_F(UploadStoreTest, SweepOfAStoreNeverUsedIsNothing) {
  UploadStore store(root_.string());
  auto removed = store.sweep({}, std::chrono::seconds(0));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 0);
}

}  // namespace
}  // namespace tender

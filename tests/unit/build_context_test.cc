// Build contexts: the tar sent to the engine, and when an image is rebuilt.
#include "reconcilers/build_context.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/fake_docker_engine.h"

namespace tender {
namespace {

namespace fs = std::filesystem;

class BuildContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tender-ctx-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "sub");
    std::ofstream(dir_ / "Dockerfile") << "FROM scratch\n";
    std::ofstream(dir_ / "sub" / "data.txt") << std::string(700, 'x');
  }
  void TearDown() override { fs::remove_all(dir_); }

  static uint64_t octal(const std::string& tar, size_t at, size_t width) {
    return std::stoull(tar.substr(at, width - 1), nullptr, 8);
  }
  fs::path dir_;
};

TEST_F(BuildContextTest, TarHoldsEveryEntryWithValidUstarHeaders) {
  auto tar = tarDirectory(dir_.string());
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  ASSERT_EQ(tar->size() % 512, 0u);
  std::vector<std::string> names;
  size_t at = 0;
  while (at + 512 <= tar->size() && (*tar)[at] != '\0') {
    std::string name(tar->c_str() + at);
    names.push_back(name);
    EXPECT_EQ(tar->substr(at + 257, 5), "ustar") << name;
    unsigned sum = 0;
    for (size_t i = 0; i < 512; ++i) {
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>((*tar)[at + i]);
    }
    EXPECT_EQ(sum, octal(*tar, at + 148, 7)) << "checksum of " << name;
    uint64_t size = octal(*tar, at + 124, 12);
    if (name == "sub/data.txt") {
      EXPECT_EQ(size, 700u);
      EXPECT_EQ(tar->substr(at + 512, 700), std::string(700, 'x'));
    }
    at += 512 + (size + 511) / 512 * 512;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"Dockerfile", "sub/", "sub/data.txt"}));
  // Two zero blocks close the archive.
  EXPECT_EQ(tar->size() - at, 1024u);
}

// The names in a tar, in order.
std::vector<std::string> namesIn(const std::string& tar) {
  std::vector<std::string> names;
  size_t at = 0;
  while (at + 512 <= tar.size() && tar[at] != '\0') {
    names.emplace_back(tar.c_str() + at);
    const uint64_t size = std::stoull(tar.substr(at + 124, 11), nullptr, 8);
    at += 512 + (size + 511) / 512 * 512;
  }
  return names;
}

TEST_F(BuildContextTest, TheContextsDockerignoreLeavesFilesOutButNotTheDockerfile) {
  fs::create_directories(dir_ / "node_modules" / "pkg");
  std::ofstream(dir_ / "node_modules" / "pkg" / "index.js") << "x";
  std::ofstream(dir_ / ".env") << "SECRET=1\n";
  std::ofstream(dir_ / "sub" / "keep.txt") << "k";
  std::ofstream(dir_ / "build.Dockerfile") << "FROM scratch\n";
  std::ofstream(dir_ / ".dockerignore") << "node_modules\n.env\nsub\n!sub/keep.txt\n*Dockerfile\n";
  auto tar = tarDirectory(dir_.string(), "build.Dockerfile");
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  EXPECT_EQ(namesIn(*tar),
            (std::vector<std::string>{".dockerignore", "build.Dockerfile", "sub/keep.txt"}));
}

TEST_F(BuildContextTest, SameTreeGivesTheSameBytes) {
  auto a = tarDirectory(dir_.string());
  auto b = tarDirectory(dir_.string());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST_F(BuildContextTest, MissingContextIsAClearError) {
  auto tar = tarDirectory((dir_ / "nope").string());
  ASSERT_FALSE(tar.ok());
  EXPECT_NE(tar.status().message().find("is not a directory"), std::string::npos);
}

TEST_F(BuildContextTest, ImageIsBuiltOnceAndRebuiltWhenTheBuildSpecChanges) {
  FakeDockerEngine engine;
  ServiceSpec spec;
  spec.build = BuildSpec{dir_.string(), "", {{"V", "1"}}, ""};
  auto first = ensureBuiltImage(engine, "test", "shop", "web", spec);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->built);
  EXPECT_EQ(first->tag, "tender-shop-web:latest");
  auto again = ensureBuiltImage(engine, "test", "shop", "web", spec);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->built);
  EXPECT_EQ(again->id, first->id);
  spec.build->args["V"] = "2";
  auto changed = ensureBuiltImage(engine, "test", "shop", "web", spec);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(changed->built);
  EXPECT_EQ(engine.callCount("buildImage"), 2);
}

}  // namespace
}  // namespace tender

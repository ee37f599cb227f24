// Build contexts: the tar the tender command uploads, and when the server
// builds an image from an upload.
#include "reconcilers/build_context.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "base/context_tar.h"
#include "tests/support/fake_docker_engine.h"
#include "tests/support/tar_names.h"

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

using testing::namesInTar;

TEST_F(BuildContextTest, TheContextsDockerignoreLeavesFilesOutButNotTheDockerfile) {
  fs::create_directories(dir_ / "node_modules" / "pkg");
  std::ofstream(dir_ / "node_modules" / "pkg" / "index.js") << "x";
  std::ofstream(dir_ / ".env") << "SECRET=1\n";
  std::ofstream(dir_ / "sub" / "keep.txt") << "k";
  std::ofstream(dir_ / "build.Dockerfile") << "FROM scratch\n";
  std::ofstream(dir_ / ".dockerignore") << "node_modules\n.env\nsub\n!sub/keep.txt\n*Dockerfile\n";
  auto tar = tarDirectory(dir_.string(), "build.Dockerfile");
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  EXPECT_EQ(namesInTar(*tar),
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

TEST_F(BuildContextTest, ExtraFilesTravelAtTheEnd) {
  auto tar = tarDirectory(dir_.string(), ".dockerfile.abc", {{".dockerfile.abc", "FROM scratch\n"}});
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  EXPECT_EQ(namesInTar(*tar),
            (std::vector<std::string>{"Dockerfile", "sub/", "sub/data.txt", ".dockerfile.abc"}));
  EXPECT_TRUE(looksLikeTar(*tar));
  EXPECT_FALSE(looksLikeTar("FROM scratch\n"));
  EXPECT_TRUE(looksLikeTar(std::string(1024, '\0')));
}

class BuildFromUploadTest : public BuildContextTest {
 protected:
  void SetUp() override {
    BuildContextTest::SetUp();
    contexts_ = std::make_unique<UploadStore>((dir_ / "store").string());
  }
  // Uploads the context folder as it is now; returns its digest.
  std::string upload() {
    auto tar = tarDirectory(dir_.string());
    EXPECT_TRUE(tar.ok());
    auto stored = contexts_->put("shop", *tar);
    EXPECT_TRUE(stored.ok()) << stored.status().ToString();
    return stored->digest;
  }
  FakeDockerEngine engine_;
  std::unique_ptr<UploadStore> contexts_;
};

TEST_F(BuildFromUploadTest, ImageIsBuiltOnceAndRebuiltWhenTheBuildSpecOrTheContextChanges) {
  ServiceSpec spec;
  spec.build = BuildSpec{};
  spec.build->contextDigest = upload();
  spec.build->args = {{"V", "1"}};
  auto first = ensureBuiltImage(engine_, *contexts_, "test", "shop", "web", spec);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->built);
  EXPECT_EQ(first->tag, "tender-shop-web:latest");
  auto again = ensureBuiltImage(engine_, *contexts_, "test", "shop", "web", spec);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->built);
  EXPECT_EQ(again->id, first->id);
  spec.build->args["V"] = "2";
  auto changed = ensureBuiltImage(engine_, *contexts_, "test", "shop", "web", spec);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(changed->built);
  // An edited file is a new upload, so a new build.
  std::ofstream(dir_ / "sub" / "data.txt") << "edited";
  spec.build->contextDigest = upload();
  auto edited = ensureBuiltImage(engine_, *contexts_, "test", "shop", "web", spec);
  ASSERT_TRUE(edited.ok());
  EXPECT_TRUE(edited->built);
  EXPECT_EQ(engine_.callCount("buildImage"), 3);
}

TEST_F(BuildFromUploadTest, AContextUploadedToAnotherNamespaceIsNotFound) {
  ServiceSpec spec;
  spec.build = BuildSpec{};
  spec.build->contextDigest = upload();
  auto built = ensureBuiltImage(engine_, *contexts_, "test", "other", "web", spec);
  ASSERT_FALSE(built.ok());
  EXPECT_TRUE(built.status().IsNotFound());
  EXPECT_NE(built.status().message().find("was uploaded to namespace other"), std::string::npos)
      << built.status().message();
  EXPECT_EQ(engine_.callCount("buildImage"), 0);
}

TEST_F(BuildFromUploadTest, AFolderIsNeverReadByTheServer) {
  ServiceSpec spec;
  spec.build = BuildSpec{};
  spec.build->context = dir_.string();
  auto built = ensureBuiltImage(engine_, *contexts_, "test", "shop", "web", spec);
  ASSERT_FALSE(built.ok());
  EXPECT_NE(built.status().message().find("reads no folder a request names"), std::string::npos)
      << built.status().message();
  EXPECT_EQ(engine_.callCount("buildImage"), 0);
}

}  // namespace
}  // namespace tender

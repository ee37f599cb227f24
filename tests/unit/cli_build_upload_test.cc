// The tender command tars and uploads build folders, and sends digests.
#include "cli/build_upload.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "base/sha256.h"
#include "manifests/manifest.h"
#include "tests/support/tar_names.h"

namespace tender {
namespace {

namespace fs = std::filesystem;

using testing::namesInTar;

class BuildUploadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tender-upload-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "app");
    fs::create_directories(dir_ / "docker");
    std::ofstream(dir_ / "app" / "Dockerfile") << "FROM scratch\n";
    std::ofstream(dir_ / "app" / "main.sh") << "echo hi\n";
    std::ofstream(dir_ / "app" / ".env") << "SECRET=1\n";
    std::ofstream(dir_ / "app" / ".dockerignore") << ".env\n";
    std::ofstream(dir_ / "docker" / "web.Dockerfile") << "FROM scratch\nCOPY main.sh /\n";
    upload_ = [this](const std::string& ns, const std::string& tar) -> Result<std::string> {
      uploads_.push_back({ns, tar});
      if (refuse_) return Status::Forbidden("token \"alice\" may not use namespace \"" + ns + "\"");
      return "sha256:" + sha256Hex(tar);
    };
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<Resource> parse(const std::string& yaml) {
    auto r = parseManifests(yaml);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<Resource>{};
  }
  static std::string service(const std::string& ns, const std::string& name,
                             const std::string& build) {
    return "---\napiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name +
           ", namespace: " + ns + "}\nspec:\n  build: " + build + "\n";
  }

  fs::path dir_;
  struct Sent {
    std::string ns, tar;
  };
  std::vector<Sent> uploads_;
  bool refuse_ = false;
  UploadContext upload_;
};

TEST_F(BuildUploadTest, ARelativeFolderIsTarredUploadedAndNamedByItsDigest) {
  auto resources = parse(service("shop", "web", "{context: ./app, args: {V: '1'}}"));
  ASSERT_TRUE(hasBuildFolders(resources));
  Status s = uploadBuildContexts(resources, dir_.string(), upload_);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(uploads_.size(), 1u);
  EXPECT_EQ(uploads_[0].ns, "shop");
  // .dockerignore keeps the secret out of what leaves the machine.
  EXPECT_EQ(namesInTar(uploads_[0].tar),
            (std::vector<std::string>{".dockerignore", "Dockerfile", "main.sh"}));
  const BuildSpec& b = *resources[0].service().build;
  EXPECT_EQ(b.context, "");
  EXPECT_EQ(b.contextDigest, "sha256:" + sha256Hex(uploads_[0].tar));
  EXPECT_EQ(b.dockerfile, "");
  EXPECT_EQ(b.args.at("V"), "1");
  EXPECT_FALSE(hasBuildFolders(resources));
}

TEST_F(BuildUploadTest, AFolderServicesOfANamespaceShareIsUploadedOnce) {
  auto resources = parse(service("shop", "web", "./app") + service("shop", "worker", "./app/") +
                         service("lab", "web", "./app"));
  ASSERT_TRUE(uploadBuildContexts(resources, dir_.string(), upload_).ok());
  ASSERT_EQ(uploads_.size(), 2u);
  EXPECT_EQ(uploads_[0].ns, "shop");
  EXPECT_EQ(uploads_[1].ns, "lab");
  EXPECT_EQ(resources[0].service().build->contextDigest,
            resources[1].service().build->contextDigest);
}

TEST_F(BuildUploadTest, ADockerfileFromOutsideTheFolderTravelsInTheTar) {
  auto resources =
      parse(service("shop", "web", "{context: app, dockerfile: ../docker/web.Dockerfile}"));
  ASSERT_TRUE(uploadBuildContexts(resources, dir_.string(), upload_).ok());
  ASSERT_EQ(uploads_.size(), 1u);
  const std::string name =
      ".dockerfile." + sha256Hex("FROM scratch\nCOPY main.sh /\n").substr(0, 12);
  EXPECT_EQ(namesInTar(uploads_[0].tar),
            (std::vector<std::string>{".dockerignore", "Dockerfile", "main.sh", name}));
  EXPECT_EQ(resources[0].service().build->dockerfile, name);
}

TEST_F(BuildUploadTest, AnAbsoluteFolderIsUsedAsItIs) {
  auto resources = parse(service("shop", "web", (dir_ / "app").string()));
  ASSERT_TRUE(uploadBuildContexts(resources, "/nowhere", upload_).ok());
  ASSERT_EQ(uploads_.size(), 1u);
}

TEST_F(BuildUploadTest, AMissingFolderNamesTheServiceAndTheField) {
  auto resources = parse(service("shop", "web", "./nope"));
  Status s = uploadBuildContexts(resources, dir_.string(), upload_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("service \"web\": spec.build.context \"./nope\""), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("is not a directory"), std::string::npos) << s.message();
  ASSERT_EQ(s.details().size(), 1u);
  EXPECT_EQ(s.details()[0].field, "spec.build.context");
  EXPECT_TRUE(uploads_.empty());
}

TEST_F(BuildUploadTest, TheServersRefusalComesBackWithItsCode) {
  refuse_ = true;
  auto resources = parse(service("shop", "web", "./app"));
  Status s = uploadBuildContexts(resources, dir_.string(), upload_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kForbidden);
  EXPECT_NE(s.message().find("may not use namespace \"shop\""), std::string::npos) << s.message();
}

TEST_F(BuildUploadTest, ServicesWithAnImageOrADigestAreLeftAlone) {
  auto resources =
      parse(service("shop", "web", "{contextDigest: sha256:" + std::string(64, 'b') + "}"));
  EXPECT_FALSE(hasBuildFolders(resources));
  ASSERT_TRUE(uploadBuildContexts(resources, dir_.string(), upload_).ok());
  EXPECT_TRUE(uploads_.empty());
}

}  // namespace
}  // namespace tender

namespace tender {
namespace {

class FileUploadTest : public BuildUploadTest {
 protected:
  std::vector<Resource> withSecrets(const std::string& secrets) {
    return parse("apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
                 "spec:\n  image: x\n  secrets: " + secrets + "\n");
  }
  LookupVariable env_ = [](const std::string& name) -> std::optional<std::string> {
    if (name == "TOKEN") return std::string("tok");
    return std::nullopt;
  };
};

TEST_F(FileUploadTest, EachSourceIsReadHereUploadedAndNamedByItsDigestOnly) {
  std::ofstream(dir_ / "pw.txt") << "hunter2";
  auto resources = withSecrets("[{name: pw, file: ./pw.txt, mode: \"0400\"}, {name: token, environment: TOKEN}, "
                               "{name: motd, content: hello}]");
  ASSERT_TRUE(hasFilesToUpload(resources));
  Status s = uploadFiles(resources, dir_.string(), env_, upload_);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(uploads_.size(), 3u);
  EXPECT_EQ(uploads_[0].tar, "hunter2");
  EXPECT_EQ(uploads_[1].tar, "tok");
  EXPECT_EQ(uploads_[2].tar, "hello");
  const auto& secrets = resources[0].service().secrets;
  EXPECT_EQ(secrets[0].digest, "sha256:" + sha256Hex("hunter2"));
  EXPECT_EQ(secrets[0].mode, 0400);
  for (const FileMount& m : secrets) {
    EXPECT_TRUE(m.file.empty() && m.environment.empty() && !m.content) << m.name;
  }
  EXPECT_FALSE(hasFilesToUpload(resources));
  EXPECT_EQ(encodeSpec(resources[0]).dump().find("hunter2"), std::string::npos);
}

TEST_F(FileUploadTest, AMissingSourceIsAnErrorNamingTheField) {
  auto missingFile = withSecrets("[{name: pw, file: ./gone.txt}]");
  Status s = uploadFiles(missingFile, dir_.string(), env_, upload_);
  ASSERT_FALSE(s.ok());
  ASSERT_FALSE(s.details().empty());
  EXPECT_EQ(s.details()[0].field, "spec.secrets[0].file");
  auto unset = withSecrets("[{name: pw, environment: NOPE}]");
  s = uploadFiles(unset, dir_.string(), env_, upload_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.details()[0].field, "spec.secrets[0].environment");
  EXPECT_NE(s.message().find("NOPE is not set"), std::string::npos) << s.message();
  EXPECT_TRUE(uploads_.empty());
}

}  // namespace
}  // namespace tender

// Secrets and configs copied into a service's containers: the tar of them
// (targets, owners, modes), and the service reconciler putting it into each
// container before it starts, against the in-memory engine, a real SQLite
// file and a real upload store.
#include "reconcilers/file_mounts.h"

#include <gtest/gtest.h>

#include "engine/labels.h"
#include "reconcilers/service_reconciler.h"
#include "tests/support/reconciler_fixture.h"
#include "tests/support/tar_names.h"

namespace tender {
namespace {

uint64_t octalField(const std::string& tar, size_t at, size_t offset, size_t width) {
  return std::stoull(tar.substr(at + offset, width), nullptr, 8);
}

class FileMountsTest : public testing::ReconcilerFixture {
 protected:
  void SetUp() override {
    ReconcilerFixture::SetUp();
    files_ = std::make_unique<UploadStore>((dir_ / "files").string(), kFileUploadLimits, UploadKind::files());
    ServiceReconcilerOptions o;
    o.instance = "test";
    o.files = files_.get();
    services_ = std::make_unique<ServiceReconciler>(*store_, engine_, clock_, gate_, o);
  }
  std::string upload(const std::string& bytes) {
    auto stored = files_->put("shop", bytes);
    EXPECT_TRUE(stored.ok()) << stored.status().ToString();
    return stored.ok() ? stored->digest : "";
  }
  void applyWeb(const std::string& secretDigest) {
    apply("apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n"
          "  image: tender-busybox:latest\n"
          "  secrets: [{name: db_pw, digest: \"" + secretDigest + "\", uid: 70, gid: 71, mode: \"0400\"}]\n"
          "  configs: [{name: app_conf, digest: \"" + upload("listen 80\n") + "\", target: /etc/app.conf}]\n");
  }
  ReconcileResult reconcile(const std::string& name = "web") {
    return services_->reconcile(Key{"Service", "shop", name});
  }
  std::string containerId(const std::string& name) {
    auto info = engine_.inspectContainer(name);
    return info.ok() ? info->id : "";
  }
  std::unique_ptr<UploadStore> files_;
};

TEST_F(FileMountsTest, TheTarPutsEachFileAtItsTargetWithItsOwnerAndMode) {
  ServiceSpec spec;
  FileMount secret;
  secret.name = "db_pw";
  secret.digest = upload("hunter2");
  secret.uid = 70;
  secret.mode = 0400;
  FileMount config;
  config.name = "app_conf";
  config.digest = upload("x");
  spec.secrets = {secret};
  spec.configs = {config};
  auto tar = fileMountsTar(files_.get(), "shop", spec);
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  EXPECT_EQ(testing::namesInTar(*tar), (std::vector<std::string>{"run/secrets/db_pw", "app_conf"}));
  EXPECT_EQ(octalField(*tar, 0, 100, 7), 0400u);
  EXPECT_EQ(octalField(*tar, 0, 108, 7), 70u);
  EXPECT_EQ(tar->substr(512, 7), "hunter2");
  EXPECT_EQ(octalField(*tar, 1024, 100, 7), 0444u);  // the default mode

  spec.secrets[0].digest = "sha256:" + std::string(64, '0');
  auto missing = fileMountsTar(files_.get(), "shop", spec);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.status().message().find("secret db_pw"), std::string::npos) << missing.status().message();
}

TEST_F(FileMountsTest, EachContainerGetsTheFilesBeforeItStarts) {
  applyWeb(upload("hunter2"));
  ASSERT_TRUE(reconcile().status.ok());
  auto copied = engine_.copiedInto("shop.web.0");
  ASSERT_EQ(copied.size(), 1u);
  EXPECT_EQ(copied[0].first, "/");
  EXPECT_EQ(testing::namesInTar(copied[0].second),
            (std::vector<std::string>{"run/secrets/db_pw", "etc/app.conf"}));
  EXPECT_NE(copied[0].second.find("hunter2"), std::string::npos);
  // Nothing the store keeps of the service holds the secret's bytes.
  auto record = store_->get("Service", "shop", "web");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->spec.dump().find("hunter2"), std::string::npos);
  EXPECT_EQ(record->status.dump().find("hunter2"), std::string::npos);
}

TEST_F(FileMountsTest, AChangedSecretReplacesOnlyTheServicesThatUseIt) {
  applyWeb(upload("hunter2"));
  apply("apiVersion: tender/v1\nkind: Service\nmetadata: {name: other, namespace: shop}\n"
        "spec: {image: tender-busybox:latest}\n");
  ASSERT_TRUE(reconcile().status.ok());
  ASSERT_TRUE(reconcile("other").status.ok());
  const std::string web = containerId("shop.web.0");
  const std::string other = containerId("shop.other.0");
  ASSERT_FALSE(web.empty());

  applyWeb(upload("correct horse"));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(reconcile().status.ok());
    ASSERT_TRUE(reconcile("other").status.ok());
  }
  EXPECT_NE(containerId("shop.web.0"), web);
  EXPECT_EQ(containerId("shop.other.0"), other);
  auto copied = engine_.copiedInto("shop.web.0");
  ASSERT_EQ(copied.size(), 1u);
  EXPECT_NE(copied[0].second.find("correct horse"), std::string::npos);
}

TEST_F(FileMountsTest, AMissingUploadFailsTheServiceNamingTheSecretOnly) {
  applyWeb("sha256:" + std::string(64, 'f'));
  reconcile();
  EXPECT_TRUE(containerId("shop.web.0").empty());
  auto record = store_->get("Service", "shop", "web");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->status.value("phase", ""), "Failed") << record->status.dump();
  EXPECT_EQ(record->status["conditions"][0].value("reason", ""), "SecretMissing") << record->status.dump();
  EXPECT_NE(record->status.value("message", "").find("secret db_pw"), std::string::npos);
}

}  // namespace
}  // namespace tender

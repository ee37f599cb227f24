// Compose's secrets and configs as spec.secrets and spec.configs: where
// each one's bytes are (never the bytes themselves), where it lands, and
// the errors docker compose config gives for the same mistakes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "manifests/compose.h"
#include "manifests/manifest.h"

namespace tender {

void PrintTo(const FieldError& e, std::ostream* os) { *os << e.field << ": " << e.message; }

namespace {

using json = nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;

ComposeOptions options() {
  ComposeOptions o;
  o.folderName = "shop";
  o.projectDir = "/srv/shop";
  o.environment = {{"API_TOKEN", "s3cret-value"}};
  o.readFile = [](const std::string& path) -> Result<std::string> {
    if (path == "/srv/shop/db_password.txt" || path == "/srv/shop/nginx.conf") return std::string("x");
    return Status::NotFound("no such file");
  };
  return o;
}

Result<ComposeProject> load(const std::string& text, const ComposeOptions& o = options()) {
  return loadCompose({ComposeFile{"compose.yaml", text}}, o);
}

json webSpec(const ComposeProject& p) {
  for (const Resource& r : p.resources) {
    if (r.kind == "Service" && r.metadata.name == "web") return encodeResource(r)["spec"];
  }
  ADD_FAILURE() << "no service web";
  return json();
}

std::vector<FieldError> errorsOf(const std::string& text, const ComposeOptions& o = options()) {
  auto p = load(text, o);
  EXPECT_FALSE(p.ok()) << "accepted:\n" << text;
  return p.ok() ? std::vector<FieldError>{} : p.status().details();
}

const char kStack[] = R"(
services:
  web:
    image: nginx
    secrets:
      - db_password
      - source: api_token
        target: token
        uid: "101"
        gid: "101"
        mode: 0440
    configs:
      - nginx_conf
      - source: motd
        target: /etc/motd
secrets:
  db_password: {file: ./db_password.txt}
  api_token: {environment: API_TOKEN}
configs:
  nginx_conf: {file: ./nginx.conf}
  motd: {content: "hello from ${COMPOSE_PROJECT_NAME:-shop}"}
)";

TEST(ComposeSecrets, NameWhereTheBytesAreAndWhereTheyLand) {
  auto p = load(kStack);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->warnings.empty()) << p->warnings.front();
  json spec = webSpec(*p);
  EXPECT_EQ(spec["secrets"], json::parse(R"([
    {"name":"db_password","file":"/srv/shop/db_password.txt"},
    {"name":"api_token","environment":"API_TOKEN","target":"/run/secrets/token","uid":101,"gid":101,"mode":"0440"}
  ])"));
  EXPECT_EQ(spec["configs"], json::parse(R"([
    {"name":"nginx_conf","file":"/srv/shop/nginx.conf"},
    {"name":"motd","content":"hello from shop","target":"/etc/motd"}
  ])"));
  // What convert prints names the variable, never its value.
  EXPECT_THAT(spec.dump(), ::testing::Not(HasSubstr("s3cret-value")));
}

TEST(ComposeSecrets, ConvertedSpecsReadBackAsTheNativeManifest) {
  auto p = load(kStack);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  json list = json::array();
  for (const Resource& r : p->resources) list.push_back(encodeResource(r));
  auto back = parseManifests(list.dump());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  for (size_t i = 0; i < back->size(); ++i) EXPECT_EQ(encodeSpec((*back)[i]), encodeSpec(p->resources[i]));
  const Resource* web = nullptr;
  for (const Resource& r : *back) {
    if (r.metadata.name == "web") web = &r;
  }
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(secretTarget(web->service().secrets[0]), "/run/secrets/db_password");
  EXPECT_EQ(fileMountMode(web->service().secrets[0]), 0444);
  EXPECT_EQ(fileMountMode(web->service().secrets[1]), 0440);
  EXPECT_EQ(configTarget(web->service().configs[0]), "/nginx_conf");
}

TEST(ComposeSecrets, RefusesWhatDockerComposeConfigRefuses) {
  auto errors = errorsOf(R"(
services:
  web:
    image: x
    secrets: [missing, {source: ok, uid: root}]
    configs: [{target: /x}]
secrets:
  ok: {file: ./db_password.txt}
  gone: {file: ./nope.txt}
  unset: {environment: NOT_SET}
  swarm: {external: true}
  empty: {}
  both: {file: ./db_password.txt, environment: API_TOKEN}
)");
  EXPECT_THAT(errors, Contains(FieldError{"services.web.secrets[0]",
                                          "secret \"missing\" is not declared in the top-level secrets"}));
  EXPECT_THAT(errors, Contains(FieldError{"services.web.secrets[1].uid",
                                          "\"root\" is not a numeric user or group ID"}));
  EXPECT_THAT(errors, Contains(FieldError{"services.web.configs[0].source", "is required"}));
  EXPECT_THAT(errors, Contains(FieldError{"secrets.gone.file",
                                          "cannot read \"/srv/shop/nope.txt\": no such file"}));
  EXPECT_THAT(errors, Contains(FieldError{"secrets.unset.environment", "the variable NOT_SET is not set"}));
  EXPECT_THAT(errors, Contains(FieldError{"secrets.swarm.external",
                                          "external secrets are Swarm's and tender has none: give file: or "
                                          "environment:"}));
  EXPECT_THAT(errors, Contains(FieldError{"secrets.empty", "file or environment is required"}));
  EXPECT_THAT(errors, Contains(FieldError{"secrets.both", "give only one of file, environment"}));
}

TEST(ComposeSecrets, TheServerReadsNoSecretFile) {
  ComposeOptions server;  // the API's translation: no files, no environment
  server.projectName = "shop";
  auto errors = errorsOf("services: {web: {image: x, secrets: [pw]}}\nsecrets: {pw: {file: ./pw}}\n", server);
  EXPECT_THAT(errors, Contains(FieldError{"secrets.pw.file",
                                          "secret files are read by the tender command: the server cannot "
                                          "read \"./pw\" (apply with `tender apply -f`)"}));
}

TEST(NativeSecrets, EachFieldIsCheckedWithItsPath) {
  auto r = parseManifests(R"({"apiVersion":"tender/v1","kind":"Service","metadata":{"name":"web"},
    "spec":{"image":"x","readOnlyRootFilesystem":false,"secrets":[
      {"name":"a"},
      {"name":"b","digest":"sha256:abc"},
      {"name":"c","file":"x","content":"y"},
      {"name":"d","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000",
       "target":"relative","mode":"0999","uid":-1}
    ]}})");
  ASSERT_FALSE(r.ok());
  auto errors = r.status().details();
  EXPECT_THAT(errors, Contains(FieldError{"spec.secrets[0]", "one of digest, file, environment or content is required"}));
  EXPECT_THAT(errors, Contains(FieldError{"spec.secrets[1].digest",
                                          "\"sha256:abc\" is not a digest (sha256: and 64 lowercase hex digits)"}));
  EXPECT_THAT(errors, Contains(FieldError{"spec.secrets[2]", "names its bytes more than once: give one of digest, "
                                                             "file, environment or content"}));
  EXPECT_THAT(errors, Contains(FieldError{"spec.secrets[3].target", "\"relative\" is not an absolute path"}));
  EXPECT_THAT(errors, Contains(FieldError{"spec.secrets[3].mode", "\"0999\" is not an octal file mode (0444, 0400...)"}));
  bool uidNamed = false;
  for (const FieldError& e : errors) uidNamed |= e.field == "spec.secrets[3].uid";
  EXPECT_TRUE(uidNamed);
}

TEST(NativeSecrets, AReadOnlyRootFilesystemTakesNone) {
  auto r = parseManifests(R"({"apiVersion":"tender/v1","kind":"Service","metadata":{"name":"web"},
    "spec":{"image":"x","readOnlyRootFilesystem":true,"configs":[{"name":"a","content":"x"}]}})");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().details(), Contains(FieldError{"spec.configs",
      "cannot be used with readOnlyRootFilesystem: tender copies secrets and configs into the container's "
      "filesystem before it starts"}));
}

TEST(NativeSecrets, YamlsLeadingZeroModeIsOctal) {
  auto r = parseManifests("apiVersion: tender/v1\nkind: Service\nmetadata: {name: web}\n"
                          "spec: {image: x, secrets: [{name: a, content: x, mode: 0400}]}\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(fileMountMode(r->front().service().secrets[0]), 0400);
}

}  // namespace
}  // namespace tender

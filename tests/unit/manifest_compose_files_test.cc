// What a Compose file takes from other files (include, extends) and the
// service keys that map onto the newer native fields: each case the path a
// user reads in its error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifests/compose.h"
#include "manifests/manifest.h"

namespace tender {

void PrintTo(const FieldError& e, std::ostream* os) { *os << e.field << ": " << e.message; }

namespace {

using json = nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A project in /p whose other files live in `files`.
ComposeOptions optionsWith(const std::map<std::string, std::string>& files) {
  ComposeOptions o;
  o.folderName = "p";
  o.projectDir = "/p";
  o.environment = {{"FROM_ENV", "env"}};
  o.readFile = [files](const std::string& path) -> Result<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return Status::NotFound("no such file");
    return it->second;
  };
  return o;
}

Result<ComposeProject> load(const std::string& text, const std::map<std::string, std::string>& files = {}) {
  return loadCompose({ComposeFile{"compose.yaml", text}}, optionsWith(files));
}

json serviceSpec(const ComposeProject& p, const std::string& name) {
  for (const Resource& r : p.resources) {
    if (r.kind == "Service" && r.metadata.name == name) return encodeResource(r)["spec"];
  }
  ADD_FAILURE() << "no service " << name;
  return json();
}

std::vector<FieldError> errorsOf(const std::string& text, const std::map<std::string, std::string>& files = {}) {
  auto p = load(text, files);
  EXPECT_FALSE(p.ok()) << "accepted:\n" << text;
  return p.ok() ? std::vector<FieldError>{} : p.status().details();
}

TEST(ComposeExtends, MergesAChainInTheSameFile) {
  auto p = load(R"(
services:
  base:
    image: app
    environment: {A: "1", B: "1"}
    ports: ["80"]
    command: [base]
  mid:
    extends: base
    environment: {B: "2"}
  web:
    extends: {service: mid}
    ports: ["81"]
    command: [web]
)");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(serviceSpec(*p, "web"), json::parse(R"({"image":"app","env":{"A":"1","B":"2"},
      "ports":["80","81"],"command":["web"]})"));
  EXPECT_EQ(serviceSpec(*p, "mid")["env"], json::parse(R"({"A":"1","B":"2"})"));
}

TEST(ComposeExtends, TakesAServiceOfAnotherFileWithItsPathsResolvedThere) {
  auto p = load(R"(
services:
  web:
    extends: {file: common/services.yml, service: app}
    environment: {MODE: web}
volumes: {data: {}}
)",
                {{"/p/common/services.yml", R"(
services:
  app:
    extends: {file: ../base/base.yml, service: root}
    build: ./app
    env_file: app.env
    volumes: ["./conf:/conf:ro", "data:/data"]
)"},
                 {"/p/base/base.yml", "services:\n  root: {environment: {ROOT: \"${FROM_ENV}\"}}\n"},
                 {"/p/common/app.env", "FROM_FILE=1\n"}});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  json web = serviceSpec(*p, "web");
  EXPECT_EQ(web["build"]["context"], "/p/common/app");
  EXPECT_EQ(web["env"], json::parse(R"({"FROM_FILE":"1","MODE":"web","ROOT":"env"})"));
  EXPECT_EQ(web["volumes"][0]["source"], "/p/common/conf");
  EXPECT_EQ(web["volumes"][1]["source"], "data");
}

TEST(ComposeExtends, AnUnknownTargetIsAnErrorNamingThePath) {
  EXPECT_THAT(errorsOf("services:\n  web: {extends: nope, image: x}\n"),
              ElementsAre(FieldError{"services.web.extends", "service \"nope\" is not defined in compose.yaml"}));
  EXPECT_THAT(errorsOf("services:\n  web: {extends: {service: app, file: other.yml}, image: x}\n",
                       {{"/p/other.yml", "services:\n  api: {image: y}\n"}}),
              ElementsAre(FieldError{"services.web.extends.service",
                                     "service \"app\" is not defined in /p/other.yml"}));
  EXPECT_THAT(errorsOf("services:\n  web: {extends: {service: app, file: missing.yml}, image: x}\n"),
              ElementsAre(FieldError{"services.web.extends.file",
                                     "cannot read \"/p/missing.yml\": no such file"}));
  EXPECT_THAT(errorsOf("services:\n  web: {extends: {file: x.yml}, image: x}\n"),
              ElementsAre(FieldError{"services.web.extends.service", "is required"}));
  EXPECT_THAT(errorsOf("services:\n  web: {extends: [a], image: x}\n"),
              ElementsAre(FieldError{"services.web.extends",
                                     "[\"a\"] is not a service name or a mapping with service"}));
}

TEST(ComposeExtends, ACycleIsAnError) {
  auto errors = errorsOf("services:\n  a: {extends: b, image: x}\n  b: {extends: a}\n  c: {extends: c}\n");
  EXPECT_THAT(errors, ::testing::UnorderedElementsAre(
                          FieldError{"services.b.extends",
                                     "extends cycle: compose.yaml:a -> compose.yaml:b -> compose.yaml:a"},
                          FieldError{"services.c.extends", "extends cycle: compose.yaml:c -> compose.yaml:c"}));
}

TEST(ComposeInclude, AddsAProjectWithItsOwnFolderAndDotEnv) {
  auto p = load(R"(
include:
  - db/compose.yaml
  - path: [cache/compose.yaml, cache/override.yaml]
    env_file: cache/settings.env
services:
  web: {image: "web:${TAG:-latest}", depends_on: [db, cache]}
)",
                {{"/p/db/compose.yaml", R"(
services:
  db:
    image: "postgres:${PG_VERSION}"
    volumes: ["db_data:/var/lib/postgresql/data", "./init:/docker-entrypoint-initdb.d:ro"]
volumes:
  db_data: {}
)"},
                 {"/p/db/.env", "PG_VERSION=16\nTAG=from-db\n"},
                 {"/p/cache/compose.yaml", "services:\n  cache: {image: \"redis:${REDIS}\"}\n"},
                 {"/p/cache/override.yaml", "services:\n  cache: {command: [redis-server, --save, \"\"]}\n"},
                 {"/p/cache/settings.env", "REDIS=7\n"}});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(serviceSpec(*p, "web")["image"], "web:latest");  // an include's .env is its own
  json db = serviceSpec(*p, "db");
  EXPECT_EQ(db["image"], "postgres:16");
  EXPECT_EQ(db["volumes"][1]["source"], "/p/db/init");
  EXPECT_EQ(serviceSpec(*p, "cache"), json::parse(R"({"image":"redis:7","command":["redis-server","--save",""]})"));
  bool volume = false;
  for (const Resource& r : p->resources) volume = volume || (r.kind == "Volume" && r.metadata.name == "db_data");
  EXPECT_TRUE(volume);
}

TEST(ComposeInclude, ProjectDirectoryResolvesTheIncludedPaths) {
  auto p = load("include:\n  - {path: lib/compose.yaml, project_directory: lib/root}\nservices: {}\n",
                {{"/p/lib/compose.yaml", "services:\n  job: {build: ., image: job}\n"}});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(serviceSpec(*p, "job")["build"]["context"], "/p/lib/root");
}

TEST(ComposeInclude, CyclesConflictsAndMissingFilesAreErrors) {
  EXPECT_THAT(errorsOf("include: [a.yaml]\nservices: {}\n",
                       {{"/p/a.yaml", "include: [b/b.yaml]\nservices: {}\n"},
                        {"/p/b/b.yaml", "include: [../a.yaml]\nservices: {}\n"}}),
              ElementsAre(FieldError{"/p/b/b.yaml: include[0]",
                                     "include cycle: /p/compose.yaml -> /p/a.yaml -> /p/b/b.yaml -> /p/a.yaml"}));
  EXPECT_THAT(errorsOf("include: [compose.yaml]\nservices: {}\n"),
              ElementsAre(FieldError{"include[0]", "include cycle: /p/compose.yaml -> /p/compose.yaml"}));
  EXPECT_THAT(errorsOf("include: [db.yaml]\nservices:\n  db: {image: mine}\n",
                       {{"/p/db.yaml", "services:\n  db: {image: theirs}\n"}}),
              ElementsAre(FieldError{"services.db", "is defined here and by the included /p/db.yaml, "
                                                    "differently: rename one of them"}));
  EXPECT_THAT(errorsOf("include: [nope.yaml]\nservices: {}\n"),
              ElementsAre(FieldError{"include[0]", "cannot read \"/p/nope.yaml\": no such file"}));
  EXPECT_THAT(errorsOf("include: [{project_directory: x}]\nservices: {}\n"),
              ElementsAre(FieldError{"include[0].path", "is required"}));
  EXPECT_THAT(errorsOf("include: [{path: a.yaml, env_file: missing.env}]\nservices: {}\n",
                       {{"/p/a.yaml", "services: {}\n"}}),
              ElementsAre(FieldError{"include[0].env_file", "cannot read \"/p/missing.env\": no such file"}));
  ComposeOptions server = optionsWith({});
  server.readFile = nullptr;
  auto p = loadCompose({{"<body>", "include: [a.yaml]\nservices: {}\n"}}, server);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().details().at(0).message, HasSubstr("read by the tender command"));
}

TEST(ComposeServiceKeys, ContainerNameBecomesAnAliasWithAWarning) {
  auto p = load("services:\n  web: {image: x, container_name: legacy_web}\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(serviceSpec(*p, "web")["networkAliases"], json::parse(R"({"default":["legacy_web"]})"));
  EXPECT_THAT(p->warnings, ElementsAre("services.web.container_name: tender names containers "
                                       "{project}.{service}.{replica}; \"legacy_web\" is kept as a network "
                                       "alias of the service"));
}

TEST(ComposeServiceKeys, DevelopAndAnnotationsAreAcceptedWithANoteEvenWhenStrict) {
  ComposeOptions o = optionsWith({});
  o.strict = true;
  auto p = loadCompose({{"compose.yaml", "services:\n  web:\n    image: x\n    develop: {watch: []}\n"
                                         "    annotations: {a: b}\n    pull_policy: always\n"}},
                       o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_THAT(p->warnings, Contains(HasSubstr("services.web.develop: accepted; ")));
  EXPECT_THAT(p->warnings, Contains(HasSubstr("services.web.annotations: accepted; ")));
  EXPECT_THAT(p->warnings, Contains(HasSubstr("services.web.pull_policy: accepted; tender never pulls")));
}

TEST(ComposeServiceKeys, BadValuesAreErrorsAtTheirPaths) {
  auto errors = errorsOf(R"(
services:
  web:
    image: x
    volumes_from: [nope, "db:rx", web]
    ipc: service:ghost
    sysctls: 5
    shm_size: lots
    oom_score_adj: 5000
    cpu_shares: 1
    cpuset: "a-b"
    mem_swappiness: 101
    pids_limit: -5
    dns: [not-an-ip]
    healthcheck: {test: [CMD, a], start_interval: 0s}
  db: {image: y}
)");
  EXPECT_THAT(errors, Contains(FieldError{"services.web.volumes_from[0]", "service \"nope\" is not defined"}));
  EXPECT_THAT(errors, Contains(FieldError{"services.web.volumes_from[1]", "\"db:rx\": the mode is not ro or rw"}));
  EXPECT_THAT(errors, Contains(FieldError{"services.web.volumes_from[2]",
                                          "a service cannot share its own namespaces or volumes"}));
  EXPECT_THAT(errors, Contains(FieldError{"services.web.ipc", "service \"ghost\" is not defined"}));
  EXPECT_THAT(errors, Contains(FieldError{"services.web.sysctls", "5 is not a mapping or a list"}));
  EXPECT_THAT(errorsOf("services:\n  web: {image: x, sysctls: [net.core.somaxconn]}\n"),
              ElementsAre(FieldError{"services.web.sysctls.net.core.somaxconn",
                                     "has no value (KEY=VALUE, or KEY: VALUE)"}));
  EXPECT_THAT(errors, Contains(::testing::Field(&FieldError::field, "services.web.shm_size")));
  EXPECT_THAT(errors, Contains(::testing::Field(&FieldError::field, "services.web.oom_score_adj")));
  EXPECT_THAT(errors, Contains(::testing::Field(&FieldError::field, "services.web.cpu_shares")));
  EXPECT_THAT(errors, Contains(FieldError{"services.web.cpuset", "\"a-b\" is not a list of CPUs (\"0-2\", \"0,3\")"}));
  EXPECT_THAT(errors, Contains(::testing::Field(&FieldError::field, "services.web.mem_swappiness")));
  EXPECT_THAT(errors, Contains(::testing::Field(&FieldError::field, "services.web.pids_limit")));
  EXPECT_THAT(errors, Contains(FieldError{"services.web.dns[0]", "\"not-an-ip\" is not an IP address"}));
  EXPECT_THAT(errors, Contains(FieldError{"services.web.healthcheck.start_interval", "\"0s\" must be more than 0"}));
}

TEST(ComposeServiceKeys, VolumesFromAContainerIsWarned) {
  auto p = load("services:\n  web: {image: x, volumes_from: [\"container:other\"]}\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_THAT(p->warnings, ElementsAre(HasSubstr("services.web.volumes_from[0]: not supported by tender")));
}

TEST(ComposeChecks, DependencyCyclesAndSelfDependenciesAreRefused) {
  EXPECT_THAT(errorsOf("services:\n  web: {image: x, depends_on: [api]}\n  api: {image: x, depends_on: [web]}\n"),
              ElementsAre(FieldError{"services.api.depends_on", "dependency cycle: api -> web -> api"}));
  EXPECT_THAT(errorsOf("services:\n  web: {image: x, depends_on: [web]}\n"),
              ElementsAre(FieldError{"services.web.depends_on[0]", "a service cannot depend on itself"}));
  EXPECT_THAT(errorsOf("services:\n  a: {image: x, network_mode: \"service:b\"}\n  b: {image: x, volumes_from: [a]}\n"),
              ElementsAre(FieldError{"services.a.depends_on", "dependency cycle: a -> b -> a"}));
}

}  // namespace
}  // namespace tender

// tests/compose-corpus/: Compose files as real projects write them, read
// from disk by the same client code as `tender convert` (override files
// beside the main one, .env, env_files, includes, extends). Each converts
// with exactly the warnings expected of it, passes the dependency checks,
// and its printed manifests read back as the same resources.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/compose_command.h"
#include "manifests/dependencies.h"
#include "manifests/manifest.h"

namespace tender {
namespace {

using ::testing::HasSubstr;

const std::string kCorpus = std::string(TENDER_SOURCE_DIR) + "/tests/compose-corpus/";

struct Project {
  std::string folder;
  std::vector<std::string> files;  // relative to the folder
  std::vector<std::string> services;
  std::vector<std::string> warnings;  // a substring of each warning, in order
  std::vector<std::string> profiles = {};
};

const std::vector<Project>& corpus() {
  static const std::vector<Project> kProjects = {
      {"wordpress", {"compose.yaml"}, {"db", "wordpress"}, {}},
      {"django-override", {"compose.yaml"}, {"db", "redis", "web"}, {}},
      {"monitoring",
       {"compose.yaml"},
       {"grafana", "node-exporter", "prometheus"},
       {"services.node-exporter.volumes[0]: not supported by tender (volume mode \"rslave\")"}},
      {"elastic-kibana",
       {"compose.yaml"},
       {"es01", "kibana"},
       {"services.es01.container_name: tender names containers",
        "services.kibana.container_name: tender names containers"}},
      {"extends-chain", {"compose.yaml"}, {"api", "mailer", "reports"}, {}},
      {"include-stack", {"compose.yaml"}, {"app", "cache", "database"}, {}},
      {"multi-env", {"base.yml", "prod.yml"}, {"backend", "debug-shell", "frontend"}, {}, {"debug"}},
      {"busybox-shop", {"compose.yaml"}, {"backup", "db", "web"},
       {"services.web.container_name: tender names containers"}},
      {"anchors-profiles", {"compose.yaml"}, {"queue", "worker"}, {}},
  };
  return kProjects;
}

Result<ComposeProject> convert(const Project& project) {
  std::vector<std::string> paths;
  for (const std::string& f : project.files) paths.push_back(kCorpus + project.folder + "/" + f);
  std::istringstream none;
  auto sources = readManifestSources(paths, none);
  if (!sources.ok()) return sources.status();
  ComposeCliOptions options;
  options.profiles = project.profiles;
  return loadComposeSources(*sources, options, {{"HOME", "/home/corpus"}});
}

TEST(ComposeCorpus, EveryProjectConvertsAndReadsBack) {
  for (const Project& project : corpus()) {
    SCOPED_TRACE(project.folder);
    auto p = convert(project);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    std::vector<std::string> services;
    std::vector<ServiceDependencies> graph;
    for (const Resource& r : p->resources) {
      EXPECT_EQ(r.metadata.namespace_, p->name);
      if (r.kind != "Service") continue;
      services.push_back(r.metadata.name);
      graph.push_back({r.metadata.name, r.service().dependsOn, "", true});
    }
    std::sort(services.begin(), services.end());
    EXPECT_EQ(services, project.services);
    EXPECT_THAT(checkDependencies(p->name, graph), ::testing::IsEmpty());
    ASSERT_EQ(p->warnings.size(), project.warnings.size()) << ::testing::PrintToString(p->warnings);
    for (size_t i = 0; i < project.warnings.size(); ++i) EXPECT_THAT(p->warnings[i], HasSubstr(project.warnings[i]));

    // What `tender convert` prints, `tender apply -f` takes back unchanged.
    auto back = parseManifests(renderManifests(p->resources, "yaml"), ParseOptions{});
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ASSERT_EQ(back->size(), p->resources.size());
    for (size_t i = 0; i < back->size(); ++i) {
      EXPECT_EQ(encodeResource((*back)[i]), encodeResource(p->resources[i]));
    }
  }
}

TEST(ComposeCorpus, TheProjectsSayWhatTheirFilesSay) {
  auto find = [](const ComposeProject& p, const std::string& name) {
    for (const Resource& r : p.resources) {
      if (r.kind == "Service" && r.metadata.name == name) return encodeResource(r)["spec"];
    }
    return nlohmann::json();
  };
  auto wordpress = convert(corpus()[0]);
  ASSERT_TRUE(wordpress.ok());
  EXPECT_EQ(find(*wordpress, "wordpress")["ports"][0], "8081:80");  // from .env
  EXPECT_EQ(find(*wordpress, "wordpress")["dependsOn"]["db"]["condition"], "healthy");

  auto django = convert(corpus()[1]);
  ASSERT_TRUE(django.ok());
  nlohmann::json web = find(*django, "web");
  EXPECT_EQ(web["command"][0], "python");                    // the override's
  EXPECT_EQ(web["env"]["DEBUG"], "1");
  EXPECT_EQ(web["env"]["SECRET_KEY"], "dev-only");           // env_file
  EXPECT_EQ(web["build"]["context"], kCorpus + "django-override/app");

  auto chain = convert(corpus()[4]);
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  nlohmann::json reports = find(*chain, "reports");
  EXPECT_EQ(reports["env"]["QUEUE"], "reports");
  EXPECT_EQ(reports["env"]["LOG_FORMAT"], "json");
  EXPECT_EQ(reports["labels"]["com.example.team"], "data");
  EXPECT_EQ(reports["dependsOn"]["api"]["condition"], "healthy");

  auto include = convert(corpus()[5]);
  ASSERT_TRUE(include.ok()) << include.status().ToString();
  EXPECT_EQ(find(*include, "database")["env"]["DB_NAME"], "orders");  // db/.env
  EXPECT_EQ(find(*include, "database")["env"]["DB_USER"], "orders");  // db/db.env
  EXPECT_EQ(find(*include, "database")["volumes"][1]["source"], kCorpus + "include-stack/db/initdb");
  EXPECT_EQ(find(*include, "cache")["env"]["CACHE_MB"], "64");        // cache/cache.env

  auto shop = convert(corpus()[7]);
  ASSERT_TRUE(shop.ok()) << shop.status().ToString();
  EXPECT_EQ(find(*shop, "backup")["volumesFrom"][0], "db:ro");
  EXPECT_EQ(find(*shop, "backup")["ipc"], "service:db");
  EXPECT_EQ(find(*shop, "web")["networkAliases"]["default"][0], "shop_web");
}

}  // namespace
}  // namespace tender

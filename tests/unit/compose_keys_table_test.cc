// docs/compose-keys.md is the list of every Compose key and what tender
// does with it; this test reads that table and holds each row to its word:
// an implemented key fills its native field, a warned one warns naming the
// key (and --strict refuses it), a noted one notes it (and --strict accepts
// it). Planned rows are skipped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifests/compose.h"
#include "manifests/manifest.h"
#include "manifests/yaml_to_json.h"

namespace tender {
namespace {

using json = nlohmann::json;

struct Row {
  std::string section;  // services, networks, volumes, secrets, configs
  std::string key;      // "healthcheck.start_interval"
  std::string status;
  std::string example;  // a flow mapping
  std::string native;   // "spec.cpuShares" or "-"
  int line = 0;
};

std::string trim(std::string s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '`')) s.erase(s.begin());
  while (!s.empty() && (s.back() == ' ' || s.back() == '`')) s.pop_back();
  return s;
}

std::vector<Row> readTable() {
  std::ifstream in(std::string(TENDER_SOURCE_DIR) + "/docs/compose-keys.md");
  EXPECT_TRUE(in.good()) << "docs/compose-keys.md cannot be read";
  std::vector<Row> rows;
  std::string line, section;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.rfind("## ", 0) == 0) section = line.substr(3);
    if (line.rfind("| ", 0) != 0 || line.rfind("| key |", 0) == 0) continue;
    std::vector<std::string> cells;
    std::stringstream cellsIn(line.substr(1));
    std::string cell;
    while (std::getline(cellsIn, cell, '|')) cells.push_back(trim(cell));
    EXPECT_GE(cells.size(), 5u) << "docs/compose-keys.md:" << n << " has too few columns";
    if (cells.size() < 5) continue;
    rows.push_back({section, cells[0], cells[1], cells[2], cells[3], n});
  }
  return rows;
}

json flow(const std::string& text) {
  auto docs = yamlToJson(text);
  EXPECT_TRUE(docs.ok() && docs->size() == 1 && (*docs)[0].is_object()) << text;
  return docs.ok() && docs->size() == 1 ? (*docs)[0] : json::object();
}

// The test project of the page's header, with the row's example merged in.
std::string projectFor(const Row& row) {
  json web = {{"image", "tender-busybox:latest"}};
  json network = json::object();
  json volume = json::object();
  json secret = row.section == "secrets" ? json::object() : json{{"environment", "TOKEN"}};
  json config = row.section == "configs" ? json::object() : json{{"content", "a=1"}};
  json example = flow(row.example);
  json& into = row.section == "services" ? web
               : row.section == "networks" ? network
               : row.section == "secrets"  ? secret
               : row.section == "configs"  ? config
                                           : volume;
  for (const auto& [k, v] : example.items()) into[k] = v;
  if (row.section == "secrets") web["secrets"] = {"token"};
  if (row.section == "configs") web["configs"] = {"app"};
  if (row.section == "networks" && !web.contains("networks")) web["networks"] = {"front"};
  if (row.section == "volumes" && !web.contains("volumes")) web["volumes"] = {"data:/data"};
  json doc = {{"services",
               {{"web", web}, {"db", {{"image", "db"}, {"environment", {{"FROM_DB", "1"}}}}}}},
              {"networks", {{"front", network}}},
              {"volumes", {{"data", volume}}},
              {"secrets", {{"token", secret}}},
              {"configs", {{"app", config}}}};
  return doc.dump();
}

ComposeOptions options(bool strict) {
  ComposeOptions o;
  o.projectName = "keys";
  o.projectDir = "/p";
  o.profiles = {"debug"};
  o.environment = {{"TOKEN", "t"}, {"APP_CONFIG", "a=1"}};
  o.strict = strict;
  o.readFile = [](const std::string& path) -> Result<std::string> {
    if (path.size() > 4 && path.compare(path.size() - 4, 4, ".env") == 0) return std::string("FROM_FILE=1\n");
    if (path == "/p/token.txt" || path == "/p/app.conf") return std::string("x");
    return Status::NotFound("no such file");
  };
  return o;
}

const Resource* resourceOf(const ComposeProject& p, const Row& row) {
  // A secret's or config's keys show in the service that uses it.
  const bool service = row.section == "services" || row.section == "secrets" || row.section == "configs";
  const std::string kind = service ? "Service" : row.section == "networks" ? "Network" : "Volume";
  const std::string name = service ? "web" : row.section == "networks" ? "front" : "data";
  for (const Resource& r : p.resources) {
    if (r.kind == kind && r.metadata.name == name) return &r;
  }
  return nullptr;
}

bool anyWarningStartsWith(const ComposeProject& p, const std::string& prefix) {
  for (const std::string& w : p.warnings) {
    if (w.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(ComposeKeysTable, EveryRowDoesWhatThePageSays) {
  std::vector<Row> rows = readTable();
  ASSERT_GT(rows.size(), 100u);
  for (const Row& row : rows) {
    SCOPED_TRACE("docs/compose-keys.md:" + std::to_string(row.line) + " " + row.section + "." + row.key);
    if (row.status == "planned") continue;
    const std::string owner = row.section == "services"   ? "services.web"
                              : row.section == "networks" ? "networks.front"
                              : row.section == "secrets"  ? "secrets.token"
                              : row.section == "configs"  ? "configs.app"
                                                          : "volumes.data";
    const std::string path = owner + "." + row.key;
    const std::string text = projectFor(row);
    auto p = loadCompose({ComposeFile{"compose.yaml", text}}, options(false));
    if (row.status == "refused") {  // an error at its path, as docker compose config gives
      ASSERT_FALSE(p.ok()) << text;
      bool named = false;
      for (const FieldError& e : p.status().details()) named = named || e.field == path;
      EXPECT_TRUE(named) << p.status().ToString();
      continue;
    }
    ASSERT_TRUE(p.ok()) << p.status().ToString() << "\n" << text;
    if (row.status == "implemented") {
      ASSERT_NE(row.native, "-");
      const Resource* r = resourceOf(*p, row);
      ASSERT_NE(r, nullptr);
      json encoded = encodeResource(*r);
      std::string pointer;
      std::stringstream parts(row.native);
      std::string part;
      while (std::getline(parts, part, '.')) pointer += "/" + part;
      EXPECT_TRUE(encoded.contains(json::json_pointer(pointer)))
          << row.native << " is not in " << encoded.dump();
      EXPECT_FALSE(anyWarningStartsWith(*p, path + ": not supported")) << text;
    } else if (row.status == "warned") {
      EXPECT_TRUE(anyWarningStartsWith(*p, path + ": not supported by tender")) << text;
      auto strict = loadCompose({ComposeFile{"compose.yaml", text}}, options(true));
      ASSERT_FALSE(strict.ok());
      bool named = false;
      for (const FieldError& e : strict.status().details()) named = named || e.field == path;
      EXPECT_TRUE(named) << strict.status().ToString();
    } else if (row.status == "ignored-with-note") {
      EXPECT_TRUE(anyWarningStartsWith(*p, path + ": accepted; ")) << text;
      EXPECT_TRUE(loadCompose({ComposeFile{"compose.yaml", text}}, options(true)).ok());
    } else {
      ADD_FAILURE() << "unknown status " << row.status;
    }
  }
}

// The figures the README quotes: how many service keys are implemented.
TEST(ComposeKeysTable, CountsTheServiceKeys) {
  int implemented = 0, warned = 0, noted = 0, planned = 0;
  for (const Row& row : readTable()) {
    if (row.section != "services" || row.key.find('.') != std::string::npos) continue;
    implemented += row.status == "implemented";
    warned += row.status == "warned";
    noted += row.status == "ignored-with-note";
    planned += row.status == "planned";
  }
  std::cout << "service keys: " << implemented << " implemented, " << warned << " warned, " << noted
            << " ignored with a note, " << planned << " planned\n";
  EXPECT_GT(implemented, warned);
}

}  // namespace
}  // namespace tender

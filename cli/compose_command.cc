// The `tender` command's side of Compose files: reading them, their .env and
// env_files, loadCompose on the client, and `tender convert`
// (cli/compose_command.h).
#include "cli/compose_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli/output.h"
#include "manifests/manifest.h"

extern char** environ;

namespace tender {
namespace {

namespace fs = std::filesystem;

Result<std::string> readWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("no such file or cannot be read");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::Invalid("read error");
  return text;
}

bool isDefaultComposeName(const std::string& name) {
  return name == "compose.yaml" || name == "compose.yml" || name == "docker-compose.yml" ||
         name == "docker-compose.yaml";
}

}  // namespace

Result<bool> areComposeSources(const std::vector<ManifestSource>& sources) {
  size_t compose = 0;
  for (const ManifestSource& s : sources) compose += isComposeDocument(s.text) ? 1 : 0;
  if (compose == 0) return false;
  if (compose == sources.size()) return true;
  for (const ManifestSource& s : sources) {
    if (!isComposeDocument(s.text)) {
      return Status::Invalid(s.name + " is not a Compose file: Compose files and tender manifests "
                                      "cannot be applied together (apply them one after the other)");
    }
  }
  return true;
}

std::string projectDirOf(const std::vector<ManifestSource>& sources) {
  std::error_code ec;
  fs::path dir = sources.empty() || sources.front().name == "<stdin>"
                     ? fs::current_path(ec)
                     : fs::absolute(fs::path(sources.front().name), ec).parent_path();
  return dir.lexically_normal().string();
}

std::map<std::string, std::string> processEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

Result<ComposeProject> loadComposeSources(const std::vector<ManifestSource>& sources,
                                          const ComposeCliOptions& options,
                                          const std::map<std::string, std::string>& environment) {
  std::vector<ComposeFile> files;
  for (const ManifestSource& s : sources) files.push_back({s.name, s.text});
  if (sources.size() == 1 && sources[0].name != "<stdin>" &&
      isDefaultComposeName(fs::path(sources[0].name).filename().string())) {
    fs::path dir = fs::path(sources[0].name).parent_path();
    for (const char* name : {"compose.override.yaml", "compose.override.yml",
                             "docker-compose.override.yml", "docker-compose.override.yaml"}) {
      fs::path candidate = dir / name;
      std::error_code ec;
      if (!fs::is_regular_file(candidate, ec)) continue;
      auto text = readWhole(candidate.string());
      if (!text.ok()) return Status::Invalid("cannot read " + candidate.string() + ": " + text.status().message());
      files.push_back({candidate.string(), std::move(*text)});
      break;
    }
  }
  ComposeOptions co;
  co.projectName = options.projectName;
  co.projectDir = projectDirOf(sources);
  co.folderName = fs::path(co.projectDir).filename().string();
  co.nameParameter = "--project-name";
  co.environment = environment;
  co.profiles = options.profiles;
  co.strict = options.strict;
  std::error_code ec;
  fs::path dotenv = fs::path(co.projectDir) / ".env";
  if (fs::is_regular_file(dotenv, ec)) {
    auto text = readWhole(dotenv.string());
    if (!text.ok()) return Status::Invalid("cannot read " + dotenv.string() + ": " + text.status().message());
    co.dotenv = std::move(*text);
  }
  co.readFile = [](const std::string& path) { return readWhole(path); };
  return loadCompose(files, co);
}

Result<std::map<std::string, std::string>> projectVariables(
    const std::vector<ManifestSource>& sources, const std::map<std::string, std::string>& environment) {
  std::map<std::string, std::string> vars;
  std::error_code ec;
  fs::path dotenv = fs::path(projectDirOf(sources)) / ".env";
  if (fs::is_regular_file(dotenv, ec)) {
    auto text = readWhole(dotenv.string());
    if (!text.ok()) return Status::Invalid("cannot read " + dotenv.string() + ": " + text.status().message());
    auto parsed = parseDotEnv(*text);
    if (!parsed.ok()) return Status::Invalid(dotenv.string() + ": " + parsed.status().message());
    vars = std::move(*parsed);
  }
  for (const auto& [k, v] : environment) vars[k] = v;
  return vars;
}

std::string renderManifests(const std::vector<Resource>& resources, const std::string& output) {
  if (output == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const Resource& r : resources) list.push_back(encodeResource(r));
    return toJsonText(list);
  }
  std::string out;
  for (size_t i = 0; i < resources.size(); ++i) {
    if (i > 0) out += "---\n";
    out += toYaml(encodeResource(resources[i]));
  }
  return out;
}

int runConvert(const ConvertOptions& options, std::istream& in, std::ostream& out,
               std::ostream& err) {
  auto sources = readManifestSources(options.files, in);
  if (!sources.ok()) {
    printError(sources.status(), err);
    return 1;
  }
  auto compose = areComposeSources(*sources);
  if (compose.ok() && !*compose) {
    compose = Status::Invalid("not a Compose file (no top-level services:, or an apiVersion): "
                              "there is nothing to convert");
  }
  if (!compose.ok()) {
    printError(compose.status(), err);
    return 1;
  }
  auto project = loadComposeSources(*sources, options.compose, processEnvironment());
  if (!project.ok()) {
    printError(project.status(), err);
    return 1;
  }
  for (const std::string& w : project->warnings) err << "warning: " << w << "\n";
  out << renderManifests(project->resources, options.output);
  return 0;
}

}  // namespace tender

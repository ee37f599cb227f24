// From a Compose project to tender's resources.
//
// Each service is written as a native manifest (the user-facing JSON form)
// and decoded by the one native decoder, so there is a single definition of
// what is valid. Compose's own forms (Docker memory units, list or map
// environments, restart strings, depends_on conditions, the short volume
// syntax's extra modes) are settled here first, and every native field
// written remembers the Compose path it came from: an error the decoder
// finds at "spec.ports[1]" is reported at "services.web.ports[1]".
//
// This file holds the project-level steps: the files read, interpolated and
// merged, the project's name, its profiles, the x-tender namespace, and the
// decoding of each resource written. Services are translated in
// compose_service.cc, networks and volumes in compose_networks_volumes.cc;
// the Translator they share is in compose_internal.h.
#include "manifests/compose.h"

#include <cctype>
#include <filesystem>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "manifests/compose_internal.h"
#include "manifests/compose_merge.h"
#include "manifests/dependencies.h"
#include "manifests/manifest.h"
#include "manifests/manifest_syntax.h"
#include "manifests/yaml_to_json.h"

namespace tender {
namespace compose_internal {
namespace {

namespace fs = std::filesystem;

}  // namespace

void interpolateAll(json& v, const std::string& path, const std::map<std::string, std::string>& vars,
                    std::vector<FieldError>* errors, std::vector<std::string>* unset) {
  if (v.is_string()) {
    auto r = interpolateCompose(v.get<std::string>(), vars, unset);
    if (r.ok()) {
      v = *r;
    } else {
      errors->push_back({path.empty() ? "(root)" : path, r.status().message()});
    }
  } else if (v.is_object()) {
    for (auto& [key, value] : v.items()) interpolateAll(value, join(path, key), vars, errors, unset);
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) interpolateAll(v[i], indexed(path, i), vars, errors, unset);
  }
}

namespace {

// A folder name as Compose makes it a project name: lowercase, only letters,
// digits, '_' and '-' kept, starting with a letter or digit, at most 63
// ("My App_1" -> "myapp_1"), so that tender's namespace and the project
// docker compose ran in that folder are one name.
std::string projectNameFrom(const std::string& name) {
  std::string out;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    char l = static_cast<char>(std::tolower(u));
    if (std::isalnum(u) || l == '_' || l == '-') out += l;
  }
  size_t first = out.find_first_not_of("_-");
  if (first == std::string::npos) return "";
  out = out.substr(first);
  if (out.size() > 63) out.resize(63);
  return out;
}

}  // namespace

std::optional<int64_t> Translator::dockerBytes(const std::string& path, const json& v) {
  if (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() >= 0) return v.get<int64_t>();
  if (v.is_number_unsigned()) return static_cast<int64_t>(v.get<uint64_t>());
  if (v.is_string()) {
    auto bytes = parseDockerMemory(v.get<std::string>());
    if (bytes.ok()) return *bytes;
    error(path, bytes.status().message() + " (Docker units: 512m, 1g = 2^30 bytes)");
    return std::nullopt;
  }
  error(path, quoteJson(v) + " is not a memory size (Docker units: 512m, 1g = 2^30 bytes)");
  return std::nullopt;
}

// A mapping, or a list of "KEY=VALUE"; a bare "KEY" (or KEY: null) takes the
// variable's value when `lookUpBare`, and is left out when it has none.
std::optional<std::map<std::string, std::string>> Translator::stringMap(const std::string& path,
                                                                        const json& v,
                                                                        bool lookUpBare) {
  std::map<std::string, std::string> out;
  auto bare = [&](const std::string& key) {
    if (!lookUpBare) {
      out[key] = "";
      return;
    }
    auto it = variables_.find(key);
    if (it != variables_.end()) out[key] = it->second;
  };
  if (v.is_object()) {
    for (const auto& [key, value] : v.items()) {
      if (value.is_null()) {
        bare(key);
      } else if (auto s = text(join(path, key), value)) {
        out[key] = *s;
      }
    }
    return out;
  }
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      auto item = text(indexed(path, i), v[i]);
      if (!item) continue;
      size_t eq = item->find('=');
      if (eq == std::string::npos) {
        bare(*item);
      } else {
        out[item->substr(0, eq)] = item->substr(eq + 1);
      }
    }
    return out;
  }
  error(path, quoteJson(v) + " is not a mapping or a list");
  return std::nullopt;
}

std::vector<std::string> Translator::strings(const std::string& path, const json& v) {
  std::vector<std::string> out;
  if (v.is_string()) return {v.get<std::string>()};
  if (!v.is_array()) {
    error(path, quoteJson(v) + " is not a list");
    return out;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (auto s = text(indexed(path, i), v[i])) out.push_back(*s);
  }
  return out;
}

std::string Translator::resolvePath(const std::string& p) const {
  std::string path = p;
  if (path == "~" || path.rfind("~/", 0) == 0) {
    auto home = options_.environment.find("HOME");
    if (home != options_.environment.end()) path = home->second + path.substr(1);
  }
  if (options_.projectDir.empty() || fs::path(path).is_absolute()) return path;
  std::string out = (fs::path(options_.projectDir) / path).lexically_normal().string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

Status Translator::readDocuments(const std::vector<ComposeFile>& files, json* merged) {
  std::vector<std::string> unset;
  for (size_t f = 0; f < files.size(); ++f) {
    const ComposeFile& file = files[f];
    auto parsed = parseFile(file.name, file.text, variables_, &unset);
    if (!parsed.ok()) return parsed.status();
    json doc = std::move(*parsed);
    // Every -f file's relative paths resolve against the first one's folder, as Compose has it.
    const std::string self = fs::path(file.name).is_absolute() || options_.projectDir.empty()
                                 ? file.name
                                 : (fs::path(options_.projectDir) / fs::path(file.name).filename()).string();
    std::vector<std::string> chain = {self};
    resolveIncludes(doc, file.name, options_.projectDir, variables_, chain, &unset);
    resolveExtends(doc, file.name, options_.projectDir, files.size() > 1 ? file.name + ": " : "", variables_,
                   &unset);
    if (!errors_.empty()) return Status::Invalid(file.name + " is invalid", std::move(errors_));
    *merged = f == 0 ? doc : mergeComposeDocuments(*merged, doc);
  }
  std::set<std::string> seen;
  for (const std::string& name : unset) {
    if (seen.insert(name).second) {
      warnings_.push_back("the variable " + name + " is not set; it is taken as empty");
    }
  }
  return Status::Ok();
}

bool Translator::chooseName(const json& doc) {
  std::string name = options_.projectName;
  bool explicitName = !name.empty();
  std::string from = options_.nameParameter;
  if (name.empty()) {
    auto it = variables_.find("COMPOSE_PROJECT_NAME");
    if (it != variables_.end() && !it->second.empty()) {
      name = it->second;
      explicitName = true;
      from = "COMPOSE_PROJECT_NAME";
    }
  }
  if (name.empty() && doc.contains("name") && !doc["name"].is_null()) {
    if (!doc["name"].is_string()) {
      error("name", quoteJson(doc["name"]) + " is not a string");
      return false;
    }
    name = doc["name"].get<std::string>();
    explicitName = true;
    from = "name";
  }
  if (name.empty()) name = projectNameFrom(options_.folderName);
  if (name.empty()) {
    error(options_.nameParameter, "is required: the project has no name (set name: in the file)");
    return false;
  }
  if (explicitName && !isNamespaceName(name)) {
    error(from, quoteJson(name) + resourceNameRule("Namespace") +
                    ": the project name is the namespace");
    return false;
  }
  project_ = name;
  return true;
}

void Translator::decode(const json& object, const std::string& fallback) {
  ParseOptions po;
  po.defaultNamespace = project_;
  auto r = decodeResource(object, po);
  if (r.ok()) {
    resources_.push_back(std::move(*r));
    return;
  }
  for (const FieldError& e : r.status().details()) {
    const Origin* best = nullptr;
    for (const Origin& o : origins_) {
      bool under = e.field == o.native ||
                   (e.field.rfind(o.native, 0) == 0 && e.field.size() > o.native.size() &&
                    (e.field[o.native.size()] == '.' || e.field[o.native.size()] == '['));
      if (under && (best == nullptr || o.native.size() > best->native.size())) best = &o;
    }
    if (best != nullptr) {
      error(best->compose + e.field.substr(best->native.size()), e.message);
    } else {
      error(fallback, e.field + ": " + e.message);
    }
  }
  if (r.status().details().empty()) error(fallback, r.status().message());
}

void Translator::translateNamespace(const json& x) {
  origins_.clear();
  origins_.push_back({"spec", "x-tender"});
  if (!x.is_object()) {
    error("x-tender", quoteJson(x) + " is not a mapping");
    return;
  }
  decode({{"apiVersion", kApiVersion}, {"kind", "Namespace"}, {"metadata", {{"name", project_}}}, {"spec", x}},
         "x-tender");
}

Result<ComposeProject> Translator::run(const std::vector<ComposeFile>& files) {
  if (files.empty()) return Status::Invalid("no Compose file given");
  auto dotenv = parseDotEnv(options_.dotenv);
  if (!dotenv.ok()) return Status::Invalid(".env: " + dotenv.status().message());
  variables_ = *dotenv;
  for (const auto& [k, v] : options_.environment) variables_[k] = v;

  json doc;
  Status read = readDocuments(files, &doc);
  if (!read.ok()) return read;
  const std::string what = files.size() > 1 ? "the Compose files are invalid" : "the Compose file is invalid";

  if (!chooseName(doc)) return Status::Invalid(what, std::move(errors_));
  for (const auto& [k, v] : doc.items()) {
    if (k == "version" || k == "name" || k == "services" || k == "networks" || k == "volumes" ||
        k == "secrets" || k == "configs" || isExtension(k)) {
      continue;
    }
    unsupported(k);
  }
  const json* services = doc.contains("services") ? &doc["services"] : nullptr;
  if (services == nullptr || !services->is_object()) {
    error("services", services == nullptr || services->is_null() ? "is required"
                                                                 : quoteJson(*services) + " is not a mapping");
    return Status::Invalid(what, std::move(errors_));
  }

  // Profiles: a service with none always runs; one with profiles only when one is active.
  std::set<std::string> active(options_.profiles.begin(), options_.profiles.end());
  if (auto it = variables_.find("COMPOSE_PROFILES"); it != variables_.end()) {
    for (const std::string& p : splitOn(it->second, ',')) {
      if (!p.empty()) active.insert(p);
    }
  }
  for (const auto& [name, svc] : services->items()) {
    bool on = true;
    if (svc.is_object() && svc.contains("profiles") && !svc["profiles"].is_null()) {
      const std::string at = join(join("services", name), "profiles");
      std::vector<std::string> profiles = strings(at, svc["profiles"]);
      on = active.count("*") > 0 || profiles.empty();
      for (const std::string& p : profiles) on = on || active.count(p) > 0;
    }
    (on ? enabled_ : disabled_).insert(name);
  }

  // Two Compose names that become one tender name cannot both be kept.
  std::map<std::string, std::string> tenderNames;
  for (const std::string& name : enabled_) {
    auto [it, fresh] = tenderNames.emplace(tenderServiceName(name), name);
    if (!fresh) {
      error(join("services", name), "becomes " + quoteJson(it->first) + " in tender, as " +
                                        join("services", it->second) + " does: rename one of them");
    }
  }
  if (doc.contains("x-tender") && !doc["x-tender"].is_null()) translateNamespace(doc["x-tender"]);
  declareNetworks(doc.contains("networks") && !doc["networks"].is_null() ? &doc["networks"] : nullptr);
  declareVolumes(doc.contains("volumes") && !doc["volumes"].is_null() ? &doc["volumes"] : nullptr);
  declareFiles(doc, "secrets");
  declareFiles(doc, "configs");
  for (const auto& [name, svc] : services->items()) {
    if (enabled_.count(name)) translateService(name, svc);
  }
  // What `docker compose config` refuses of the graph: a cycle, through
  // depends_on or what orders a service first (network_mode, ipc, volumes_from).
  std::vector<ServiceDependencies> graph;
  for (const Resource& r : resources_) {
    if (r.kind != "Service") continue;
    auto named = tenderNames.find(r.metadata.name);
    const std::string composeName = named != tenderNames.end() ? named->second : r.metadata.name;
    graph.push_back({r.metadata.name, r.service().dependsOn, join("services", composeName) + "|", true});
  }
  for (const FieldError& e : checkDependencies(project_, graph)) {
    const size_t bar = e.field.find('|');
    if (bar != std::string::npos && e.field.compare(bar + 1, std::string::npos, "spec.dependsOn") == 0) {
      error(join(e.field.substr(0, bar), "depends_on"), e.message);
    }
  }
  if (!errors_.empty()) return Status::Invalid(what, std::move(errors_));
  return ComposeProject{project_, std::move(resources_), std::move(warnings_)};
}

}  // namespace compose_internal

using json = nlohmann::json;

bool isComposeDocument(const std::string& text) {
  auto docs = yamlToJson(text);
  if (!docs.ok()) return false;
  const json* only = nullptr;
  for (const json& d : *docs) {
    if (d.is_null()) continue;
    if (only != nullptr) return false;
    only = &d;
  }
  return only != nullptr && only->is_object() && only->contains("services") &&
         !only->contains("apiVersion");
}

Result<ComposeProject> loadCompose(const std::vector<ComposeFile>& files,
                                   const ComposeOptions& options) {
  try {
    return compose_internal::Translator(options).run(files);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("reading a Compose file: ") + e.what());
  }
}

}  // namespace tender

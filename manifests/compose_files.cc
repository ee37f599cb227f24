// What a Compose file takes from other files before it is merged and
// translated: `include:` (whole projects, each with its own folder and
// .env) and `extends:` (one service built on another, in the same file or
// another one), resolved as `docker compose config` resolves them.
//
// A file read from another folder has its relative paths (build contexts,
// env_files, bind mounts, its own extends and includes) made absolute
// against its folder first, so that once merged nothing says which file a
// path came from. Cycles of either kind are errors naming the chain.
#include <filesystem>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "manifests/compose_internal.h"
#include "manifests/compose_merge.h"
#include "manifests/manifest_syntax.h"
#include "manifests/yaml_to_json.h"

namespace tender {
namespace compose_internal {
namespace {

namespace fs = std::filesystem;

bool isUrl(const std::string& s) {
  return s.find("://") != std::string::npos || s.rfind("git@", 0) == 0;
}

std::string absoluteIn(const std::string& dir, const std::string& path) {
  if (dir.empty() || path.empty() || fs::path(path).is_absolute() || path[0] == '~' || isUrl(path)) {
    return path;
  }
  std::string out = (fs::path(dir) / path).lexically_normal().string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// A short volume's source is a host path when it starts as one does.
bool isHostPath(const std::string& source) {
  return !source.empty() && (source[0] == '.' || source[0] == '/' || source[0] == '~');
}

// The relative paths of one service, made absolute against `dir`.
void absolutizeService(json& svc, const std::string& dir) {
  if (!svc.is_object() || dir.empty()) return;
  if (auto it = svc.find("build"); it != svc.end()) {
    if (it->is_string()) {
      *it = absoluteIn(dir, it->get<std::string>());
    } else if (it->is_object()) {
      json& context = (*it)["context"];
      if (context.is_null()) context = ".";
      if (context.is_string()) context = absoluteIn(dir, context.get<std::string>());
    }
  }
  if (auto it = svc.find("env_file"); it != svc.end()) {
    auto one = [&](json& e) {
      if (e.is_string()) e = absoluteIn(dir, e.get<std::string>());
      if (e.is_object() && e.contains("path") && e["path"].is_string()) {
        e["path"] = absoluteIn(dir, e["path"].get<std::string>());
      }
    };
    if (it->is_array()) {
      for (json& e : *it) one(e);
    } else {
      one(*it);
    }
  }
  if (auto it = svc.find("volumes"); it != svc.end() && it->is_array()) {
    for (json& v : *it) {
      if (v.is_string()) {
        const std::string s = v.get<std::string>();
        const size_t colon = s.find(':');
        if (colon != std::string::npos && isHostPath(s.substr(0, colon))) {
          v = absoluteIn(dir, s.substr(0, colon)) + s.substr(colon);
        }
      } else if (v.is_object() && v.value("type", "") == "bind" && v.contains("source") &&
                 v["source"].is_string()) {
        v["source"] = absoluteIn(dir, v["source"].get<std::string>());
      }
    }
  }
  if (auto it = svc.find("extends"); it != svc.end() && it->is_object() && it->contains("file") &&
                                     (*it)["file"].is_string()) {
    (*it)["file"] = absoluteIn(dir, (*it)["file"].get<std::string>());
  }
}

std::string chainText(const std::vector<std::string>& chain, const std::string& last) {
  std::string out;
  for (const std::string& c : chain) out += c + " -> ";
  return out + last;
}

}  // namespace

Result<json> Translator::parseFile(const std::string& name, const std::string& text,
                                   const std::map<std::string, std::string>& vars,
                                   std::vector<std::string>* unset) {
  auto docs = yamlToJson(text);
  if (!docs.ok()) return Status::Invalid(name + ": " + docs.status().message());
  std::vector<json> nonEmpty;
  for (json& d : *docs) {
    if (!d.is_null()) nonEmpty.push_back(std::move(d));
  }
  if (nonEmpty.size() != 1 || !nonEmpty[0].is_object()) {
    return Status::Invalid(name + ": a Compose file is one mapping (services:, networks:, volumes:...)");
  }
  json doc = std::move(nonEmpty[0]);
  std::vector<FieldError> errors;
  interpolateAll(doc, "", vars, &errors, unset);
  if (!errors.empty()) return Status::Invalid(name + " is invalid", std::move(errors));
  return doc;
}

std::optional<json> Translator::readReferenced(const std::string& at, const std::string& path,
                                               const std::map<std::string, std::string>& vars,
                                               std::vector<std::string>* unset) {
  if (!options_.readFile) {
    error(at, "other Compose files are read by the tender command: the server cannot read " +
                  quoteJson(path) + " (apply with `tender apply -f`)");
    return std::nullopt;
  }
  auto text = options_.readFile(path);
  if (!text.ok()) {
    error(at, "cannot read " + quoteJson(path) + ": " + text.status().message());
    return std::nullopt;
  }
  auto doc = parseFile(path, *text, vars, unset);
  if (!doc.ok()) {
    if (doc.status().details().empty()) error(at, doc.status().message());
    for (const FieldError& e : doc.status().details()) error(at, path + ": " + e.field + ": " + e.message);
    return std::nullopt;
  }
  return std::move(*doc);
}

void Translator::resolveIncludes(json& doc, const std::string& file, const std::string& dir,
                                 const std::map<std::string, std::string>& vars,
                                 std::vector<std::string>& chain, std::vector<std::string>* unset) {
  auto it = doc.find("include");
  if (it == doc.end()) return;
  json includes = std::move(*it);
  doc.erase("include");
  const std::string where = chain.size() > 1 ? file + ": " : "";
  if (includes.is_null()) return;
  if (!includes.is_array()) {
    error(where + "include", quoteJson(includes) + " is not a list");
    return;
  }
  for (size_t i = 0; i < includes.size(); ++i) {
    const std::string at = where + indexed("include", i);
    const json& entry = includes[i];
    std::vector<std::string> paths;
    std::string projectDir;
    std::vector<std::string> envFiles;
    bool envRequired = true;
    if (entry.is_string()) {
      paths.push_back(entry.get<std::string>());
    } else if (entry.is_object()) {
      for (const auto& [k, v] : entry.items()) {
        const std::string kat = join(at, k);
        if (k == "path") {
          paths = strings(kat, v);
        } else if (k == "project_directory") {
          if (auto s = text(kat, v)) projectDir = absoluteIn(dir, *s);
        } else if (k == "env_file") {
          for (const std::string& e : strings(kat, v)) envFiles.push_back(absoluteIn(dir, e));
        } else if (!isExtension(k)) {
          unsupported(kat);
        }
      }
      if (!entry.contains("path")) error(join(at, "path"), "is required");
    } else {
      error(at, quoteJson(entry) + " is not a path or a mapping with path");
      continue;
    }
    if (paths.empty()) continue;
    for (std::string& p : paths) p = absoluteIn(dir, p);
    if (projectDir.empty()) projectDir = fs::path(paths[0]).parent_path().lexically_normal().string();
    if (envFiles.empty()) {
      envFiles.push_back((fs::path(projectDir) / ".env").string());
      envRequired = false;
    }
    // The included project's variables: the including one's, its own .env
    // over them, and the environment over both, as for the main file.
    std::map<std::string, std::string> own = vars;
    bool ok = true;
    for (const std::string& e : envFiles) {
      if (!options_.readFile) break;  // readReferenced below says why
      auto text = options_.readFile(e);
      if (!text.ok()) {
        if (envRequired) {
          error(join(at, "env_file"), "cannot read " + quoteJson(e) + ": " + text.status().message());
          ok = false;
        }
        continue;
      }
      auto parsed = parseDotEnv(*text);
      if (!parsed.ok()) {
        error(join(at, "env_file"), e + ": " + parsed.status().message());
        ok = false;
        continue;
      }
      for (const auto& [k, v] : *parsed) own[k] = v;
    }
    for (const auto& [k, v] : options_.environment) own[k] = v;
    if (!ok) continue;
    json included;
    for (size_t p = 0; p < paths.size(); ++p) {
      const std::string& path = paths[p];
      if (std::find(chain.begin(), chain.end(), path) != chain.end()) {
        error(at, "include cycle: " + chainText(chain, path));
        ok = false;
        break;
      }
      auto one = readReferenced(at, path, own, unset);
      if (!one) {
        ok = false;
        break;
      }
      chain.push_back(path);
      resolveIncludes(*one, path, projectDir, own, chain, unset);
      chain.pop_back();
      if (auto services = one->find("services"); services != one->end() && services->is_object()) {
        for (auto& [name, svc] : services->items()) absolutizeService(svc, projectDir);
      }
      included = p == 0 ? std::move(*one) : mergeComposeDocuments(included, *one);
    }
    if (!ok) continue;
    resolveExtends(included, paths[0], projectDir, paths[0] + ": ", own, unset);
    // The included resources join the project; one the including file
    // defines as well, differently, is a conflict Compose refuses too.
    for (const auto& [section, entries] : included.items()) {
      if (section == "name" || section == "version" || isExtension(section)) continue;
      if (!entries.is_object()) continue;
      json& mine = doc[section];
      if (mine.is_null()) mine = json::object();
      if (!mine.is_object()) continue;
      for (const auto& [name, value] : entries.items()) {
        if (mine.contains(name) && mine[name] != value) {
          error(where + join(section, name),
                "is defined here and by the included " + paths[0] + ", differently: rename one of them");
          continue;
        }
        mine[name] = value;
      }
    }
  }
}

void Translator::resolveExtends(json& doc, const std::string& file, const std::string& dir,
                                const std::string& prefix,
                                const std::map<std::string, std::string>& vars,
                                std::vector<std::string>* unset) {
  auto services = doc.find("services");
  if (services == doc.end() || !services->is_object()) return;
  json resolved = *services;
  for (const auto& [name, svc] : services->items()) {
    if (!svc.is_object() || !svc.contains("extends")) continue;
    std::vector<std::string> chain;
    if (auto out = extendedService(*services, file, dir, prefix, name, vars, chain, unset)) {
      resolved[name] = std::move(*out);
    } else {
      resolved[name].erase("extends");
    }
  }
  *services = std::move(resolved);
}

std::optional<json> Translator::extendedService(const json& services, const std::string& file,
                                                const std::string& dir, const std::string& prefix,
                                                const std::string& name,
                                                const std::map<std::string, std::string>& vars,
                                                std::vector<std::string>& chain,
                                                std::vector<std::string>* unset) {
  const json& svc = services[name];
  const std::string self = file + ":" + name;
  const std::string at = prefix + join(join("services", name), "extends");
  if (!svc.is_object() || !svc.contains("extends")) return svc;
  const json& ext = svc["extends"];
  std::string base;
  std::string baseFile;
  if (ext.is_string()) {
    base = ext.get<std::string>();
  } else if (ext.is_object()) {
    for (const auto& [k, v] : ext.items()) {
      if (k == "service") {
        if (auto s = text(join(at, k), v)) base = *s;
      } else if (k == "file") {
        if (auto s = text(join(at, k), v)) baseFile = absoluteIn(dir, *s);
      } else {
        error(join(at, k), "unknown field (extends takes service and file)");
      }
    }
    if (!ext.contains("service")) {
      error(join(at, "service"), "is required");
      return std::nullopt;
    }
  } else {
    error(at, quoteJson(ext) + " is not a service name or a mapping with service");
    return std::nullopt;
  }
  if (base.empty()) return std::nullopt;
  chain.push_back(self);
  std::optional<json> parent;
  const std::string target = (baseFile.empty() ? file : baseFile) + ":" + base;
  if (auto start = std::find(chain.begin(), chain.end(), target); start != chain.end()) {
    // One cycle, one error: found again from another of its services, it is not repeated.
    if (reportedCycles_.insert(std::set<std::string>(start, chain.end())).second) {
      error(at, "extends cycle: " + chainText(chain, target));
    }
  } else if (baseFile.empty()) {
    if (!services.contains(base)) {
      error(ext.is_string() ? at : join(at, "service"),
            "service " + quoteJson(base) + " is not defined in " + file);
    } else {
      parent = extendedService(services, file, dir, prefix, base, vars, chain, unset);
    }
  } else if (auto other = readReferenced(join(at, "file"), baseFile, vars, unset)) {
    json* theirs = other->contains("services") && (*other)["services"].is_object() ? &(*other)["services"] : nullptr;
    if (theirs == nullptr || !theirs->contains(base)) {
      error(join(at, "service"), "service " + quoteJson(base) + " is not defined in " + baseFile);
    } else {
      const std::string otherDir = fs::path(baseFile).parent_path().lexically_normal().string();
      for (auto& [n, s] : theirs->items()) absolutizeService(s, otherDir);
      parent = extendedService(*theirs, baseFile, otherDir, baseFile + ": ", base, vars, chain, unset);
    }
  }
  chain.pop_back();
  if (!parent) return std::nullopt;
  json own = svc;
  own.erase("extends");
  return mergeComposeService(*parent, own);
}

}  // namespace compose_internal
}  // namespace tender

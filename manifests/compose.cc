// From a Compose project to tender's resources.
//
// Each service is written as a native manifest (the user-facing JSON form)
// and decoded by the one native decoder, so there is a single definition of
// what is valid. Compose's own forms (Docker memory units, list or map
// environments, restart strings, depends_on conditions, the short volume
// syntax's extra modes) are settled here first, and every native field
// written remembers the Compose path it came from: an error the decoder
// finds at "spec.ports[1]" is reported at "services.web.ports[1]".
#include "manifests/compose.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "manifests/compose_merge.h"
#include "manifests/manifest.h"
#include "manifests/manifest_syntax.h"
#include "manifests/yaml_to_json.h"

namespace tender {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string indexed(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

bool isExtension(const std::string& key) { return key.rfind("x-", 0) == 0; }

std::vector<std::string> splitOn(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

// Replaces every string of `v` by its interpolation; errors at their paths.
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

// Lowercase, anything but letters and digits as '-', at most 63: a folder
// name as a namespace ("My_App" -> "my-app").
std::string dnsLabelFrom(const std::string& name) {
  std::string out;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '-';
  }
  size_t first = out.find_first_not_of('-');
  if (first == std::string::npos) return "";
  out = out.substr(first);
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

// A native field and the Compose path it was written from.
struct Origin {
  std::string native;
  std::string compose;
};

class Translator {
 public:
  explicit Translator(const ComposeOptions& options) : options_(options) {}

  Result<ComposeProject> run(const std::vector<ComposeFile>& files);

 private:
  void error(const std::string& path, std::string message) {
    errors_.push_back({path, std::move(message)});
  }
  // A Compose key tender has nothing for: said, never dropped silently.
  void unsupported(const std::string& path, const std::string& why = "") {
    if (options_.strict) {
      error(path, "is not supported by tender" + (why.empty() ? "" : " (" + why + ")") +
                      "; remove it or apply without --strict");
    } else {
      warnings_.push_back(path + ": not supported by tender" +
                          (why.empty() ? "" : " (" + why + ")") + "; ignored");
    }
  }

  std::optional<std::string> text(const std::string& path, const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
    if (v.is_number()) return v.dump();
    error(path, quoteJson(v) + " is not a string");
    return std::nullopt;
  }
  std::optional<int64_t> dockerBytes(const std::string& path, const json& v);
  std::optional<std::map<std::string, std::string>> stringMap(const std::string& path,
                                                              const json& v, bool lookUpBare);
  std::vector<std::string> strings(const std::string& path, const json& v);

  Status readDocuments(const std::vector<ComposeFile>& files, json* merged);
  bool chooseName(const json& doc);
  void declareNetworks(const json* networks);
  void declareVolumes(const json* volumes);
  void translateService(const std::string& name, const json& svc);
  void translateNamespace(const json& xTender);
  std::string resolvePath(const std::string& p) const;

  // Service pieces; each writes into `spec` and records origins.
  void environment(const std::string& path, const json& svc, json& spec);
  void ports(const std::string& path, const json& v, json& spec);
  void volumes(const std::string& path, const json* v, const json* tmpfs, json& spec);
  void networks(const std::string& path, const json& svc, json& spec);
  void dependsOn(const std::string& path, const std::string& self, const json& v, json& spec);
  void healthcheck(const std::string& path, const json& v, json& spec);
  void restart(const std::string& path, const json& v, json& spec);
  void deploy(const std::string& path, const json& v, json& spec);
  void build(const std::string& path, const json& v, json& spec);
  void xTender(const std::string& path, const json& v, json& spec);

  void put(json& spec, const json::json_pointer& at, json value, const std::string& composePath) {
    spec[at] = std::move(value);
    // A later key that sets the same field (deploy over mem_limit) owns its errors.
    const std::string native = "spec" + dotted(at);
    origins_.erase(std::remove_if(origins_.begin(), origins_.end(),
                                  [&](const Origin& o) { return o.native == native; }),
                   origins_.end());
    origins_.push_back({native, composePath});
  }
  static std::string dotted(const json::json_pointer& p) {
    std::string out;
    for (const std::string& token : splitOn(p.to_string().substr(1), '/')) out += "." + token;
    return out;
  }

  // Decodes `object` natively; its errors go to their Compose paths.
  void decode(const json& object, const std::string& fallback);

  const ComposeOptions& options_;
  std::map<std::string, std::string> variables_;
  std::vector<FieldError> errors_;
  std::vector<std::string> warnings_;
  std::vector<Origin> origins_;
  std::string project_;
  std::set<std::string> enabled_, disabled_;
  std::map<std::string, std::string> networkNames_;  // Compose key -> resource name
  std::map<std::string, std::string> volumeNames_;
  std::vector<Resource> resources_;
};

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
    auto docs = yamlToJson(file.text);
    if (!docs.ok()) return Status::Invalid(file.name + ": " + docs.status().message());
    std::vector<json> nonEmpty;
    for (json& d : *docs) {
      if (!d.is_null()) nonEmpty.push_back(std::move(d));
    }
    if (nonEmpty.size() != 1 || !nonEmpty[0].is_object()) {
      return Status::Invalid(file.name + ": a Compose file is one mapping (services:, networks:, volumes:...)");
    }
    json doc = std::move(nonEmpty[0]);
    std::vector<FieldError> errors;
    interpolateAll(doc, "", variables_, &errors, &unset);
    if (!errors.empty()) {
      return Status::Invalid(file.name + " is invalid", std::move(errors));
    }
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
  if (name.empty()) name = dnsLabelFrom(options_.folderName);
  if (name.empty()) {
    error(options_.nameParameter, "is required: the project has no name (set name: in the file)");
    return false;
  }
  if (explicitName && !isDnsLabel(name)) {
    error(from, quoteJson(name) +
                    " is not a DNS label (lowercase letters, digits and '-', at most 63 "
                    "characters): the project name is the namespace");
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

void Translator::declareNetworks(const json* networks) {
  if (networks == nullptr) return;
  if (!networks->is_object()) {
    error("networks", quoteJson(*networks) + " is not a mapping");
    return;
  }
  for (const auto& [key, value] : networks->items()) {
    const std::string path = join("networks", key);
    origins_.clear();
    json spec = json::object();
    std::string name = key;
    if (!value.is_null() && !value.is_object()) {
      error(path, quoteJson(value) + " is not a mapping");
      continue;
    }
    const json def = value.is_null() ? json::object() : value;
    bool external = false;
    for (const auto& [k, v] : def.items()) {
      const std::string at = join(path, k);
      if (k == "driver") {
        put(spec, "/driver"_json_pointer, v, at);
      } else if (k == "internal") {
        put(spec, "/internal"_json_pointer, v, at);
      } else if (k == "labels") {
        if (auto labels = stringMap(at, v, false)) put(spec, "/labels"_json_pointer, *labels, at);
      } else if (k == "external") {
        // `external: {name: x}` is the older spelling of external + name.
        if (v.is_object() && v.contains("name") && v["name"].is_string()) {
          external = true;
          name = v["name"].get<std::string>();
        } else if (v.is_boolean()) {
          external = v.get<bool>();
        } else {
          error(at, quoteJson(v) + " is not a boolean (true or false)");
        }
      } else if (k == "name") {
        if (!v.is_string()) {
          error(at, quoteJson(v) + " is not a string");
        } else if (!def.contains("external") || def["external"] == false) {
          unsupported(at, "tender names networks {project}_{key}");
        } else if (!(def["external"].is_object() && def["external"].contains("name"))) {
          name = v.get<std::string>();
        }
      } else if (!isExtension(k)) {
        unsupported(at);
      }
    }
    if (external) {
      spec["external"] = true;
      if (!isDnsLabel(name)) {
        error(join(path, "name"), quoteJson(name) +
                                      " is not a DNS label: tender names an external network by "
                                      "its engine name, which must be one");
        continue;
      }
    }
    networkNames_[key] = name;
    origins_.push_back({"metadata.name", path});
    origins_.push_back({"spec", path});
    decode({{"apiVersion", kApiVersion},
            {"kind", "Network"},
            {"metadata", {{"name", name}, {"namespace", project_}}},
            {"spec", spec}},
           path);
  }
}

void Translator::declareVolumes(const json* volumes) {
  if (volumes == nullptr) return;
  if (!volumes->is_object()) {
    error("volumes", quoteJson(*volumes) + " is not a mapping");
    return;
  }
  for (const auto& [key, value] : volumes->items()) {
    const std::string path = join("volumes", key);
    origins_.clear();
    json spec = json::object();
    std::string name = key;
    if (!value.is_null() && !value.is_object()) {
      error(path, quoteJson(value) + " is not a mapping");
      continue;
    }
    const json def = value.is_null() ? json::object() : value;
    bool external = false;
    for (const auto& [k, v] : def.items()) {
      const std::string at = join(path, k);
      if (k == "driver") {
        put(spec, "/driver"_json_pointer, v, at);
      } else if (k == "driver_opts") {
        if (auto opts = stringMap(at, v, false)) put(spec, "/driverOpts"_json_pointer, *opts, at);
      } else if (k == "labels") {
        if (auto labels = stringMap(at, v, false)) put(spec, "/labels"_json_pointer, *labels, at);
      } else if (k == "external") {
        if (v.is_object() && v.contains("name") && v["name"].is_string()) {
          external = true;
          name = v["name"].get<std::string>();
        } else if (v.is_boolean()) {
          external = v.get<bool>();
        } else {
          error(at, quoteJson(v) + " is not a boolean (true or false)");
        }
      } else if (k == "name") {
        if (!v.is_string()) {
          error(at, quoteJson(v) + " is not a string");
        } else if (!def.contains("external") || def["external"] == false) {
          unsupported(at, "tender names volumes {project}_{key}");
        } else if (!(def["external"].is_object() && def["external"].contains("name"))) {
          name = v.get<std::string>();
        }
      } else if (!isExtension(k)) {
        unsupported(at);
      }
    }
    if (external) {
      spec["external"] = true;
      if (!isDnsLabel(name)) {
        error(join(path, "name"), quoteJson(name) +
                                      " is not a DNS label: tender names an external volume by "
                                      "its engine name, which must be one");
        continue;
      }
    }
    volumeNames_[key] = name;
    origins_.push_back({"metadata.name", path});
    origins_.push_back({"spec", path});
    decode({{"apiVersion", kApiVersion},
            {"kind", "Volume"},
            {"metadata", {{"name", name}, {"namespace", project_}}},
            {"spec", spec}},
           path);
  }
}

void Translator::environment(const std::string& path, const json& svc, json& spec) {
  std::map<std::string, std::string> env;
  if (auto it = svc.find("env_file"); it != svc.end() && !it->is_null()) {
    const std::string at = join(path, "env_file");
    const json files = it->is_array() ? *it : json::array({*it});
    for (size_t i = 0; i < files.size(); ++i) {
      const std::string itemAt = it->is_array() ? indexed(at, i) : at;
      std::string file;
      bool required = true;
      if (files[i].is_string()) {
        file = files[i].get<std::string>();
      } else if (files[i].is_object() && files[i].contains("path") && files[i]["path"].is_string()) {
        file = files[i]["path"].get<std::string>();
        if (files[i].contains("required")) {
          if (!files[i]["required"].is_boolean()) {
            error(join(itemAt, "required"), quoteJson(files[i]["required"]) + " is not a boolean (true or false)");
            continue;
          }
          required = files[i]["required"].get<bool>();
        }
        for (const auto& [k, v] : files[i].items()) {
          if (k != "path" && k != "required" && k != "format") unsupported(join(itemAt, k));
        }
      } else {
        error(itemAt, quoteJson(files[i]) + " is not a path");
        continue;
      }
      if (!options_.readFile) {
        error(itemAt, "env files are read by the tender command: the server cannot read " +
                          quoteJson(file) + " (apply with `tender apply -f`)");
        continue;
      }
      const std::string resolved = resolvePath(file);
      auto content = options_.readFile(resolved);
      if (!content.ok()) {
        if (required) error(itemAt, "cannot read " + quoteJson(resolved) + ": " + content.status().message());
        continue;
      }
      auto vars = parseDotEnv(*content);
      if (!vars.ok()) {
        error(itemAt, resolved + ": " + vars.status().message());
        continue;
      }
      for (const auto& [k, v] : *vars) env[k] = v;
    }
  }
  if (auto it = svc.find("environment"); it != svc.end() && !it->is_null()) {
    if (auto vars = stringMap(join(path, "environment"), *it, /*lookUpBare=*/true)) {
      for (const auto& [k, v] : *vars) env[k] = v;
    }
  }
  if (!env.empty()) put(spec, "/env"_json_pointer, env, join(path, "environment"));
}

void Translator::ports(const std::string& path, const json& v, json& spec) {
  if (!v.is_array()) {
    error(path, quoteJson(v) + " is not a list");
    return;
  }
  json out = json::array();
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string at = indexed(path, i);
    json item = v[i];
    if (item.is_object()) {
      for (const char* k : {"name", "app_protocol"}) {
        if (item.contains(k)) {
          unsupported(join(at, k));
          item.erase(k);
        }
      }
      // On one host every published port is the host's: both modes mean that.
      if (item.contains("mode")) {
        if (item["mode"] != "host" && item["mode"] != "ingress") {
          error(join(at, "mode"), quoteJson(item["mode"]) + " is not one of host, ingress");
          continue;
        }
        item.erase("mode");
      }
      if (item.contains("target") && item["target"].is_string()) {
        const std::string t = item["target"].get<std::string>();
        if (!t.empty() && t.find_first_not_of("0123456789") == std::string::npos && t.size() < 6) {
          item["target"] = std::stoi(t);
        }
      }
    }
    origins_.push_back({"spec.ports" + std::string("[") + std::to_string(out.size()) + "]", at});
    out.push_back(item);
  }
  if (!out.empty()) spec["ports"] = out;
}

void Translator::volumes(const std::string& path, const json* v, const json* tmpfs, json& spec) {
  json out = json::array();
  auto add = [&](json mount, const std::string& at) {
    origins_.push_back({"spec.volumes[" + std::to_string(out.size()) + "]", at});
    out.push_back(std::move(mount));
  };
  // A named volume must be declared at the top level, as Compose requires;
  // an external one is mounted by its engine name.
  auto named = [&](const std::string& source, const std::string& at) -> std::optional<std::string> {
    auto it = volumeNames_.find(source);
    if (it == volumeNames_.end()) {
      error(at, "volume " + quoteJson(source) + " is not declared under the top-level volumes");
      return std::nullopt;
    }
    return it->second;
  };
  if (v != nullptr && !v->is_array()) {
    error(join(path, "volumes"), quoteJson(*v) + " is not a list");
  } else if (v != nullptr) {
    for (size_t i = 0; i < v->size(); ++i) {
      const std::string at = indexed(join(path, "volumes"), i);
      const json& item = (*v)[i];
      if (item.is_string()) {
        std::vector<std::string> parts = splitOn(item.get<std::string>(), ':');
        std::string shortForm = item.get<std::string>();
        if (parts.size() == 3) {
          // Modes beyond ro/rw (z, Z, nocopy, cached...) mean nothing to tender.
          bool readOnly = false;
          for (const std::string& mode : splitOn(parts[2], ',')) {
            if (mode == "ro") {
              readOnly = true;
            } else if (mode != "rw") {
              unsupported(at, "volume mode " + quoteJson(mode));
            }
          }
          shortForm = parts[0] + ":" + parts[1] + (readOnly ? ":ro" : "");
        }
        if (parts.size() >= 2 && (parts[0] == "~" || parts[0].rfind("~/", 0) == 0)) {
          std::string rest = shortForm.substr(parts[0].size());
          shortForm = resolvePath(parts[0]) + rest;
          if (shortForm[0] != '/') shortForm = "./" + shortForm;
        }
        auto mount = parseVolumeSpec(shortForm);
        if (!mount.ok()) {
          error(at, mount.status().message());
          continue;
        }
        json m = {{"type", mount->type}, {"target", mount->target}};
        if (mount->readOnly) m["read_only"] = true;
        if (mount->type == "bind") {
          std::string source = resolvePath(mount->source);
          if (!fs::path(source).is_absolute()) {
            error(at, quoteJson(mount->source) +
                          " is a relative host path: apply with the tender command, which "
                          "resolves it against the Compose file's folder");
            continue;
          }
          m["source"] = source;
        } else if (!mount->source.empty()) {
          auto engine = named(mount->source, at);
          if (!engine) continue;
          m["source"] = *engine;
        }
        add(m, at);
      } else if (item.is_object()) {
        json m = json::object();
        for (const auto& [k, value] : item.items()) {
          const std::string kat = join(at, k);
          if (k == "type" || k == "target" || k == "read_only") {
            m[k] = value;
          } else if (k == "source") {
            m[k] = value;
          } else if (k == "tmpfs" && value.is_object()) {
            for (const auto& [tk, tv] : value.items()) {
              if (tk == "size") {
                if (auto bytes = dockerBytes(join(kat, "size"), tv)) m["tmpfs"]["size"] = *bytes;
              } else {
                unsupported(join(kat, tk));
              }
            }
          } else if (k == "bind" || k == "volume" || k == "image") {
            if (!value.is_object()) {
              error(kat, quoteJson(value) + " is not a mapping");
              continue;
            }
            for (const auto& [ok, ov] : value.items()) unsupported(join(kat, ok));
          } else if (k == "consistency") {
            unsupported(kat);
          } else if (!isExtension(k)) {
            m[k] = value;  // the native decoder names it as unknown
          }
        }
        const std::string type = m.value("type", "");
        if (m.contains("source") && m["source"].is_string()) {
          const std::string source = m["source"].get<std::string>();
          if (type == "bind") {
            std::string resolved = resolvePath(source);
            if (!fs::path(resolved).is_absolute()) {
              error(join(at, "source"), quoteJson(source) +
                                            " is a relative host path: apply with the tender "
                                            "command, which resolves it against the Compose "
                                            "file's folder");
              continue;
            }
            m["source"] = resolved;
          } else if (type == "volume" && !source.empty()) {
            auto engine = named(source, join(at, "source"));
            if (!engine) continue;
            m["source"] = *engine;
          }
        }
        add(m, at);
      } else {
        error(at, quoteJson(item) + " is not a volume");
      }
    }
  }
  if (tmpfs != nullptr) {
    const std::string at = join(path, "tmpfs");
    const json list = tmpfs->is_array() ? *tmpfs : json::array({*tmpfs});
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string itemAt = tmpfs->is_array() ? indexed(at, i) : at;
      if (!list[i].is_string()) {
        error(itemAt, quoteJson(list[i]) + " is not a path");
        continue;
      }
      std::vector<std::string> parts = splitOn(list[i].get<std::string>(), ':');
      json m = {{"type", "tmpfs"}, {"target", parts[0]}};
      if (parts.size() > 1) {
        for (const std::string& option : splitOn(parts[1], ',')) {
          if (option.rfind("size=", 0) == 0) {
            if (auto bytes = dockerBytes(itemAt, option.substr(5))) m["tmpfs"]["size"] = *bytes;
          } else {
            unsupported(itemAt, "tmpfs option " + quoteJson(option));
          }
        }
      }
      add(m, itemAt);
    }
  }
  if (!out.empty()) spec["volumes"] = out;
}

void Translator::networks(const std::string& path, const json& svc, json& spec) {
  auto it = svc.find("networks");
  auto mode = svc.find("network_mode");
  bool hasMode = mode != svc.end() && !mode->is_null();
  if (hasMode) {
    const std::string at = join(path, "network_mode");
    if (it != svc.end() && !it->is_null()) {
      error(at, "cannot be set together with networks");
    } else if (!mode->is_string()) {
      error(at, quoteJson(*mode) + " is not a string");
    } else {
      put(spec, "/networkMode"_json_pointer, *mode, at);
    }
    return;
  }
  if (it == svc.end() || it->is_null()) {
    // The project's default network, which may be declared external under another name.
    auto def = networkNames_.find("default");
    if (def != networkNames_.end() && def->second != "default") {
      spec["networks"] = json::array({def->second});
    }
    return;
  }
  const std::string at = join(path, "networks");
  json names = json::array();
  json aliases = json::object();
  auto join1 = [&](const std::string& key, const json* settings, const std::string& keyAt) {
    std::string name = key;
    auto declared = networkNames_.find(key);
    if (declared != networkNames_.end()) {
      name = declared->second;
    } else if (key != "default") {
      error(keyAt, "network " + quoteJson(key) + " is not declared under the top-level networks");
      return;
    }
    origins_.push_back({"spec.networks[" + std::to_string(names.size()) + "]", keyAt});
    names.push_back(name);
    if (settings == nullptr || settings->is_null()) return;
    if (!settings->is_object()) {
      error(keyAt, quoteJson(*settings) + " is not a mapping");
      return;
    }
    for (const auto& [k, v] : settings->items()) {
      if (k == "aliases") {
        aliases[name] = v;
        origins_.push_back({"spec.networkAliases." + name, join(keyAt, k)});
      } else if (!isExtension(k)) {
        unsupported(join(keyAt, k));
      }
    }
  };
  if (it->is_array()) {
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) {
        error(indexed(at, i), quoteJson((*it)[i]) + " is not a network name");
        continue;
      }
      join1((*it)[i].get<std::string>(), nullptr, indexed(at, i));
    }
  } else if (it->is_object()) {
    for (const auto& [key, value] : it->items()) join1(key, &value, join(at, key));
  } else {
    error(at, quoteJson(*it) + " is not a list or a mapping");
    return;
  }
  if (!names.empty()) spec["networks"] = names;
  if (!aliases.empty()) spec["networkAliases"] = aliases;
}

// Compose allows service names tender cannot use as they are ("web_app",
// "API.v2"): tender's are DNS labels. Lowercase, with '-' for anything else.
std::string tenderServiceName(const std::string& composeName) {
  std::string out;
  for (char c : composeName) {
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (std::isalnum(static_cast<unsigned char>(l)) ? l : '-');
  }
  while (!out.empty() && out.front() == '-') out.erase(out.begin());
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? composeName : out;
}

void Translator::dependsOn(const std::string& path, const std::string& self, const json& v,
                           json& spec) {
  json deps = json::object();
  auto add = [&](const std::string& name, const json* settings, const std::string& at) {
    json dep = json::object();
    bool required = true;
    if (settings != nullptr && !settings->is_null()) {
      if (!settings->is_object()) {
        error(at, quoteJson(*settings) + " is not a mapping");
        return;
      }
      for (const auto& [k, value] : settings->items()) {
        const std::string kat = join(at, k);
        if (k == "condition") {
          static const std::map<std::string, std::string> kConditions = {
              {"service_started", "started"},
              {"started", "started"},
              {"service_healthy", "healthy"},
              {"healthy", "healthy"},
              {"service_completed_successfully", "completed"},
              {"completed_successfully", "completed"}};
          auto c = value.is_string() ? kConditions.find(value.get<std::string>()) : kConditions.end();
          if (c == kConditions.end()) {
            error(kat, quoteJson(value) + " is not one of started, healthy, completed_successfully");
            return;
          }
          dep["condition"] = c->second;
        } else if (k == "restart" || k == "required") {
          if (!value.is_boolean()) {
            error(kat, quoteJson(value) + " is not a boolean (true or false)");
            return;
          }
          dep[k] = value;
          if (k == "required") required = value.get<bool>();
        } else if (!isExtension(k)) {
          unsupported(kat);
        }
      }
    }
    if (name != self && !enabled_.count(name)) {
      std::string why = disabled_.count(name) ? "service " + quoteJson(name) + " is not enabled: none of its profiles is active"
                                              : "service " + quoteJson(name) + " is not defined";
      if (required) {
        error(at, why);
      } else {
        warnings_.push_back(at + ": " + why + "; the optional dependency is left out");
      }
      return;
    }
    origins_.push_back({"spec.dependsOn." + tenderServiceName(name), at});
    deps[tenderServiceName(name)] = dep;
  };
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) {
        error(indexed(path, i), quoteJson(v[i]) + " is not a service name");
        continue;
      }
      add(v[i].get<std::string>(), nullptr, indexed(path, i));
    }
  } else if (v.is_object()) {
    for (const auto& [name, settings] : v.items()) add(name, &settings, join(path, name));
  } else {
    error(path, quoteJson(v) + " is not a list or a mapping");
    return;
  }
  if (!deps.empty()) {
    origins_.push_back({"spec.dependsOn", path});
    spec["dependsOn"] = deps;
  }
}

void Translator::healthcheck(const std::string& path, const json& v, json& spec) {
  if (!v.is_object()) {
    error(path, quoteJson(v) + " is not a mapping");
    return;
  }
  if (v.contains("disable") && !v["disable"].is_boolean()) {
    error(join(path, "disable"), quoteJson(v["disable"]) + " is not a boolean (true or false)");
    return;
  }
  if (v.value("disable", false)) return;
  json hc = json::object();
  bool none = false;
  for (const auto& [k, value] : v.items()) {
    const std::string at = join(path, k);
    if (k == "test") {
      if (value.is_string()) {
        if (value.get<std::string>() == "NONE") {
          none = true;
        } else {
          put(hc, "/exec"_json_pointer, json::array({"CMD-SHELL", value}), at);
        }
      } else if (value.is_array() && !value.empty() && value[0] == "NONE") {
        none = true;
      } else {
        put(hc, "/exec"_json_pointer, value, at);
      }
    } else if (k == "interval" || k == "timeout" || k == "retries") {
      put(hc, json::json_pointer("/" + k), value, at);
    } else if (k == "start_period") {
      put(hc, "/startPeriod"_json_pointer, value, at);
    } else if (k != "disable" && !isExtension(k)) {
      unsupported(at);
    }
  }
  if (none) return;
  if (!hc.contains("exec")) {
    unsupported(path, "a healthcheck without test keeps the image's own check as it is");
    return;
  }
  // The origins were recorded under "spec.exec"...: move them under healthcheck.
  for (Origin& o : origins_) {
    for (const char* k : {"spec.exec", "spec.interval", "spec.timeout", "spec.retries", "spec.startPeriod"}) {
      if (o.native == k) o.native = "spec.healthcheck." + o.native.substr(5);
    }
  }
  origins_.push_back({"spec.healthcheck", path});
  spec["healthcheck"] = hc;
}

void Translator::restart(const std::string& path, const json& v, json& spec) {
  std::string value = v.is_boolean() && !v.get<bool>() ? "no" : v.is_string() ? v.get<std::string>() : "";
  auto bad = [&] {
    error(path, quoteJson(v) + " is not one of no, always, on-failure[:N], unless-stopped");
  };
  if (value == "no") {
    put(spec, "/restartPolicy"_json_pointer, "Never", path);
  } else if (value == "always" || value == "unless-stopped") {
    put(spec, "/restartPolicy"_json_pointer, "Always", path);
  } else if (value == "on-failure") {
    put(spec, "/restartPolicy"_json_pointer, "OnFailure", path);
  } else if (value.rfind("on-failure:", 0) == 0) {
    const std::string n = value.substr(11);
    if (n.empty() || n.size() > 9 || n.find_first_not_of("0123456789") != std::string::npos) return bad();
    put(spec, "/restartPolicy"_json_pointer, "OnFailure", path);
    put(spec, "/backoff/maxRestarts"_json_pointer, std::stoi(n), path);
  } else {
    bad();
  }
}

void Translator::deploy(const std::string& path, const json& v, json& spec) {
  if (!v.is_object()) {
    error(path, quoteJson(v) + " is not a mapping");
    return;
  }
  for (const auto& [k, value] : v.items()) {
    const std::string at = join(path, k);
    if (k == "replicas") {
      put(spec, "/replicas"_json_pointer, value, at);
    } else if (k == "mode") {
      if (value != "replicated") unsupported(at, "one host runs replicas, not a global mode");
    } else if (k == "resources") {
      if (!value.is_object()) {
        error(at, quoteJson(value) + " is not a mapping");
        continue;
      }
      for (const auto& [rk, rv] : value.items()) {
        const std::string rat = join(at, rk);
        if ((rk != "limits" && rk != "reservations") || !rv.is_object()) {
          if (rk == "limits" || rk == "reservations") {
            error(rat, quoteJson(rv) + " is not a mapping");
          } else {
            unsupported(rat);
          }
          continue;
        }
        for (const auto& [lk, lv] : rv.items()) {
          const std::string lat = join(rat, lk);
          if (lk == "memory") {
            if (auto bytes = dockerBytes(lat, lv)) {
              put(spec, json::json_pointer("/resources/" + rk + "/memory"), *bytes, lat);
            }
          } else if (lk == "cpus" && rk == "limits") {
            put(spec, "/resources/limits/cpus"_json_pointer, lv, lat);
          } else {
            unsupported(lat);
          }
        }
      }
    } else if (k == "restart_policy") {
      if (!value.is_object()) {
        error(at, quoteJson(value) + " is not a mapping");
        continue;
      }
      for (const auto& [rk, rv] : value.items()) {
        const std::string rat = join(at, rk);
        if (rk == "condition") {
          static const std::map<std::string, std::string> kPolicies = {
              {"none", "Never"}, {"on-failure", "OnFailure"}, {"any", "Always"}};
          auto p = rv.is_string() ? kPolicies.find(rv.get<std::string>()) : kPolicies.end();
          if (p == kPolicies.end()) {
            error(rat, quoteJson(rv) + " is not one of none, on-failure, any");
          } else {
            put(spec, "/restartPolicy"_json_pointer, p->second, rat);
          }
        } else if (rk == "delay") {
          put(spec, "/backoff/initial"_json_pointer, rv, rat);
        } else if (rk == "max_attempts") {
          put(spec, "/backoff/maxRestarts"_json_pointer, rv, rat);
        } else if (rk == "window") {
          put(spec, "/backoff/window"_json_pointer, rv, rat);
        } else {
          unsupported(rat);
        }
      }
    } else if (!isExtension(k)) {
      unsupported(at);
    }
  }
}

void Translator::build(const std::string& path, const json& v, json& spec) {
  if (v.is_string()) {
    put(spec, "/build/context"_json_pointer, resolvePath(v.get<std::string>()), path);
    return;
  }
  if (!v.is_object()) {
    error(path, quoteJson(v) + " is not a mapping or a string");
    return;
  }
  std::string context = ".";
  for (const auto& [k, value] : v.items()) {
    const std::string at = join(path, k);
    if (k == "context") {
      if (!value.is_string()) {
        error(at, quoteJson(value) + " is not a string");
        return;
      }
      context = value.get<std::string>();
    } else if (k == "dockerfile" || k == "target") {
      put(spec, json::json_pointer("/build/" + k), value, at);
    } else if (k == "args") {
      if (auto args = stringMap(at, value, /*lookUpBare=*/true)) put(spec, "/build/args"_json_pointer, *args, at);
    } else if (!isExtension(k)) {
      unsupported(at);
    }
  }
  put(spec, "/build/context"_json_pointer, resolvePath(context), join(path, "context"));
}

void Translator::xTender(const std::string& path, const json& v, json& spec) {
  if (!v.is_object()) {
    error(path, quoteJson(v) + " is not a mapping");
    return;
  }
  for (const auto& [k, value] : v.items()) {
    const std::string at = join(path, k);
    if (k == "backoff") {
      if (!value.is_object()) {
        error(at, quoteJson(value) + " is not a mapping");
        continue;
      }
      for (const auto& [bk, bv] : value.items()) {
        put(spec, json::json_pointer("/backoff/" + bk), bv, join(at, bk));
      }
    } else if (k == "priority") {
      put(spec, "/priority"_json_pointer, value, at);
    } else if (k == "liveness") {
      if (!value.is_boolean()) {
        error(at, quoteJson(value) + " is not a boolean (true or false)");
      } else if (!spec.contains("healthcheck")) {
        error(at, "restarts a service whose healthcheck fails: the service has no healthcheck");
      } else {
        put(spec, "/healthcheck/restartWhenUnhealthy"_json_pointer, value, at);
      }
    } else {
      error(at, "unknown field (x-tender takes backoff, liveness and priority here)");
    }
  }
}

void Translator::translateService(const std::string& name, const json& svc) {
  const std::string path = join("services", name);
  const std::string tname = tenderServiceName(name);
  origins_.clear();
  origins_.push_back({"metadata.name", path});
  origins_.push_back({"spec", path});
  if (!svc.is_object()) {
    error(path, quoteJson(svc) + " is not a mapping");
    return;
  }
  json spec = json::object();
  // Direct renames: Compose key -> native field, the value as it is.
  static const std::map<std::string, std::string> kSame = {
      {"image", "image"},         {"command", "command"},         {"entrypoint", "entrypoint"},
      {"user", "user"},           {"working_dir", "workingDir"},  {"hostname", "hostname"},
      {"stop_grace_period", "stopGracePeriod"},                   {"stop_signal", "stopSignal"},
      {"init", "init"},           {"cap_add", "capAdd"},          {"cap_drop", "capDrop"},
      {"privileged", "privileged"}, {"read_only", "readOnlyRootFilesystem"},
      {"ulimits", "ulimits"},     {"logging", "logging"},         {"expose", "expose"},
      {"scale", "replicas"}};
  static const std::set<std::string> kHandled = {
      "environment", "env_file", "ports", "volumes", "tmpfs", "networks", "network_mode",
      "depends_on", "healthcheck", "restart", "deploy", "build", "labels", "extra_hosts",
      "mem_limit", "mem_reservation", "memswap_limit", "cpus", "profiles", "x-tender",
      "pull_policy"};
  for (const auto& [k, value] : svc.items()) {
    const std::string at = join(path, k);
    if (value.is_null()) continue;
    auto same = kSame.find(k);
    if (same != kSame.end()) {
      put(spec, json::json_pointer("/" + same->second), value, at);
    } else if (k == "labels") {
      if (auto labels = stringMap(at, value, false)) put(spec, "/labels"_json_pointer, *labels, at);
    } else if (k == "extra_hosts") {
      json hosts = json::array();
      if (value.is_object()) {
        for (const auto& [host, ip] : value.items()) {
          if (auto s = text(join(at, host), ip)) hosts.push_back(host + ":" + *s);
        }
      } else {
        hosts = value;
      }
      put(spec, "/extraHosts"_json_pointer, hosts, at);
    } else if (k == "mem_limit" || k == "mem_reservation") {
      if (auto bytes = dockerBytes(at, value)) {
        const char* where = k == "mem_limit" ? "/resources/limits/memory" : "/resources/reservations/memory";
        if (!spec.contains(json::json_pointer(where))) put(spec, json::json_pointer(where), *bytes, at);
      }
    } else if (k == "memswap_limit") {
      bool unlimited = (value.is_number_integer() && value.get<int64_t>() == -1) || value == "-1";
      if (unlimited) {
        put(spec, "/resources/limits/memorySwap"_json_pointer, -1, at);
      } else if (auto bytes = dockerBytes(at, value)) {
        put(spec, "/resources/limits/memorySwap"_json_pointer, *bytes, at);
      }
    } else if (k == "cpus") {
      if (!spec.contains("/resources/limits/cpus"_json_pointer)) {
        put(spec, "/resources/limits/cpus"_json_pointer, value, at);
      }
    } else if (k == "pull_policy") {
      // tender never pulls: a policy that says "pull" cannot be kept.
      if (value != "never" && value != "missing" && value != "if_not_present" && value != "build") {
        unsupported(at, "tender never pulls images");
      }
    } else if (k == "container_name") {
      unsupported(at, "tender names containers {project}.{service}.{replica}");
    } else if (!kHandled.count(k) && !isExtension(k)) {
      unsupported(at);
    }
  }
  // deploy after the plain keys: deploy.resources and deploy.restart_policy win.
  if (auto it = svc.find("deploy"); it != svc.end() && !it->is_null()) deploy(join(path, "deploy"), *it, spec);
  if (auto it = svc.find("restart"); it != svc.end() && !it->is_null() && !spec.contains("restartPolicy")) {
    restart(join(path, "restart"), *it, spec);
  }
  if (auto it = svc.find("build"); it != svc.end() && !it->is_null()) build(join(path, "build"), *it, spec);
  environment(path, svc, spec);
  if (auto it = svc.find("ports"); it != svc.end() && !it->is_null()) ports(join(path, "ports"), *it, spec);
  auto vol = svc.find("volumes");
  auto tmp = svc.find("tmpfs");
  volumes(path, vol != svc.end() && !vol->is_null() ? &*vol : nullptr,
          tmp != svc.end() && !tmp->is_null() ? &*tmp : nullptr, spec);
  networks(path, svc, spec);
  if (auto it = svc.find("depends_on"); it != svc.end() && !it->is_null()) {
    dependsOn(join(path, "depends_on"), name, *it, spec);
  }
  // Sharing another service's network stack needs it started first, as Compose orders it.
  if (spec.contains("networkMode") && spec["networkMode"].is_string()) {
    const std::string mode = spec["networkMode"].get<std::string>();
    if (mode.rfind("service:", 0) == 0) {
      const std::string other = mode.substr(8);
      const std::string tother = tenderServiceName(other);
      if (!enabled_.count(other)) {
        error(join(path, "network_mode"), "service " + quoteJson(other) + " is not defined");
      } else {
        spec["networkMode"] = "service:" + tother;
        if (!spec.contains("dependsOn") || !spec["dependsOn"].contains(tother)) spec["dependsOn"][tother] = json::object();
      }
    }
  }
  if (auto it = svc.find("healthcheck"); it != svc.end() && !it->is_null()) {
    healthcheck(join(path, "healthcheck"), *it, spec);
  }
  // A renamed service still answers to its Compose name on every network it joins.
  if (tname != name) {
    warnings_.push_back(path + ": tender names this service " + quoteJson(tname) +
                        " (its service names are DNS labels); it still answers to " + quoteJson(name) +
                        " on its networks");
    std::vector<std::string> joined;
    if (spec.contains("networks") && spec["networks"].is_array()) {
      for (const auto& n : spec["networks"]) joined.push_back(n.get<std::string>());
    } else if (!spec.contains("networkMode")) {
      joined.push_back("default");
    }
    for (const std::string& n : joined) {
      json& list = spec["networkAliases"][n];
      if (!list.is_array()) list = json::array();
      list.push_back(name);
    }
  }
  if (auto it = svc.find("x-tender"); it != svc.end() && !it->is_null()) {
    xTender(join(path, "x-tender"), *it, spec);
  }
  decode({{"apiVersion", kApiVersion},
          {"kind", "Service"},
          {"metadata", {{"name", tname}, {"namespace", project_}}},
          {"spec", spec}},
         path);
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
        isExtension(k)) {
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
  for (const auto& [name, svc] : services->items()) {
    if (enabled_.count(name)) translateService(name, svc);
  }
  if (!errors_.empty()) return Status::Invalid(what, std::move(errors_));
  return ComposeProject{project_, std::move(resources_), std::move(warnings_)};
}

}  // namespace

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
    return Translator(options).run(files);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("reading a Compose file: ") + e.what());
  }
}

}  // namespace tender

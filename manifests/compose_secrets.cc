// Compose's secrets and configs: the top-level declarations (where each
// one's bytes are) and a service's uses (where they land), as native
// spec.secrets and spec.configs (resource.h FileMount). A value never
// enters a spec here: a file stays a path and an environment source a
// variable's name, both read by the tender command when it uploads them.
#include <string>

#include "manifests/compose_internal.h"
#include "manifests/manifest.h"

namespace tender {
namespace compose_internal {

namespace {

const char* singular(const std::string& kind) { return kind == "secrets" ? "secret" : "config"; }

// "103" or 103; nullopt (with an error) otherwise.
std::optional<int64_t> numericId(const std::string& text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace

void Translator::declareFiles(const json& doc, const std::string& kind) {
  auto it = doc.find(kind);
  if (it == doc.end() || it->is_null()) return;
  if (!it->is_object()) {
    error(kind, quoteJson(*it) + " is not a mapping");
    return;
  }
  auto& sources = kind == "secrets" ? secretSources_ : configSources_;
  for (const auto& [name, decl] : it->items()) {
    const std::string path = join(kind, name);
    if (!isObjectName(name)) {
      error(path, quoteJson(name) + resourceNameRule("Volume"));
      continue;
    }
    if (!decl.is_object()) {
      error(path, quoteJson(decl) + " is not a mapping");
      continue;
    }
    FileSource source;
    int given = 0;
    for (const auto& [k, v] : decl.items()) {
      const std::string at = join(path, k);
      if (v.is_null() || isExtension(k)) continue;
      if (k == "file") {
        auto file = text(at, v);
        if (!file) continue;
        ++given;
        source.file = resolvePath(*file);
        if (!options_.readFile) {
          error(at, std::string(singular(kind)) + " files are read by the tender command: the server cannot read " +
                        quoteJson(*file) + " (apply with `tender apply -f`)");
        } else if (auto read = options_.readFile(source.file); !read.ok()) {
          error(at, "cannot read " + quoteJson(source.file) + ": " + read.status().message());
        }
      } else if (k == "environment") {
        auto var = text(at, v);
        if (!var) continue;
        ++given;
        source.environment = *var;
        if (!variables_.count(*var)) error(at, "the variable " + *var + " is not set");
      } else if (k == "content" && kind == "configs") {
        if (auto content = text(at, v)) source.content = *content, ++given;
      } else if (k == "external") {
        if (v == true) {
          error(at, "external " + kind + " are Swarm's and tender has none: give file: or environment:");
          ++given;
        }
      } else if (k == "name") {
        // The engine-side name Swarm would give it; a file copied into the
        // container has no other name than its target.
      } else {
        unsupported(at);
      }
    }
    if (given == 0) {
      error(path, kind == "secrets" ? "file or environment is required"
                                    : "file, environment or content is required");
    } else if (given > 1) {
      error(path, "give only one of file, environment" + std::string(kind == "configs" ? ", content" : ""));
    }
    sources[name] = source;
  }
}

void Translator::fileMounts(const std::string& path, const std::string& kind, const json& v, json& spec) {
  if (!v.is_array()) {
    error(path, quoteJson(v) + " is not a list");
    return;
  }
  const auto& sources = kind == "secrets" ? secretSources_ : configSources_;
  json list = json::array();
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string at = indexed(path, i);
    const json& item = v[i];
    json native = json::object();
    std::string source;
    if (item.is_string()) {
      source = item.get<std::string>();
    } else if (item.is_object()) {
      for (const auto& [k, value] : item.items()) {
        const std::string field = join(at, k);
        if (value.is_null()) continue;
        if (k == "source") {
          if (auto s = text(field, value)) source = *s;
        } else if (k == "target") {
          auto target = text(field, value);
          if (!target) continue;
          // A secret's relative target is a name under /run/secrets, as Compose puts it.
          if (kind == "secrets" && !target->empty() && (*target)[0] != '/') *target = "/run/secrets/" + *target;
          native["target"] = *target;
          origins_.push_back({"spec." + kind + "[" + std::to_string(i) + "].target", field});
        } else if (k == "uid" || k == "gid") {
          auto id = text(field, value);
          if (!id) continue;
          if (auto n = numericId(*id)) {
            native[k] = *n;
          } else {
            error(field, quoteJson(value) + " is not a numeric user or group ID");
          }
        } else if (k == "mode") {
          native["mode"] = value;
          origins_.push_back({"spec." + kind + "[" + std::to_string(i) + "].mode", field});
        } else if (!isExtension(k)) {
          unsupported(field);
        }
      }
    } else {
      error(at, quoteJson(item) + " is not a name or a mapping");
      continue;
    }
    auto found = sources.find(source);
    if (source.empty()) {
      error(join(at, "source"), "is required");
      continue;
    }
    if (found == sources.end()) {
      error(at, std::string(singular(kind)) + " " + quoteJson(source) + " is not declared in the top-level " + kind);
      continue;
    }
    native["name"] = source;
    if (!found->second.file.empty()) native["file"] = found->second.file;
    if (!found->second.environment.empty()) native["environment"] = found->second.environment;
    if (found->second.content) native["content"] = *found->second.content;
    list.push_back(native);
  }
  if (!list.empty()) put(spec, json::json_pointer("/" + kind), list, path);
}

}  // namespace compose_internal
}  // namespace tender

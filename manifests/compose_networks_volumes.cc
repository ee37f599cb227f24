// Compose's networks and volumes: the top-level declarations (each a Network
// or Volume resource of the project, or an external one named as the engine
// knows it) and how a service mounts volumes (short and long syntax, tmpfs)
// and joins networks (network_mode, aliases).
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "manifests/compose_internal.h"
#include "manifests/manifest.h"
#include "manifests/manifest_syntax.h"

namespace tender {
namespace compose_internal {

namespace fs = std::filesystem;

// What differs between the top-level networks and volumes: the section's
// key, the resource kind, and the keys besides labels, name and external.
struct TopLevelKind {
  const char* section;  // "networks"
  const char* kind;     // "Network"
  const char* noun;     // "network"
  struct Key {
    const char* compose;  // "driver_opts"
    const char* field;    // "/driverOpts" in the spec
    bool stringMap;       // a mapping of strings, checked as one
  };
  std::vector<Key> keys;
};

const TopLevelKind kNetworks{"networks",
                             "Network",
                             "network",
                             {{"driver", "/driver", false}, {"internal", "/internal", false}}};
const TopLevelKind kVolumes{"volumes",
                            "Volume",
                            "volume",
                            {{"driver", "/driver", false}, {"driver_opts", "/driverOpts", true}}};

void Translator::declareNetworks(const json* networks) {
  declareTopLevel(networks, kNetworks, networkNames_);
}

void Translator::declareVolumes(const json* volumes) {
  declareTopLevel(volumes, kVolumes, volumeNames_);
}

void Translator::declareTopLevel(const json* decls, const TopLevelKind& kind,
                                 std::map<std::string, std::string>& names) {
  if (decls == nullptr) return;
  if (!decls->is_object()) {
    error(kind.section, quoteJson(*decls) + " is not a mapping");
    return;
  }
  for (const auto& [key, value] : decls->items()) {
    const std::string path = join(kind.section, key);
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
      auto specific = std::find_if(
          kind.keys.begin(), kind.keys.end(),
          [&k = k](const TopLevelKind::Key& candidate) { return k == candidate.compose; });
      if (specific != kind.keys.end()) {
        const json::json_pointer field(specific->field);
        if (!specific->stringMap) {
          put(spec, field, v, at);
        } else if (auto map = stringMap(at, v, false)) {
          put(spec, field, *map, at);
        }
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
          unsupported(at, std::string("tender names ") + kind.section + " {project}_{key}");
        } else if (!(def["external"].is_object() && def["external"].contains("name"))) {
          name = v.get<std::string>();
        }
      } else if (!isExtension(k)) {
        unsupported(at);
      }
    }
    if (external) {
      spec["external"] = true;
      if (!isObjectName(name)) {
        error(join(path, "name"), quoteJson(name) + resourceNameRule(kind.kind) +
                                      ": tender names an external " + kind.noun +
                                      " by its engine name");
        continue;
      }
    }
    names[key] = name;
    origins_.push_back({"metadata.name", path});
    origins_.push_back({"spec", path});
    decode({{"apiVersion", kApiVersion},
            {"kind", kind.kind},
            {"metadata", {{"name", name}, {"namespace", project_}}},
            {"spec", spec}},
           path);
  }
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

}  // namespace compose_internal
}  // namespace tender

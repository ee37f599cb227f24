// Merging a Compose override file onto its base, key by key (the rules are in
// compose_merge.h).
#include "manifests/compose_merge.h"

#include <algorithm>
#include <set>
#include <string>

namespace tender {
namespace {

using json = nlohmann::json;

// Recursive merge of mappings; anything else is replaced.
json mergeValues(const json& base, const json& over) {
  if (!base.is_object() || !over.is_object()) return over;
  json out = base;
  for (const auto& [key, value] : over.items()) {
    out[key] = out.contains(key) ? mergeValues(out[key], value) : value;
  }
  return out;
}

// ["A=1", "B"] -> {"A": "1", "B": null}; a mapping stays as it is.
json asMapping(const json& v, char separator = '=') {
  if (!v.is_array()) return v;
  json out = json::object();
  for (const json& item : v) {
    if (!item.is_string()) return v;  // leave malformed input for the translator to report
    const std::string s = item.get<std::string>();
    size_t sep = s.find(separator);
    if (separator == ':' && sep == std::string::npos) sep = s.find('=');
    if (sep == std::string::npos) {
      out[s] = nullptr;
    } else {
      out[s.substr(0, sep)] = s.substr(sep + 1);
    }
  }
  return out;
}

// depends_on and networks: a list of names is a mapping of names to nothing.
json namesAsMapping(const json& v) {
  if (!v.is_array()) return v;
  json out = json::object();
  for (const json& item : v) {
    if (!item.is_string()) return v;
    out[item.get<std::string>()] = nullptr;
  }
  return out;
}

json appendUnique(const json& base, const json& over) {
  json a = base.is_array() ? base : json::array({base});
  json b = over.is_array() ? over : json::array({over});
  for (const json& item : b) {
    if (std::find(a.begin(), a.end(), item) == a.end()) a.push_back(item);
  }
  return a;
}

// The container path of a volume entry, short or long syntax.
std::string volumeTarget(const json& v) {
  if (v.is_object()) return v.contains("target") && v["target"].is_string() ? v["target"].get<std::string>() : "";
  if (!v.is_string()) return "";
  const std::string s = v.get<std::string>();
  size_t first = s.find(':');
  if (first == std::string::npos) return s;
  size_t second = s.find(':', first + 1);
  return s.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
}

json mergeVolumes(const json& base, const json& over) {
  if (!base.is_array() || !over.is_array()) return over;
  json out = base;
  for (const json& item : over) {
    const std::string target = volumeTarget(item);
    auto same = std::find_if(out.begin(), out.end(), [&](const json& b) {
      return !target.empty() && volumeTarget(b) == target;
    });
    if (same != out.end()) {
      *same = item;
    } else {
      out.push_back(item);
    }
  }
  return out;
}

json mergeService(const json& base, const json& over) {
  if (!base.is_object() || !over.is_object()) return over;
  static const std::set<std::string> kMappings = {"environment", "labels", "sysctls",
                                                  "annotations", "ulimits"};
  static const std::set<std::string> kAppended = {
      "ports", "expose", "cap_add", "cap_drop", "dns", "dns_search", "dns_opt", "env_file",
      "profiles", "tmpfs", "security_opt", "devices", "external_links", "links", "group_add",
      "secrets", "configs", "volumes_from"};
  static const std::set<std::string> kReplaced = {"command", "entrypoint"};
  json out = base;
  for (const auto& [key, value] : over.items()) {
    if (!out.contains(key) || out[key].is_null() || value.is_null()) {
      out[key] = value;
    } else if (kMappings.count(key)) {
      out[key] = mergeValues(asMapping(out[key]), asMapping(value));
    } else if (key == "extra_hosts") {
      out[key] = mergeValues(asMapping(out[key], ':'), asMapping(value, ':'));
    } else if (key == "depends_on" || key == "networks") {
      out[key] = mergeValues(namesAsMapping(out[key]), namesAsMapping(value));
    } else if (key == "volumes") {
      out[key] = mergeVolumes(out[key], value);
    } else if (kAppended.count(key)) {
      out[key] = appendUnique(out[key], value);
    } else if (kReplaced.count(key)) {
      out[key] = value;
    } else if (key == "build") {
      json b = out[key].is_string() ? json{{"context", out[key]}} : out[key];
      json o = value.is_string() ? json{{"context", value}} : value;
      if (b.is_object() && o.is_object() && b.contains("args") && o.contains("args")) {
        json args = mergeValues(asMapping(b["args"]), asMapping(o["args"]));
        b = mergeValues(b, o);
        b["args"] = args;
        out[key] = b;
      } else {
        out[key] = mergeValues(b, o);
      }
    } else if (key == "healthcheck" && out[key].is_object() && value.is_object()) {
      json h = mergeValues(out[key], value);
      if (value.contains("test")) h["test"] = value["test"];  // a command is replaced, never merged
      out[key] = h;
    } else {
      out[key] = mergeValues(out[key], value);
    }
  }
  return out;
}

}  // namespace

nlohmann::json mergeComposeService(const nlohmann::json& base, const nlohmann::json& over) {
  return mergeService(base, over);
}

nlohmann::json mergeComposeDocuments(const nlohmann::json& base, const nlohmann::json& over) {
  if (!base.is_object() || !over.is_object()) return over;
  json out = base;
  for (const auto& [key, value] : over.items()) {
    if (key == "services" && out.contains(key) && out[key].is_object() && value.is_object()) {
      for (const auto& [name, service] : value.items()) {
        json& services = out[key];
        services[name] = services.contains(name) ? mergeService(services[name], service) : service;
      }
    } else {
      out[key] = out.contains(key) ? mergeValues(out[key], value) : value;
    }
  }
  return out;
}

}  // namespace tender

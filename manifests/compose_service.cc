// A Compose service as a tender Service: the keys renamed as they are, the
// environment and env_files, ports, depends_on, healthcheck, restart, deploy,
// build and x-tender, settled into the native spec that is then decoded.
#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifests/compose_internal.h"
#include "manifests/manifest.h"
#include "manifests/manifest_syntax.h"

namespace tender {
namespace compose_internal {

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
  if (v.value("disable", false)) {
    put(spec, "/disableImageHealthcheck"_json_pointer, true, join(path, "disable"));
    return;
  }
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
    } else if (k == "start_interval") {
      put(hc, "/startInterval"_json_pointer, value, at);
    } else if (k != "disable" && !isExtension(k)) {
      unsupported(at);
    }
  }
  if (none) {
    put(spec, "/disableImageHealthcheck"_json_pointer, true, join(path, "test"));
    return;
  }
  if (!hc.contains("exec")) {
    unsupported(path, "a healthcheck without test keeps the image's own check as it is");
    return;
  }
  // The origins were recorded under "spec.exec"...: move them under healthcheck.
  for (Origin& o : origins_) {
    for (const char* k : {"spec.exec", "spec.interval", "spec.timeout", "spec.retries", "spec.startPeriod",
                          "spec.startInterval"}) {
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
          } else if (lk == "pids" && rk == "limits") {
            put(spec, "/pidsLimit"_json_pointer, lv, lat);
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

// container_name: tender names its containers {project}.{service}.{replica},
// so the name Compose would give the container becomes a network alias: the
// other containers reach the service by it as they did.
void Translator::containerName(const std::string& at, const json& value, json& spec) {
  auto name = text(at, value);
  if (!name) return;
  const bool ok = !name->empty() && std::isalnum(static_cast<unsigned char>(name->front())) &&
                  std::all_of(name->begin(), name->end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
                  });
  if (!ok) {
    error(at, quoteJson(*name) + " is not a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)");
    return;
  }
  containerAlias_ = *name;
  warnings_.push_back(at + ": tender names containers {project}.{service}.{replica}; " + quoteJson(*name) +
                      " is kept as a network alias of the service");
}

void Translator::volumesFrom(const std::string& path, const json& v,
                             json& spec, const std::function<bool(const std::string&, const std::string&)>& needs) {
  if (!v.is_array()) {
    error(path, quoteJson(v) + " is not a list");
    return;
  }
  json out = json::array();
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string at = indexed(path, i);
    auto item = text(at, v[i]);
    if (!item) continue;
    if (item->rfind("container:", 0) == 0) {
      unsupported(at, "a container outside the project; name a service of it instead");
      continue;
    }
    const size_t colon = item->find(':');
    const std::string other = item->substr(0, colon);
    const std::string mode = colon == std::string::npos ? "" : item->substr(colon + 1);
    if (mode != "" && mode != "ro" && mode != "rw") {
      error(at, quoteJson(*item) + ": the mode is not ro or rw");
      continue;
    }
    if (!needs(other, at)) continue;
    origins_.push_back({"spec.volumesFrom[" + std::to_string(out.size()) + "]", at});
    out.push_back(tenderServiceName(other) + (mode.empty() ? "" : ":" + mode));
  }
  if (!out.empty()) spec["volumesFrom"] = out;
}

// The keys that map on their own (a rename, a unit, a note), each written
// into `spec`; a key no step handles is warned.
void Translator::plainKeys(const std::string& path, const json& svc, json& spec) {
  // Direct renames: Compose key -> native field, the value as it is.
  static const std::map<std::string, std::string> kSame = {
      {"image", "image"},         {"command", "command"},         {"entrypoint", "entrypoint"},
      {"user", "user"},           {"working_dir", "workingDir"},  {"hostname", "hostname"},
      {"stop_grace_period", "stopGracePeriod"},                   {"stop_signal", "stopSignal"},
      {"init", "init"},           {"cap_add", "capAdd"},          {"cap_drop", "capDrop"},
      {"privileged", "privileged"}, {"read_only", "readOnlyRootFilesystem"},
      {"ulimits", "ulimits"},     {"logging", "logging"},         {"expose", "expose"},
      {"scale", "replicas"},      {"pid", "pid"},                 {"ipc", "ipc"},
      {"uts", "uts"},             {"devices", "devices"},         {"security_opt", "securityOpt"},
      {"cpu_shares", "cpuShares"}, {"cpuset", "cpuset"},          {"pids_limit", "pidsLimit"},
      {"oom_score_adj", "oomScoreAdj"}, {"mem_swappiness", "memorySwappiness"},
      {"dns_opt", "dnsOptions"},  {"tty", "tty"},                 {"stdin_open", "stdinOpen"},
      {"domainname", "domainname"}, {"mac_address", "macAddress"}};
  static const std::set<std::string> kHandled = {
      "environment", "env_file", "ports", "volumes", "tmpfs", "networks", "network_mode",
      "depends_on", "healthcheck", "restart", "deploy", "build", "labels", "extra_hosts",
      "mem_limit", "mem_reservation", "memswap_limit", "cpus", "profiles", "x-tender",
      "pull_policy", "secrets", "configs", "volumes_from"};
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
    } else if (k == "cpu_quota" || k == "cpu_period") {
      cpuQuota(path, k, svc, spec);
    } else if (k == "sysctls") {
      if (auto sysctls = stringMap(at, value, false)) put(spec, "/sysctls"_json_pointer, *sysctls, at);
    } else if (k == "shm_size") {
      if (auto bytes = dockerBytes(at, value)) put(spec, "/shmSize"_json_pointer, *bytes, at);
    } else if (k == "group_add" || k == "dns" || k == "dns_search") {
      // A gid may be written as a number, a single resolver as a string.
      const char* where = k == "group_add" ? "/groupAdd" : k == "dns" ? "/dns" : "/dnsSearch";
      put(spec, json::json_pointer(where), strings(at, value), at);
    } else if (k == "pull_policy") {
      // tender never pulls: the image must be on the engine whatever the policy says.
      if (value != "never" && value != "missing" && value != "if_not_present" && value != "build") {
        note(at, "tender never pulls images; the image must already be on the engine (docker pull it)");
      }
    } else if (k == "platform") {
      note(at, "tender runs the image the engine has and never pulls another platform's");
    } else if (k == "develop" || k == "annotations") {
      note(at, k == "develop" ? "compose watch is docker compose's; tender ignores it"
                              : "tender keeps no annotations on containers; ignored");
    } else if (k == "container_name") {
      containerName(at, value, spec);
    } else if (!kHandled.count(k) && !isExtension(k)) {
      unsupported(at);
    }
  }
}

void Translator::cpuQuota(const std::string& path, const std::string& key, const json& svc, json& spec) {
  const std::string at = join(path, key);
  const bool hasQuota = svc.contains("cpu_quota") && !svc["cpu_quota"].is_null();
  if (key == "cpu_period") {
    if (!hasQuota) note(at, "cpu_period without cpu_quota limits nothing");
    const json& v = svc["cpu_period"];
    if (!v.is_number_integer() || v.get<int64_t>() < 1000 || v.get<int64_t>() > 1000000)
      error(at, quoteJson(v) + " is not a period of 1000 to 1000000 microseconds");
    return;
  }
  const json& quota = svc["cpu_quota"];
  if (!quota.is_number_integer()) {
    error(at, quoteJson(quota) + " is not a whole number of microseconds");
    return;
  }
  int64_t period = 100000;  // the kernel's and Docker's default
  if (auto p = svc.find("cpu_period"); p != svc.end() && p->is_number_integer()) period = p->get<int64_t>();
  if (quota.get<int64_t>() <= 0 || period < 1000 || period > 1000000) return;  // -1: no limit
  if (svc.contains("cpus")) return;  // cpus says it
  put(spec, "/resources/limits/cpus"_json_pointer, static_cast<double>(quota.get<int64_t>()) / static_cast<double>(period),
      at);
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
  plainKeys(path, svc, spec);
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
  // Sharing another service's namespaces or volumes needs it started first, as Compose orders it.
  auto needs = [&](const std::string& other, const std::string& at) {
    if (other == name) {
      error(at, "a service cannot share its own namespaces or volumes");
      return false;
    }
    if (!enabled_.count(other)) {
      error(at, "service " + quoteJson(other) +
                    (disabled_.count(other) ? " is not enabled: none of its profiles is active" : " is not defined"));
      return false;
    }
    const std::string tother = tenderServiceName(other);
    if (!spec.contains("dependsOn") || !spec["dependsOn"].contains(tother)) spec["dependsOn"][tother] = json::object();
    return true;
  };
  for (const auto& [native, key] : {std::pair<const char*, const char*>{"networkMode", "network_mode"},
                                    {"pid", "pid"}, {"ipc", "ipc"}}) {
    if (!spec.contains(native) || !spec[native].is_string()) continue;
    const std::string mode = spec[native].get<std::string>();
    if (mode.rfind("service:", 0) != 0) continue;
    const std::string other = mode.substr(8);
    if (needs(other, join(path, key))) spec[native] = "service:" + tenderServiceName(other);
  }
  if (auto it = svc.find("volumes_from"); it != svc.end() && !it->is_null()) {
    volumesFrom(join(path, "volumes_from"), *it, spec, needs);
  }
  if (auto it = svc.find("healthcheck"); it != svc.end() && !it->is_null()) {
    healthcheck(join(path, "healthcheck"), *it, spec);
  }
  // A renamed service still answers to its Compose name on every network it joins.
  std::vector<std::string> aliases;
  if (tname != name) {
    warnings_.push_back(path + ": tender names this service " + quoteJson(tname) +
                        " (its service names are DNS labels); it still answers to " + quoteJson(name) +
                        " on its networks");
    aliases.push_back(name);
  }
  if (!containerAlias_.empty() && containerAlias_ != tname && containerAlias_ != name) {
    aliases.push_back(containerAlias_);
  }
  containerAlias_.clear();
  if (!aliases.empty()) {
    std::vector<std::string> joined;
    if (spec.contains("networks") && spec["networks"].is_array()) {
      for (const auto& n : spec["networks"]) joined.push_back(n.get<std::string>());
    } else if (!spec.contains("networkMode")) {
      joined.push_back("default");
    }
    for (const std::string& n : joined) {
      json& list = spec["networkAliases"][n];
      if (!list.is_array()) list = json::array();
      for (const std::string& a : aliases) {
        if (std::find(list.begin(), list.end(), a) == list.end()) list.push_back(a);
      }
    }
  }
  for (const char* kind : {"secrets", "configs"}) {
    if (auto it = svc.find(kind); it != svc.end() && !it->is_null()) fileMounts(join(path, kind), kind, *it, spec);
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

}  // namespace compose_internal
}  // namespace tender

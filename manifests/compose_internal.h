// Internal to manifests/ (nothing outside this folder includes it): the
// Compose translator that loadCompose runs, shared by its four files.
// Translator's project-level steps (reading, interpolating and merging the
// files, the project name, profiles, decoding each resource) are in
// compose.cc; what a file takes from other files (include, extends) in
// compose_files.cc; the top-level networks and volumes and a service's
// volumes and networks in compose_networks_volumes.cc; the rest of a
// service in compose_service.cc.
//
// Thread-safety: a Translator is used once, by one thread.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "manifests/compose.h"
#include "manifests/manifest_syntax.h"
#include "manifests/resource.h"

namespace tender {
namespace compose_internal {

using json = nlohmann::json;

inline std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

inline std::string indexed(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

inline bool isExtension(const std::string& key) { return key.rfind("x-", 0) == 0; }

inline std::vector<std::string> splitOn(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

// Compose allows service names tender cannot use as they are ("web_app",
// "API.v2"): tender's are DNS labels. Lowercase, with '-' for anything else.
std::string tenderServiceName(const std::string& composeName);

// A native field and the Compose path it was written from.
struct Origin {
  std::string native;
  std::string compose;
};

struct TopLevelKind;  // compose_networks_volumes.cc: networks or volumes

// Replaces every string of `v` by its interpolation; errors at their paths.
void interpolateAll(json& v, const std::string& path, const std::map<std::string, std::string>& vars,
                    std::vector<FieldError>* errors, std::vector<std::string>* unset);

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

  // A key tender accepts and does nothing with: said, and never an error.
  void note(const std::string& path, const std::string& why) {
    warnings_.push_back(path + ": accepted; " + why);
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
  // compose_files.cc: one file's text as an interpolated document.
  Result<json> parseFile(const std::string& name, const std::string& text,
                         const std::map<std::string, std::string>& vars, std::vector<std::string>* unset);
  // Another Compose file a file names (an include, an extends file), read
  // through options_.readFile; errors at `at`.
  std::optional<json> readReferenced(const std::string& at, const std::string& path,
                                     const std::map<std::string, std::string>& vars,
                                     std::vector<std::string>* unset);
  // `include:` of `doc` (whose relative paths resolve against `dir`), its
  // projects added to it; `chain` holds the files being included, for cycles.
  void resolveIncludes(json& doc, const std::string& file, const std::string& dir,
                       const std::map<std::string, std::string>& vars, std::vector<std::string>& chain,
                       std::vector<std::string>* unset);
  // Every service of `doc` with `extends` replaced by the service it extends
  // merged with its own keys. `prefix` goes before the paths of errors
  // ("" for the user's files, "other.yml: " for the others).
  void resolveExtends(json& doc, const std::string& file, const std::string& dir, const std::string& prefix,
                      const std::map<std::string, std::string>& vars, std::vector<std::string>* unset);
  std::optional<json> extendedService(const json& services, const std::string& file, const std::string& dir,
                                      const std::string& prefix, const std::string& name,
                                      const std::map<std::string, std::string>& vars,
                                      std::vector<std::string>& chain, std::vector<std::string>* unset);
  bool chooseName(const json& doc);
  void declareNetworks(const json* networks);
  void declareVolumes(const json* volumes);
  // Both of the above: each entry of a top-level section as a resource,
  // its engine name recorded in `names`.
  void declareTopLevel(const json* decls, const TopLevelKind& kind,
                       std::map<std::string, std::string>& names);
  void translateService(const std::string& name, const json& svc);
  void plainKeys(const std::string& path, const json& svc, json& spec);
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
  // compose_secrets.cc: the top-level secrets or configs (`kind`), and a
  // service's list of them.
  void declareFiles(const json& doc, const std::string& kind);
  void fileMounts(const std::string& path, const std::string& kind, const json& v, json& spec);
  void containerName(const std::string& at, const json& value, json& spec);
  // cpu_quota and cpu_period (a service's keys at `path`) as the CPUs they
  // allow, unless cpus says it; `key` is the one being read.
  void cpuQuota(const std::string& path, const std::string& key, const json& svc, json& spec);
  // `needs(service, path)` checks a service this one shares with and orders it first.
  void volumesFrom(const std::string& path, const json& v, json& spec,
                   const std::function<bool(const std::string&, const std::string&)>& needs);

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
  // Where each declared secret's or config's bytes are: one of the three.
  struct FileSource {
    std::string file;  // resolved against projectDir
    std::string environment;
    std::optional<std::string> content;
  };
  std::map<std::string, FileSource> secretSources_, configSources_;
  std::string containerAlias_;  // the service's container_name, while it is translated
  std::set<std::set<std::string>> reportedCycles_;  // extends cycles, by their members
};

}  // namespace compose_internal
}  // namespace tender

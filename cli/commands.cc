#include "cli/commands.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <system_error>

#include "cli/output.h"
#include "manifests/manifest.h"

namespace tender {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// "service/web", or "alice/service/web" when lines must say their namespace.
std::string objectRef(const std::string& kind, const std::string& ns, const std::string& name,
                      bool withNamespace) {
  std::string ref = lower(kind) + "/" + name;
  if (withNamespace && !ns.empty() && kind != "Namespace") ref = ns + "/" + ref;
  return ref;
}

std::string stringField(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<json> parseAnswer(const ApiResponse& response) {
  json parsed = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Status::Internal("the server's answer is not JSON: " + response.body.substr(0, 200));
  }
  return parsed;
}

const char* pluralOf(const std::string& kind) {
  if (kind == "Service") return "services";
  if (kind == "Network") return "networks";
  if (kind == "Volume") return "volumes";
  return "namespaces";
}

const char* kindOf(const std::string& resource) {
  if (resource == "services") return "Service";
  if (resource == "networks") return "Network";
  if (resource == "volumes") return "Volume";
  return "Namespace";
}

std::string objectPath(const std::string& resource, const std::string& ns,
                       const std::string& name) {
  if (resource == "namespaces") return "/api/v1/namespaces/" + urlEncode(name);
  return "/api/v1/namespaces/" + urlEncode(ns) + "/" + resource + "/" + urlEncode(name);
}

Result<std::string> readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec(errno, std::generic_category());
    return Status::Invalid("cannot read " + path.string() + ": " + ec.message());
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::Invalid("cannot read " + path.string());
  return text;
}

struct Target {
  std::string kind;
  std::string ns;
  std::string name;
};

}  // namespace

std::string canonicalResource(const std::string& word) {
  const std::string w = lower(word);
  if (w == "services" || w == "service" || w == "svc") return "services";
  if (w == "networks" || w == "network" || w == "net") return "networks";
  if (w == "volumes" || w == "volume" || w == "vol") return "volumes";
  if (w == "namespaces" || w == "namespace" || w == "ns") return "namespaces";
  return "";
}

void printError(const Status& status, std::ostream& err, const std::string& context) {
  std::string message = status.message().empty() ? status.reason() : status.message();
  err << "error: " << (context.empty() ? "" : context + ": ") << message << "\n";
  for (const auto& d : status.details()) err << "  " << d.field << ": " << d.message << "\n";
}

Result<std::vector<ManifestSource>> readManifestSources(const std::vector<std::string>& paths,
                                                        std::istream& in) {
  std::vector<ManifestSource> sources;
  if (paths.empty()) return Status::Invalid("no manifest given: use -f FILE, -f DIR or -f -");
  for (const std::string& p : paths) {
    if (p == "-") {
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      sources.push_back({"<stdin>", std::move(text)});
      continue;
    }
    std::error_code ec;
    fs::file_status st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      return Status::Invalid("cannot read " + p + ": " +
                             (ec ? ec.message() : std::string("no such file or directory")));
    }
    if (!fs::is_directory(st)) {
      auto text = readFile(p);
      if (!text.ok()) return text.status();
      sources.push_back({p, std::move(*text)});
      continue;
    }
    std::vector<fs::path> files;
    for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path& f = it->path();
      const std::string ext = lower(f.extension().string());
      if ((ext == ".yaml" || ext == ".yml" || ext == ".json") && it->is_regular_file(ec)) {
        files.push_back(f);
      }
    }
    if (ec) return Status::Invalid("cannot list " + p + ": " + ec.message());
    if (files.empty()) return Status::Invalid("no manifests (*.yaml, *.yml, *.json) in " + p);
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      auto text = readFile(f);
      if (!text.ok()) return text.status();
      sources.push_back({f.string(), std::move(*text)});
    }
  }
  return sources;
}

int runApply(const ApplyOptions& options, ApiClient& client, std::istream& in, std::ostream& out,
             std::ostream& err) {
  auto sources = readManifestSources(options.files, in);
  if (!sources.ok()) {
    printError(sources.status(), err);
    return 1;
  }
  std::string path = "/api/v1/apply";
  if (!options.ns.empty()) path += "?namespace=" + urlEncode(options.ns);
  const bool several = sources->size() > 1;
  bool failed = false;
  for (const ManifestSource& source : *sources) {
    const std::string context = several ? source.name : "";
    // Relative build contexts are relative to the manifest's folder.
    std::error_code ec;
    fs::path folder = source.name == "<stdin>" ? fs::current_path(ec)
                                               : fs::absolute(fs::path(source.name), ec).parent_path();
    std::string target = path + (path.find('?') == std::string::npos ? "?" : "&") +
                         "baseDir=" + urlEncode(folder.lexically_normal().string());
    auto response = client.call("POST", target, source.text, "application/yaml");
    if (!response.ok()) {
      printError(response.status(), err, context);
      failed = true;
      continue;
    }
    auto answer = parseAnswer(*response);
    if (!answer.ok() || !answer->contains("items") || !(*answer)["items"].is_array()) {
      printError(
          answer.ok() ? Status::Internal("the server's answer has no items") : answer.status(), err,
          context);
      failed = true;
      continue;
    }
    const json& items = (*answer)["items"];
    std::set<std::string> namespaces;
    for (const json& item : items) {
      if (item.is_object() && stringField(item, "kind") != "Namespace") {
        namespaces.insert(stringField(item, "namespace"));
      }
    }
    for (const json& item : items) {
      if (!item.is_object()) continue;
      out << objectRef(stringField(item, "kind"), stringField(item, "namespace"),
                       stringField(item, "name"), namespaces.size() > 1)
          << " " << stringField(item, "outcome") << "\n";
    }
  }
  return failed ? 1 : 0;
}

int runGet(const GetOptions& options, ApiClient& client, WallTime now, std::ostream& out,
           std::ostream& err) {
  const std::string resource = canonicalResource(options.resource);
  if (resource.empty()) {
    printError(Status::Invalid("unknown resource type \"" + options.resource +
                               "\": use services, networks, volumes or namespaces"),
               err);
    return 1;
  }
  auto format = parseOutputFormat(options.output);
  if (!format.ok()) {
    printError(format.status(), err);
    return 1;
  }
  const bool perNamespace = resource != "namespaces";
  const bool all = options.allNamespaces && perNamespace;
  const std::string ns = options.ns.empty() ? "default" : options.ns;
  std::string path;
  if (!options.name.empty()) {
    if (all) {
      printError(Status::Invalid("a resource cannot be retrieved by name across all namespaces"),
                 err);
      return 1;
    }
    path = objectPath(resource, ns, options.name);
  } else if (!perNamespace) {
    path = "/api/v1/namespaces";
  } else if (all) {
    path = "/api/v1/" + resource;
  } else {
    path = "/api/v1/namespaces/" + urlEncode(ns) + "/" + resource;
  }

  auto response = client.call("GET", path);
  if (!response.ok()) {
    printError(response.status(), err);
    return 1;
  }
  auto answer = parseAnswer(*response);
  if (!answer.ok()) {
    printError(answer.status(), err);
    return 1;
  }
  if (*format == OutputFormat::kJson) {
    out << toJsonText(*answer);
    return 0;
  }
  if (*format == OutputFormat::kYaml) {
    out << toYaml(*answer);
    return 0;
  }
  std::vector<json> items = itemsOf(*answer);
  if (items.empty()) {
    if (perNamespace && !all) {
      err << "No resources found in " << ns << " namespace.\n";
    } else {
      err << "No resources found\n";
    }
    return 0;
  }
  out << renderResourceTable(resource, items, all, now);
  return 0;
}

int runDelete(const DeleteOptions& options, ApiClient& client, std::istream& in, std::ostream& out,
              std::ostream& err) {
  std::vector<Target> targets;
  bool failed = false;
  if (!options.files.empty()) {
    auto sources = readManifestSources(options.files, in);
    if (!sources.ok()) {
      printError(sources.status(), err);
      return 1;
    }
    ParseOptions parse;
    if (!options.ns.empty()) parse.defaultNamespace = options.ns;
    const bool several = sources->size() > 1;
    for (const ManifestSource& source : *sources) {
      auto resources = parseManifests(source.text, parse);
      if (!resources.ok()) {
        // Nothing of an invalid file is deleted: it might not say what the user meant.
        printError(resources.status(), err, several ? source.name : "");
        failed = true;
        continue;
      }
      for (const Resource& r : *resources) {
        targets.push_back({r.kind, r.metadata.namespace_, r.metadata.name});
      }
    }
  } else {
    const std::string resource = canonicalResource(options.resource);
    if (resource.empty()) {
      printError(Status::Invalid("unknown resource type \"" + options.resource +
                                 "\": use service, network, volume or namespace"),
                 err);
      return 1;
    }
    const std::string ns = options.ns.empty() ? "default" : options.ns;
    for (const std::string& name : options.names) {
      targets.push_back({kindOf(resource), resource == "namespaces" ? "" : ns, name});
    }
  }

  std::set<std::string> namespaces;
  for (const Target& t : targets) {
    if (t.kind != "Namespace") namespaces.insert(t.ns);
  }
  const bool withNamespace = namespaces.size() > 1;
  for (const Target& t : targets) {
    const std::string ref = objectRef(t.kind, t.ns, t.name, withNamespace);
    auto response = client.call("DELETE", objectPath(pluralOf(t.kind), t.ns, t.name));
    if (response.ok()) {
      out << ref << " deleted\n";
    } else if (response.status().IsNotFound()) {
      out << ref << " not found\n";
    } else {
      printError(response.status(), err, ref);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

int runVersion(ApiClient& client, std::ostream& out, std::ostream& err) {
  out << "Client Version: " << TENDER_VERSION << "\n";
  auto response = client.call("GET", "/version");
  if (!response.ok()) {
    printError(response.status(), err);
    return 1;
  }
  auto answer = parseAnswer(*response);
  std::string version;
  if (answer.ok() && answer->is_object()) version = stringField(*answer, "version");
  out << "Server Version: " << (version.empty() ? response->body : version) << "\n";
  return 0;
}

}  // namespace tender

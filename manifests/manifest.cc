// Decoding and validating manifests.
//
// One decoder reads both what users write and what the store keeps (see
// encodeSpec): the two differ only where the stored form is exact integers —
// durations as "<field>Ms" milliseconds and cpus as "nanoCpus". Every error is
// collected with its field path rather than stopping at the first, so a user
// fixes a manifest in one round.
//
// This file holds the entry points, the object's envelope (apiVersion, kind,
// metadata) and the Network, Volume and Namespace kinds. The Service kind is
// in manifest_service.cc; Decoder, Fields and the field helpers are in
// manifest_fields.cc (manifest_internal.h).
#include "manifests/manifest.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "manifests/manifest_internal.h"
#include "manifests/manifest_syntax.h"
#include "manifests/yaml_to_json.h"

namespace tender {
namespace manifest_internal {
namespace {

NetworkSpec decodeNetworkSpec(Decoder& d, const json* spec) {
  NetworkSpec n;
  Fields f(d, spec, "spec");
  if (auto driver = getString(d, f, "driver")) n.driver = *driver;
  if (auto internal = getBool(d, f, "internal")) n.internal = *internal;
  if (auto external = getBool(d, f, "external")) n.external = *external;
  n.labels = d.stringMap(f.at("labels"), f.get("labels"), /*reservePrefix=*/true);
  f.rejectUnknown();
  return n;
}

VolumeSpec decodeVolumeSpec(Decoder& d, const json* spec) {
  VolumeSpec v;
  Fields f(d, spec, "spec");
  if (auto driver = getString(d, f, "driver")) v.driver = *driver;
  v.driverOpts = d.stringMap(f.at("driverOpts"), f.get("driverOpts"));
  if (auto external = getBool(d, f, "external")) v.external = *external;
  v.labels = d.stringMap(f.at("labels"), f.get("labels"), /*reservePrefix=*/true);
  f.rejectUnknown();
  return v;
}

// A namespace's spec.security: its level, the host paths its services may
// bind (a path or {path, writable}), the host ports they may publish.
SecuritySpec decodeSecuritySpec(Decoder& d, Fields& f) {
  SecuritySpec out;
  if (auto level = getString(d, f, "level")) {
    out.level = parseSecurityLevel(*level);
    if (!out.level) {
      d.error(f.at("level"), quoteJson(*level) + " is not one of privileged, baseline, restricted");
    }
  }
  if (const json* paths = d.list(f.at("allowedHostPaths"), f.get("allowedHostPaths"))) {
    for (size_t i = 0; i < paths->size(); ++i) {
      const std::string at = indexed(f.at("allowedHostPaths"), i);
      const json& item = (*paths)[i];
      HostPathRule rule;
      std::string pathAt = at;
      if (item.is_object()) {
        Fields p(d, &item, at);
        pathAt = p.at("path");
        if (const json* path = p.get("path")) {
          if (auto text = d.string(pathAt, *path)) rule.path = *text;
        } else {
          d.error(pathAt, "is required");
          continue;
        }
        if (auto writable = getBool(d, p, "writable")) rule.writable = *writable;
        p.rejectUnknown();
      } else if (auto text = d.string(at, item)) {
        rule.path = *text;
      } else {
        continue;
      }
      if (rule.path.empty() || rule.path.front() != '/') {
        d.error(pathAt, quoteJson(rule.path) + " is not an absolute path");
        continue;
      }
      rule.path = std::filesystem::path(rule.path).lexically_normal().string();
      if (rule.path.size() > 1 && rule.path.back() == '/') rule.path.pop_back();
      out.allowedHostPaths.push_back(rule);
    }
  }
  if (auto ports = getString(d, f, "hostPorts")) {
    int lo = 0, hi = 0;
    char dash = 0, rest = 0;
    int n = std::sscanf(ports->c_str(), "%d%c%d%c", &lo, &dash, &hi, &rest);
    if (n == 1) hi = lo;
    if ((n != 1 && (n != 3 || dash != '-')) || lo < 1 || hi > 65535 || lo > hi) {
      d.error(f.at("hostPorts"), quoteJson(*ports) + " is not a port range (8000-8099, or one port)");
    } else {
      out.hostPortMin = lo;
      out.hostPortMax = hi;
    }
  }
  return out;
}

NamespaceSpec decodeNamespaceSpec(Decoder& d, const json* spec) {
  NamespaceSpec n;
  Fields f(d, spec, "spec");
  std::string quotaPath = f.at("quota");
  Fields quota(d, d.object(quotaPath, f.get("quota")), quotaPath);
  n.quotaMemory = getMemory(d, quota, "memory");
  if (const json* v = quota.get("services"))
    n.quotaServices = d.smallInt(quota.at("services"), *v, 0);
  quota.rejectUnknown();
  n.ttlMs = getDuration(d, f, "ttl");
  if (n.ttlMs && *n.ttlMs == 0) {
    std::string key = durationKey(d, "ttl");
    d.error(f.at(key), quoteJson(*f.get(key)) + " must be more than 0");
    n.ttlMs.reset();
  }
  if (auto expires = getString(d, f, "expiresAt")) {
    if (isRfc3339(*expires)) {
      n.expiresAt = *expires;
    } else {
      d.error(f.at("expiresAt"),
              quoteJson(*expires) + " is not an RFC 3339 time (e.g. 2024-05-01T18:00:00Z)");
    }
  }
  std::string reservationPath = f.at("defaultReservation");
  Fields reservation(d, d.object(reservationPath, f.get("defaultReservation")), reservationPath);
  n.defaultReservationMemory = getMemory(d, reservation, "memory");
  if (n.defaultReservationMemory && n.quotaMemory && *n.defaultReservationMemory > *n.quotaMemory) {
    d.error(reservation.at("memory"), quoteJson(*reservation.get("memory")) +
                                          " must not exceed quota.memory (" +
                                          quoteJson(*quota.get("memory")) + ")");
    n.defaultReservationMemory.reset();
  }
  reservation.rejectUnknown();
  std::string securityPath = f.at("security");
  Fields security(d, d.object(securityPath, f.get("security")), securityPath);
  n.security = decodeSecuritySpec(d, security);
  security.rejectUnknown();
  f.rejectUnknown();
  return n;
}

ObjectMeta decodeMetadata(Decoder& d, const json* metadata, const std::string& kind,
                          const ParseOptions& options) {
  ObjectMeta meta;
  bool malformed = metadata != nullptr && !metadata->is_object();
  Fields f(d, d.object("metadata", metadata), "metadata");
  if (const json* name = f.get("name")) {
    if (auto s = d.name(f.at("name"), *name, kind)) meta.name = *s;
  } else if (!malformed) {
    d.error(f.at("name"), "is required");
  }
  const json* ns = f.get("namespace");
  if (kind == "Namespace") {
    if (ns && !(ns->is_string() && ns->get<std::string>().empty())) {
      d.error(f.at("namespace"),
              quoteJson(*ns) + " must not be set: a Namespace is not namespaced");
    }
  } else if (ns) {
    if (auto s = d.name(f.at("namespace"), *ns, "Namespace")) meta.namespace_ = *s;
  } else {
    meta.namespace_ = options.defaultNamespace;
  }
  meta.labels = d.stringMap(f.at("labels"), f.get("labels"));
  if (const json* rv = f.get("resourceVersion")) {
    std::string at = f.at("resourceVersion");
    if (rv->is_string()) {
      const std::string& s = rv->get<std::string>();
      bool digits =
          !s.empty() && s.size() <= 18 && s.find_first_not_of("0123456789") == std::string::npos;
      if (digits) {
        meta.resourceVersion = std::stoll(s);
      } else {
        d.error(at, quoteJson(*rv) + " is not an integer");
      }
    } else {
      meta.resourceVersion = d.integer(at, *rv, 0, std::numeric_limits<int64_t>::max());
    }
  }
  f.get("generation");  // set by the server; shown by `get`, so accepted back and ignored
  f.rejectUnknown();
  return meta;
}

Result<Resource> decodeObject(const json& object, const ParseOptions& options,
                              const std::string& prefix, bool stored, const char* message) {
  Decoder d(prefix, stored);
  if (!object.is_object()) {
    d.error("", quoteJson(object) + " is not an object (a manifest has apiVersion, kind, " +
                    "metadata and spec)");
    return Status::Invalid(message, std::move(d.errors()));
  }
  Fields f(d, &object, "");
  Resource r;
  if (auto apiVersion = getString(d, f, "apiVersion")) {
    if (*apiVersion != kApiVersion) {
      d.error("apiVersion", quoteJson(*apiVersion) + " is not supported (use tender/v1)");
    }
  } else if (!f.get("apiVersion")) {
    d.error("apiVersion", "is required");
  }
  bool kindKnown = false;
  if (auto kind = getString(d, f, "kind")) {
    kindKnown =
        *kind == "Service" || *kind == "Network" || *kind == "Volume" || *kind == "Namespace";
    if (kindKnown) {
      r.kind = *kind;
    } else {
      d.error("kind", quoteJson(*kind) + " is not one of Service, Network, Volume, Namespace");
    }
  } else if (!f.get("kind")) {
    d.error("kind", "is required");
  }
  r.metadata = decodeMetadata(d, f.get("metadata"), r.kind, options);
  f.get("status");  // written by tender; allowed in input so `get -o yaml` output re-applies
  const json* rawSpec = f.get("spec");
  const json* spec = d.object("spec", rawSpec);
  if (kindKnown && (rawSpec == nullptr || spec != nullptr)) {
    if (r.kind == "Service") {
      r.spec = decodeServiceSpec(d, spec, r.metadata.name);
    } else if (r.kind == "Network") {
      r.spec = decodeNetworkSpec(d, spec);
    } else if (r.kind == "Volume") {
      r.spec = decodeVolumeSpec(d, spec);
    } else {
      r.spec = decodeNamespaceSpec(d, spec);
    }
  }
  f.rejectUnknown();
  if (!d.errors().empty()) return Status::Invalid(message, std::move(d.errors()));
  return r;
}

}  // namespace
}  // namespace manifest_internal

using json = nlohmann::json;

Result<Resource> decodeResource(const nlohmann::json& object, const ParseOptions& options,
                                const std::string& pathPrefix) {
  try {
    return manifest_internal::decodeObject(object, options, pathPrefix, /*stored=*/false,
                                           "manifest is invalid");
  } catch (const std::exception& e) {
    return Status::Internal(std::string("decoding a manifest: ") + e.what());
  }
}

Result<Resource> decodeStored(const std::string& kind, const std::string& ns,
                              const std::string& name, const nlohmann::json& labels,
                              const nlohmann::json& spec) {
  try {
    json metadata = {{"name", name}};
    if (kind != "Namespace" && !ns.empty()) metadata["namespace"] = ns;
    if (!labels.is_null()) metadata["labels"] = labels;
    json object = {{"apiVersion", kApiVersion}, {"kind", kind}, {"metadata", metadata}};
    if (!spec.is_null()) object["spec"] = spec;
    std::string what =
        "stored " + kind + " " + (ns.empty() ? name : ns + "/" + name) + " is invalid";
    return manifest_internal::decodeObject(object, ParseOptions{}, "", /*stored=*/true,
                                           what.c_str());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("decoding a stored spec: ") + e.what());
  }
}

Result<std::vector<Resource>> parseManifests(const std::string& text, const ParseOptions& options) {
  try {
    auto documents = yamlToJson(text, options.maxDocumentBytes);
    if (!documents.ok()) return documents.status();

    // Flatten documents, arrays and Lists into one sequence of objects; a
    // malformed List stands in its own place with its error.
    struct Entry {
      const json* object = nullptr;
      std::vector<FieldError> errors;  // paths without the [i]. prefix
    };
    std::vector<Entry> entries;
    for (const json& doc : *documents) {
      if (doc.is_null()) continue;
      if (doc.is_array()) {
        for (const json& item : doc) entries.push_back(Entry{&item, {}});
        continue;
      }
      if (doc.is_object() && doc.find("kind") != doc.end() && *doc.find("kind") == "List") {
        Entry list;
        for (const auto& [key, value] : doc.items()) {
          if (key != "apiVersion" && key != "kind" && key != "items" && key != "metadata") {
            list.errors.push_back(FieldError{key, "unknown field"});
          }
        }
        auto items = doc.find("items");
        if (items == doc.end() || items->is_null()) {
          list.errors.push_back(FieldError{"items", "is required"});
        } else if (!items->is_array()) {
          list.errors.push_back(FieldError{"items", quoteJson(*items) + " is not a list"});
        }
        if (!list.errors.empty()) {
          entries.push_back(std::move(list));
        } else {
          for (const json& item : *items) entries.push_back(Entry{&item, {}});
        }
        continue;
      }
      entries.push_back(Entry{&doc, {}});
    }

    bool several = entries.size() > 1;
    std::vector<FieldError> errors;
    std::vector<Resource> resources;
    std::map<std::tuple<std::string, std::string, std::string>, size_t> names;
    for (size_t i = 0; i < entries.size(); ++i) {
      std::string prefix = several ? "[" + std::to_string(i) + "]." : "";
      if (entries[i].object == nullptr) {
        for (const FieldError& e : entries[i].errors)
          errors.push_back({prefix + e.field, e.message});
        continue;
      }
      Result<Resource> r = manifest_internal::decodeObject(*entries[i].object, options, prefix,
                                                           false, "manifest is invalid");
      if (!r.ok()) {
        for (const FieldError& e : r.status().details()) errors.push_back(e);
        continue;
      }
      auto key = std::make_tuple(r->kind, r->metadata.namespace_, r->metadata.name);
      auto [first, inserted] = names.emplace(key, i);
      if (!inserted) {
        errors.push_back({prefix + "metadata.name", quoteJson(r->metadata.name) +
                                                        " is already defined by [" +
                                                        std::to_string(first->second) + "]"});
        continue;
      }
      resources.push_back(std::move(*r));
    }
    if (!errors.empty()) return Status::Invalid("manifest is invalid", std::move(errors));
    return resources;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("parsing a manifest: ") + e.what());
  }
}

}  // namespace tender

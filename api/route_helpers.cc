// Helpers the route files share (route_helpers.h): query flags, labels,
// outcome words, implicit namespaces, API events and route errors.

#include "api/route_helpers.h"

#include <stdexcept>

#include "manifests/manifest.h"
#include "reconcilers/events.h"

namespace tender {

const char* outcomeName(UpsertOutcome o) {
  switch (o) {
    case UpsertOutcome::kCreated:
      return "created";
    case UpsertOutcome::kConfigured:
      return "configured";
    case UpsertOutcome::kUnchanged:
      return "unchanged";
  }
  return "unchanged";
}

bool truthy(const std::string& v) { return v == "true" || v == "1" || v == "yes"; }

nlohmann::json labelsJson(const std::map<std::string, std::string>& labels) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : labels) out[k] = v;
  return out;
}

nlohmann::json implicitNamespaceSpec(const std::string& ns, std::optional<int64_t> ttlMs,
                                     bool baseline) {
  Resource r;
  r.kind = "Namespace";
  r.metadata.name = ns;
  NamespaceSpec n;
  n.ttlMs = ttlMs;
  if (baseline) n.security.level = SecurityLevel::kBaseline;
  r.spec = n;
  return encodeSpec(r);
}

std::string namespaceOf(const Resource& r) {
  return r.kind == "Namespace" ? r.metadata.name : r.metadata.namespace_;
}

std::string prefixOf(size_t i, size_t count) {
  return count > 1 ? "[" + std::to_string(i) + "]." : "";
}

// What an API write did, as an event watchers see ("Applied", "Deleting").
void recordChange(Store& store, Clock& clock, const std::string& kind, const std::string& ns,
                  const std::string& name, const std::string& reason, const std::string& message,
                  const std::string& by) {
  if (by.empty()) {
    recordEvent(store, clock, Key{kind, ns, name}, "Normal", reason, message);
    return;
  }
  recordEvent(store, clock, Key{kind, ns, name}, "Normal", reason, message + " by " + by,
              {{"by", by}});
}

std::string principalName(const HttpRequest& req) {
  return req.principal ? req.principal->name : std::string();
}

Status notGranted(const std::string& token, const std::string& ns, const std::string& field) {
  return Status::Forbidden("token \"" + token + "\" may not use namespace \"" + ns + "\"")
      .WithDetails({{field, "namespace \"" + ns + "\" is not granted to \"" + token + "\""}});
}

Status forbidden(const HttpRequest& req, const std::string& ns, const std::string& field) {
  return notGranted(req.principal->name, ns, field);
}

Status checkNamespaceName(const std::string& param, const std::string& value) {
  if (isNamespaceName(value)) return Status::Ok();
  const std::string message = "\"" + value + "\"" + resourceNameRule("Namespace");
  return Status::Invalid(param + ": " + message, {{param, message}});
}

Result<int64_t> parseId(const std::string& param, const std::string& v) {
  try {
    size_t used = 0;
    int64_t id = std::stoll(v, &used);
    if (used != v.size() || id < 0) throw std::invalid_argument(v);
    return id;
  } catch (...) {
    return Status::Invalid(param + ": \"" + v + "\" is not an event id",
                           {{param, "\"" + v + "\" is not an event id"}});
  }
}

Result<int> parsePositive(const std::string& param, const std::string& v) {
  try {
    size_t used = 0;
    int n = std::stoi(v, &used);
    if (used != v.size() || n < 1) throw std::invalid_argument(v);
    return n;
  } catch (...) {
    return Status::Invalid(param + ": \"" + v + "\" is not a positive number",
                           {{param, "\"" + v + "\" is not a positive number"}});
  }
}

std::string notFoundMessage(const std::string& kind, const std::string& ns,
                            const std::string& name) {
  std::string what = kind + " \"" + name + "\"";
  if (!ns.empty()) what += " in namespace \"" + ns + "\"";
  return what + " not found";
}

}  // namespace tender

// The admission of a request's objects (see request_admission.h): the
// namespaces granted, a tenant's Namespace objects, each object's security
// level.
#include "api/request_admission.h"

#include <map>
#include <utility>

#include "api/route_helpers.h"
#include "manifests/manifest.h"
#include "manifests/manifest_syntax.h"

namespace tender {
namespace {

// A namespace's spec in the user's form, for comparing field by field.
nlohmann::json userForm(const std::string& ns, const NamespaceSpec& spec) {
  Resource r;
  r.kind = "Namespace";
  r.metadata.name = ns;
  r.spec = spec;
  return encodeResource(r)["spec"];
}

// A tenant's Namespace object says nothing of its limits that differs from
// what is stored; it becomes the stored spec (level baseline if unset).
void tenantNamespace(Resource& r, const NamespaceSpec& stored, const std::string& prefix,
                     std::vector<FieldError>& errors) {
  const nlohmann::json mine = userForm(r.metadata.name, r.namespaceSpec());
  const nlohmann::json theirs = userForm(r.metadata.name, stored);
  auto refuse = [&](const std::string& field) {
    errors.push_back({prefix + "spec." + field,
                      "only an admin token sets a namespace's limits: this one may change the "
                      "namespace's labels only"});
  };
  for (const auto& [key, value] : mine.items()) {
    const nlohmann::json* was = theirs.contains(key) ? &theirs[key] : nullptr;
    if (value.is_object()) {
      for (const auto& [sub, v] : value.items()) {
        if (!was || !was->is_object() || !was->contains(sub) || (*was)[sub] != v) {
          refuse(key + "." + sub);
        }
      }
    } else if (!was || *was != value) {
      refuse(key);
    }
  }
  NamespaceSpec kept = stored;
  if (!kept.security.level) kept.security.level = SecurityLevel::kBaseline;
  r.spec = kept;
}

}  // namespace

Requester requesterOf(const HttpRequest& req) {
  Requester who;
  if (!req.principal) {
    who.admin = true;
    return who;
  }
  who.name = req.principal->name;
  who.admin = req.principal->allNamespaces;
  who.namespaces = req.principal->namespaces;
  return who;
}

Result<NamespaceSpec> storedNamespaceSpec(Store& view, const std::string& ns) {
  auto rec = view.get("Namespace", "", ns);
  if (!rec.ok()) {
    if (rec.status().IsNotFound()) return NamespaceSpec{};
    return rec.status();
  }
  if (rec->deletedAt) return NamespaceSpec{};
  auto decoded = decodeStored("Namespace", "", ns, rec->labels, rec->spec);
  if (!decoded.ok()) return NamespaceSpec{};
  return decoded->namespaceSpec();
}

Status checkNamespacesGranted(const Requester& who, const std::vector<Resource>& resources) {
  for (const Resource& r : resources) {
    const std::string ns = namespaceOf(r);
    if (who.mayUse(ns)) continue;
    return notGranted(who.name, ns, r.kind == "Namespace" ? "metadata.name" : "metadata.namespace");
  }
  return Status::Ok();
}

Result<Admitted> admitObjects(const Requester& who, std::vector<Resource>& resources, Store& view,
                              const ResolveHostPath& resolve) {
  Status granted = checkNamespacesGranted(who, resources);
  if (!granted.ok()) return granted;

  // Each namespace's spec as the policy reads it: the request's own
  // Namespace object (a tenant's rewritten to the stored one), else the
  // stored one.
  std::vector<FieldError> limits;
  std::map<std::string, NamespaceSpec> specs;
  for (size_t i = 0; i < resources.size(); ++i) {
    Resource& r = resources[i];
    if (r.kind != "Namespace") continue;
    if (!who.admin) {
      auto stored = storedNamespaceSpec(view, r.metadata.name);
      if (!stored.ok()) return stored.status();
      tenantNamespace(r, *stored, prefixOf(i, resources.size()), limits);
    }
    specs[r.metadata.name] = r.namespaceSpec();
  }
  if (!limits.empty()) {
    return Status::Forbidden("token \"" + who.name +
                             "\" may change a namespace's labels only: its limits are an admin's")
        .WithDetails(limits);
  }

  Admitted admitted;
  std::vector<FieldError> violations;
  std::string firstRefusing;
  for (size_t i = 0; i < resources.size(); ++i) {
    const Resource& r = resources[i];
    if (r.kind == "Namespace") continue;
    const std::string& ns = r.metadata.namespace_;
    auto known = specs.find(ns);
    if (known == specs.end()) {
      auto stored = storedNamespaceSpec(view, ns);
      if (!stored.ok()) return stored.status();
      known = specs.emplace(ns, *stored).first;
      if (!who.admin && !stored->security.level) admitted.baseline.insert(ns);
    }
    PolicyScope scope;
    scope.namespace_ = ns;
    scope.security = known->second.security;
    scope.level = known->second.security.level.value_or(who.admin ? SecurityLevel::kPrivileged
                                                                  : SecurityLevel::kBaseline);
    std::vector<FieldError> refused =
        securityViolations(r, scope, resolve, prefixOf(i, resources.size()));
    if (!refused.empty() && firstRefusing.empty()) {
      firstRefusing = "namespace \"" + ns + "\" is at level " + securityLevelName(scope.level);
    }
    for (FieldError& e : refused) violations.push_back(std::move(e));
  }
  if (!violations.empty()) {
    return Status::Forbidden(firstRefusing + ", which does not allow what the " +
                             (resources.size() > 1 ? "objects ask" : "object asks"))
        .WithDetails(violations);
  }
  return admitted;
}

}  // namespace tender

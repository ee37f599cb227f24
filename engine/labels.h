// The labels and names by which tender owns engine objects, defined once.
//
// Ownership is read from labels, never from memory: every container, network
// and volume tender creates carries tender.managed=true and its server's
// tender.instance, so servers sharing one engine never touch each other's
// objects, and a restarted server adopts what it finds.
#pragma once

#include <string>

#include "engine/docker_engine.h"

namespace tender {

inline constexpr const char* kLabelManaged = "tender.managed";
inline constexpr const char* kLabelInstance = "tender.instance";
inline constexpr const char* kLabelNamespace = "tender.namespace";
inline constexpr const char* kLabelService = "tender.service";
inline constexpr const char* kLabelReplica = "tender.replica";
inline constexpr const char* kLabelSpecHash = "tender.spec-hash";
inline constexpr const char* kLabelResource = "tender.resource";  // networks and volumes: their resource name

// Containers: {namespace}.{service}.{replica}. Resource names are DNS labels,
// so '.' never occurs inside one and the name parses back unambiguously.
inline std::string containerName(const std::string& ns, const std::string& service, int replica) {
  return ns + "." + service + "." + std::to_string(replica);
}
// Networks and volumes: {namespace}_{name}, as Compose names them.
inline std::string scopedName(const std::string& ns, const std::string& name) {
  return ns + "_" + name;
}
// The network every service of a namespace joins when it names none.
inline constexpr const char* kDefaultNetwork = "default";

// Labels every object tender creates carries.
inline Labels ownerLabels(const std::string& instance, const std::string& ns) {
  return Labels{{kLabelManaged, "true"}, {kLabelInstance, instance}, {kLabelNamespace, ns}};
}

// Engine-side filters selecting this instance's objects (of one namespace and
// service when given).
inline Filters ownedFilters(const std::string& instance, const std::string& ns = "",
                            const std::string& service = "") {
  std::vector<std::string> labels = {std::string(kLabelManaged) + "=true",
                                     std::string(kLabelInstance) + "=" + instance};
  if (!ns.empty()) labels.push_back(std::string(kLabelNamespace) + "=" + ns);
  if (!service.empty()) labels.push_back(std::string(kLabelService) + "=" + service);
  return Filters{{"label", labels}};
}

// True when the labels say this instance owns the object.
inline bool ownedBy(const Labels& labels, const std::string& instance) {
  auto m = labels.find(kLabelManaged);
  auto i = labels.find(kLabelInstance);
  return m != labels.end() && m->second == "true" && i != labels.end() && i->second == instance;
}

// True when this instance owns the network or volume as resource `name` of
// namespace `ns`. Names alone cannot say it: with '_' in both, namespace "a"
// volume "b_c" and namespace "a_b" volume "c" are both "a_b_c" on the engine.
inline bool ownedAs(const Labels& labels, const std::string& instance, const std::string& ns,
                    const std::string& name) {
  if (!ownedBy(labels, instance)) return false;
  auto n = labels.find(kLabelNamespace);
  auto r = labels.find(kLabelResource);
  return n != labels.end() && n->second == ns && (r == labels.end() || r->second == name);
}

}  // namespace tender

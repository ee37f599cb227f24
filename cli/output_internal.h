// Internal to cli/ (nothing outside this folder includes it): the readers
// of the API's JSON answers that output.cc, output_describe.cc and
// output_yaml.cc share. None of them throws, whatever shape an answer has.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifests/service_status.h"

namespace tender {
namespace output_internal {

using nlohmann::json;

// The value at `path` inside nested objects, or nullptr. Never throws,
// whatever shape the server's answer has.
const json* find(const json& j, std::initializer_list<const char*> path);

std::string stringAt(const json& j, std::initializer_list<const char*> path,
                     const std::string& def = "");
int64_t intAt(const json& j, std::initializer_list<const char*> path, int64_t def);
bool boolAt(const json& j, std::initializer_list<const char*> path, bool def);

// The array at `path`, or an empty one.
const json& arrayAt(const json& j, std::initializer_list<const char*> path);

// A scalar as text: strings as they are, numbers and booleans as JSON writes
// them, "" for null and for structures.
std::string scalarText(const json& v);

std::string join(const std::vector<std::string>& parts, const std::string& sep);

std::string dumpJson(const json& v, int indent);

// status.phase, or "<none>" (any kind of object).
std::string phaseOf(const json& obj);

// A service's status, typed: none (every field unset) when the answer has
// none. One that does not decode (a server of another version wrote it)
// reads as none too, and `*unreadable` says why ("" when it decodes): the
// CLI shows it as unknown.
ServiceStatus serviceStatusOf(const json& svc, std::string* unreadable = nullptr);
// What the CLI shows where a field of an unreadable status would be.
inline constexpr const char* kUnknown = "<unknown>";
// The status's phase, or `none` when it has none.
std::string phaseText(const ServiceStatus& status, const std::string& none);
// status.replicas, else spec.replicas, else 1.
int64_t desiredReplicas(const json& svc, const ServiceStatus& status);

}  // namespace output_internal
}  // namespace tender

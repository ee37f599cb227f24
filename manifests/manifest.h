// Parsing, validating and encoding manifests.
//
// parseManifests: YAML (one or more documents separated by ---) or JSON (one
// object, or an array of objects, or a {"kind":"List","items":[...]}) into
// validated Resources. Every error is reported, each with its field path and
// offending value; document i's fields are prefixed "[i]." when the input
// holds more than one document. Malformed YAML/JSON gives one error naming
// line and column. Unknown fields and duplicate keys are errors.
//
// encodeSpec: a Resource's spec as canonical JSON — only what the user set,
// quantities as integers, keys sorted (nlohmann::json's std::map order). This
// is what the store keeps and what decodeStored reads back.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "manifests/resource.h"

namespace tender {

struct ParseOptions {
  std::string defaultNamespace = "default";  // for objects without metadata.namespace
  size_t maxDocumentBytes = 4 << 20;         // after alias expansion
};

// Status::Invalid with details on any error; all errors are collected.
Result<std::vector<Resource>> parseManifests(const std::string& text,
                                             const ParseOptions& options = {});

// Decodes one object given as JSON (apiVersion, kind, metadata, spec).
// `pathPrefix` is prepended to every field path ("" or "[2].").
Result<Resource> decodeResource(const nlohmann::json& object, const ParseOptions& options,
                                const std::string& pathPrefix = "");

// Canonical JSON of a spec; decodeStored(kind, ..., encodeSpec(r)) gives r's spec back.
nlohmann::json encodeSpec(const Resource& resource);
Result<Resource> decodeStored(const std::string& kind, const std::string& ns,
                              const std::string& name, const nlohmann::json& labels,
                              const nlohmann::json& spec);

// The full object as JSON (apiVersion, kind, metadata, spec): what
// `tender get -o json` and the API show, status added by the caller.
nlohmann::json encodeResource(const Resource& resource);

// Quantities, as users write them.
// Memory in Kubernetes units: 128974848, 129e6, 129M, 123Mi, 1G, 1Gi, 1k, 1Ki.
Result<int64_t> parseMemoryQuantity(const std::string& text);
// Memory in Docker's units (Compose files): 1g = 2^30, 512m, 100k, 1024b.
Result<int64_t> parseDockerMemory(const std::string& text);
// CPUs: "0.5", "2", "500m" -> nano-CPUs.
Result<int64_t> parseCpuQuantity(const std::string& text);
// A percentage below 100: "10%" -> 0.10.
Result<double> parsePercentage(const std::string& text);
// Durations: "500ms", "10s", "5m", "2h", "1h30m", "1.5s"; a bare number is seconds.
Result<int64_t> parseDurationMs(const std::string& text);
std::string formatDurationMs(int64_t ms);  // "10s", "1m30s", "500ms"

// Splits a command string as a POSIX shell would (quotes, backslashes), no expansion.
Result<std::vector<std::string>> shellSplit(const std::string& text);

// A DNS label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters.
bool isDnsLabel(const std::string& s);

// Names as Docker Compose writes them, so that tender and docker compose
// agree on what an object is called. A namespace (a Compose project):
// [a-z0-9][a-z0-9_-]*, at most 63 characters, as Compose requires of a
// project name. A volume or network: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128
// characters (the engine object is "{namespace}_{name}"). Service names stay
// DNS labels: they are the names other containers resolve.
// Where a secret (/run/secrets/NAME) or a config (/NAME) lands when its
// target is unset; its mode when unset (0444).
std::string secretTarget(const FileMount& m);
std::string configTarget(const FileMount& m);
int fileMountMode(const FileMount& m);

bool isNamespaceName(const std::string& s);
bool isObjectName(const std::string& s);
// The name a field of `kind` must have: a namespace's, a volume's or
// network's, or a DNS label; and the rule's words for an error.
bool isResourceName(const std::string& kind, const std::string& s);
const char* resourceNameRule(const std::string& kind);

}  // namespace tender

// Internal to manifests/ (nothing outside this folder includes it): the
// pieces the manifest decoder's files share. Decoder gathers errors with their
// field paths and reads typed values; Fields reads one object and reports the
// keys nobody asked for; the get* helpers and decodeArgv/decodeEnv/decodeWords
// read common field shapes (manifest_fields.cc); decodeServiceSpec is the
// Service kind (manifest_service.cc), called by decodeObject (manifest.cc).
//
// Thread-safety: Decoder and Fields are values owned by one decode.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "manifests/resource.h"

namespace tender {
namespace manifest_internal {

using json = nlohmann::json;

inline constexpr const char* kDnsLabelRule =
    " is not a DNS label (lowercase letters, digits and '-', at most 63 characters)";

inline std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

inline std::string indexed(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// Reads one object, gathering errors. `stored` selects the store's encoding.
class Decoder {
 public:
  Decoder(std::string prefix, bool stored) : prefix_(std::move(prefix)), stored_(stored) {}

  bool stored() const { return stored_; }
  std::vector<FieldError>& errors() { return errors_; }

  void error(const std::string& path, std::string message);

  // The value as an object, or nullptr (and an error) when it is something else.
  const json* object(const std::string& path, const json* v);
  const json* list(const std::string& path, const json* v);
  std::optional<std::string> string(const std::string& path, const json& v);
  // A string, or a number or boolean taken as its text (env: {PORT: 8080}).
  std::optional<std::string> text(const std::string& path, const json& v);
  std::optional<bool> boolean(const std::string& path, const json& v);
  std::optional<int64_t> integer(const std::string& path, const json& v, int64_t min, int64_t max);
  std::optional<int> smallInt(const std::string& path, const json& v, int min);
  std::optional<int> port(const std::string& path, const json& v);
  // User form: "10s", "1h30m", or a number of seconds. Stored form: milliseconds.
  std::optional<int64_t> duration(const std::string& path, const json& v);
  // Bytes: a Kubernetes quantity string or a number of bytes.
  std::optional<int64_t> memory(const std::string& path, const json& v);
  // Nano-CPUs. User form: 0.5, "0.5", "500m". Stored form: an integer.
  std::optional<int64_t> cpus(const std::string& path, const json& v);
  // A map of strings; numbers and booleans count as their text.
  std::map<std::string, std::string> stringMap(const std::string& path, const json* v,
                                               bool reservePrefix = false);
  // A resource name of `kind` (isResourceName): a DNS label, a namespace's
  // or a volume's or network's name.
  std::optional<std::string> name(const std::string& path, const json& v, const std::string& kind);
  std::optional<int64_t> fromResult(const std::string& path, const Result<int64_t>& r);

 private:
  std::optional<int64_t> negative(const std::string& path, const json& v);
  std::optional<int64_t> tooLarge(const std::string& path, const json& v);

  std::string prefix_;
  bool stored_;
  std::vector<FieldError> errors_;
};

// The fields of one JSON object. Remembers which keys were asked for, so the
// rest can be reported as unknown: a misspelt field is an error, never
// silently ignored.
class Fields {
 public:
  // A null `object` reads as empty.
  Fields(Decoder& d, const json* object, std::string path)
      : d_(d), object_(object), path_(std::move(path)) {}

  // The value of `key`; nullptr when absent or null (YAML's "key:" with nothing).
  const json* get(const std::string& key);

  std::string at(const std::string& key) const { return join(path_, key); }
  const std::string& path() const { return path_; }

  void rejectUnknown();

 private:
  Decoder& d_;
  const json* object_;
  std::string path_;
  std::set<std::string> known_;
};

// Duration fields are "<name>Ms" in the stored form, so a reader of the store
// never mistakes milliseconds for seconds.
std::string durationKey(const Decoder& d, const char* name);

std::optional<int64_t> getDuration(Decoder& d, Fields& f, const char* name);
std::optional<std::string> getString(Decoder& d, Fields& f, const char* name);
std::optional<bool> getBool(Decoder& d, Fields& f, const char* name);
std::optional<int64_t> getMemory(Decoder& d, Fields& f, const char* name);

// A command line: a list of words, or a string split as a shell would.
std::optional<std::vector<std::string>> decodeArgv(Decoder& d, const std::string& path,
                                                   const json& v);
std::map<std::string, std::string> decodeEnv(Decoder& d, const std::string& path, const json& v);
// A list of non-empty strings (capabilities, hosts); empty when absent.
std::vector<std::string> decodeWords(Decoder& d, const std::string& path, const json* v);

// spec of a Service; `self` is its name (a service cannot depend on itself).
// spec.secrets or spec.configs (`field`): each item names its bytes once
// (digest, file, environment or content), an absolute target (or none),
// uid, gid and an octal mode.
std::vector<FileMount> decodeFileMounts(Decoder& d, Fields& f, const char* field);

ServiceSpec decodeServiceSpec(Decoder& d, const json* spec, const std::string& self);

}  // namespace manifest_internal
}  // namespace tender

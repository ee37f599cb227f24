// Decoding and validating manifests.
//
// One decoder reads both what users write and what the store keeps (see
// encodeSpec): the two differ only where the stored form is exact integers —
// durations as "<field>Ms" milliseconds and cpus as "nanoCpus". Every error is
// collected with its field path rather than stopping at the first, so a user
// fixes a manifest in one round.
#include "manifests/manifest.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "manifests/manifest_syntax.h"
#include "manifests/yaml_to_json.h"

namespace tender {
namespace {

using json = nlohmann::json;

constexpr int64_t kDockerMinMemory = 6 * 1024 * 1024;  // the engine refuses less
constexpr const char* kDnsLabelRule =
    " is not a DNS label (lowercase letters, digits and '-', at most 63 characters)";
constexpr const char* kReservedLabelPrefix = "tender.";

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string indexed(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// A double that is within rounding error of an integer is that integer
// (0.1 * 1e9 is 100000000.00000001); otherwise it rounds up, as quantities do.
std::optional<int64_t> roundUp(double x) {
  if (!std::isfinite(x) || x < 0 || x >= 9.2e18) return std::nullopt;
  double nearest = std::round(x);
  double tolerance = std::max(1e-6, x * 1e-12);
  return static_cast<int64_t>(std::fabs(x - nearest) < tolerance ? nearest : std::ceil(x));
}

// Reads one object, gathering errors. `stored` selects the store's encoding.
class Decoder {
 public:
  Decoder(std::string prefix, bool stored) : prefix_(std::move(prefix)), stored_(stored) {}

  bool stored() const { return stored_; }
  std::vector<FieldError>& errors() { return errors_; }

  void error(const std::string& path, std::string message) {
    std::string field = prefix_ + path;
    if (path.empty()) field = prefix_.empty() ? "(root)" : prefix_.substr(0, prefix_.size() - 1);
    errors_.push_back(FieldError{std::move(field), std::move(message)});
  }

  // The value as an object, or nullptr (and an error) when it is something else.
  const json* object(const std::string& path, const json* v) {
    if (v == nullptr) return nullptr;
    if (!v->is_object()) {
      error(path, quoteJson(*v) + " is not an object");
      return nullptr;
    }
    return v;
  }

  const json* list(const std::string& path, const json* v) {
    if (v == nullptr) return nullptr;
    if (!v->is_array()) {
      error(path, quoteJson(*v) + " is not a list");
      return nullptr;
    }
    return v;
  }

  std::optional<std::string> string(const std::string& path, const json& v) {
    if (v.is_string()) return v.get<std::string>();
    error(path, quoteJson(v) + " is not a string");
    return std::nullopt;
  }

  // A string, or a number or boolean taken as its text (env: {PORT: 8080}).
  std::optional<std::string> text(const std::string& path, const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_number()) return v.dump();
    error(path, quoteJson(v) + " is not a string");
    return std::nullopt;
  }

  std::optional<bool> boolean(const std::string& path, const json& v) {
    if (v.is_boolean()) return v.get<bool>();
    error(path, quoteJson(v) + " is not a boolean (true or false)");
    return std::nullopt;
  }

  std::optional<int64_t> integer(const std::string& path, const json& v, int64_t min, int64_t max) {
    std::optional<int64_t> value;
    bool tooLarge = false;
    if (v.is_number_unsigned()) {
      uint64_t u = v.get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        value = static_cast<int64_t>(u);
      } else {
        tooLarge = true;
      }
    } else if (v.is_number_integer()) {
      value = v.get<int64_t>();
    } else if (v.is_number_float()) {
      double d = v.get<double>();
      if (std::isfinite(d) && d == std::floor(d)) {
        if (d >= -9.2e18 && d <= 9.2e18) {
          value = static_cast<int64_t>(d);
        } else {
          tooLarge = d > 0;
          if (!tooLarge) value = std::numeric_limits<int64_t>::min();
        }
      }
    }
    if (tooLarge) {
      error(path, quoteJson(v) + " must be at most " + std::to_string(max));
      return std::nullopt;
    }
    if (!value) {
      error(path, quoteJson(v) + " is not an integer");
      return std::nullopt;
    }
    if (*value < min) {
      error(path, quoteJson(v) + " must be at least " + std::to_string(min));
      return std::nullopt;
    }
    if (*value > max) {
      error(path, quoteJson(v) + " must be at most " + std::to_string(max));
      return std::nullopt;
    }
    return value;
  }

  std::optional<int> smallInt(const std::string& path, const json& v, int min) {
    auto value = integer(path, v, min, INT_MAX);
    if (!value) return std::nullopt;
    return static_cast<int>(*value);
  }

  std::optional<int> port(const std::string& path, const json& v) {
    if (v.is_number() && !v.is_number_float()) {
      auto p = integer(path, v, LLONG_MIN, LLONG_MAX);
      if (!p) return std::nullopt;
      if (*p < 1 || *p > 65535) {
        error(path, quoteJson(v) + " is not a port number (1-65535)");
        return std::nullopt;
      }
      return static_cast<int>(*p);
    }
    error(path, quoteJson(v) + " is not a port number (1-65535)");
    return std::nullopt;
  }

  // User form: "10s", "1h30m", or a number of seconds. Stored form: milliseconds.
  std::optional<int64_t> duration(const std::string& path, const json& v) {
    if (stored_) return integer(path, v, 0, std::numeric_limits<int64_t>::max());
    if (v.is_string()) return fromResult(path, parseDurationMs(v.get<std::string>()));
    if (v.is_number()) {
      if (v.is_number_integer() && !v.is_number_unsigned()) {
        int64_t seconds = v.get<int64_t>();
        if (seconds < 0) return negative(path, v);
        if (seconds > std::numeric_limits<int64_t>::max() / 1000) return tooLarge(path, v);
        return seconds * 1000;
      }
      double seconds = v.get<double>();
      if (seconds < 0) return negative(path, v);
      auto ms = roundUp(seconds * 1000);
      if (!ms) return tooLarge(path, v);
      return ms;
    }
    error(path, quoteJson(v) + " is not a duration (e.g. 500ms, 10s, 5m, 1h30m)");
    return std::nullopt;
  }

  // Bytes: a Kubernetes quantity string or a number of bytes.
  std::optional<int64_t> memory(const std::string& path, const json& v) {
    if (v.is_string()) return fromResult(path, parseMemoryQuantity(v.get<std::string>()));
    if (v.is_number()) {
      if (v.is_number_integer() && !v.is_number_unsigned()) {
        if (v.get<int64_t>() < 0) return negative(path, v);
        return v.get<int64_t>();
      }
      double bytes = v.get<double>();
      if (bytes < 0) return negative(path, v);
      auto rounded = roundUp(bytes);
      if (!rounded) return tooLarge(path, v);
      return rounded;
    }
    error(path, quoteJson(v) + " is not a memory quantity");
    return std::nullopt;
  }

  // Nano-CPUs. User form: 0.5, "0.5", "500m". Stored form: an integer.
  std::optional<int64_t> cpus(const std::string& path, const json& v) {
    if (stored_) return integer(path, v, 1, std::numeric_limits<int64_t>::max());
    std::optional<int64_t> nano;
    if (v.is_string()) {
      nano = fromResult(path, parseCpuQuantity(v.get<std::string>()));
    } else if (v.is_number()) {
      double n = v.get<double>();
      if (n < 0) return negative(path, v);
      nano = roundUp(n * 1e9);
      if (!nano) return tooLarge(path, v);
    } else {
      error(path, quoteJson(v) + " is not a CPU quantity (e.g. 0.5, 2, 500m)");
      return std::nullopt;
    }
    if (nano && *nano == 0) {
      error(path, quoteJson(v) + " must be more than 0");
      return std::nullopt;
    }
    return nano;
  }

  // A map of strings; numbers and booleans count as their text.
  std::map<std::string, std::string> stringMap(const std::string& path, const json* v,
                                               bool reservePrefix = false) {
    std::map<std::string, std::string> out;
    if (object(path, v) == nullptr) return out;
    for (const auto& [key, value] : v->items()) {
      if (key.empty()) {
        error(path, "a key must not be empty");
        continue;
      }
      if (reservePrefix && key.rfind(kReservedLabelPrefix, 0) == 0) {
        error(join(path, key), "the \"tender.\" prefix is reserved for tender's own labels");
        continue;
      }
      if (value.is_null()) {
        error(join(path, key), "has no value");
        continue;
      }
      if (auto s = text(join(path, key), value)) out[key] = *s;
    }
    return out;
  }

  std::optional<std::string> dnsLabel(const std::string& path, const json& v) {
    auto s = string(path, v);
    if (!s) return std::nullopt;
    if (!isDnsLabel(*s)) {
      error(path, quoteJson(*s) + kDnsLabelRule);
      return std::nullopt;
    }
    return s;
  }

  std::optional<int64_t> fromResult(const std::string& path, const Result<int64_t>& r) {
    if (r.ok()) return *r;
    error(path, r.status().message());
    return std::nullopt;
  }

 private:
  std::optional<int64_t> negative(const std::string& path, const json& v) {
    error(path, quoteJson(v) + " must not be negative");
    return std::nullopt;
  }
  std::optional<int64_t> tooLarge(const std::string& path, const json& v) {
    error(path, quoteJson(v) + " is too large");
    return std::nullopt;
  }

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
  const json* get(const std::string& key) {
    known_.insert(key);
    if (object_ == nullptr) return nullptr;
    auto it = object_->find(key);
    if (it == object_->end() || it->is_null()) return nullptr;
    return &*it;
  }

  std::string at(const std::string& key) const { return join(path_, key); }
  const std::string& path() const { return path_; }

  void rejectUnknown() {
    if (object_ == nullptr) return;
    for (const auto& [key, value] : object_->items()) {
      if (known_.count(key) == 0) d_.error(join(path_, key), "unknown field");
    }
  }

 private:
  Decoder& d_;
  const json* object_;
  std::string path_;
  std::set<std::string> known_;
};

// Duration fields are "<name>Ms" in the stored form, so a reader of the store
// never mistakes milliseconds for seconds.
std::string durationKey(const Decoder& d, const char* name) {
  return d.stored() ? std::string(name) + "Ms" : std::string(name);
}

std::optional<int64_t> getDuration(Decoder& d, Fields& f, const char* name) {
  std::string key = durationKey(d, name);
  const json* v = f.get(key);
  return v ? d.duration(f.at(key), *v) : std::nullopt;
}

std::optional<std::string> getString(Decoder& d, Fields& f, const char* name) {
  const json* v = f.get(name);
  return v ? d.string(f.at(name), *v) : std::nullopt;
}

std::optional<bool> getBool(Decoder& d, Fields& f, const char* name) {
  const json* v = f.get(name);
  return v ? d.boolean(f.at(name), *v) : std::nullopt;
}

std::optional<int64_t> getMemory(Decoder& d, Fields& f, const char* name) {
  const json* v = f.get(name);
  return v ? d.memory(f.at(name), *v) : std::nullopt;
}

// A command line: a list of words, or a string split as a shell would.
std::optional<std::vector<std::string>> decodeArgv(Decoder& d, const std::string& path,
                                                   const json& v) {
  if (v.is_string()) {
    auto words = shellSplit(v.get<std::string>());
    if (!words.ok()) {
      d.error(path, words.status().message());
      return std::nullopt;
    }
    return *words;
  }
  if (!v.is_array()) {
    d.error(path, quoteJson(v) + " is not a list or a string");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < v.size(); ++i) {
    auto word = d.text(indexed(path, i), v[i]);
    if (word) {
      out.push_back(*word);
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::map<std::string, std::string> decodeEnv(Decoder& d, const std::string& path, const json& v) {
  std::map<std::string, std::string> env;
  auto validName = [&](const std::string& where, const std::string& name) {
    if (name.empty() || name.find('=') != std::string::npos) {
      d.error(where, quoteJson(name) + " is not a variable name");
      return false;
    }
    return true;
  };
  if (v.is_object()) {
    for (const auto& [key, value] : v.items()) {
      if (!validName(path, key)) continue;
      if (value.is_null()) {
        d.error(join(path, key), "has no value");
        continue;
      }
      if (auto s = d.text(join(path, key), value)) env[key] = *s;
    }
  } else if (v.is_array()) {
    // Compose's list form: ["KEY=value", ...].
    for (size_t i = 0; i < v.size(); ++i) {
      auto item = d.string(indexed(path, i), v[i]);
      if (!item) continue;
      size_t eq = item->find('=');
      if (eq == std::string::npos) {
        d.error(indexed(path, i), quoteJson(*item) + " is not KEY=VALUE");
        continue;
      }
      std::string key = item->substr(0, eq);
      if (!validName(indexed(path, i), key)) continue;
      if (!env.emplace(key, item->substr(eq + 1)).second) {
        d.error(indexed(path, i), quoteJson(*item) + " sets " + key + " a second time");
      }
    }
  } else {
    d.error(path, quoteJson(v) + " is not an object or a list");
  }
  return env;
}

std::optional<BuildSpec> decodeBuild(Decoder& d, const std::string& path, const json& v) {
  BuildSpec build;
  if (v.is_string()) {
    build.context = v.get<std::string>();
  } else if (v.is_object()) {
    Fields f(d, &v, path);
    if (auto s = getString(d, f, "context")) build.context = *s;
    if (auto s = getString(d, f, "dockerfile")) build.dockerfile = *s;
    if (const json* args = f.get("args")) {
      build.args =
          args->is_array() ? decodeEnv(d, f.at("args"), *args) : d.stringMap(f.at("args"), args);
    }
    if (auto s = getString(d, f, "target")) build.target = *s;
    f.rejectUnknown();
  } else {
    d.error(path, quoteJson(v) + " is not an object or a string");
    return std::nullopt;
  }
  if (build.context.empty()) {
    d.error(v.is_string() ? path : join(path, "context"), "is required");
    return std::nullopt;
  }
  return build;
}

std::optional<PortMapping> decodePort(Decoder& d, const std::string& path, const json& v) {
  if (v.is_string()) {
    auto port = parsePortSpec(v.get<std::string>());
    if (!port.ok()) {
      d.error(path, port.status().message());
      return std::nullopt;
    }
    return *port;
  }
  if (v.is_number()) {
    // A bare container port, published on a port the engine picks.
    auto p = d.port(path, v);
    if (!p) return std::nullopt;
    PortMapping port;
    port.containerPort = port.containerPortEnd = *p;
    return port;
  }
  if (!v.is_object()) {
    d.error(path, quoteJson(v) + " is not a port mapping");
    return std::nullopt;
  }
  // Compose's long syntax.
  Fields f(d, &v, path);
  PortMapping port;
  bool ok = true;
  if (const json* target = f.get("target")) {
    auto p = d.port(f.at("target"), *target);
    ok = ok && p.has_value();
    if (p) port.containerPort = port.containerPortEnd = *p;
  } else {
    d.error(f.at("target"), "is required");
    ok = false;
  }
  if (const json* published = f.get("published")) {
    if (published->is_string()) {
      // "8080" or a range "8000-8002"; parsePortSpec knows both.
      auto parsed = parsePortSpec(published->get<std::string>());
      if (!parsed.ok() || parsed->hostPort != 0) {
        d.error(f.at("published"), quoteJson(*published) + " is not a port or a port range");
        ok = false;
      } else {
        port.hostPort = parsed->containerPort;
        port.hostPortEnd = parsed->containerPortEnd;
      }
    } else if (auto p = d.port(f.at("published"), *published)) {
      port.hostPort = port.hostPortEnd = *p;
    } else {
      ok = false;
    }
    if (ok && port.hostPortEnd != port.hostPort) {
      d.error(f.at("published"), quoteJson(*published) + " is a range but target is one port");
      ok = false;
    }
  }
  if (auto ip = getString(d, f, "host_ip")) {
    if (!isIpAddress(*ip)) {
      d.error(f.at("host_ip"), quoteJson(*ip) + " is not an IP address");
      ok = false;
    }
    port.hostIp = *ip;
  }
  if (auto protocol = getString(d, f, "protocol")) {
    if (*protocol != "tcp" && *protocol != "udp" && *protocol != "sctp") {
      d.error(f.at("protocol"), quoteJson(*protocol) + " is not one of tcp, udp, sctp");
      ok = false;
    }
    port.protocol = *protocol;
  }
  f.rejectUnknown();
  if (!ok) return std::nullopt;
  return port;
}

std::optional<VolumeMount> decodeVolume(Decoder& d, const std::string& path, const json& v) {
  if (v.is_string()) {
    auto mount = parseVolumeSpec(v.get<std::string>());
    if (!mount.ok()) {
      d.error(path, mount.status().message());
      return std::nullopt;
    }
    return *mount;
  }
  if (!v.is_object()) {
    d.error(path, quoteJson(v) + " is not a volume");
    return std::nullopt;
  }
  // Compose's long syntax.
  Fields f(d, &v, path);
  VolumeMount mount;
  bool ok = true;
  auto type = getString(d, f, "type");
  auto source = getString(d, f, "source");
  auto target = getString(d, f, "target");
  if (auto ro = getBool(d, f, "read_only")) mount.readOnly = *ro;
  std::string tmpfsPath = f.at("tmpfs");
  const json* tmpfs = f.get("tmpfs");
  Fields t(d, d.object(tmpfsPath, tmpfs), tmpfsPath);
  mount.tmpfsSize = getMemory(d, t, "size");
  t.rejectUnknown();
  f.rejectUnknown();
  if (!type) {
    if (!f.get("type")) d.error(f.at("type"), "is required");
    return std::nullopt;
  }
  mount.type = *type;
  mount.source = source.value_or("");
  if (mount.type == "volume") {
    if (!mount.source.empty() && !isDnsLabel(mount.source)) {
      d.error(f.at("source"), quoteJson(mount.source) + kDnsLabelRule);
      ok = false;
    }
  } else if (mount.type == "bind") {
    if (mount.source.empty()) {
      d.error(f.at("source"), "is required for a bind mount");
      ok = false;
    }
  } else if (mount.type == "tmpfs") {
    if (!mount.source.empty()) {
      d.error(f.at("source"), "must not be set for a tmpfs mount");
      ok = false;
    }
  } else {
    ok = false;
  }
  if (tmpfs != nullptr && mount.type != "tmpfs" && ok) {
    d.error(tmpfsPath, "is only for a tmpfs mount");
    ok = false;
  }
  if (mount.type != "volume" && mount.type != "bind" && mount.type != "tmpfs") {
    d.error(f.at("type"), quoteJson(mount.type) + " is not one of volume, bind, tmpfs");
    ok = false;
  }
  if (!target) {
    if (!f.get("target")) d.error(f.at("target"), "is required");
    return std::nullopt;
  }
  mount.target = *target;
  if (mount.target.empty() || mount.target[0] != '/') {
    d.error(f.at("target"), quoteJson(mount.target) + " is not an absolute path");
    ok = false;
  }
  if (!ok) return std::nullopt;
  return mount;
}

void decodeResources(Decoder& d, const std::string& path, const json* v, Resources* out) {
  Fields r(d, d.object(path, v), path);
  std::string limitsPath = r.at("limits");
  Fields limits(d, d.object(limitsPath, r.get("limits")), limitsPath);
  std::string reservationsPath = r.at("reservations");
  Fields reservations(d, d.object(reservationsPath, r.get("reservations")), reservationsPath);
  r.rejectUnknown();

  const json* memory = limits.get("memory");
  if (memory) {
    out->memoryLimit = d.memory(limits.at("memory"), *memory);
    if (out->memoryLimit && *out->memoryLimit < kDockerMinMemory) {
      d.error(limits.at("memory"),
              quoteJson(*memory) + " is below 6Mi, the least Docker accepts for a container");
      out->memoryLimit.reset();
    }
  }
  const char* cpusKey = d.stored() ? "nanoCpus" : "cpus";
  if (const json* cpus = limits.get(cpusKey)) out->nanoCpus = d.cpus(limits.at(cpusKey), *cpus);
  if (const json* swap = limits.get("memorySwap")) {
    std::string swapPath = limits.at("memorySwap");
    bool unlimited = (swap->is_number_integer() && swap->get<int64_t>() == -1) ||
                     (swap->is_string() && swap->get<std::string>() == "-1");
    if (unlimited) {
      out->memorySwap = -1;
    } else {
      out->memorySwap = d.memory(swapPath, *swap);
    }
    if (out->memorySwap && !memory) {
      d.error(swapPath, "needs limits.memory to be set as well");
      out->memorySwap.reset();
    } else if (out->memorySwap && *out->memorySwap != -1 && out->memoryLimit &&
               *out->memorySwap < *out->memoryLimit) {
      d.error(swapPath, quoteJson(*swap) + " must be at least limits.memory (" +
                            quoteJson(*memory) + "); -1 means unlimited");
      out->memorySwap.reset();
    }
  }
  limits.rejectUnknown();

  if (const json* reserved = reservations.get("memory")) {
    out->memoryReservation = d.memory(reservations.at("memory"), *reserved);
    if (out->memoryReservation && out->memoryLimit && *out->memoryReservation > *out->memoryLimit) {
      d.error(reservations.at("memory"),
              quoteJson(*reserved) + " must not exceed limits.memory (" + quoteJson(*memory) + ")");
      out->memoryReservation.reset();
    }
  }
  reservations.rejectUnknown();
}

void decodeBackoff(Decoder& d, const std::string& path, const json* v, BackoffSpec* out) {
  Fields f(d, d.object(path, v), path);
  out->initialMs = getDuration(d, f, "initial");
  if (const json* factor = f.get("factor")) {
    if (!factor->is_number() || !std::isfinite(factor->get<double>())) {
      d.error(f.at("factor"), quoteJson(*factor) + " is not a number");
    } else if (factor->get<double>() < 1) {
      d.error(f.at("factor"), quoteJson(*factor) + " must be at least 1");
    } else {
      out->factor = factor->get<double>();
    }
  }
  out->maxMs = getDuration(d, f, "max");
  out->resetAfterMs = getDuration(d, f, "resetAfter");
  if (const json* n = f.get("maxRestarts"))
    out->maxRestarts = d.smallInt(f.at("maxRestarts"), *n, 0);
  out->windowMs = getDuration(d, f, "window");
  if (out->maxMs && out->initialMs && *out->maxMs < *out->initialMs) {
    std::string key = durationKey(d, "max");
    d.error(f.at(key), quoteJson(*f.get(key)) + " must be at least backoff." +
                           durationKey(d, "initial") + " (" +
                           quoteJson(*f.get(durationKey(d, "initial"))) + ")");
    out->maxMs.reset();
  }
  f.rejectUnknown();
}

std::optional<HealthCheck> decodeHealthCheck(Decoder& d, const std::string& path, const json* v) {
  if (d.object(path, v) == nullptr) return std::nullopt;
  Fields f(d, v, path);
  HealthCheck hc;
  bool ok = true;
  const json* exec = f.get("exec");
  const json* http = f.get("http");
  const json* tcp = f.get("tcp");
  int kinds = (exec ? 1 : 0) + (http ? 1 : 0) + (tcp ? 1 : 0);
  if (kinds == 0) {
    d.error(path, "one of exec, http or tcp is required");
    ok = false;
  } else if (kinds > 1) {
    d.error(path, "only one of exec, http or tcp may be set");
    ok = false;
  }
  if (exec) {
    hc.kind = HealthCheck::Kind::kExec;
    std::string execPath = f.at("exec");
    if (exec->is_string()) {
      // A string runs in a shell, as Compose's "test: curl -f ... || exit 1".
      if (exec->get<std::string>().empty()) {
        d.error(execPath, "must not be empty");
        ok = false;
      }
      hc.exec = {"CMD-SHELL", exec->get<std::string>()};
    } else if (auto argv = decodeArgv(d, execPath, *exec)) {
      hc.exec = *argv;
      if (hc.exec.empty() || (hc.exec[0] != "CMD" && hc.exec[0] != "CMD-SHELL")) {
        hc.exec.insert(hc.exec.begin(), "CMD");
      }
      if (hc.exec.size() < 2) {
        d.error(execPath, quoteJson(*exec) + " has no command");
        ok = false;
      } else if (hc.exec[0] == "CMD-SHELL" && hc.exec.size() != 2) {
        d.error(execPath, quoteJson(*exec) + ": CMD-SHELL takes one command string");
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  auto decodeTarget = [&](const json* target, const std::string& targetPath, bool withPath) {
    Fields t(d, d.object(targetPath, target), targetPath);
    if (const json* port = t.get("port")) {
      auto p = d.port(t.at("port"), *port);
      ok = ok && p.has_value();
      if (p) hc.port = *p;
    } else if (target && target->is_object()) {
      d.error(t.at("port"), "is required");
      ok = false;
    }
    if (withPath) {
      if (auto p = getString(d, t, "path")) {
        if (p->empty() || (*p)[0] != '/') {
          d.error(t.at("path"), quoteJson(*p) + " does not start with /");
          ok = false;
        }
        hc.path = *p;
      }
    }
    t.rejectUnknown();
  };
  if (http) {
    hc.kind = HealthCheck::Kind::kHttp;
    decodeTarget(http, f.at("http"), true);
  }
  if (tcp) {
    hc.kind = HealthCheck::Kind::kTcp;
    decodeTarget(tcp, f.at("tcp"), false);
  }
  for (const char* name : {"interval", "timeout"}) {
    auto ms = getDuration(d, f, name);
    if (ms && *ms == 0) {
      std::string key = durationKey(d, name);
      d.error(f.at(key), quoteJson(*f.get(key)) + " must be more than 0");
      ms.reset();
    }
    (std::string(name) == "interval" ? hc.intervalMs : hc.timeoutMs) = ms;
  }
  if (const json* retries = f.get("retries")) hc.retries = d.smallInt(f.at("retries"), *retries, 1);
  hc.startPeriodMs = getDuration(d, f, "startPeriod");
  if (auto restart = getBool(d, f, "restartWhenUnhealthy")) hc.restartWhenUnhealthy = *restart;
  f.rejectUnknown();
  if (!ok) return std::nullopt;
  return hc;
}

std::optional<DependencyCondition> parseCondition(const std::string& s) {
  // Compose's spellings are accepted too, so a pasted depends_on block works.
  if (s == "started" || s == "service_started") return DependencyCondition::kStarted;
  if (s == "healthy" || s == "service_healthy") return DependencyCondition::kHealthy;
  if (s == "completed" || s == "service_completed_successfully") {
    return DependencyCondition::kCompleted;
  }
  return std::nullopt;
}

std::map<std::string, Dependency> decodeDependsOn(Decoder& d, const std::string& path,
                                                  const json& v, const std::string& self) {
  std::map<std::string, Dependency> out;
  auto checkName = [&](const std::string& where, const std::string& name) {
    if (!isDnsLabel(name)) {
      d.error(where, quoteJson(name) + kDnsLabelRule);
      return false;
    }
    if (!self.empty() && name == self) {
      d.error(where, "a service cannot depend on itself");
      return false;
    }
    return true;
  };
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      auto name = d.string(indexed(path, i), v[i]);
      if (!name || !checkName(indexed(path, i), *name)) continue;
      if (!out.emplace(*name, Dependency{}).second) {
        d.error(indexed(path, i), quoteJson(*name) + " is listed twice");
      }
    }
    return out;
  }
  if (!v.is_object()) {
    d.error(path, quoteJson(v) + " is not an object or a list");
    return out;
  }
  for (const auto& [name, value] : v.items()) {
    std::string depPath = join(path, name);
    if (!checkName(depPath, name)) continue;
    Dependency dep;
    // "db:" with nothing after it means the defaults.
    Fields f(d, value.is_null() ? nullptr : d.object(depPath, &value), depPath);
    bool ok = value.is_null() || value.is_object();
    if (auto condition = getString(d, f, "condition")) {
      if (auto c = parseCondition(*condition)) {
        dep.condition = *c;
      } else {
        d.error(f.at("condition"),
                quoteJson(*condition) + " is not one of started, healthy, completed");
        ok = false;
      }
    }
    if (auto restart = getBool(d, f, "restart")) dep.restart = *restart;
    if (auto required = getBool(d, f, "required")) dep.required = *required;
    f.rejectUnknown();
    if (ok) out[name] = dep;
  }
  return out;
}

// A list of non-empty strings (capabilities, hosts); empty when absent.
std::vector<std::string> decodeWords(Decoder& d, const std::string& path, const json* v) {
  std::vector<std::string> out;
  if (d.list(path, v) == nullptr) return out;
  for (size_t i = 0; i < v->size(); ++i) {
    auto word = d.text(indexed(path, i), (*v)[i]);
    if (!word) continue;
    if (word->empty()) {
      d.error(indexed(path, i), "must not be empty");
      continue;
    }
    out.push_back(*word);
  }
  return out;
}

// The container settings beyond image, command and resources: what Compose
// calls expose, network_mode, cap_add, ulimits, logging and the like.
void decodeContainerSettings(Decoder& d, Fields& f, ServiceSpec* s) {
  if (const json* expose = d.list(f.at("expose"), f.get("expose"))) {
    for (size_t i = 0; i < expose->size(); ++i) {
      std::string at = indexed(f.at("expose"), i);
      const json& item = (*expose)[i];
      auto text = item.is_number_integer() || item.is_string() ? d.text(at, item) : std::nullopt;
      if (!text) {
        if (!item.is_number_integer() && !item.is_string()) {
          d.error(at, quoteJson(item) + " is not a port (8080, \"53/udp\", \"9000-9002\")");
        }
        continue;
      }
      auto port = parsePortSpec(*text);
      if (!port.ok()) {
        d.error(at, port.status().message());
      } else if (port->hostPort != 0 || !port->hostIp.empty()) {
        d.error(at, quoteJson(*text) + " publishes a port: use ports");
      } else {
        s->expose.push_back(formatPortSpec(*port));
      }
    }
  }
  if (auto mode = getString(d, f, "networkMode")) {
    const std::string& m = *mode;
    bool known = m == "bridge" || m == "host" || m == "none";
    if (m.rfind("service:", 0) == 0) {
      known = isDnsLabel(m.substr(8));
    } else if (m.rfind("container:", 0) == 0) {
      known = m.size() > 10;
    }
    if (!known) {
      d.error(f.at("networkMode"), quoteJson(m) +
                                       " is not one of bridge, host, none, service:NAME, container:NAME");
    } else if (!s->networks.empty()) {
      d.error(f.at("networkMode"), "cannot be set together with spec.networks");
    } else {
      s->networkMode = m;
    }
  }
  if (const json* aliases = d.object(f.at("networkAliases"), f.get("networkAliases"))) {
    for (const auto& [network, names] : aliases->items()) {
      std::string at = join(f.at("networkAliases"), network);
      bool joined = s->networks.empty()
                        ? network == "default"
                        : std::find(s->networks.begin(), s->networks.end(), network) != s->networks.end();
      if (!joined) {
        d.error(at, "the service does not join network " + quoteJson(network));
        continue;
      }
      std::vector<std::string> words = decodeWords(d, at, &names);
      // Aliases are names other containers resolve: Docker takes host
      // names, underscores and capitals included (Compose service names).
      auto hostName = [](const std::string& w) {
        if (w.empty() || w.size() > 253 || w.front() == '-' || w.front() == '.' || w.back() == '-' || w.back() == '.') {
          return false;
        }
        return std::all_of(w.begin(), w.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
        });
      };
      for (size_t i = 0; i < words.size(); ++i) {
        if (!hostName(words[i])) {
          d.error(indexed(at, i), quoteJson(words[i]) + " is not a host name (letters, digits, '-', '_' and '.')");
        }
      }
      if (!words.empty()) s->networkAliases[network] = words;
    }
  }
  s->capAdd = decodeWords(d, f.at("capAdd"), f.get("capAdd"));
  s->capDrop = decodeWords(d, f.at("capDrop"), f.get("capDrop"));
  if (auto v = getBool(d, f, "privileged")) s->privileged = *v;
  if (auto v = getBool(d, f, "readOnlyRootFilesystem")) s->readOnlyRootFilesystem = *v;
  s->init = getBool(d, f, "init");
  std::vector<std::string> hosts = decodeWords(d, f.at("extraHosts"), f.get("extraHosts"));
  for (size_t i = 0; i < hosts.size(); ++i) {
    // "host:ip" as Docker writes it, or "host=ip" as newer Compose files do.
    const std::string& entry = hosts[i];
    size_t sep = entry.find_first_of("=:");
    std::string host = sep == std::string::npos ? entry : entry.substr(0, sep);
    std::string ip = sep == std::string::npos ? "" : entry.substr(sep + 1);
    if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    if (host.empty() || (!isIpAddress(ip) && ip != "host-gateway")) {
      d.error(indexed(f.at("extraHosts"), i), quoteJson(entry) + " is not HOST:IP");
      continue;
    }
    s->extraHosts.push_back(host + ":" + ip);
  }
  if (const json* ulimits = d.object(f.at("ulimits"), f.get("ulimits"))) {
    for (const auto& [name, value] : ulimits->items()) {
      std::string at = join(f.at("ulimits"), name);
      Ulimit u;
      if (value.is_object()) {
        Fields lim(d, &value, at);
        const json* soft = lim.get("soft");
        const json* hard = lim.get("hard");
        lim.rejectUnknown();
        if (soft == nullptr || hard == nullptr) {
          d.error(at, "soft and hard are both required");
          continue;
        }
        auto sv = d.integer(lim.at("soft"), *soft, -1, std::numeric_limits<int64_t>::max());
        auto hv = d.integer(lim.at("hard"), *hard, -1, std::numeric_limits<int64_t>::max());
        if (!sv || !hv) continue;
        if (*hv != -1 && (*sv == -1 || *sv > *hv)) {
          d.error(lim.at("soft"), quoteJson(*soft) + " must not exceed hard (" + quoteJson(*hard) + ")");
          continue;
        }
        u.soft = *sv;
        u.hard = *hv;
      } else {
        auto n = d.integer(at, value, -1, std::numeric_limits<int64_t>::max());
        if (!n) continue;
        u.soft = u.hard = *n;
      }
      s->ulimits[name] = u;
    }
  }
  if (const json* logging = d.object(f.at("logging"), f.get("logging"))) {
    Fields l(d, logging, f.at("logging"));
    LoggingSpec spec;
    if (auto driver = getString(d, l, "driver")) spec.driver = *driver;
    spec.options = d.stringMap(l.at("options"), l.get("options"));
    l.rejectUnknown();
    s->logging = spec;
  }
}

ServiceSpec decodeServiceSpec(Decoder& d, const json* spec, const std::string& self) {
  ServiceSpec s;
  Fields f(d, spec, "spec");
  if (auto image = getString(d, f, "image")) s.image = *image;
  if (const json* build = f.get("build")) s.build = decodeBuild(d, f.at("build"), *build);
  if (const json* v = f.get("command")) s.command = decodeArgv(d, f.at("command"), *v);
  if (const json* v = f.get("entrypoint")) s.entrypoint = decodeArgv(d, f.at("entrypoint"), *v);
  if (const json* v = f.get("env")) s.env = decodeEnv(d, f.at("env"), *v);
  if (const json* ports = d.list(f.at("ports"), f.get("ports"))) {
    for (size_t i = 0; i < ports->size(); ++i) {
      if (auto p = decodePort(d, indexed(f.at("ports"), i), (*ports)[i])) s.ports.push_back(*p);
    }
  }
  if (const json* volumes = d.list(f.at("volumes"), f.get("volumes"))) {
    std::map<std::string, size_t> targets;
    for (size_t i = 0; i < volumes->size(); ++i) {
      std::string at = indexed(f.at("volumes"), i);
      auto mount = decodeVolume(d, at, (*volumes)[i]);
      if (!mount) continue;
      auto [first, inserted] = targets.emplace(mount->target, i);
      if (!inserted) {
        d.error(at, quoteJson(mount->target) + " is already mounted by " +
                        indexed("volumes", first->second));
        continue;
      }
      s.volumes.push_back(*mount);
    }
  }
  if (const json* networks = d.list(f.at("networks"), f.get("networks"))) {
    std::set<std::string> seen;
    for (size_t i = 0; i < networks->size(); ++i) {
      std::string at = indexed(f.at("networks"), i);
      auto name = d.dnsLabel(at, (*networks)[i]);
      if (!name) continue;
      if (!seen.insert(*name).second) {
        d.error(at, quoteJson(*name) + " is listed twice");
        continue;
      }
      s.networks.push_back(*name);
    }
  }
  s.labels = d.stringMap(f.at("labels"), f.get("labels"), /*reservePrefix=*/true);
  if (const json* v = f.get("replicas")) s.replicas = d.smallInt(f.at("replicas"), *v, 0);
  if (const json* v = f.get("resources")) decodeResources(d, f.at("resources"), v, &s.resources);
  if (auto policy = getString(d, f, "restartPolicy")) {
    if (*policy == "Always") {
      s.restartPolicy = RestartPolicy::kAlways;
    } else if (*policy == "OnFailure") {
      s.restartPolicy = RestartPolicy::kOnFailure;
    } else if (*policy == "Never") {
      s.restartPolicy = RestartPolicy::kNever;
    } else {
      d.error(f.at("restartPolicy"),
              quoteJson(*policy) + " is not one of Always, OnFailure, Never");
    }
  }
  if (const json* v = f.get("backoff")) decodeBackoff(d, f.at("backoff"), v, &s.backoff);
  if (const json* v = f.get("healthcheck")) {
    s.healthcheck = decodeHealthCheck(d, f.at("healthcheck"), v);
  }
  if (const json* v = f.get("dependsOn"))
    s.dependsOn = decodeDependsOn(d, f.at("dependsOn"), *v, self);
  if (const json* v = f.get("priority")) {
    if (auto p = d.integer(f.at("priority"), *v, INT_MIN, INT_MAX))
      s.priority = static_cast<int>(*p);
  }
  if (const json* v = f.get("user")) s.user = d.text(f.at("user"), *v).value_or("");
  if (auto dir = getString(d, f, "workingDir")) {
    if (!dir->empty() && (*dir)[0] != '/') {
      d.error(f.at("workingDir"), quoteJson(*dir) + " is not an absolute path");
    } else {
      s.workingDir = *dir;
    }
  }
  if (auto hostname = getString(d, f, "hostname")) s.hostname = *hostname;
  s.stopGracePeriodMs = getDuration(d, f, "stopGracePeriod");
  if (const json* v = f.get("stopSignal"))
    s.stopSignal = d.text(f.at("stopSignal"), *v).value_or("");
  decodeContainerSettings(d, f, &s);
  f.rejectUnknown();
  // A present but malformed image or build has its own error already.
  const json* image = f.get("image");
  bool imageMalformed = image != nullptr && !image->is_string();
  if (s.image.empty() && !s.build && !imageMalformed && !f.get("build")) {
    d.error("spec", "image or build is required");
  }
  return s;
}

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
  f.rejectUnknown();
  return n;
}

ObjectMeta decodeMetadata(Decoder& d, const json* metadata, const std::string& kind,
                          const ParseOptions& options) {
  ObjectMeta meta;
  bool malformed = metadata != nullptr && !metadata->is_object();
  Fields f(d, d.object("metadata", metadata), "metadata");
  if (const json* name = f.get("name")) {
    if (auto s = d.dnsLabel(f.at("name"), *name)) meta.name = *s;
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
    if (auto s = d.dnsLabel(f.at("namespace"), *ns)) meta.namespace_ = *s;
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

Result<Resource> decodeResource(const nlohmann::json& object, const ParseOptions& options,
                                const std::string& pathPrefix) {
  try {
    return decodeObject(object, options, pathPrefix, /*stored=*/false, "manifest is invalid");
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
    return decodeObject(object, ParseOptions{}, "", /*stored=*/true, what.c_str());
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
      Result<Resource> r =
          decodeObject(*entries[i].object, options, prefix, false, "manifest is invalid");
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

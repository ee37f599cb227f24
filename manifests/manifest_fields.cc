// The manifest decoder's shared pieces (manifest_internal.h): Decoder's typed
// values with their errors, Fields' known keys, and the helpers for the field
// shapes every kind uses (durations, strings, command lines, env maps, lists).
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manifests/manifest.h"
#include "manifests/manifest_internal.h"
#include "manifests/manifest_syntax.h"

namespace tender {
namespace manifest_internal {
namespace {

constexpr const char* kReservedLabelPrefix = "tender.";

// A double that is within rounding error of an integer is that integer
// (0.1 * 1e9 is 100000000.00000001); otherwise it rounds up, as quantities do.
std::optional<int64_t> roundUp(double x) {
  if (!std::isfinite(x) || x < 0 || x >= 9.2e18) return std::nullopt;
  double nearest = std::round(x);
  double tolerance = std::max(1e-6, x * 1e-12);
  return static_cast<int64_t>(std::fabs(x - nearest) < tolerance ? nearest : std::ceil(x));
}

}  // namespace

void Decoder::error(const std::string& path, std::string message) {
  std::string field = prefix_ + path;
  if (path.empty()) field = prefix_.empty() ? "(root)" : prefix_.substr(0, prefix_.size() - 1);
  errors_.push_back(FieldError{std::move(field), std::move(message)});
}

const json* Decoder::object(const std::string& path, const json* v) {
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    error(path, quoteJson(*v) + " is not an object");
    return nullptr;
  }
  return v;
}

const json* Decoder::list(const std::string& path, const json* v) {
  if (v == nullptr) return nullptr;
  if (!v->is_array()) {
    error(path, quoteJson(*v) + " is not a list");
    return nullptr;
  }
  return v;
}

std::optional<std::string> Decoder::string(const std::string& path, const json& v) {
  if (v.is_string()) return v.get<std::string>();
  error(path, quoteJson(v) + " is not a string");
  return std::nullopt;
}

std::optional<std::string> Decoder::text(const std::string& path, const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return v.dump();
  error(path, quoteJson(v) + " is not a string");
  return std::nullopt;
}

std::optional<bool> Decoder::boolean(const std::string& path, const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  error(path, quoteJson(v) + " is not a boolean (true or false)");
  return std::nullopt;
}

std::optional<int64_t> Decoder::integer(const std::string& path, const json& v, int64_t min,
                                        int64_t max) {
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

std::optional<int> Decoder::smallInt(const std::string& path, const json& v, int min) {
  auto value = integer(path, v, min, INT_MAX);
  if (!value) return std::nullopt;
  return static_cast<int>(*value);
}

std::optional<int> Decoder::port(const std::string& path, const json& v) {
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

std::optional<int64_t> Decoder::duration(const std::string& path, const json& v) {
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

std::optional<int64_t> Decoder::memory(const std::string& path, const json& v) {
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

std::optional<int64_t> Decoder::cpus(const std::string& path, const json& v) {
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

std::map<std::string, std::string> Decoder::stringMap(const std::string& path, const json* v,
                                                      bool reservePrefix) {
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

std::optional<std::string> Decoder::name(const std::string& path, const json& v,
                                         const std::string& kind) {
  auto s = string(path, v);
  if (!s) return std::nullopt;
  if (!isResourceName(kind, *s)) {
    error(path, quoteJson(*s) + resourceNameRule(kind));
    return std::nullopt;
  }
  return s;
}

std::optional<int64_t> Decoder::fromResult(const std::string& path, const Result<int64_t>& r) {
  if (r.ok()) return *r;
  error(path, r.status().message());
  return std::nullopt;
}

std::optional<int64_t> Decoder::negative(const std::string& path, const json& v) {
  error(path, quoteJson(v) + " must not be negative");
  return std::nullopt;
}

std::optional<int64_t> Decoder::tooLarge(const std::string& path, const json& v) {
  error(path, quoteJson(v) + " is too large");
  return std::nullopt;
}

const json* Fields::get(const std::string& key) {
  known_.insert(key);
  if (object_ == nullptr) return nullptr;
  auto it = object_->find(key);
  if (it == object_->end() || it->is_null()) return nullptr;
  return &*it;
}

void Fields::rejectUnknown() {
  if (object_ == nullptr) return;
  for (const auto& [key, value] : object_->items()) {
    if (known_.count(key) == 0) d_.error(join(path_, key), "unknown field");
  }
}

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

}  // namespace manifest_internal
}  // namespace tender

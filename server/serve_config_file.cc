// The serve settings as YAML (serve_config_file.h). One table names every
// setting once: its flag, its key (derived from the flag), how its value is
// read, and whether a running server takes a new value.

#include "server/serve_config_file.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <set>
#include <sstream>
#include <utility>

namespace tender {
namespace {

// "--post-mortem-lines" -> "postMortemLines".
std::string keyOfFlag(const std::string& flag) {
  std::string key;
  bool upper = false;
  for (char ch : flag.substr(flag.find_first_not_of('-'))) {
    if (ch == '-') {
      upper = true;
      continue;
    }
    key += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
    upper = false;
  }
  return key;
}

std::string kindOf(const YAML::Node& n) {
  if (n.IsSequence()) return "list";
  if (n.IsMap()) return "map";
  return "value";
}

// Each reader returns "" when the value is taken, else what is wrong with it.
std::string readText(const YAML::Node& n, std::string& out) {
  if (!n.IsScalar()) return "is a " + kindOf(n) + ", not a single value";
  out = n.Scalar();
  return "";
}

std::string readWhole(const YAML::Node& n, long long min, long long& out) {
  std::string text;
  if (std::string bad = readText(n, text); !bad.empty()) return bad;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE) return "\"" + text + "\" is not a whole number";
  if (v < min) return text + " is too small: give " + std::to_string(min) + " or more";
  out = v;
  return "";
}

std::string readReal(const YAML::Node& n, double min, double max, double& out) {
  std::string text;
  if (std::string bad = readText(n, text); !bad.empty()) return bad;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v)) return "\"" + text + "\" is not a number";
  if (v < min || v > max) {
    std::ostringstream range;
    range << text << " is out of range: give " << min << " to " << max;
    return range.str();
  }
  out = v;
  return "";
}

std::string readBool(const YAML::Node& n, bool& out) {
  std::string text;
  if (std::string bad = readText(n, text); !bad.empty()) return bad;
  for (const char* yes : {"true", "True", "TRUE", "yes", "on"}) {
    if (text == yes) return out = true, "";
  }
  for (const char* no : {"false", "False", "FALSE", "no", "off"}) {
    if (text == no) return out = false, "";
  }
  return "\"" + text + "\" is not true or false";
}

std::string readOneOf(const YAML::Node& n, const std::vector<std::string>& allowed,
                      std::string& out) {
  std::string text;
  if (std::string bad = readText(n, text); !bad.empty()) return bad;
  std::string list;
  for (const auto& a : allowed) {
    if (text == a) return out = text, "";
    list += (list.empty() ? "" : ", ") + a;
  }
  return "\"" + text + "\" is not one of " + list;
}

struct Entry {
  ServeSetting setting;
  std::function<std::string(const YAML::Node&, ServeOptions&)> read;
  std::function<void(const ServeOptions& from, ServeOptions& to)> copy;
  std::function<bool(const ServeOptions&, const ServeOptions&)> same;
};

template <typename T>
Entry entry(const char* flag, bool atRunTime, T ServeOptions::*member,
            std::function<std::string(const YAML::Node&, T&)> read) {
  Entry e;
  e.setting = ServeSetting{flag, keyOfFlag(flag), atRunTime};
  e.read = [member, read](const YAML::Node& n, ServeOptions& o) { return read(n, o.*member); };
  e.copy = [member](const ServeOptions& from, ServeOptions& to) { to.*member = from.*member; };
  e.same = [member](const ServeOptions& a, const ServeOptions& b) { return a.*member == b.*member; };
  return e;
}

Entry text(const char* flag, bool atRunTime, std::string ServeOptions::*member) {
  return entry<std::string>(flag, atRunTime, member, readText);
}

Entry whole(const char* flag, bool atRunTime, int ServeOptions::*member, long long min) {
  return entry<int>(flag, atRunTime, member, [min](const YAML::Node& n, int& out) {
    long long v = 0;
    std::string bad = readWhole(n, min, v);
    if (bad.empty() && v > INT_MAX) bad = std::to_string(v) + " is too large";
    if (bad.empty()) out = static_cast<int>(v);
    return bad;
  });
}

std::vector<Entry> makeTable() {
  const bool kRunTime = true, kRestart = false;
  std::vector<Entry> t;
  // Who may reach the API and how.
  t.push_back(entry<std::vector<std::string>>(
      "--listen", kRestart, &ServeOptions::listen,
      [](const YAML::Node& n, std::vector<std::string>& out) -> std::string {
        if (n.IsScalar()) return out = {n.Scalar()}, "";
        if (!n.IsSequence()) return "is a map: give a list of HOST:PORT or unix:/path";
        std::vector<std::string> all;
        for (const auto& item : n) {
          if (!item.IsScalar()) return "holds a " + kindOf(item) + ": give HOST:PORT or unix:/path";
          all.push_back(item.Scalar());
        }
        if (all.empty()) return "is empty: the API needs an address";
        out = all;
        return "";
      }));
  t.push_back(text("--token-file", kRestart, &ServeOptions::tokenFile));
  t.push_back(text("--tls-cert", kRestart, &ServeOptions::tlsCert));
  t.push_back(text("--tls-key", kRestart, &ServeOptions::tlsKey));
  t.push_back(entry<bool>("--allow-plaintext", kRestart, &ServeOptions::allowPlaintext, readBool));
  // The state, the engine and the loop.
  t.push_back(text("--state-dir", kRestart, &ServeOptions::stateDir));
  t.push_back(text("--backup-dir", kRestart, &ServeOptions::backupDir));
  t.push_back(text("--instance", kRestart, &ServeOptions::instance));
  t.push_back(text("--engine", kRestart, &ServeOptions::engineHost));
  t.push_back(whole("--workers", kRestart, &ServeOptions::workers, 1));
  t.push_back(whole("--start-concurrency", kRestart, &ServeOptions::startConcurrency, 0));
  t.push_back(whole("--resync", kRestart, &ServeOptions::resyncSeconds, 1));
  // History.
  t.push_back(whole("--post-mortem-lines", kRestart, &ServeOptions::postMortemLogLines, 0));
  t.push_back(whole("--keep-events", kRunTime, &ServeOptions::keepEvents, 1));
  t.push_back(whole("--keep-post-mortems", kRunTime, &ServeOptions::keepPostMortems, 1));
  // Memory.
  t.push_back(text("--host-memory", kRestart, &ServeOptions::hostMemory));
  t.push_back(text("--system-reserve", kRestart, &ServeOptions::systemReserve));
  t.push_back(entry<double>("--memory-headroom", kRestart, &ServeOptions::memoryHeadroom,
                            [](const YAML::Node& n, double& out) {
                              return readReal(n, 1.0, 10.0, out);
                            }));
  t.push_back(text("--default-reservation", kRestart, &ServeOptions::defaultReservation));
  t.push_back(text("--eviction-threshold", kRunTime, &ServeOptions::evictionThreshold));
  t.push_back(whole("--eviction-priority-floor", kRunTime, &ServeOptions::evictionPriorityFloor,
                    INT_MIN));
  t.push_back(text("--eviction-recovery", kRunTime, &ServeOptions::evictionRecovery));
  // Logs, history and the engine's disk.
  t.push_back(text("--log-max-size", kRestart, &ServeOptions::logMaxSize));
  t.push_back(entry<std::string>("--log-max-file", kRestart, &ServeOptions::logMaxFile,
                                 [](const YAML::Node& n, std::string& out) {
                                   long long v = 0;
                                   std::string bad = readWhole(n, 1, v);
                                   if (bad.empty()) out = std::to_string(v);
                                   return bad;
                                 }));
  t.push_back(text("--keep-deleted", kRunTime, &ServeOptions::keepDeleted));
  t.push_back(text("--engine-wait", kRestart, &ServeOptions::engineWait));
  t.push_back(text("--cleanup-interval", kRunTime, &ServeOptions::cleanupInterval));
  t.push_back(text("--min-free-disk", kRunTime, &ServeOptions::minFreeDisk));
  t.push_back(whole("--keep-history-days", kRunTime, &ServeOptions::keepHistoryDays, 1));
  t.push_back(whole("--memory-sample", kRestart, &ServeOptions::memorySampleSeconds, 1));
  t.push_back(text("--proc-root", kRestart, &ServeOptions::procRoot));
  // What one request, and one token, may ask.
  t.push_back(entry<size_t>("--max-body-bytes", kRestart, &ServeOptions::maxBodyBytes,
                            [](const YAML::Node& n, size_t& out) {
                              long long v = 0;
                              std::string bad = readWhole(n, 1, v);
                              if (bad.empty()) out = static_cast<size_t>(v);
                              return bad;
                            }));
  t.push_back(text("--max-build-context-size", kRestart, &ServeOptions::maxBuildContextSize));
  t.push_back(text("--build-context-storage", kRestart, &ServeOptions::buildContextStorage));
  t.push_back(entry<double>("--request-rate", kRestart, &ServeOptions::requestRate,
                            [](const YAML::Node& n, double& out) {
                              return readReal(n, 0, 1e9, out);
                            }));
  t.push_back(whole("--request-burst", kRestart, &ServeOptions::requestBurst, 0));
  t.push_back(whole("--max-watches-per-token", kRestart, &ServeOptions::maxWatchesPerToken, 0));
  t.push_back(text("--budget-exempt", kRestart, &ServeOptions::budgetExempt));
  // The server's own log.
  t.push_back(entry<std::string>(
      "--log-level", kRunTime, &ServeOptions::logLevel, [](const YAML::Node& n, std::string& out) {
        return readOneOf(n, {"trace", "debug", "info", "warn", "error", "critical", "off"}, out);
      }));
  t.push_back(entry<bool>("--log-format", kRestart, &ServeOptions::jsonLogs,
                          [](const YAML::Node& n, bool& json) {
                            std::string format;
                            std::string bad = readOneOf(n, {"text", "json"}, format);
                            if (bad.empty()) json = format == "json";
                            return bad;
                          }));
  return t;
}

const std::vector<Entry>& table() {
  static const std::vector<Entry> t = makeTable();
  return t;
}

const Entry* byKey(const std::string& key) {
  for (const Entry& e : table()) {
    if (e.setting.key == key) return &e;
  }
  return nullptr;
}

const Entry* byFlag(const std::string& flag) {
  for (const Entry& e : table()) {
    if (e.setting.flag == flag) return &e;
  }
  return nullptr;
}

std::string lineOf(const YAML::Mark& mark) { return "line " + std::to_string(mark.line + 1); }

}  // namespace

Result<ServeConfigFile> parseServeConfigFile(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Status::Invalid("the config file is not YAML",
                           {{"", lineOf(e.mark) + ": " + e.msg}});
  }
  ServeConfigFile file;
  if (root.IsNull()) return file;
  if (!root.IsMap()) {
    return Status::Invalid("the config file is not a map of settings",
                           {{"", lineOf(root.Mark()) + ": is a " + kindOf(root) +
                                     ": give one `key: value` per setting"}});
  }
  std::vector<FieldError> errors;
  for (const auto& item : root) {
    const YAML::Node& keyNode = item.first;
    const YAML::Node& value = item.second;
    const std::string key = keyNode.IsScalar() ? keyNode.Scalar() : "";
    const int line = keyNode.Mark().line + 1;
    const std::string where = "line " + std::to_string(line) + ": ";
    const Entry* e = byKey(key);
    if (e == nullptr) {
      std::string hint;
      if (const Entry* f = byFlag("--" + key); f != nullptr) hint = " (the flag's key is " + f->setting.key + ")";
      errors.push_back({key, where + "not a setting of tender serve" + hint +
                                 "; the keys are its flags' names in camelCase"});
      continue;
    }
    if (auto seen = file.lines.find(key); seen != file.lines.end()) {
      errors.push_back({key, where + "given twice (first on line " +
                                 std::to_string(seen->second) + ")"});
      continue;
    }
    file.lines[key] = line;
    if (value.IsNull()) continue;  // the default
    std::string bad = e->read(value, file.options);
    if (!bad.empty()) errors.push_back({key, "line " + std::to_string(value.Mark().line + 1) + ": " + bad});
  }
  if (!errors.empty()) return Status::Invalid("the config file is invalid", std::move(errors));
  return file;
}

ServeOptions withFlagsOver(const ServeOptions& file, const ServeOptions& flags,
                           const std::vector<std::string>& flagsGiven) {
  ServeOptions out = file;
  for (const std::string& flag : flagsGiven) {
    if (const Entry* e = byFlag(flag); e != nullptr) e->copy(flags, out);
  }
  out.configFile = flags.configFile;
  out.flagsGiven = flagsGiven;
  return out;
}

Status inTermsOfFile(const Status& flagErrors, const ServeConfigFile& file,
                     const std::vector<std::string>& flagsGiven) {
  if (flagErrors.ok()) return flagErrors;
  const std::set<std::string> given(flagsGiven.begin(), flagsGiven.end());
  std::vector<FieldError> errors;
  for (const FieldError& d : flagErrors.details()) {
    const Entry* e = byFlag(d.field);
    auto line = e != nullptr ? file.lines.find(e->setting.key) : file.lines.end();
    if (line == file.lines.end() || given.count(d.field) > 0) {
      errors.push_back(d);
      continue;
    }
    errors.push_back({e->setting.key, "line " + std::to_string(line->second) + ": " + d.message});
  }
  return flagErrors.WithDetails(std::move(errors));
}

const std::vector<ServeSetting>& serveSettings() {
  static const std::vector<ServeSetting> settings = [] {
    std::vector<ServeSetting> out;
    for (const Entry& e : table()) out.push_back(e.setting);
    return out;
  }();
  return settings;
}

std::vector<std::string> changedSettings(const ServeOptions& before, const ServeOptions& after) {
  std::vector<std::string> out;
  for (const Entry& e : table()) {
    if (!e.same(before, after)) out.push_back(e.setting.key);
  }
  return out;
}

bool changesAtRunTime(const std::string& key) {
  const Entry* e = byKey(key);
  return e != nullptr && e->setting.atRunTime;
}

ServeOptions withRunTimeSettingsOf(const ServeOptions& running, const ServeOptions& next) {
  ServeOptions out = running;
  for (const Entry& e : table()) {
    if (e.setting.atRunTime) e.copy(next, out);
  }
  return out;
}

}  // namespace tender

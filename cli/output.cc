#include "cli/output.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <initializer_list>

#include "controller/time_format.h"

namespace tender {
namespace {

using nlohmann::json;

// The value at `path` inside nested objects, or nullptr. Never throws,
// whatever shape the server's answer has.
const json* find(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string stringAt(const json& j, std::initializer_list<const char*> path,
                     const std::string& def = "") {
  const json* v = find(j, path);
  if (v == nullptr || !v->is_string()) return def;
  std::string s = v->get<std::string>();
  return s.empty() ? def : s;
}

int64_t intAt(const json& j, std::initializer_list<const char*> path, int64_t def) {
  const json* v = find(j, path);
  return v != nullptr && v->is_number() ? v->get<int64_t>() : def;
}

std::string dumpJson(const json& v, int indent) {
  return v.dump(indent, ' ', false, json::error_handler_t::replace);
}

// --- YAML ------------------------------------------------------------------

bool isPlainSafe(const std::string& s) {
  if (s.empty()) return false;
  static const std::string kIndicators = ",[]{}#&*!|>'\"%@`";
  const unsigned char first = static_cast<unsigned char>(s.front());
  const unsigned char second = s.size() > 1 ? static_cast<unsigned char>(s[1]) : ' ';
  // Digits and signs: YAML may read a number, a sexagesimal ("8080:80" in
  // YAML 1.1) or a timestamp; quoting is always safe.
  if (std::isdigit(first) || first == '+' || first == '.' ||
      kIndicators.find(static_cast<char>(first)) != std::string::npos) {
    return false;
  }
  // "-", "?" and ":" start a plain scalar only when a non-space follows
  // ("--port" is plain, "- x" is not); "-1" would read as a number.
  if ((first == '-' || first == '?' || first == ':') &&
      (second == ' ' || std::isdigit(second) || second == '.')) {
    return false;
  }
  if (s.rfind("---", 0) == 0) return false;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const char* const kReserved[] = {"true", "false", "yes",  "no", "on", "off",
                                          "y",    "n",     "null", "~",  "<<"};
  for (const char* word : kReserved) {
    if (lower == word) return false;
  }
  return true;
}

std::string quoteYaml(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string yamlString(const std::string& s) { return isPlainSafe(s) ? s : quoteYaml(s); }

bool isInline(const json& v) { return !v.is_structured() || v.empty(); }

std::string yamlInline(const json& v) {
  if (v.is_string()) return yamlString(v.get<std::string>());
  if (v.is_object()) return "{}";
  if (v.is_array()) return "[]";
  return dumpJson(v, -1);  // null, true/false, numbers read the same in YAML
}

void emitBlock(const json& v, int indent, std::string& out);

// A block whose first line goes after "- " rather than on a line of its own.
void emitAfterDash(const json& v, int indent, std::string& out) {
  std::string nested;
  emitBlock(v, indent, nested);
  out += nested.substr(static_cast<size_t>(indent));
}

void emitBlock(const json& v, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      out += pad + yamlString(it.key()) + ":";
      const json& child = it.value();
      if (isInline(child)) {
        out += " " + yamlInline(child) + "\n";
      } else if (child.is_object()) {
        out += "\n";
        emitBlock(child, indent + 2, out);
      } else {
        out += "\n";
        emitBlock(child, indent, out);  // sequences sit at their key's indent
      }
    }
  } else if (v.is_array()) {
    for (const json& item : v) {
      out += pad + "- ";
      if (isInline(item)) {
        out += yamlInline(item) + "\n";
      } else {
        emitAfterDash(item, indent + 2, out);
      }
    }
  } else {
    out += pad + yamlInline(v) + "\n";
  }
}

// --- tables ----------------------------------------------------------------

std::string phaseOf(const json& obj) { return stringAt(obj, {"status", "phase"}, "<none>"); }

std::vector<std::string> serviceRow(const json& obj, WallTime now) {
  int64_t replicas = intAt(obj, {"status", "replicas"}, intAt(obj, {"spec", "replicas"}, 1));
  int64_t ready = intAt(obj, {"status", "readyReplicas"}, 0);
  std::string image = stringAt(obj, {"spec", "image"});
  if (image.empty()) image = find(obj, {"spec", "build"}) != nullptr ? "(build)" : "<none>";
  return {stringAt(obj, {"metadata", "name"}),
          phaseOf(obj),
          std::to_string(ready) + "/" + std::to_string(replicas),
          std::to_string(intAt(obj, {"status", "restartCount"}, 0)),
          ageSince(stringAt(obj, {"metadata", "creationTimestamp"}), now),
          image};
}

std::vector<std::string> driverRow(const json& obj, const std::string& defaultDriver,
                                   WallTime now) {
  return {stringAt(obj, {"metadata", "name"}), stringAt(obj, {"spec", "driver"}, defaultDriver),
          phaseOf(obj), ageSince(stringAt(obj, {"metadata", "creationTimestamp"}), now)};
}

std::vector<std::string> namespaceRow(const json& obj, WallTime now) {
  return {stringAt(obj, {"metadata", "name"}), phaseOf(obj),
          ageSince(stringAt(obj, {"metadata", "creationTimestamp"}), now)};
}

}  // namespace

Result<OutputFormat> parseOutputFormat(const std::string& name) {
  if (name == "table" || name.empty()) return OutputFormat::kTable;
  if (name == "json") return OutputFormat::kJson;
  if (name == "yaml") return OutputFormat::kYaml;
  return Status::Invalid("unknown output format \"" + name + "\": use table, json or yaml");
}

std::string formatAge(std::chrono::milliseconds age) {
  const int64_t seconds = age.count() / 1000;
  auto fmt = [](int64_t a, const char* ua, int64_t b, const char* ub) {
    std::string s = std::to_string(a) + ua;
    if (b != 0) s += std::to_string(b) + ub;
    return s;
  };
  if (seconds < 0) return "0s";
  if (seconds < 120) return std::to_string(seconds) + "s";
  const int64_t minutes = seconds / 60;
  if (minutes < 10) return fmt(minutes, "m", seconds % 60, "s");
  if (minutes < 180) return std::to_string(minutes) + "m";
  const int64_t hours = minutes / 60;
  if (hours < 8) return fmt(hours, "h", minutes % 60, "m");
  if (hours < 48) return std::to_string(hours) + "h";
  if (hours < 24 * 8) return fmt(hours / 24, "d", hours % 24, "h");
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24) + "d";
  if (hours < 24 * 365 * 8) return fmt(hours / 24 / 365, "y", (hours / 24) % 365, "d");
  return std::to_string(hours / 24 / 365) + "y";
}

std::string ageSince(const std::string& rfc3339, WallTime now) {
  if (rfc3339.empty()) return "<unknown>";
  std::optional<WallTime> t = parseRfc3339(rfc3339);
  if (!t) return "<unknown>";
  return formatAge(std::chrono::duration_cast<std::chrono::milliseconds>(now - *t));
}

std::string renderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < widths.size() && i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  };
  measure(header);
  for (const auto& r : rows) measure(r);
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    std::string l;
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      l += cell;
      if (i + 1 < widths.size()) l += std::string(widths[i] - cell.size() + 3, ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
  return out;
}

std::string toJsonText(const json& value) { return dumpJson(value, 2) + "\n"; }

std::string toYaml(const json& value) {
  std::string out;
  if (isInline(value)) return yamlInline(value) + "\n";
  emitBlock(value, 0, out);
  return out;
}

std::vector<json> itemsOf(const json& answer) {
  if (const json* items = find(answer, {"items"}); items != nullptr && items->is_array()) {
    return std::vector<json>(items->begin(), items->end());
  }
  if (answer.is_object() && answer.contains("metadata")) return {answer};
  return {};
}

std::string renderResourceTable(const std::string& resource, const std::vector<json>& items,
                                bool showNamespace, WallTime now) {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  for (const json& obj : items) {
    std::vector<std::string> row;
    if (resource == "services") {
      row = serviceRow(obj, now);
    } else if (resource == "networks") {
      row = driverRow(obj, "bridge", now);
    } else if (resource == "volumes") {
      row = driverRow(obj, "local", now);
    } else {
      row = namespaceRow(obj, now);
    }
    if (showNamespace && resource != "namespaces") {
      row.insert(row.begin(), stringAt(obj, {"metadata", "namespace"}));
    }
    rows.push_back(std::move(row));
  }
  if (resource == "services") {
    header = {"NAME", "PHASE", "READY", "RESTARTS", "AGE", "IMAGE"};
  } else if (resource == "networks" || resource == "volumes") {
    header = {"NAME", "DRIVER", "PHASE", "AGE"};
  } else {
    header = {"NAME", "PHASE", "AGE"};
  }
  if (showNamespace && resource != "namespaces") header.insert(header.begin(), "NAMESPACE");
  return renderTable(header, rows);
}

}  // namespace tender

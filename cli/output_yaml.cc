// Block-style YAML for `get -o yaml` and `describe` (toYaml in cli/output.h):
// strings that YAML would read as something else are double-quoted.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>

#include "cli/output.h"
#include "cli/output_internal.h"

namespace tender {
namespace {

using output_internal::dumpJson;
using output_internal::json;

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

}  // namespace

std::string toYaml(const json& value) {
  std::string out;
  if (isInline(value)) return yamlInline(value) + "\n";
  emitBlock(value, 0, out);
  return out;
}

}  // namespace tender

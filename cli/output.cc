#include "cli/output.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <initializer_list>

#include "base/time_format.h"

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

bool boolAt(const json& j, std::initializer_list<const char*> path, bool def) {
  const json* v = find(j, path);
  return v != nullptr && v->is_boolean() ? v->get<bool>() : def;
}

// The array at `path`, or an empty one.
const json& arrayAt(const json& j, std::initializer_list<const char*> path) {
  static const json kEmpty = json::array();
  const json* v = find(j, path);
  return v != nullptr && v->is_array() ? *v : kEmpty;
}

// A scalar as text: strings as they are, numbers and booleans as JSON writes
// them, "" for null and for structures.
std::string scalarText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return "";
}

// status.replicaStatuses[i].replica, or "?".
std::string replicaText(const json& replicaStatus) {
  const json* r = find(replicaStatus, {"replica"});
  return r != nullptr && r->is_number() ? scalarText(*r) : "?";
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
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

int64_t desiredReplicas(const json& obj) {
  return intAt(obj, {"status", "replicas"}, intAt(obj, {"spec", "replicas"}, 1));
}

std::string readyText(const json& obj) {
  return std::to_string(intAt(obj, {"status", "readyReplicas"}, 0)) + "/" +
         std::to_string(desiredReplicas(obj));
}

// The image column: the image, else "(build)" or, in the wide table, where
// it is built from.
std::string imageText(const json& obj, bool wide) {
  std::string image = stringAt(obj, {"spec", "image"});
  if (!image.empty()) return image;
  if (find(obj, {"spec", "build"}) == nullptr) return "<none>";
  return wide ? "build:" + stringAt(obj, {"spec", "build", "context"}) : "(build)";
}

// The Ready condition's message, else status.message (networks, volumes).
std::string statusMessage(const json& obj) {
  std::string m = readyMessage(obj);
  return m.empty() ? stringAt(obj, {"status", "message"}) : m;
}

std::string yesNo(bool b) { return b ? "true" : "false"; }

std::vector<std::string> serviceRow(const json& obj, WallTime now, bool wide) {
  std::vector<std::string> row = {stringAt(obj, {"metadata", "name"}),
                                  phaseOf(obj),
                                  readyText(obj),
                                  std::to_string(intAt(obj, {"status", "restartCount"}, 0)),
                                  ageSince(stringAt(obj, {"metadata", "creationTimestamp"}), now),
                                  imageText(obj, wide)};
  if (wide) {
    std::string ports = formatPorts(arrayAt(obj, {"spec", "ports"}));
    row.push_back(ports.empty() ? "<none>" : ports);
    row.push_back(statusMessage(obj));
  }
  return row;
}

std::string driverOptsText(const json& obj) {
  std::vector<std::string> parts;
  if (const json* o = find(obj, {"spec", "driverOpts"}); o != nullptr && o->is_object()) {
    for (auto it = o->begin(); it != o->end(); ++it) parts.push_back(it.key() + "=" + scalarText(*it));
  }
  return parts.empty() ? "<none>" : join(parts, ",");
}

std::vector<std::string> driverRow(const json& obj, const std::string& resource, WallTime now,
                                   bool wide) {
  const bool network = resource == "networks";
  std::vector<std::string> row = {
      stringAt(obj, {"metadata", "name"}),
      stringAt(obj, {"spec", "driver"}, network ? "bridge" : "local"), phaseOf(obj),
      ageSince(stringAt(obj, {"metadata", "creationTimestamp"}), now)};
  if (wide) {
    row.push_back(stringAt(obj, {"status", "engineName"}, "<none>"));
    if (network) row.push_back(yesNo(boolAt(obj, {"spec", "internal"}, false)));
    row.push_back(yesNo(boolAt(obj, {"spec", "external"}, false)));
    if (!network) row.push_back(driverOptsText(obj));
    row.push_back(statusMessage(obj));
  }
  return row;
}

std::vector<std::string> namespaceRow(const json& obj, WallTime now, bool wide) {
  std::vector<std::string> row = {stringAt(obj, {"metadata", "name"}), phaseOf(obj),
                                  ageSince(stringAt(obj, {"metadata", "creationTimestamp"}), now)};
  if (wide) row.push_back(statusMessage(obj));
  return row;
}

}  // namespace

Result<OutputFormat> parseOutputFormat(const std::string& name) {
  if (name == "table" || name.empty()) return OutputFormat::kTable;
  if (name == "wide") return OutputFormat::kWide;
  if (name == "json") return OutputFormat::kJson;
  if (name == "yaml") return OutputFormat::kYaml;
  return Status::Invalid("unknown output format \"" + name + "\": use table, wide, json or yaml");
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
                                bool showNamespace, WallTime now, bool wide) {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  for (const json& obj : items) {
    std::vector<std::string> row;
    if (resource == "services") {
      row = serviceRow(obj, now, wide);
    } else if (resource == "networks" || resource == "volumes") {
      row = driverRow(obj, resource, now, wide);
    } else {
      row = namespaceRow(obj, now, wide);
    }
    if (showNamespace && resource != "namespaces") {
      row.insert(row.begin(), stringAt(obj, {"metadata", "namespace"}));
    }
    rows.push_back(std::move(row));
  }
  if (resource == "services") {
    header = {"NAME", "PHASE", "READY", "RESTARTS", "AGE", "IMAGE"};
    if (wide) header.insert(header.end(), {"PORTS", "MESSAGE"});
  } else if (resource == "networks") {
    header = {"NAME", "DRIVER", "PHASE", "AGE"};
    if (wide) header.insert(header.end(), {"ENGINE-NAME", "INTERNAL", "EXTERNAL", "MESSAGE"});
  } else if (resource == "volumes") {
    header = {"NAME", "DRIVER", "PHASE", "AGE"};
    if (wide) header.insert(header.end(), {"ENGINE-NAME", "EXTERNAL", "OPTIONS", "MESSAGE"});
  } else {
    header = {"NAME", "PHASE", "AGE"};
    if (wide) header.push_back("MESSAGE");
  }
  if (showNamespace && resource != "namespaces") header.insert(header.begin(), "NAMESPACE");
  return renderTable(header, rows);
}

// --- ports, conditions ------------------------------------------------------

namespace {

// One port of spec.ports: the API writes Compose's short syntax
// ("[IP:][HOST:]CONTAINER[/PROTO]", IPv6 in brackets); an object in the long
// syntax (target, published, host_ip, protocol) is read too.
std::string formatPort(const json& port) {
  std::string ip, host, container, proto = "tcp";
  if (port.is_object()) {
    auto text = [&port](const char* key) {
      const json* v = find(port, {key});
      return v != nullptr ? scalarText(*v) : std::string();
    };
    container = text("target");
    host = text("published");
    ip = text("host_ip");
    if (std::string p = text("protocol"); !p.empty()) proto = p;
  } else if (port.is_string() || port.is_number()) {
    std::string text = scalarText(port);
    if (size_t slash = text.rfind('/'); slash != std::string::npos) {
      proto = text.substr(slash + 1);
      text = text.substr(0, slash);
    }
    if (!text.empty() && text.front() == '[') {
      size_t close = text.find(']');
      if (close != std::string::npos) {
        ip = text.substr(0, close + 1);
        text = close + 2 <= text.size() ? text.substr(close + 2) : "";
      }
    }
    std::vector<std::string> parts;
    for (size_t start = 0;;) {
      size_t colon = text.find(':', start);
      parts.push_back(text.substr(start, colon == std::string::npos ? colon : colon - start));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    container = parts.back();
    if (parts.size() >= 2) host = parts[parts.size() - 2];
    if (parts.size() >= 3 && ip.empty()) ip = parts[0];
  } else {
    return "";
  }
  if (host.empty() || host == "0") {
    // Published on an ephemeral port (the engine picks it) or not at all.
    return ip.empty() ? container + "/" + proto : ip + ":*->" + container + "/" + proto;
  }
  return (ip.empty() ? "0.0.0.0" : ip) + ":" + host + "->" + container + "/" + proto;
}

}  // namespace

std::string formatPorts(const json& ports) {
  std::vector<std::string> parts;
  if (ports.is_array()) {
    for (const json& p : ports) {
      std::string text = formatPort(p);
      if (!text.empty()) parts.push_back(text);
    }
  }
  return join(parts, ", ");
}

std::string readyMessage(const json& obj) {
  for (const json& c : arrayAt(obj, {"status", "conditions"})) {
    if (stringAt(c, {"type"}) == "Ready") return stringAt(c, {"message"});
  }
  return "";
}

// --- apply -------------------------------------------------------------------

std::string renderPlan(const json& item) {
  std::string out;
  // Why the server could not plan, or what the plan assumes.
  for (const json& w : arrayAt(item, {"warnings"})) out += "  warning: " + scalarText(w) + "\n";
  const json* plan = find(item, {"plan"});
  if (plan == nullptr || !plan->is_array()) return out;
  if (plan->empty()) return out + "  no container changes\n";
  for (const json& step : *plan) {
    std::string line = "  " + stringAt(step, {"action"}, "change");
    // A container of no replica (a stray one being removed) has replica -1.
    if (const json* r = find(step, {"replica"}); r != nullptr && r->is_number() && r->get<double>() >= 0) {
      line += " replica " + scalarText(*r);
    }
    std::string container = stringAt(step, {"container"});
    if (!container.empty()) line += " (" + container + ")";
    std::string reason = stringAt(step, {"reason"});
    if (!reason.empty()) line += ": " + reason;
    out += line + "\n";
  }
  return out;
}

// --- apply --wait --------------------------------------------------------------

namespace {

bool hasStatus(const json& svc) {
  const json* st = find(svc, {"status"});
  return st != nullptr && st->is_object() && !st->empty();
}

std::string waitPhase(const json& svc) { return stringAt(svc, {"status", "phase"}, "Pending"); }

// The first replica that is not ready (state, phase, health, exit code,
// next restart), or "" when every replica is.
std::string firstUnreadyReplica(const json& svc) {
  for (const json& r : arrayAt(svc, {"status", "replicaStatuses"})) {
    const std::string phase = stringAt(r, {"phase"});
    if (boolAt(r, {"ready"}, false) || phase == "Running" || phase == "Completed") continue;
    std::vector<std::string> parts;
    if (const json* s = find(r, {"state"}); s != nullptr && s->is_string()) parts.push_back(s->get<std::string>());
    if (!phase.empty()) parts.push_back(phase);
    if (std::string h = stringAt(r, {"health"}); !h.empty()) parts.push_back(h);
    if (const json* e = find(r, {"exitCode"}); e != nullptr && e->is_number()) {
      parts.push_back("exit code " + scalarText(*e));
    }
    if (std::string n = stringAt(r, {"nextRestartAt"}); !n.empty()) parts.push_back("next restart at " + n);
    std::string head = "replica " + replicaText(r);
    if (std::string c = stringAt(r, {"container"}); !c.empty()) head += " (" + c + ")";
    return head + ": " + join(parts, ", ");
  }
  return "";
}

}  // namespace

bool serviceObserved(const json& svc) {
  const int64_t generation = intAt(svc, {"metadata", "generation"}, 0);
  const json* observed = find(svc, {"status", "observedGeneration"});
  return observed != nullptr && observed->is_number() && observed->get<int64_t>() >= generation;
}

bool serviceReady(const json& svc) {
  if (!serviceObserved(svc)) return false;
  const std::string phase = stringAt(svc, {"status", "phase"});
  if (phase == "Completed" || phase == "Stopped") return true;
  return phase == "Running" &&
         intAt(svc, {"status", "readyReplicas"}, 0) >= desiredReplicas(svc);
}

bool serviceFailed(const json& svc) {
  return serviceObserved(svc) && stringAt(svc, {"status", "phase"}) == "Failed";
}

std::string waitProgressLine(const std::string& ref, const json& svc) {
  std::string line = ref + ": " + waitPhase(svc) + " " + readyText(svc) + " ready";
  if (!serviceObserved(svc)) {
    line += " (waiting for the controller to take generation " +
            std::to_string(intAt(svc, {"metadata", "generation"}, 0)) + ")";
  }
  return line;
}

std::string waitFailureLine(const std::string& ref, const json& svc) {
  std::string line = ref + " is not ready: ";
  if (!hasStatus(svc)) return line + "the controller has not reported on it yet";
  line += "phase " + waitPhase(svc);
  std::string message = statusMessage(svc);
  if (!message.empty()) line += ": " + message;
  if (!serviceObserved(svc)) {
    line += " (generation " + std::to_string(intAt(svc, {"metadata", "generation"}, 0)) +
            " not yet taken by the controller)";
  }
  std::string replica = firstUnreadyReplica(svc);
  if (!replica.empty()) line += "; " + replica;
  return line;
}

// --- describe ------------------------------------------------------------------

namespace {

constexpr size_t kLabelWidth = 16;

// "Name:           api": a label and its value, values aligned.
void field(std::string& out, const std::string& label, const std::string& value) {
  std::string l = label + ":";
  if (l.size() < kLabelWidth) l += std::string(kLabelWidth - l.size(), ' ');
  else l += " ";
  std::string v = value;
  out += l + v;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out += "\n";
}

// Several lines under one label, the first beside it; "<none>" when empty.
void fieldLines(std::string& out, const std::string& label, const std::vector<std::string>& lines) {
  if (lines.empty()) {
    field(out, label, "<none>");
    return;
  }
  field(out, label, lines.front());
  for (size_t i = 1; i < lines.size(); ++i) out += std::string(kLabelWidth, ' ') + lines[i] + "\n";
}

std::string indent(const std::string& text, const std::string& pad) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? nl : nl - start);
    out += line.empty() ? "\n" : pad + line + "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

std::vector<std::string> labelLines(const json& obj, std::initializer_list<const char*> path) {
  std::vector<std::string> lines;
  if (const json* l = find(obj, path); l != nullptr && l->is_object()) {
    for (auto it = l->begin(); it != l->end(); ++it) lines.push_back(it.key() + "=" + scalarText(*it));
  }
  return lines;
}

// An argument as a shell would need it: quoted when it holds anything but
// plain characters.
std::string shellWord(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789-_./:=,+@%") == std::string::npos) {
    return arg;
  }
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string commandText(const json& args) {
  if (args.is_string()) return args.get<std::string>();
  std::vector<std::string> words;
  if (args.is_array()) {
    for (const json& a : args) words.push_back(shellWord(scalarText(a)));
  }
  return join(words, " ");
}

// Bytes as the largest binary unit that divides them: 268435456 -> "256Mi".
std::string bytesText(const json& v) {
  if (!v.is_number_integer()) return scalarText(v);
  int64_t n = v.get<int64_t>();
  static const char* const kUnits[] = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};
  for (int i = 0; i < 6; ++i) {
    int64_t unit = int64_t{1} << (10 * (6 - i));
    if (n != 0 && n % unit == 0) return std::to_string(n / unit) + kUnits[i];
  }
  return std::to_string(n);
}

// "memory=256Mi, cpus=0.5" from an object of quantities.
std::string quantitiesText(const json& obj) {
  std::vector<std::string> parts;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const bool bytes = it.key() == "memory" || it.key() == "memorySwap";
    parts.push_back(it.key() + "=" + (bytes ? bytesText(*it) : scalarText(*it)));
  }
  return join(parts, ", ");
}

std::vector<std::string> resourceLines(const json& spec) {
  std::vector<std::string> lines;
  for (const char* part : {"limits", "reservations"}) {
    const json* q = find(spec, {"resources", part});
    if (q != nullptr && q->is_object() && !q->empty()) lines.push_back(std::string(part) + ": " + quantitiesText(*q));
  }
  return lines;
}

std::string volumeText(const json& v) {
  if (!v.is_object()) return scalarText(v);
  std::string type = stringAt(v, {"type"}, "volume");
  std::string source = stringAt(v, {"source"});
  std::string text = (source.empty() ? "<anonymous>" : source) + ":" + stringAt(v, {"target"});
  text += " (" + type + (boolAt(v, {"read_only"}, false) ? ", read-only" : "") + ")";
  return text;
}

std::string healthcheckText(const json& h) {
  if (!h.is_object()) return scalarText(h);
  std::string text;
  if (const json* e = find(h, {"exec"})) {
    json args = *e;
    // Docker's form: ["CMD", args...] or ["CMD-SHELL", "text"].
    if (args.is_array() && !args.empty() && args[0] == "CMD") args.erase(args.begin());
    if (args.is_array() && args.size() == 2 && args[0] == "CMD-SHELL") args = args[1];
    text = "exec " + commandText(args);
  } else if (find(h, {"http"}) != nullptr) {
    const json* port = find(h, {"http", "port"});
    text = "http :" + (port ? scalarText(*port) : "?") + stringAt(h, {"http", "path"}, "/");
  } else if (find(h, {"tcp"}) != nullptr) {
    const json* port = find(h, {"tcp", "port"});
    text = "tcp :" + (port ? scalarText(*port) : "?");
  } else {
    text = "<unknown>";
  }
  for (const char* k : {"interval", "timeout", "retries", "startPeriod"}) {
    if (const json* v = find(h, {k}); v != nullptr) text += std::string(" ") + k + "=" + scalarText(*v);
  }
  if (boolAt(h, {"restartWhenUnhealthy"}, false)) text += " restartWhenUnhealthy";
  return text;
}

std::vector<std::string> dependsOnLines(const json& spec) {
  std::vector<std::string> lines;
  if (const json* d = find(spec, {"dependsOn"}); d != nullptr && d->is_object()) {
    for (auto it = d->begin(); it != d->end(); ++it) {
      std::string line = it.key() + " (" + stringAt(*it, {"condition"}, "started");
      if (boolAt(*it, {"restart"}, false)) line += ", restart";
      if (!boolAt(*it, {"required"}, true)) line += ", optional";
      lines.push_back(line + ")");
    }
  }
  return lines;
}

std::vector<std::string> stringsAt(const json& obj, std::initializer_list<const char*> path) {
  std::vector<std::string> out;
  for (const json& v : arrayAt(obj, path)) out.push_back(scalarText(v));
  return out;
}

std::string orNone(const std::string& s) { return s.empty() ? "<none>" : s; }

const json& specOf(const json& obj) {
  static const json kEmpty = json::object();
  const json* spec = find(obj, {"spec"});
  return spec != nullptr && spec->is_object() ? *spec : kEmpty;
}

void describeImage(std::string& out, const json& spec) {
  field(out, "Image", orNone(stringAt(spec, {"image"})));
  if (find(spec, {"build"}) != nullptr) {
    std::string build = "context " + stringAt(spec, {"build", "context"}, "?");
    if (std::string f = stringAt(spec, {"build", "dockerfile"}); !f.empty()) build += ", dockerfile " + f;
    if (std::string t = stringAt(spec, {"build", "target"}); !t.empty()) build += ", target " + t;
    field(out, "Build", build);
  }
}

void describeSpec(std::string& out, const json& spec) {
  if (const json* e = find(spec, {"entrypoint"})) field(out, "Entrypoint", commandText(*e));
  field(out, "Command", find(spec, {"command"}) ? commandText(spec["command"]) : "<image default>");
  std::vector<std::string> env;
  if (const json* e = find(spec, {"env"}); e != nullptr && e->is_object()) {
    for (auto it = e->begin(); it != e->end(); ++it) env.push_back(it.key());
  }
  // Names only: values may be secrets, and `get -o yaml` shows them to whoever needs them.
  field(out, "Environment", env.empty() ? "<none>" : join(env, ", "));
  field(out, "Ports", orNone(formatPorts(arrayAt(spec, {"ports"}))));
  std::vector<std::string> volumes;
  for (const json& v : arrayAt(spec, {"volumes"})) volumes.push_back(volumeText(v));
  fieldLines(out, "Volumes", volumes);
  std::vector<std::string> networks = stringsAt(spec, {"networks"});
  field(out, "Networks", networks.empty() ? "default" : join(networks, ", "));
  fieldLines(out, "Resources", resourceLines(spec));
  field(out, "Healthcheck", find(spec, {"healthcheck"}) ? healthcheckText(spec["healthcheck"]) : "<none>");
  field(out, "Restart Policy", stringAt(spec, {"restartPolicy"}, "Always"));
  std::vector<std::string> deps = dependsOnLines(spec);
  if (!deps.empty()) fieldLines(out, "Depends On", deps);
}

void describeConditions(std::string& out, const json& obj) {
  const json& conditions = arrayAt(obj, {"status", "conditions"});
  if (conditions.empty()) {
    out += "Conditions:     <none>\n";
    return;
  }
  out += "Conditions:\n";
  std::vector<std::vector<std::string>> rows;
  for (const json& c : conditions) {
    rows.push_back({stringAt(c, {"type"}), stringAt(c, {"status"}), stringAt(c, {"reason"}),
                    stringAt(c, {"message"})});
  }
  out += indent(renderTable({"TYPE", "STATUS", "REASON", "MESSAGE"}, rows), "  ");
}

std::string orDash(const std::string& s) { return s.empty() ? "-" : s; }

void describeReplicas(std::string& out, const json& svc) {
  const json& replicas = arrayAt(svc, {"status", "replicaStatuses"});
  if (replicas.empty()) {
    out += "Replica Status: <none>\n";
    return;
  }
  out += "Replica Status:\n";
  std::vector<std::vector<std::string>> rows;
  for (const json& r : replicas) {
    const json* code = find(r, {"exitCode"});
    rows.push_back({replicaText(r), orDash(stringAt(r, {"container"})),
                    orDash(stringAt(r, {"state"})), orDash(stringAt(r, {"phase"})),
                    orDash(stringAt(r, {"health"})), code ? scalarText(*code) : "-"});
  }
  out += indent(renderTable({"REPLICA", "CONTAINER", "STATE", "PHASE", "HEALTH", "EXIT CODE"}, rows),
                "  ");
  for (const json& r : replicas) {
    const json* last = find(r, {"lastTermination"});
    if (last == nullptr || !last->is_object()) continue;
    std::string head = "Last Termination of replica " + replicaText(r);
    if (std::string c = stringAt(r, {"container"}); !c.empty()) head += " (" + c + ")";
    out += head + ":\n";
    std::string block;
    if (const json* code = find(*last, {"exitCode"})) field(block, "Exit Code", scalarText(*code));
    std::string reason = stringAt(*last, {"reason"});
    if (boolAt(*last, {"oomKilled"}, false) && reason != "OOMKilled") {
      reason += std::string(reason.empty() ? "" : ", ") + "OOM killed";
    }
    if (!reason.empty()) field(block, "Reason", reason);
    if (std::string t = stringAt(*last, {"startedAt"}); !t.empty()) field(block, "Started", t);
    if (std::string t = stringAt(*last, {"finishedAt"}); !t.empty()) field(block, "Finished", t);
    const json& logs = arrayAt(*last, {"logs"});
    if (logs.empty()) {
      field(block, "Last Logs", "<none>");
    } else {
      block += "Last Logs:\n";
      for (const json& l : logs) block += "  " + scalarText(l) + "\n";
    }
    out += indent(block, "  ");
  }
}

std::vector<json> eventItems(const json& events) {
  if (events.is_array()) return std::vector<json>(events.begin(), events.end());
  return std::vector<json>(arrayAt(events, {"items"}).begin(), arrayAt(events, {"items"}).end());
}

void describeEvents(std::string& out, const json& events, WallTime now) {
  std::vector<json> items = eventItems(events);
  constexpr size_t kShown = 20;
  if (items.size() > kShown) items.erase(items.begin(), items.end() - kShown);
  if (items.empty()) {
    out += "Events:         <none>\n";
    return;
  }
  out += "Events:\n";
  std::vector<std::vector<std::string>> rows;
  for (const json& e : items) {
    rows.push_back({ageSince(stringAt(e, {"time"}), now), stringAt(e, {"type"}),
                    stringAt(e, {"reason"}), stringAt(e, {"message"})});
  }
  out += indent(renderTable({"AGE", "TYPE", "REASON", "MESSAGE"}, rows), "  ");
}

void describeIdentity(std::string& out, const json& obj, WallTime now) {
  field(out, "Name", stringAt(obj, {"metadata", "name"}));
  if (std::string ns = stringAt(obj, {"metadata", "namespace"}); !ns.empty()) field(out, "Namespace", ns);
  fieldLines(out, "Labels", labelLines(obj, {"metadata", "labels"}));
  std::string created = stringAt(obj, {"metadata", "creationTimestamp"});
  if (!created.empty()) field(out, "Created", created + " (" + ageSince(created, now) + " ago)");
  if (std::string deleted = stringAt(obj, {"metadata", "deletionTimestamp"}); !deleted.empty()) {
    field(out, "Deleting Since", deleted);
  }
}

}  // namespace

std::string describeService(const json& svc, const json& events, WallTime now) {
  std::string out;
  describeIdentity(out, svc, now);
  const json* g = find(svc, {"metadata", "generation"});
  const std::string generation = g != nullptr ? scalarText(*g) : "";
  const json* observed = find(svc, {"status", "observedGeneration"});
  field(out, "Generation", orNone(generation) + " (observed " +
                               (observed ? scalarText(*observed) : std::string("<none>")) + ")");
  describeImage(out, specOf(svc));
  const int64_t replicas = desiredReplicas(svc);
  field(out, "Replicas", std::to_string(replicas) + " desired | " +
                             std::to_string(intAt(svc, {"status", "readyReplicas"}, 0)) + " ready | " +
                             std::to_string(intAt(svc, {"status", "runningReplicas"}, 0)) + " running");
  field(out, "Phase", phaseOf(svc));
  field(out, "Restarts", std::to_string(intAt(svc, {"status", "restartCount"}, 0)));
  if (std::string next = stringAt(svc, {"status", "nextRestartAt"}); !next.empty()) {
    field(out, "Next Restart", next);
  }
  describeSpec(out, specOf(svc));
  describeConditions(out, svc);
  describeReplicas(out, svc);
  describeEvents(out, events, now);
  return out;
}

std::string describeObject(const json& obj, const json& events, WallTime now) {
  std::string out;
  describeIdentity(out, obj, now);
  if (const json* g = find(obj, {"metadata", "generation"})) field(out, "Generation", scalarText(*g));
  field(out, "Phase", phaseOf(obj));
  for (const char* part : {"spec", "status"}) {
    std::string title = part == std::string("spec") ? "Spec" : "Status";
    const json* v = find(obj, {part});
    if (v == nullptr || !v->is_object() || v->empty()) {
      field(out, title, "<none>");
    } else {
      out += title + ":\n" + indent(toYaml(*v), "  ");
    }
  }
  describeEvents(out, events, now);
  return out;
}

// --- events ----------------------------------------------------------------------

namespace {

std::vector<std::string> eventRow(const json& e, bool showNamespace, WallTime now) {
  std::vector<std::string> row = {ageSince(stringAt(e, {"time"}), now), stringAt(e, {"type"}),
                                  stringAt(e, {"reason"}), eventObject(e), stringAt(e, {"message"})};
  if (showNamespace) row.insert(row.begin(), stringAt(e, {"involvedObject", "namespace"}));
  return row;
}

std::vector<std::string> eventHeader(bool showNamespace) {
  std::vector<std::string> h = {"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"};
  if (showNamespace) h.insert(h.begin(), "NAMESPACE");
  return h;
}

// Cells padded to fixed widths, three spaces apart, the last as it is.
std::string fixedRow(const std::vector<std::string>& cells, bool showNamespace) {
  std::vector<size_t> widths = {9, 7, 18, 28};
  if (showNamespace) widths.insert(widths.begin(), 16);
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    line += cells[i];
    if (i + 1 < cells.size()) {
      size_t w = i < widths.size() ? widths[i] : cells[i].size();
      line += std::string(w > cells[i].size() ? w - cells[i].size() + 3 : 3, ' ');
    }
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line + "\n";
}

}  // namespace

std::string eventObject(const json& event) {
  std::string kind = stringAt(event, {"involvedObject", "kind"});
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string name = stringAt(event, {"involvedObject", "name"});
  return kind.empty() ? name : kind + "/" + name;
}

std::string renderEventTable(const std::vector<json>& events, bool showNamespace, WallTime now) {
  std::vector<std::vector<std::string>> rows;
  for (const json& e : events) rows.push_back(eventRow(e, showNamespace, now));
  return renderTable(eventHeader(showNamespace), rows);
}

std::string eventWatchHeader(bool showNamespace) {
  return fixedRow(eventHeader(showNamespace), showNamespace);
}

std::string eventWatchLine(const json& event, bool showNamespace, WallTime now) {
  return fixedRow(eventRow(event, showNamespace, now), showNamespace);
}

}  // namespace tender

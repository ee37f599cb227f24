// What the tender command prints (cli/output.h): the readers of the API's
// answers (output_internal.h), the tables of `get` and `events`, ages, JSON,
// ports, apply's plan and the lines of `apply --wait`. YAML is in
// output_yaml.cc, `describe` in output_describe.cc.
#include "cli/output.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <initializer_list>

#include "base/time_format.h"
#include "cli/output_internal.h"

namespace tender {
namespace output_internal {

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
                     const std::string& def) {
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

const json& arrayAt(const json& j, std::initializer_list<const char*> path) {
  static const json kEmpty = json::array();
  const json* v = find(j, path);
  return v != nullptr && v->is_array() ? *v : kEmpty;
}

std::string scalarText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return "";
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

std::string dumpJson(const json& v, int indent) {
  return v.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string phaseOf(const json& obj) { return stringAt(obj, {"status", "phase"}, "<none>"); }

ServiceStatus serviceStatusOf(const json& svc, std::string* unreadable) {
  if (unreadable != nullptr) unreadable->clear();
  const json* st = find(svc, {"status"});
  if (st == nullptr || st->is_null()) return ServiceStatus{};
  auto decoded = serviceStatusFromJson(*st);
  if (decoded.ok()) return std::move(*decoded);
  if (unreadable != nullptr) {
    std::vector<std::string> why;
    for (const FieldError& e : decoded.status().details()) why.push_back(e.field + ": " + e.message);
    *unreadable = "the status does not decode: " +
                  (why.empty() ? decoded.status().message() : join(why, "; "));
  }
  return ServiceStatus{};
}

std::string phaseText(const ServiceStatus& status, const std::string& none) {
  return status.phase && !status.phase->empty() ? *status.phase : none;
}

int64_t desiredReplicas(const json& svc, const ServiceStatus& status) {
  return status.replicas ? *status.replicas : intAt(svc, {"spec", "replicas"}, 1);
}

}  // namespace output_internal

namespace {

using output_internal::arrayAt;
using output_internal::boolAt;
using output_internal::desiredReplicas;
using output_internal::dumpJson;
using output_internal::find;
using output_internal::intAt;
using output_internal::join;
using output_internal::json;
using output_internal::kUnknown;
using output_internal::phaseOf;
using output_internal::phaseText;
using output_internal::scalarText;
using output_internal::serviceStatusOf;
using output_internal::stringAt;

// --- tables ----------------------------------------------------------------

std::string readyText(const json& svc, const ServiceStatus& st) {
  return std::to_string(st.readyReplicas.value_or(0)) + "/" +
         std::to_string(desiredReplicas(svc, st));
}

// The image column: the image, else "(build)" or, in the wide table, where
// it is built from.
std::string imageText(const json& obj, bool wide) {
  std::string image = stringAt(obj, {"spec", "image"});
  if (!image.empty()) return image;
  if (find(obj, {"spec", "build"}) == nullptr) return "<none>";
  return wide ? "build:" + stringAt(obj, {"spec", "build", "context"}) : "(build)";
}

// The Ready condition's message, else status.message.
std::string serviceMessage(const ServiceStatus& st) {
  const Condition* ready = findCondition(st.conditions, "Ready");
  if (ready && !ready->message.empty()) return ready->message;
  return st.message.value_or("");
}

// Networks, volumes and namespaces say why in status.message.
std::string statusMessage(const json& obj) { return stringAt(obj, {"status", "message"}); }

std::string yesNo(bool b) { return b ? "true" : "false"; }

std::vector<std::string> serviceRow(const json& obj, WallTime now, bool wide) {
  std::string unreadable;
  const ServiceStatus st = serviceStatusOf(obj, &unreadable);
  const bool unknown = !unreadable.empty();
  std::vector<std::string> row = {
      stringAt(obj, {"metadata", "name"}),
      unknown ? kUnknown : phaseText(st, "<none>"),
      unknown ? "?/" + std::to_string(desiredReplicas(obj, st)) : readyText(obj, st),
      unknown ? "?" : std::to_string(st.restartCount.value_or(0)),
      ageSince(stringAt(obj, {"metadata", "creationTimestamp"}), now),
      imageText(obj, wide)};
  if (wide) {
    std::string ports = formatPorts(arrayAt(obj, {"spec", "ports"}));
    row.push_back(ports.empty() ? "<none>" : ports);
    row.push_back(unknown ? unreadable : serviceMessage(st));
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
  if (name == "name") return OutputFormat::kName;
  return Status::Invalid("unknown output format \"" + name +
                         "\": use table, wide, json, yaml or name");
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
  const ServiceStatus st = serviceStatusOf(obj);
  const Condition* ready = findCondition(st.conditions, "Ready");
  return ready ? ready->message : "";
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

std::string waitPhase(const ServiceStatus& st) { return phaseText(st, "Pending"); }

// The first replica that is not ready (state, phase, health, exit code,
// next restart), or "" when every replica is.
std::string firstUnreadyReplica(const ServiceStatus& st) {
  if (!st.replicaStatuses) return "";
  for (const ReplicaStatus& r : *st.replicaStatuses) {
    if (r.ready.value_or(false) || r.phase == "Running" || r.phase == "Completed") continue;
    std::vector<std::string> parts;
    if (!r.state.empty()) parts.push_back(r.state);
    if (!r.phase.empty()) parts.push_back(r.phase);
    if (r.health && !r.health->empty()) parts.push_back(*r.health);
    if (r.exitCode) parts.push_back("exit code " + std::to_string(*r.exitCode));
    if (r.nextRestartAt && !r.nextRestartAt->empty()) {
      parts.push_back("next restart at " + *r.nextRestartAt);
    }
    std::string head = "replica " + std::to_string(r.replica);
    if (!r.container.empty()) head += " (" + r.container + ")";
    return head + ": " + join(parts, ", ");
  }
  return "";
}

bool observed(const json& svc, const ServiceStatus& st) {
  const int64_t generation = intAt(svc, {"metadata", "generation"}, 0);
  return st.observedGeneration && *st.observedGeneration >= generation;
}

}  // namespace

bool serviceObserved(const json& svc) { return observed(svc, serviceStatusOf(svc)); }

bool serviceReady(const json& svc) {
  const ServiceStatus st = serviceStatusOf(svc);
  if (!observed(svc, st)) return false;
  const std::string phase = st.phase.value_or("");
  if (phase == "Completed" || phase == "Stopped") return true;
  return phase == "Running" && st.readyReplicas.value_or(0) >= desiredReplicas(svc, st);
}

bool serviceFailed(const json& svc) {
  const ServiceStatus st = serviceStatusOf(svc);
  return observed(svc, st) && st.phase.value_or("") == "Failed";
}

std::string waitProgressLine(const std::string& ref, const json& svc) {
  std::string unreadable;
  const ServiceStatus st = serviceStatusOf(svc, &unreadable);
  if (!unreadable.empty()) return ref + ": " + kUnknown + " (" + unreadable + ")";
  std::string line = ref + ": " + waitPhase(st) + " " + readyText(svc, st) + " ready";
  if (!observed(svc, st)) {
    line += " (waiting for the controller to take generation " +
            std::to_string(intAt(svc, {"metadata", "generation"}, 0)) + ")";
  }
  return line;
}

std::string waitFailureLine(const std::string& ref, const json& svc) {
  std::string line = ref + " is not ready: ";
  if (!hasStatus(svc)) return line + "the controller has not reported on it yet";
  std::string unreadable;
  const ServiceStatus st = serviceStatusOf(svc, &unreadable);
  if (!unreadable.empty()) return line + "phase " + kUnknown + ": " + unreadable;
  line += "phase " + waitPhase(st);
  std::string message = serviceMessage(st);
  if (!message.empty()) line += ": " + message;
  if (!observed(svc, st)) {
    line += " (generation " + std::to_string(intAt(svc, {"metadata", "generation"}, 0)) +
            " not yet taken by the controller)";
  }
  std::string replica = firstUnreadyReplica(st);
  if (!replica.empty()) line += "; " + replica;
  return line;
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

// The text of `tender describe` (cli/output.h): a service's identity, spec,
// conditions, replicas and last terminations, or another object's spec and
// status as YAML, then the object's events.
#include <initializer_list>
#include <string>
#include <vector>

#include "cli/output.h"
#include "cli/output_internal.h"

namespace tender {
namespace {

using output_internal::arrayAt;
using output_internal::boolAt;
using output_internal::desiredReplicas;
using output_internal::find;
using output_internal::join;
using output_internal::json;
using output_internal::kUnknown;
using output_internal::phaseOf;
using output_internal::phaseText;
using output_internal::scalarText;
using output_internal::serviceStatusOf;
using output_internal::stringAt;

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

void describeConditions(std::string& out, const std::vector<Condition>& conditions) {
  if (conditions.empty()) {
    out += "Conditions:     <none>\n";
    return;
  }
  out += "Conditions:\n";
  std::vector<std::vector<std::string>> rows;
  for (const Condition& c : conditions) rows.push_back({c.type, c.status, c.reason, c.message});
  out += indent(renderTable({"TYPE", "STATUS", "REASON", "MESSAGE"}, rows), "  ");
}

std::string orDash(const std::string& s) { return s.empty() ? "-" : s; }

void describeReplicas(std::string& out, const ServiceStatus& st) {
  if (!st.replicaStatuses || st.replicaStatuses->empty()) {
    out += "Replica Status: <none>\n";
    return;
  }
  const std::vector<ReplicaStatus>& replicas = *st.replicaStatuses;
  out += "Replica Status:\n";
  std::vector<std::vector<std::string>> rows;
  for (const ReplicaStatus& r : replicas) {
    rows.push_back({std::to_string(r.replica), orDash(r.container), orDash(r.state),
                    orDash(r.phase), orDash(r.health.value_or("")),
                    r.exitCode ? std::to_string(*r.exitCode) : "-"});
  }
  out += indent(renderTable({"REPLICA", "CONTAINER", "STATE", "PHASE", "HEALTH", "EXIT CODE"}, rows),
                "  ");
  for (const ReplicaStatus& r : replicas) {
    if (!r.lastTermination) continue;
    const json* last = &*r.lastTermination;  // the post-mortem, as the server wrote it
    std::string head = "Last Termination of replica " + std::to_string(r.replica);
    if (!r.container.empty()) head += " (" + r.container + ")";
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
  std::string unreadable;
  const ServiceStatus st = serviceStatusOf(svc, &unreadable);
  const bool unknown = !unreadable.empty();
  // A count of the status: "?" when the status does not decode.
  auto count = [&](const std::optional<int>& n) {
    return unknown ? std::string("?") : std::to_string(n.value_or(0));
  };
  field(out, "Generation",
        orNone(generation) + " (observed " +
            (st.observedGeneration ? std::to_string(*st.observedGeneration)
             : unknown             ? "?"
                                   : "<none>") +
            ")");
  describeImage(out, specOf(svc));
  const int64_t replicas = desiredReplicas(svc, st);
  field(out, "Replicas", std::to_string(replicas) + " desired | " + count(st.readyReplicas) +
                             " ready | " + count(st.runningReplicas) + " running");
  field(out, "Phase", unknown ? std::string(kUnknown) + " (" + unreadable + ")"
                              : phaseText(st, "<none>"));
  field(out, "Restarts", count(st.restartCount));
  if (st.nextRestartAt && !st.nextRestartAt->empty()) field(out, "Next Restart", *st.nextRestartAt);
  describeSpec(out, specOf(svc));
  describeConditions(out, st.conditions);
  describeReplicas(out, st);
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

}  // namespace tender

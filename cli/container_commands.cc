// logs, exec and top (container_commands.h) over the API client.
#include "cli/container_commands.h"

#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <optional>

#include "base/byte_format.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace tender {
namespace {

using nlohmann::json;

// A follow may sit silent for as long as its containers write nothing.
constexpr std::chrono::hours kFollowIdle{24 * 365};

std::string servicePath(const std::string& ns, const std::string& name) {
  return "/api/v1/namespaces/" + urlEncode(ns.empty() ? "default" : ns) + "/services/" +
         urlEncode(name);
}

// The terminal's settings before exec -t made it raw, for the signal handler.
termios gSavedTerminal{};

// ^C or a TERM while raw: the terminal is given back before the signal's
// default action ends the process (tcsetattr is async-signal-safe).
void restoreTerminalAndDie(int sig) {
  tcsetattr(STDIN_FILENO, TCSANOW, &gSavedTerminal);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// The local terminal in raw mode while it lives (tender exec -t), restored
// however the command ends.
class RawTerminal {
 public:
  RawTerminal() {
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &gSavedTerminal) != 0) return;
    termios raw = gSavedTerminal;
    cfmakeraw(&raw);
    // stdin is not forwarded as it is typed (see runExec), so ^C must still
    // stop the command line.
    raw.c_lflag |= ISIG;
    std::signal(SIGINT, restoreTerminalAndDie);
    std::signal(SIGTERM, restoreTerminalAndDie);
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) active_ = true;
  }
  ~RawTerminal() {
    if (!active_) return;
    tcsetattr(STDIN_FILENO, TCSANOW, &gSavedTerminal);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  bool active_ = false;
};

std::string cell(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

}  // namespace

std::string logsQuery(const LogsOptions& options) {
  std::string q;
  auto add = [&q](const std::string& k, const std::string& v) {
    q += (q.empty() ? "?" : "&") + k + "=" + urlEncode(v);
  };
  if (options.tail >= 0) add("tail", std::to_string(options.tail));
  if (!options.since.empty()) add("since", options.since);
  if (options.timestamps) add("timestamps", "true");
  if (options.follow) add("follow", "true");
  if (options.previous) add("previous", "true");
  if (options.replica >= 0) add("replica", std::to_string(options.replica));
  return q;
}

int runLogs(const LogsOptions& options, ApiClient& client, std::ostream& out, std::ostream& err) {
  const std::string path = servicePath(options.ns, options.name) + "/logs" + logsQuery(options);
  if (options.follow) {
    Status s = client.stream(
        "GET", path,
        [&out](const std::string& line) {
          out << line << '\n' << std::flush;
          return static_cast<bool>(out);
        },
        kFollowIdle);
    if (!s.ok()) {
      printError(s, err);
      return 1;
    }
    return 0;
  }
  auto response = client.call("GET", path);
  if (!response.ok()) {
    printError(response.status(), err);
    return 1;
  }
  out << response->body << std::flush;
  return 0;
}

int runExec(const ExecOptions& options, ApiClient& client, std::istream& in, std::ostream& out,
            std::ostream& err) {
  if (options.command.empty()) {
    printError(Status::Invalid("exec needs a command: tender exec SERVICE -- CMD..."), err);
    return 1;
  }
  json body = {{"command", options.command}};
  if (options.interactive) {
    body["stdin"] = std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::string path = servicePath(options.ns, options.name) + "/exec";
  std::string q;
  if (options.replica >= 0) q += "replica=" + std::to_string(options.replica);
  if (options.tty) q += std::string(q.empty() ? "" : "&") + "tty=true";
  if (!q.empty()) path += "?" + q;
  std::optional<RawTerminal> raw;
  if (options.tty) raw.emplace();
  std::optional<int> exitCode;
  Status failed = Status::Ok();
  Status s = client.stream(
      "POST", path, body.dump(), "application/json",
      [&](const std::string& line) {
        json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!j.is_object()) return true;
        if (j.contains("data") && j["data"].is_string()) {
          std::ostream& to = cell(j, "stream") == "stderr" ? err : out;
          to << j["data"].get<std::string>() << std::flush;
        } else if (j.contains("exitCode") && j["exitCode"].is_number_integer()) {
          exitCode = j["exitCode"].get<int>();
        } else if (j.contains("error")) {
          failed = statusFromErrorBody(j["error"].value("code", 500), line);
        }
        return true;
      },
      kFollowIdle);
  raw.reset();
  if (!s.ok()) failed = s;
  if (!failed.ok()) {
    printError(failed, err);
    return 1;
  }
  if (!exitCode) {
    printError(Status::Unavailable("the server ended the exec without its exit code"), err);
    return 1;
  }
  return *exitCode;
}

std::string renderTopTable(const std::vector<json>& answers) {
  std::vector<std::vector<std::string>> rows;
  for (const json& a : answers) {
    const std::string service = cell(a, "service");
    for (const json& r : a.value("items", json::array())) {
      const int64_t mem = r.value("memoryBytes", int64_t{0});
      const int64_t memLimit = r.value("memoryLimitBytes", int64_t{0});
      const double cpu = r.value("cpuPercent", 0.0);
      const double cpuLimit = r.value("cpuLimit", 0.0);
      const bool sampled = r.contains("memoryBytes");
      std::string memText = sampled ? formatBytes(mem) : "-";
      std::string memOf = memLimit > 0 ? formatBytes(memLimit) : "none";
      std::string memPct = sampled && memLimit > 0 ? percent(100.0 * mem / memLimit) : "-";
      std::string cpuText = sampled ? percent(cpu) : "-";
      char cpus[32];
      std::snprintf(cpus, sizeof cpus, "%g", cpuLimit);
      std::string cpuOf = cpuLimit > 0 ? std::string(cpus) : "none";
      std::string cpuPct = sampled && cpuLimit > 0 ? percent(cpu / cpuLimit) : "-";
      const int replica = r.value("replica", -1);
      rows.push_back({service + "." + (replica >= 0 ? std::to_string(replica) : "?"),
                      cell(r, "state"), cpuText, cpuOf, cpuPct, memText, memOf, memPct});
    }
  }
  return renderTable({"REPLICA", "STATE", "CPU", "CPU LIMIT", "CPU/LIMIT", "MEMORY", "MEMORY LIMIT",
                      "MEMORY/LIMIT"},
                     rows);
}

int runTop(const TopOptions& options, ApiClient& client, std::ostream& out, std::ostream& err) {
  const std::string ns = options.ns.empty() ? "default" : options.ns;
  std::vector<std::string> names;
  if (!options.name.empty()) {
    names.push_back(options.name);
  } else {
    auto listed = client.call("GET", "/api/v1/namespaces/" + urlEncode(ns) + "/services");
    if (!listed.ok()) {
      printError(listed.status(), err);
      return 1;
    }
    json j = json::parse(listed->body, nullptr, /*allow_exceptions=*/false);
    for (const json& s : j.is_object() ? j.value("items", json::array()) : json::array()) {
      if (s.contains("metadata") && s["metadata"].contains("name"))
        names.push_back(s["metadata"]["name"].get<std::string>());
    }
    if (names.empty()) {
      err << "No resources found in " << ns << " namespace.\n";
      return 0;
    }
  }
  std::vector<json> answers;
  for (const std::string& name : names) {
    auto r = client.call("GET", servicePath(ns, name) + "/stats");
    if (!r.ok()) {
      printError(r.status(), err, "service/" + name);
      return 1;
    }
    json j = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) answers.push_back(std::move(j));
  }
  out << renderTopTable(answers);
  return 0;
}

}  // namespace tender

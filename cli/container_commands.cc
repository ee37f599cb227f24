// logs, exec and top (container_commands.h) over the API client.
#include "cli/container_commands.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>

#include "base/byte_format.h"
#include "base/exec_channels.h"
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

// A TERM while raw: the terminal is given back before the signal's default
// action ends the process (tcsetattr is async-signal-safe).
void restoreTerminalAndDie(int sig) {
  tcsetattr(STDIN_FILENO, TCSANOW, &gSavedTerminal);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// The local terminal in raw mode while it lives (tender exec -t), restored
// however the command ends. Every key goes to the command, ^C included, as
// with docker exec -it.
class RawTerminal {
 public:
  RawTerminal() {
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &gSavedTerminal) != 0) return;
    termios raw = gSavedTerminal;
    cfmakeraw(&raw);
    std::signal(SIGTERM, restoreTerminalAndDie);
    std::signal(SIGHUP, restoreTerminalAndDie);
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) active_ = true;
  }
  ~RawTerminal() {
    if (!active_) return;
    tcsetattr(STDIN_FILENO, TCSANOW, &gSavedTerminal);
    std::signal(SIGTERM, SIG_DFL);
    std::signal(SIGHUP, SIG_DFL);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  bool active_ = false;
};

// Set by SIGWINCH: the local terminal's size changed.
volatile std::sig_atomic_t gResized = 0;
void noteResize(int) { gResized = 1; }

// The local terminal's size, when stdin or stdout is one.
std::optional<TerminalSize> localTerminalSize() {
  winsize ws{};
  for (int fd : {STDOUT_FILENO, STDIN_FILENO})
    if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0)
      return TerminalSize{ws.ws_col, ws.ws_row};
  return std::nullopt;
}

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

std::string execSocketQuery(const ExecOptions& options, std::optional<TerminalSize> size) {
  std::string q;
  for (const std::string& a : options.command) q += (q.empty() ? "?" : "&") + ("command=" + urlEncode(a));
  if (options.interactive) q += "&stdin=true";
  if (options.tty) q += "&tty=true";
  if (options.tty && size)
    q += "&width=" + std::to_string(size->width) + "&height=" + std::to_string(size->height);
  if (options.replica >= 0) q += "&replica=" + std::to_string(options.replica);
  return q;
}

namespace {

// POST .../exec: the command's output as NDJSON, then its exit code.
int runScriptedExec(const ExecOptions& options, ApiClient& client, std::ostream& out,
                    std::ostream& err) {
  json body = {{"command", options.command}};
  std::string path = servicePath(options.ns, options.name) + "/exec";
  if (options.replica >= 0) path += "?replica=" + std::to_string(options.replica);
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

// What the server's messages of an exec come to, shared with the socket's
// threads.
struct ExecOutcome {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::optional<int> exitCode;
  Status failed = Status::Ok();
};

void onServerMessage(const std::string& message, ExecOutcome& outcome, std::ostream& out,
                     std::ostream& err) {
  auto m = readExecMessage(message);
  if (!m) return;
  if (m->channel == ExecChannel::kStdout || m->channel == ExecChannel::kStderr) {
    std::lock_guard<std::mutex> l(outcome.mu);
    std::ostream& to = m->channel == ExecChannel::kStderr ? err : out;
    to.write(m->data.data(), static_cast<std::streamsize>(m->data.size()));
    to.flush();
    return;
  }
  if (m->channel != ExecChannel::kStatus) return;
  json j = json::parse(m->data, nullptr, /*allow_exceptions=*/false);
  std::lock_guard<std::mutex> l(outcome.mu);
  if (j.is_object() && j.contains("exitCode") && j["exitCode"].is_number_integer()) {
    outcome.exitCode = j["exitCode"].get<int>();
  } else {
    const int code = j.is_object() && j.contains("error") ? j["error"].value("code", 500) : 500;
    outcome.failed = statusFromErrorBody(code, std::string(m->data));
  }
  outcome.done = true;
  outcome.cv.notify_all();
}

// Why the socket could not be opened: the API's own refusal when the same
// request, asked plainly, is refused for a reason of its own (no such
// service, no running replica, not this token's namespace), else the
// socket's failure.
Status whySocketFailed(ApiClient& client, const std::string& path, const Status& socketFailure) {
  auto plain = client.call("GET", path);
  if (!plain.ok() && !plain.status().IsInvalid()) return plain.status();
  return socketFailure;
}

// Sends what is typed (or piped) as it comes, and the terminal's size when
// it changes, until the command has ended.
void pumpInput(const ExecOptions& options, int inFd, ApiSocket& socket, ExecOutcome& outcome) {
  bool inputOpen = options.interactive;
  char buf[4096];
  while (true) {
    {
      std::unique_lock<std::mutex> l(outcome.mu);
      if (outcome.done) return;
      if (!inputOpen) {
        outcome.cv.wait_for(l, std::chrono::milliseconds(100));
        if (outcome.done) return;
      }
    }
    if (options.tty && gResized) {
      gResized = 0;
      if (auto size = localTerminalSize()) socket.send(resizeMessage(*size));
    }
    if (!inputOpen) continue;
    pollfd p{inFd, POLLIN, 0};
    const int ready = poll(&p, 1, 100);
    if (ready <= 0) continue;
    const ssize_t n = read(inFd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      inputOpen = false;
      socket.send(execMessage(ExecChannel::kClose, std::string(1, static_cast<char>(ExecChannel::kStdin))));
      continue;
    }
    if (!socket.send(execMessage(ExecChannel::kStdin, std::string_view(buf, static_cast<size_t>(n)))).ok())
      return;
  }
}

// GET .../exec as a WebSocket: stdin as it is typed, the terminal's size,
// output as it comes.
int runInteractiveExec(const ExecOptions& options, ApiClient& client, int inFd, std::ostream& out,
                       std::ostream& err) {
  const std::string path =
      servicePath(options.ns, options.name) + "/exec" + execSocketQuery(options, localTerminalSize());
  auto outcome = std::make_shared<ExecOutcome>();
  ApiSocketHandlers handlers;
  handlers.onMessage = [outcome, &out, &err](std::string message) {
    onServerMessage(message, *outcome, out, err);
  };
  handlers.onClose = [outcome](const Status& s) {
    std::lock_guard<std::mutex> l(outcome->mu);
    if (outcome->done) return;
    outcome->failed = s.ok() ? Status::Unavailable("the server ended the exec without its exit code") : s;
    outcome->done = true;
    outcome->cv.notify_all();
  };
  auto socket = client.openSocket(path, kExecSubprotocol, handlers);
  if (!socket.ok()) {
    printError(whySocketFailed(client, path, socket.status()), err);
    return 1;
  }
  std::optional<RawTerminal> raw;
  if (options.tty) {
    if (options.interactive) raw.emplace();
    // The size when the query was made went with it; a change since then
    // is caught by the first look at gResized.
    gResized = 0;
    std::signal(SIGWINCH, noteResize);
  }
  pumpInput(options, inFd, **socket, *outcome);
  if (options.tty) std::signal(SIGWINCH, SIG_DFL);
  raw.reset();
  std::unique_lock<std::mutex> l(outcome->mu);
  const bool done = outcome->done;
  const Status failed = outcome->failed;
  const std::optional<int> exitCode = outcome->exitCode;
  l.unlock();
  (*socket)->close();
  if (!done || !failed.ok()) {
    printError(done ? failed : Status::Unavailable("the WebSocket to the tender server broke"), err);
    return 1;
  }
  return exitCode.value_or(1);
}

}  // namespace

int runExec(const ExecOptions& options, ApiClient& client, int inFd, std::ostream& out,
            std::ostream& err) {
  if (options.command.empty()) {
    printError(Status::Invalid("exec needs a command: tender exec SERVICE -- CMD..."), err);
    return 1;
  }
  if (options.interactive || options.tty) return runInteractiveExec(options, client, inFd, out, err);
  return runScriptedExec(options, client, out, err);
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

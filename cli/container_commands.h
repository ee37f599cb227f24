// The commands that reach into a service's containers through the API:
// logs (listed or followed), exec (a command in one replica, its exit code
// the command's) and top (CPU and memory per replica against its limits).
//
// Each returns the process exit code, as the commands of commands.h do.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/exec_channels.h"
#include "cli/api_client.h"

namespace tender {

struct LogsOptions {
  std::string name;  // a service
  std::string ns = "default";
  int tail = -1;     // the last N lines of each replica; -1: all
  bool follow = false;      // -f: then each new line, until the containers stop or ^C
  std::string since;        // "10m" or an RFC 3339 time
  bool timestamps = false;  // each line after the engine's time
  bool previous = false;    // the last terminated run's lines (its post-mortem)
  int replica = -1;         // -r: one replica only
};

// The query string of a logs request ("?tail=5&follow=true"), "" for none.
std::string logsQuery(const LogsOptions& options);

// Prints a service's logs as the server sends them ("api.0 | line"); with
// follow, each line as it comes.
int runLogs(const LogsOptions& options, ApiClient& client, std::ostream& out, std::ostream& err);

struct ExecOptions {
  std::string name;  // a service
  std::string ns = "default";
  int replica = -1;          // -r: else the first running replica
  bool interactive = false;  // -i: stdin goes to the command as it comes
  bool tty = false;          // -t: a terminal in the container, the local one raw
  std::vector<std::string> command;
};

// Runs the command and returns its exit code (1 when it could not be run).
// With -i or -t through the API's WebSocket: what `inFd` gives is sent as
// it comes (with -i; its end ends the command's input), and with -t the
// local terminal's size, now and on each change. Without either, a POST.
int runExec(const ExecOptions& options, ApiClient& client, int inFd, std::ostream& out,
            std::ostream& err);

// The WebSocket's query:
// ?command=A&command=B[&stdin=true][&tty=true[&width=W&height=H]][&replica=N].
std::string execSocketQuery(const ExecOptions& options, std::optional<TerminalSize> size);

struct TopOptions {
  std::string name;  // a service; "" for every service of the namespace
  std::string ns = "default";
};

int runTop(const TopOptions& options, ApiClient& client, std::ostream& out, std::ostream& err);

// top's table from the stats answers of the services (GET .../stats).
std::string renderTopTable(const std::vector<nlohmann::json>& answers);

}  // namespace tender

// Runs the real `tender` command for end-to-end tests and keeps what it
// printed (stdout and stderr together) and its exit code.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace tender::testing {

struct CliRun {
  int exitCode = -1;
  std::string out;  // stdout and stderr together
};

// Runs `cmd` through the shell.
inline CliRun runShell(const std::string& cmd) {
  CliRun r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = ::pclose(p);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// `args` as a shell would split them: "apply -f x.yaml --server http://...".
inline CliRun runTender(const std::string& args) { return runShell(std::string(TENDER_BINARY) + " " + args); }

}  // namespace tender::testing

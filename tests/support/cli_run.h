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

// `args` as a shell would split them: "apply -f x.yaml --server http://...".
inline CliRun runTender(const std::string& args) {
  CliRun r;
  std::string cmd = std::string(TENDER_BINARY) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = ::pclose(p);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace tender::testing

// The real `tender` command running in the background (a follow, a watch),
// its stdout and stderr into a file the test reads while it runs.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace tender::testing {

inline std::string readWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Forks `tender ARGS...` with stdout and stderr into `outPath` (appended to
// with `append`, else truncated) and `env` ("NAME=value") added to its
// environment; the child's pid.
inline pid_t spawnTender(const std::vector<std::string>& args, const std::string& outPath,
                         const std::vector<std::string>& env = {}, bool append = false) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  int fd = ::open(outPath.c_str(), O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
  }
  for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
  std::vector<std::string> all = {TENDER_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

class TenderChild {
 public:
  // Runs `tender ARGS...`, its output into `outPath` (removed with it).
  TenderChild(const std::vector<std::string>& args, const std::string& outPath)
      : path_(outPath), pid_(spawnTender(args, outPath)) {}
  ~TenderChild() {
    stop();
    std::remove(path_.c_str());
  }
  TenderChild(const TenderChild&) = delete;
  TenderChild& operator=(const TenderChild&) = delete;

  std::string output() const { return readWholeFile(path_); }

  // Waits up to `limit` for its output to hold `part`.
  bool waitFor(const std::string& part, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    return until([&] { return output().find(part) != std::string::npos; }, limit);
  }

  // Waits up to `limit` for it to exit by itself.
  bool waitForExit(std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    return until(
        [&] {
          if (pid_ <= 0 || ::waitpid(pid_, nullptr, WNOHANG) != pid_) return false;
          pid_ = -1;
          return true;
        },
        limit);
  }

  // SIGTERM; true when it was still running (a watch does not end by itself).
  bool stop() {
    if (pid_ <= 0) return false;
    bool running = ::waitpid(pid_, nullptr, WNOHANG) == 0;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return running;
  }

 private:
  template <class F>
  static bool until(F done, std::chrono::milliseconds limit) {
    for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
  }

  std::string path_;
  pid_t pid_;
};

}  // namespace tender::testing

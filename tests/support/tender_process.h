// Runs the real `tender serve` binary for end-to-end tests: its own state
// directory, its own --instance and a free loopback port, so tests never
// share state with each other or with a user's server. Its client speaks as
// the server's admin (the state directory's admin.token) unless given a
// token, and the `tender` commands a test runs do too: start() points
// TENDER_TOKEN_FILE, which they inherit, at that file. A server given
// --tls-cert and --tls-key is spoken to over HTTPS once useHttps() names
// the CA to trust.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/private_file.h"
#include "base/state_dir.h"
#include "cli/api_client.h"
#include "tests/support/tender_child.h"

namespace tender::testing {

inline int freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// A unique name for this test run: "<prefix>-<pid>-<n>" (a DNS label).
inline std::string uniqueName(const std::string& prefix) {
  static int n = 0;
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

class TenderProcess {
 public:
  TenderProcess(std::string instance, std::vector<std::string> extraArgs = {})
      : instance_(std::move(instance)), extra_(std::move(extraArgs)) {
    stateDir_ = (std::filesystem::temp_directory_path() / ("tender-test-" + instance_)).string();
    std::filesystem::remove_all(stateDir_);
    port_ = freeLoopbackPort();
  }
  ~TenderProcess() { stop(); std::filesystem::remove_all(stateDir_); }

  // Starts the server and waits (up to `wait`) for /healthz. False on failure.
  // A server already running is left as it is (true): a second one would
  // fail on the state directory's lock and leave the first one unowned.
  bool start(std::chrono::seconds wait = std::chrono::seconds(20)) {
    if (pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0) return true;
    std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:" + std::to_string(port_), "--state-dir",
                                     stateDir_, "--instance", instance_, "--resync", "5", "--log-level", "debug"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    pid_ = spawnTender(args, stateDir_ + ".log", {}, /*append=*/true);
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      auto r = client().call("GET", "/healthz", "", "");
      if (r.ok() && r->status == 200) {
        ::setenv("TENDER_TOKEN_FILE", adminTokenPath().c_str(), 1);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // SIGKILL: no cleanup, as a crash.
  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // A signal that does not stop it (SIGHUP: re-read the token file).
  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }

  // SIGTERM and wait.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 300; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill9();
  }

  // Before start(): url() and client() speak HTTPS, trusting the CA
  // certificates in `caFile`.
  void useHttps(std::string caFile) { caFile_ = std::move(caFile); }

  std::string url() const {
    return std::string(caFile_.empty() ? "http" : "https") +
           "://127.0.0.1:" + std::to_string(port_);
  }
  // As the admin, or as the holder of `token`.
  ApiClient client(const std::string& token = "") const {
    return ApiClient(url(), token.empty() ? adminToken() : token, clientOptions());
  }
  ApiClient anonymousClient() const { return ApiClient(url(), "", clientOptions()); }
  ApiClientOptions clientOptions() const {
    ApiClientOptions o;
    o.caFile = caFile_;
    return o;
  }
  std::string adminTokenPath() const { return stateDir_ + "/" + kAdminTokenFile; }
  std::string adminToken() const {
    auto t = readTokenFile(adminTokenPath());
    return t.ok() ? *t : std::string();
  }
  // The header line a raw request needs to be let in.
  std::string authHeader() const { return "Authorization: Bearer " + adminToken(); }
  int port() const { return port_; }
  const std::string& instance() const { return instance_; }
  const std::string& stateDir() const { return stateDir_; }
  std::string logPath() const { return stateDir_ + ".log"; }

 private:
  std::string instance_;
  std::vector<std::string> extra_;
  std::string caFile_;  // "" = plain HTTP
  std::string stateDir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace tender::testing

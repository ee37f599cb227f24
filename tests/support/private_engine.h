// A Docker engine of the test's own, for tests that kill or freeze the
// engine: a second dockerd with its own socket, data and exec roots, pid
// file, address pool, default bridge of its own and no iptables rules, so killing
// or stopping it never disturbs the engine every other test shares. The
// test image is copied into it from the shared engine (docker save | load).
//
// The destructor always leaves nothing behind: it resumes a frozen engine,
// removes every container, stops dockerd and its containerd, unmounts and
// deletes the directory, even when the test failed half-way.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace tender::testing {

class PrivateEngine {
 public:
  PrivateEngine() {
    root_ = "/tmp/tender-engine-" + std::to_string(::getpid());
    shell("umount -R " + root_ + " 2>/dev/null; rm -rf " + root_);
    std::filesystem::create_directories(root_);
    // An address pool apart from the shared engine's, so networks never clash.
    std::ofstream(root_ + "/daemon.json") << "{\"default-address-pools\":[{\"base\":\"10.213.0.0/16\",\"size\":24}]}\n";
    // A default bridge of its own. Not --bridge=none: a dockerd without a
    // default bridge deletes the host's docker0, which the shared engine's
    // default network needs. Even with a bridge of its own, a dockerd
    // started again after a SIGKILL deletes docker0 while it restores its
    // networks (seen on 20.10), so start() puts docker0 back as it was.
    hostBridge_ = capture("ip -4 -o addr show docker0 2>/dev/null | awk '{print $4}' | head -1");
    bridge_ = "tpe" + std::to_string(::getpid() % 1000000);
    shell("ip link del " + bridge_ + " 2>/dev/null; ip link add " + bridge_ + " type bridge && ip addr add 10.214." +
          std::to_string(::getpid() % 250) + ".1/24 dev " + bridge_ + " && ip link set " + bridge_ + " up");
  }
  ~PrivateEngine() {
    if (pid() > 0) {
      ::kill(pid(), SIGCONT);
      if (answers()) shell("DOCKER_HOST=" + host() + " docker ps -aq | xargs -r env DOCKER_HOST=" + host() +
                           " docker rm -f >/dev/null 2>&1");
      stop();
    }
    // containerd outlives a SIGKILLed dockerd: end the one of this root, by
    // the pid dockerd recorded for it.
    pid_t containerd = -1;
    std::ifstream(root_ + "/exec/containerd/containerd.pid") >> containerd;
    if (containerd > 0 && ::kill(containerd, SIGTERM) == 0 && !waitGone(containerd, 100)) ::kill(containerd, SIGKILL);
    shell("grep -o ' " + root_ + "[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null; rm -rf " +
          root_);
    shell("ip link del " + bridge_ + " 2>/dev/null");
    restoreHostBridge();
  }
  PrivateEngine(const PrivateEngine&) = delete;
  PrivateEngine& operator=(const PrivateEngine&) = delete;

  std::string socket() const { return root_ + "/docker.sock"; }
  std::string host() const { return "unix://" + socket(); }

  // Starts dockerd and waits until it answers; copies the test image in the
  // first time. False (with the log's tail on stderr) when it does not come up.
  bool start(std::chrono::seconds wait = std::chrono::seconds(60)) {
    shell("cd " + root_ + " && nohup dockerd --config-file " + root_ + "/daemon.json --data-root " + root_ +
          "/data --exec-root " + root_ + "/exec --pidfile " + root_ + "/docker.pid -H " + host() +
          " --bridge=" + bridge_ + " --iptables=false --ip6tables=false >>" + root_ + "/dockerd.log 2>&1 &");
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (!answers()) {
      if (std::chrono::steady_clock::now() > deadline) {
        shell("tail -20 " + root_ + "/dockerd.log >&2");
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    restoreHostBridge();
    if (!imageLoaded_) {
      imageLoaded_ = shell("docker save tender-busybox:latest | DOCKER_HOST=" + host() + " docker load >/dev/null") == 0;
    }
    return imageLoaded_;
  }
  bool answers() const {
    return shell("curl -sf --max-time 2 --unix-socket " + socket() + " http://docker/_ping >/dev/null 2>&1") == 0;
  }
  pid_t pid() const {
    std::ifstream in(root_ + "/docker.pid");
    pid_t p = -1;
    in >> p;
    return p;
  }
  // As a crash: nothing is cleaned up, containerd keeps running.
  void kill9() {
    pid_t p = pid();
    if (p <= 0) return;
    ::kill(p, SIGKILL);
    waitGone(p);
  }
  void freeze() { ::kill(pid(), SIGSTOP); }
  void thaw() { ::kill(pid(), SIGCONT); }
  void stop() {
    pid_t p = pid();
    if (p <= 0) return;
    ::kill(p, SIGTERM);
    if (!waitGone(p, 300)) {
      ::kill(p, SIGKILL);
      waitGone(p);
    }
  }

 private:
  // docker0, with the address it had, when this engine took it away.
  void restoreHostBridge() const {
    if (hostBridge_.empty() || shell("ip link show docker0 >/dev/null 2>&1") == 0) return;
    shell("ip link add docker0 type bridge && ip addr add " + hostBridge_ + " dev docker0 && ip link set docker0 up");
  }
  static std::string capture(const std::string& command) {
    std::string out;
    if (FILE* p = ::popen(command.c_str(), "r")) {
      char buf[256];
      while (std::fgets(buf, sizeof buf, p)) out += buf;
      ::pclose(p);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }
  static int shell(const std::string& command) {
    int rc = std::system(command.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
  // dockerd is not our child (nohup &): poll /proc.
  static bool waitGone(pid_t p, int tenths = 100) {
    for (int i = 0; i < tenths; ++i) {
      if (!std::filesystem::exists("/proc/" + std::to_string(p))) return true;
      std::string state;
      std::ifstream status("/proc/" + std::to_string(p) + "/status");
      for (std::string line; std::getline(status, line);) {
        if (line.rfind("State:", 0) == 0) state = line;
      }
      if (state.find('Z') != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  std::string root_;
  std::string bridge_;
  std::string hostBridge_;  // docker0's address ("172.17.0.1/16"), "" when there is none
  bool imageLoaded_ = false;
};

}  // namespace tender::testing

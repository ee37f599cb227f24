// `tender doctor`: what tends to go wrong on a host, each check a line of
// OK / WARN / FAIL / SKIP with what to do. The facts are gathered first
// (gatherDoctorFacts: the engine, the disks, /proc/meminfo, file modes,
// systemctl); judgeHost turns them into verdicts and is pure.
//
// Exit code: 0 when no check FAILs (a WARN is worth a look, not an
// outage: free disk under 10%, the server not running), 1 otherwise.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "base/disk_space.h"

namespace tender {

enum class Verdict { kOk, kWarn, kFail, kSkip };

struct DoctorCheck {
  std::string name;     // "engine", "state directory", ...
  Verdict verdict = Verdict::kOk;
  std::string detail;   // what was found
  std::string todo;     // what to do; "" when nothing
};

// What a file's stat said.
struct FileFacts {
  std::string path;
  bool exists = false;
  bool isDirectory = false;
  unsigned mode = 0;  // permission bits (07777)
  std::string error;  // stat failed for another reason than absence
};

struct DoctorFacts {
  // The engine: "" error when it answered.
  std::string engineHost;
  std::string engineError;
  int64_t pingMs = -1;
  std::string engineVersion;
  std::string cgroupVersion;      // "1" | "2" | ""
  std::string dockerRootDir;
  bool engineIsLocal = true;      // a unix socket: its data root is on this host
  std::optional<int64_t> engineClockSkewMs;  // engine's SystemTime minus ours
  // Disks.
  std::optional<DiskSpace> engineDisk;  // DockerRootDir's file system
  std::string engineDiskError;
  std::optional<DiskSpace> stateDisk;   // the state directory's (or its parent's)
  std::string stateDiskError;
  // Memory: /proc/meminfo, and what the server says admitted replicas reserve.
  std::optional<int64_t> memTotal, memAvailable;
  std::string memorySource;  // where MemAvailable was read (serve_config.h MemorySource)
  std::optional<int64_t> reservedBytes;
  std::string serverUrl;
  std::string serverError;  // "" when the server answered
  // Files.
  FileFacts stateDir;
  std::vector<FileFacts> tokenFiles;  // the admin token, the --token-file
  // The API's addresses and whether TLS is configured.
  std::vector<std::string> listen;
  bool tls = false;
  bool allowPlaintext = false;
  // systemd: whether systemctl exists, and `systemctl is-active tender`.
  bool systemctl = false;
  std::string unitState;  // "active", "inactive", "failed", "activating", "unknown"...
};

// Pure: one check per concern, in a fixed order.
std::vector<DoctorCheck> judgeHost(const DoctorFacts& facts);

// 0 when no check FAILs, else 1.
int doctorExitCode(const std::vector<DoctorCheck>& checks);

// "OK    engine            answers in 2 ms (unix:///var/run/docker.sock)"
// and, when there is something to do, "      -> what to do" below it.
std::string renderDoctor(const std::vector<DoctorCheck>& checks);

// Pure: the sum of a metric's samples in Prometheus text
// ("tender_memory_reserved_bytes{namespace=\"a\"} 1024"); nullopt when it
// has none.
std::optional<int64_t> sumMetric(const std::string& text, const std::string& name);

// Pure: MemTotal and MemAvailable (bytes) from /proc/meminfo's text.
void readMeminfo(const std::string& text, DoctorFacts& facts);

struct DoctorOptions {
  std::string configFile;  // the serve settings to check against ("" none)
  std::string stateDir;    // "" = the config's, else the default
  std::string engineHost;  // "" = the config's, else DOCKER_HOST or the socket
  std::vector<std::string> flagsGiven;  // "--state-dir", "--engine": these win over the config
  std::string serverUrl;
  // What the server answered for GET /metrics (the reserved memory), or
  // why it did not: asked by the caller, which holds the API client.
  std::string metrics;
  std::string serverError;
};

// Gathers everything but the server's answer (in `options`). Errors of
// each part become facts; it never fails as a whole.
DoctorFacts gatherDoctorFacts(const DoctorOptions& options, std::ostream& err);

// Gathers, judges, prints; returns the exit code.
int runDoctor(const DoctorOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tender

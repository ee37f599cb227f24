// `tender doctor` (doctor.h): the facts of a host, the verdicts on them.

#include "server/doctor.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "api/http_server.h"
#include "base/byte_format.h"
#include "base/state_dir.h"
#include "base/time_format.h"
#include "engine/docker_engine_beast.h"
#include "server/serve_config.h"
#include "server/serve_config_file.h"

namespace tender {
namespace {

constexpr int64_t kMi = int64_t{1} << 20;
constexpr int64_t kGi = int64_t{1} << 30;

std::string mode(unsigned m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", m & 07777);
  return buf;
}

DoctorCheck check(std::string name, Verdict v, std::string detail, std::string todo = "") {
  return DoctorCheck{std::move(name), v, std::move(detail), std::move(todo)};
}

DoctorCheck engineCheck(const DoctorFacts& f) {
  if (!f.engineError.empty()) {
    return check("engine", Verdict::kFail, f.engineHost + " does not answer: " + f.engineError,
                 "start it (systemctl start docker) or point --engine at it; tender waits for it");
  }
  std::string detail = "answers in " + std::to_string(f.pingMs) + " ms (" + f.engineHost + ")";
  if (f.pingMs > 1000) {
    return check("engine", Verdict::kWarn, detail,
                 "the engine is slow to answer: look at its load (docker info, journalctl -u docker)");
  }
  return check("engine", Verdict::kOk, detail);
}

DoctorCheck versionCheck(const DoctorFacts& f) {
  if (!f.engineError.empty()) return check("engine version", Verdict::kSkip, "the engine does not answer");
  std::string detail = "Docker " + f.engineVersion + ", cgroup v" +
                       (f.cgroupVersion.empty() ? std::string("?") : f.cgroupVersion);
  if (f.cgroupVersion == "1") {
    return check("engine version", Verdict::kWarn, detail,
                 "cgroup v1: memory figures are coarser; boot with systemd.unified_cgroup_hierarchy=1");
  }
  return check("engine version", Verdict::kOk, detail);
}

DoctorCheck diskCheck(const std::string& name, const std::optional<DiskSpace>& d,
                      const std::string& where, const std::string& error, const std::string& todo) {
  if (!d) {
    return check(name, Verdict::kSkip, error.empty() ? "not on this host" : error);
  }
  const double share = d->totalBytes > 0 ? static_cast<double>(d->freeBytes) / d->totalBytes : 0;
  char pct[16];
  std::snprintf(pct, sizeof pct, "%.0f%%", share * 100);
  const std::string detail =
      formatBytes(d->freeBytes) + " free of " + formatBytes(d->totalBytes) + " (" + pct + ") on " + where;
  if (d->freeBytes < 256 * kMi || share < 0.02) return check(name, Verdict::kFail, detail, todo);
  if (d->freeBytes < kGi || share < 0.10) return check(name, Verdict::kWarn, detail, todo);
  return check(name, Verdict::kOk, detail);
}

DoctorCheck memoryCheck(const DoctorFacts& f) {
  if (!f.memAvailable || !f.memTotal || *f.memTotal <= 0) {
    return check("memory", Verdict::kSkip, "no /proc/meminfo");
  }
  std::string detail = formatBytes(*f.memAvailable) + " available of " + formatBytes(*f.memTotal);
  if (!f.memorySource.empty()) detail += " (" + f.memorySource + ")";
  if (f.reservedBytes) {
    detail += ", " + formatBytes(*f.reservedBytes) + " reserved by admitted replicas";
  } else {
    detail += ", reserved unknown (the server does not answer)";
  }
  const double share = static_cast<double>(*f.memAvailable) / *f.memTotal;
  if (*f.memAvailable < 256 * kMi || share < 0.05) {
    return check("memory", Verdict::kFail, detail,
                 "the host is short of memory: replicas are being evicted or refused; lower "
                 "replicas or limits (tender top -n NS), or add memory");
  }
  if (f.reservedBytes && *f.reservedBytes > *f.memTotal * 9 / 10) {
    return check("memory", Verdict::kWarn, detail,
                 "reservations near the host's memory: new replicas will wait for admission");
  }
  if (share < 0.10) {
    return check("memory", Verdict::kWarn, detail, "under 10% available: look at tender top -A");
  }
  return check("memory", Verdict::kOk, detail);
}

DoctorCheck stateDirCheck(const FileFacts& d) {
  if (!d.error.empty()) return check("state directory", Verdict::kFail, d.error, "check its path and permissions");
  if (!d.exists) {
    return check("state directory", Verdict::kWarn, d.path + " does not exist",
                 "tender serve makes it at its first start (or give --state-dir)");
  }
  if (!d.isDirectory) {
    return check("state directory", Verdict::kFail, d.path + " is not a directory",
                 "give --state-dir a directory");
  }
  const std::string detail = d.path + " mode " + mode(d.mode);
  if ((d.mode & 022) != 0) {
    return check("state directory", Verdict::kFail, detail + ": other users may write in it",
                 "chmod 700 " + d.path + " (it holds the store and the admin token)");
  }
  if ((d.mode & 077) != 0) {
    return check("state directory", Verdict::kWarn, detail + ": other users may read the store",
                 "chmod 700 " + d.path + " (0700 expected: the store holds every spec)");
  }
  return check("state directory", Verdict::kOk, detail);
}

DoctorCheck tokenCheck(const std::vector<FileFacts>& files) {
  std::string detail;
  for (const FileFacts& t : files) {
    if (!t.error.empty()) return check("token files", Verdict::kFail, t.error, "check its permissions");
    if (!t.exists) continue;
    if ((t.mode & 077) != 0) {
      return check("token files", Verdict::kFail, t.path + " mode " + mode(t.mode),
                   "chmod 600 " + t.path + " (tender refuses a token file others may read)");
    }
    detail += (detail.empty() ? "" : ", ") + t.path + " mode " + mode(t.mode);
  }
  if (detail.empty()) {
    return check("token files", Verdict::kSkip, "none yet (tender serve makes the admin token)");
  }
  return check("token files", Verdict::kOk, detail);
}

DoctorCheck clockCheck(const DoctorFacts& f) {
  if (!f.engineClockSkewMs) return check("clock", Verdict::kSkip, "the engine's time is not known");
  const int64_t skew = *f.engineClockSkewMs;
  const int64_t abs = skew < 0 ? -skew : skew;
  const std::string detail = "the engine's clock is " + std::to_string(abs) + " ms " +
                             (skew < 0 ? "behind" : "ahead of") + " this host's";
  const std::string todo = "run time synchronisation on both (timedatectl set-ntp true): events, "
                           "ages and log --since compare their times";
  if (abs > 60'000) return check("clock", Verdict::kFail, detail, todo);
  if (abs > 2'000) return check("clock", Verdict::kWarn, detail, todo);
  return check("clock", Verdict::kOk, detail);
}

DoctorCheck listenCheck(const DoctorFacts& f) {
  std::string reachable;
  for (const std::string& l : f.listen) {
    if (l.rfind("unix:", 0) == 0 || isLoopbackListen(l)) continue;
    reachable += (reachable.empty() ? "" : ", ") + l;
  }
  std::string all;
  for (const std::string& l : f.listen) all += (all.empty() ? "" : ", ") + l;
  if (reachable.empty()) return check("listen address", Verdict::kOk, all + " (this host only)");
  if (f.tls) return check("listen address", Verdict::kOk, all + " (other hosts, over TLS)");
  if (f.allowPlaintext) {
    return check("listen address", Verdict::kWarn, reachable + " serves plain HTTP (--allow-plaintext)",
                 "make sure something else keeps that port private, or give --tls-cert and --tls-key");
  }
  return check("listen address", Verdict::kFail,
               reachable + " is reachable from other hosts without TLS: tender serve refuses it",
               "give --tls-cert and --tls-key, or listen on 127.0.0.1 or a unix socket");
}

DoctorCheck serverCheck(const DoctorFacts& f) {
  if (f.serverError.empty()) return check("server", Verdict::kOk, "answers at " + f.serverUrl);
  return check("server", Verdict::kWarn, f.serverUrl + ": " + f.serverError,
               "start it (systemctl start tender, or tender serve)");
}

DoctorCheck unitCheck(const DoctorFacts& f) {
  if (!f.systemctl) return check("systemd unit", Verdict::kSkip, "no systemctl on this host");
  if (f.unitState == "active") return check("systemd unit", Verdict::kOk, "tender.service is active");
  if (f.unitState == "failed") {
    return check("systemd unit", Verdict::kFail, "tender.service has failed",
                 "journalctl -u tender -n 50 says why; then systemctl restart tender");
  }
  if (f.unitState == "inactive" || f.unitState == "activating" || f.unitState == "deactivating") {
    return check("systemd unit", Verdict::kWarn, "tender.service is " + f.unitState,
                 "systemctl enable --now tender");
  }
  return check("systemd unit", Verdict::kSkip,
               "systemd does not run tender.service here (is-active: " +
                   (f.unitState.empty() ? std::string("no answer") : f.unitState) + ")");
}

const char* verdictWord(Verdict v) {
  switch (v) {
    case Verdict::kOk: return "OK";
    case Verdict::kWarn: return "WARN";
    case Verdict::kFail: return "FAIL";
    case Verdict::kSkip: return "SKIP";
  }
  return "?";
}

FileFacts statFile(const std::string& path) {
  FileFacts f;
  f.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) f.error = "cannot stat " + path + ": " + std::strerror(errno);
    return f;
  }
  f.exists = true;
  f.isDirectory = S_ISDIR(st.st_mode);
  f.mode = st.st_mode & 07777;
  return f;
}

std::optional<DiskSpace> diskOf(std::string path, std::string& error) {
  // A directory not made yet: the file system it will be made on.
  std::error_code ec;
  while (!path.empty() && !std::filesystem::exists(path, ec)) {
    std::string parent = std::filesystem::path(path).parent_path().string();
    if (parent == path) break;
    path = parent.empty() ? "." : parent;
  }
  auto d = diskSpaceOf(path);
  if (!d.ok()) {
    error = d.status().message();
    return std::nullopt;
  }
  return *d;
}

// `systemctl is-active tender`'s word; "" when systemctl is not there.
std::string unitState(bool* present) {
  *present = ::access("/bin/systemctl", X_OK) == 0 || ::access("/usr/bin/systemctl", X_OK) == 0;
  if (!*present) return "";
  FILE* p = ::popen("systemctl is-active tender 2>/dev/null", "r");
  if (p == nullptr) return "";
  std::array<char, 128> buf{};
  std::string out;
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

std::vector<DoctorCheck> judgeHost(const DoctorFacts& f) {
  std::vector<DoctorCheck> c;
  c.push_back(engineCheck(f));
  c.push_back(versionCheck(f));
  c.push_back(diskCheck("engine disk", f.engineDisk,
                        f.dockerRootDir.empty() ? std::string("the engine's data root") : f.dockerRootDir,
                        f.engineIsLocal ? f.engineDiskError : "the engine is on another host",
                        "tender prune --images (or docker system prune); tender cleans up early "
                        "below --min-free-disk"));
  c.push_back(diskCheck("state disk", f.stateDisk, f.stateDir.path, f.stateDiskError,
                        "free space there: the store stops taking writes when the disk is full"));
  c.push_back(memoryCheck(f));
  c.push_back(stateDirCheck(f.stateDir));
  c.push_back(tokenCheck(f.tokenFiles));
  c.push_back(clockCheck(f));
  c.push_back(listenCheck(f));
  c.push_back(serverCheck(f));
  c.push_back(unitCheck(f));
  return c;
}

int doctorExitCode(const std::vector<DoctorCheck>& checks) {
  for (const DoctorCheck& c : checks) {
    if (c.verdict == Verdict::kFail) return 1;
  }
  return 0;
}

std::string renderDoctor(const std::vector<DoctorCheck>& checks) {
  std::ostringstream o;
  for (const DoctorCheck& c : checks) {
    char head[64];
    std::snprintf(head, sizeof head, "%-5s %-16s ", verdictWord(c.verdict), c.name.c_str());
    o << head << c.detail << "\n";
    if (!c.todo.empty() && (c.verdict == Verdict::kWarn || c.verdict == Verdict::kFail)) {
      o << "      -> " << c.todo << "\n";
    }
  }
  return o.str();
}

std::optional<int64_t> sumMetric(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  std::optional<int64_t> sum;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0) continue;
    const char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != '{' && next != ' ') continue;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    char* end = nullptr;
    const double v = std::strtod(line.c_str() + space + 1, &end);
    if (end == line.c_str() + space + 1) continue;
    sum = sum.value_or(0) + static_cast<int64_t>(v);
  }
  return sum;
}

void readMeminfo(const std::string& text, DoctorFacts& facts) {
  std::istringstream in(text);
  std::string key;
  long long kib = 0;
  std::string unit;
  while (in >> key >> kib) {
    std::getline(in, unit);
    if (key == "MemTotal:") facts.memTotal = kib * 1024;
    if (key == "MemAvailable:") facts.memAvailable = kib * 1024;
  }
}

DoctorFacts gatherDoctorFacts(const DoctorOptions& o, std::ostream& err) {
  DoctorFacts f;
  ServeOptions serve;
  if (!o.configFile.empty()) {
    std::ifstream in(o.configFile);
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = parseServeConfigFile(text.str());
    if (parsed.ok()) {
      serve = parsed->options;
    } else {
      err << "warning: " << o.configFile << ": " << parsed.status().ToString()
          << " (checking the defaults instead)\n";
    }
  }
  ServeOptions flags;
  flags.stateDir = o.stateDir;
  flags.engineHost = o.engineHost;
  serve = withFlagsOver(serve, flags, o.flagsGiven);

  // The engine.
  EngineOptions eo;
  eo.host = serve.engineHost;
  eo.callTimeout = std::chrono::seconds(10);
  f.engineHost = resolvedEngineHost(eo);
  f.engineIsLocal = f.engineHost.rfind("unix:", 0) == 0;
  auto engine = makeStandaloneBeastDockerEngine(eo);
  const auto began = std::chrono::steady_clock::now();
  Status pinged = engine->ping();
  f.pingMs = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                   began)
                 .count();
  if (!pinged.ok()) {
    f.engineError = pinged.message();
  } else if (auto info = engine->info(); info.ok()) {
    f.engineVersion = info->serverVersion;
    f.cgroupVersion = info->cgroupVersion;
    f.dockerRootDir = info->dockerRootDir;
    if (auto t = parseRfc3339(info->systemTime)) {
      f.engineClockSkewMs =
          std::chrono::duration_cast<std::chrono::milliseconds>(*t - std::chrono::system_clock::now())
              .count();
    }
  } else {
    f.engineError = info.status().message();
  }
  if (f.engineIsLocal && !f.dockerRootDir.empty()) {
    f.engineDisk = diskOf(f.dockerRootDir, f.engineDiskError);
  }
  // The state directory and what it holds.
  f.stateDir = statFile(serve.stateDir);
  f.stateDisk = diskOf(serve.stateDir, f.stateDiskError);
  f.tokenFiles.push_back(statFile(serve.stateDir + "/" + kAdminTokenFile));
  if (!serve.tokenFile.empty()) f.tokenFiles.push_back(statFile(serve.tokenFile));
  // Memory, from where the server reads it (--proc-root, else /proc).
  const MemorySource source =
      memorySourceFor(serve.procRoot, ::access((serve.procRoot + "/meminfo").c_str(), R_OK) == 0);
  f.memorySource = source.description;
  std::ifstream meminfo(source.procRoot + "/meminfo");
  std::stringstream mem;
  mem << meminfo.rdbuf();
  readMeminfo(mem.str(), f);
  f.serverUrl = o.serverUrl;
  f.serverError = o.serverError;
  if (o.serverError.empty()) f.reservedBytes = sumMetric(o.metrics, "tender_memory_reserved_bytes").value_or(0);
  // The API's addresses.
  f.listen = serve.listen;
  f.tls = !serve.tlsCert.empty() && !serve.tlsKey.empty();
  f.allowPlaintext = serve.allowPlaintext;
  f.unitState = unitState(&f.systemctl);
  return f;
}

int runDoctor(const DoctorOptions& options, std::ostream& out, std::ostream& err) {
  const std::vector<DoctorCheck> checks = judgeHost(gatherDoctorFacts(options, err));
  out << renderDoctor(checks);
  return doctorExitCode(checks);
}

}  // namespace tender

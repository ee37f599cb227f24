// `tender doctor`'s verdicts: facts in, one line per check out, and the
// exit code (WARN allowed, FAIL not).
#include "server/doctor.h"
#include "server/serve_config.h"

#include <gtest/gtest.h>

#include <string>

namespace tender {
namespace {

DiskSpace space(int64_t freeBytes, int64_t totalBytes) {
  DiskSpace d;
  d.freeBytes = freeBytes;
  d.totalBytes = totalBytes;
  return d;
}

constexpr int64_t kGi = int64_t{1} << 30;

// A host where all is well.
DoctorFacts healthy() {
  DoctorFacts f;
  f.engineHost = "unix:///var/run/docker.sock";
  f.pingMs = 2;
  f.engineVersion = "20.10.24";
  f.cgroupVersion = "2";
  f.dockerRootDir = "/var/lib/docker";
  f.engineClockSkewMs = 40;
  f.engineDisk = space(100 * kGi, 200 * kGi);
  f.stateDisk = space(100 * kGi, 200 * kGi);
  f.memTotal = 8 * kGi;
  f.memAvailable = 6 * kGi;
  f.reservedBytes = kGi;
  f.serverUrl = "http://127.0.0.1:7420";
  f.stateDir = {"/var/lib/tender", true, true, 0700, ""};
  f.tokenFiles = {{"/var/lib/tender/admin.token", true, false, 0600, ""}};
  f.listen = {"127.0.0.1:7420", "unix:/run/tender/api.sock"};
  f.systemctl = true;
  f.unitState = "active";
  return f;
}

const DoctorCheck& named(const std::vector<DoctorCheck>& checks, const std::string& name) {
  for (const DoctorCheck& c : checks) {
    if (c.name == name) return c;
  }
  static DoctorCheck none;
  ADD_FAILURE() << "no check " << name;
  return none;
}

TEST(Doctor, AHealthyHostIsAllOkAndExitsZero) {
  auto checks = judgeHost(healthy());
  ASSERT_EQ(checks.size(), 11u);
  for (const DoctorCheck& c : checks) EXPECT_EQ(c.verdict, Verdict::kOk) << c.name << ": " << c.detail;
  EXPECT_EQ(doctorExitCode(checks), 0);
  EXPECT_EQ(named(checks, "engine").detail, "answers in 2 ms (unix:///var/run/docker.sock)");
  EXPECT_EQ(named(checks, "engine version").detail, "Docker 20.10.24, cgroup v2");
  const std::string text = renderDoctor(checks);
  EXPECT_NE(text.find("OK    engine           answers in 2 ms"), std::string::npos) << text;
}

TEST(Doctor, AnEngineThatDoesNotAnswerFailsAndSaysWhatToDo) {
  DoctorFacts f = healthy();
  f.engineError = "connect: No such file or directory";
  f.engineClockSkewMs.reset();
  auto checks = judgeHost(f);
  EXPECT_EQ(named(checks, "engine").verdict, Verdict::kFail);
  EXPECT_NE(named(checks, "engine").todo.find("systemctl start docker"), std::string::npos);
  EXPECT_EQ(named(checks, "engine version").verdict, Verdict::kSkip);
  EXPECT_EQ(named(checks, "clock").verdict, Verdict::kSkip);
  EXPECT_EQ(doctorExitCode(checks), 1);
  EXPECT_NE(renderDoctor(checks).find("      -> start it"), std::string::npos);
}

TEST(Doctor, DiskBelowTenPercentWarnsAndBelowTwoFails) {
  DoctorFacts f = healthy();
  f.engineDisk = space(15 * kGi, 200 * kGi);
  EXPECT_EQ(named(judgeHost(f), "engine disk").verdict, Verdict::kWarn);
  f.engineDisk = space(3 * kGi, 200 * kGi);
  EXPECT_EQ(named(judgeHost(f), "engine disk").verdict, Verdict::kFail);
  f.engineDisk.reset();
  f.engineIsLocal = false;
  EXPECT_EQ(named(judgeHost(f), "engine disk").verdict, Verdict::kSkip);
  EXPECT_EQ(named(judgeHost(f), "engine disk").detail, "the engine is on another host");
  f.stateDisk = space(100 << 20, 10 * kGi);
  EXPECT_EQ(named(judgeHost(f), "state disk").verdict, Verdict::kFail);
}

TEST(Doctor, MemoryIsJudgedAgainstWhatIsAvailableAndReserved) {
  DoctorFacts f = healthy();
  f.reservedBytes = 7 * kGi + kGi / 2;
  EXPECT_EQ(named(judgeHost(f), "memory").verdict, Verdict::kWarn);
  f.reservedBytes.reset();
  EXPECT_EQ(named(judgeHost(f), "memory").verdict, Verdict::kOk);
  EXPECT_NE(named(judgeHost(f), "memory").detail.find("reserved unknown"), std::string::npos);
  f.memAvailable = 200 << 20;
  EXPECT_EQ(named(judgeHost(f), "memory").verdict, Verdict::kFail);
}

TEST(Doctor, TheMemoryLineSaysWhereMemAvailableIsRead) {
  DoctorFacts f = healthy();
  f.memorySource = memorySourceFor("/host/proc", false).description;
  const std::string detail = named(judgeHost(f), "memory").detail;
  EXPECT_NE(detail.find("/proc/meminfo (/host/proc/meminfo cannot be read"), std::string::npos) << detail;
  f.memorySource = memorySourceFor("/host/proc", true).description;
  EXPECT_NE(named(judgeHost(f), "memory").detail.find("/host/proc/meminfo (the host's, mounted)"), std::string::npos);
}

TEST(Doctor, PermissionsOfTheStateDirectoryAndTokenFiles) {
  DoctorFacts f = healthy();
  f.stateDir.mode = 0755;
  auto c = named(judgeHost(f), "state directory");
  EXPECT_EQ(c.verdict, Verdict::kWarn);
  EXPECT_EQ(c.todo.rfind("chmod 700 /var/lib/tender", 0), 0u) << c.todo;
  f.stateDir.mode = 0777;
  EXPECT_EQ(named(judgeHost(f), "state directory").verdict, Verdict::kFail);
  f.stateDir.exists = false;
  EXPECT_EQ(named(judgeHost(f), "state directory").verdict, Verdict::kWarn);

  f = healthy();
  f.tokenFiles.push_back({"/etc/tender/tokens", true, false, 0644, ""});
  c = named(judgeHost(f), "token files");
  EXPECT_EQ(c.verdict, Verdict::kFail);
  EXPECT_EQ(c.todo.rfind("chmod 600 /etc/tender/tokens", 0), 0u) << c.todo;
  f.tokenFiles = {{"/x/admin.token", false, false, 0, ""}};
  EXPECT_EQ(named(judgeHost(f), "token files").verdict, Verdict::kSkip);
}

TEST(Doctor, ClockSkewListenAddressServerAndUnit) {
  DoctorFacts f = healthy();
  f.engineClockSkewMs = -5000;
  EXPECT_EQ(named(judgeHost(f), "clock").verdict, Verdict::kWarn);
  EXPECT_EQ(named(judgeHost(f), "clock").detail, "the engine's clock is 5000 ms behind this host's");
  f.engineClockSkewMs = 120'000;
  EXPECT_EQ(named(judgeHost(f), "clock").verdict, Verdict::kFail);

  f = healthy();
  f.listen = {"0.0.0.0:7420"};
  EXPECT_EQ(named(judgeHost(f), "listen address").verdict, Verdict::kFail);
  f.allowPlaintext = true;
  EXPECT_EQ(named(judgeHost(f), "listen address").verdict, Verdict::kWarn);
  f.tls = true;
  EXPECT_EQ(named(judgeHost(f), "listen address").verdict, Verdict::kOk);

  f = healthy();
  f.serverError = "cannot reach http://127.0.0.1:7420";
  EXPECT_EQ(named(judgeHost(f), "server").verdict, Verdict::kWarn);
  EXPECT_EQ(doctorExitCode(judgeHost(f)), 0) << "a WARN is allowed";
  f.unitState = "failed";
  EXPECT_EQ(named(judgeHost(f), "systemd unit").verdict, Verdict::kFail);
  f.unitState = "inactive";
  EXPECT_EQ(named(judgeHost(f), "systemd unit").verdict, Verdict::kWarn);
  f.unitState = "unknown";
  EXPECT_EQ(named(judgeHost(f), "systemd unit").verdict, Verdict::kSkip);
  f.systemctl = false;
  EXPECT_EQ(named(judgeHost(f), "systemd unit").detail, "no systemctl on this host");
}

TEST(Doctor, ReadsMetricsAndMeminfo) {
  const std::string metrics =
      "# HELP tender_memory_reserved_bytes Memory reserved\n"
      "tender_memory_reserved_bytes{namespace=\"a\"} 1024\n"
      "tender_memory_reserved_bytes{namespace=\"b\"} 2048\n"
      "tender_memory_reserved_bytes_other 5\n";
  EXPECT_EQ(sumMetric(metrics, "tender_memory_reserved_bytes"), 3072);
  EXPECT_FALSE(sumMetric("", "tender_memory_reserved_bytes").has_value());
  DoctorFacts f;
  readMeminfo("MemTotal:        8000000 kB\nMemFree:  100 kB\nMemAvailable:    6000000 kB\n", f);
  EXPECT_EQ(f.memTotal, 8000000LL * 1024);
  EXPECT_EQ(f.memAvailable, 6000000LL * 1024);
}

}  // namespace
}  // namespace tender

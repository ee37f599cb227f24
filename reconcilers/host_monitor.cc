// HostMonitor (host_monitor.h): the host's memory, pressure and OOM kills from
// the kernel's files.

#include "reconcilers/host_monitor.h"

#include <fstream>
#include <sstream>

namespace tender {
namespace {

constexpr auto kHistory = std::chrono::minutes(2);

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// "MemAvailable:   123456 kB" -> bytes.
std::optional<int64_t> meminfoField(const std::string& text, const std::string& name) {
  size_t at = text.find(name + ":");
  if (at == std::string::npos) return std::nullopt;
  std::istringstream in(text.substr(at + name.size() + 1));
  int64_t kb = 0;
  if (!(in >> kb)) return std::nullopt;
  return kb * 1024;
}

std::optional<int64_t> vmstatField(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string key;
  int64_t value;
  while (in >> key >> value) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string line(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) {
    if (l.rfind(prefix, 0) == 0) return l.substr(prefix.size());
  }
  return "";
}

}  // namespace

nlohmann::json HostMemory::toJson() const {
  nlohmann::json j = {{"memTotalBytes", memTotalBytes}, {"memAvailableBytes", memAvailableBytes}};
  if (!pressureSome.empty()) j["pressureSome"] = pressureSome;
  if (!pressureFull.empty()) j["pressureFull"] = pressureFull;
  if (oomKills) j["oomKills"] = *oomKills;
  return j;
}

HostMonitor::HostMonitor(Clock& clock, std::string procRoot, std::chrono::milliseconds period)
    : clock_(clock), root_(std::move(procRoot)), period_(period) {}

HostMonitor::~HostMonitor() { stop(); }

void HostMonitor::start() {
  std::lock_guard<std::mutex> l(mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { run(); });
}

void HostMonitor::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

HostMemory HostMonitor::read() const {
  HostMemory m;
  const std::string meminfo = readFile(root_ + "/meminfo");
  m.memTotalBytes = meminfoField(meminfo, "MemTotal").value_or(0);
  m.memAvailableBytes = meminfoField(meminfo, "MemAvailable").value_or(0);
  const std::string psi = readFile(root_ + "/pressure/memory");
  m.pressureSome = line(psi, "some ");
  m.pressureFull = line(psi, "full ");
  m.oomKills = vmstatField(readFile(root_ + "/vmstat"), "oom_kill");
  return m;
}

void HostMonitor::sample() {
  auto count = vmstatField(readFile(root_ + "/vmstat"), "oom_kill");
  if (!count) return;
  const WallTime now = clock_.now();
  std::lock_guard<std::mutex> l(mu_);
  oomHistory_.emplace_back(now, *count);
  while (!oomHistory_.empty() && now - oomHistory_.front().first > kHistory) oomHistory_.pop_front();
}

bool HostMonitor::oomKillAround(WallTime at, std::chrono::milliseconds before,
                                std::chrono::milliseconds after) const {
  std::lock_guard<std::mutex> l(mu_);
  std::optional<int64_t> earlier, later;
  for (const auto& [t, count] : oomHistory_) {
    if (t <= at - before) earlier = count;
    if (t >= at + after && !later) later = count;
  }
  if (!later && !oomHistory_.empty() && oomHistory_.back().first > at) later = oomHistory_.back().second;
  return earlier && later && *later > *earlier;
}

void HostMonitor::run() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    l.unlock();
    sample();
    l.lock();
    clock_.waitFor(l, cv_, period_, [&] { return stop_; });
  }
}

}  // namespace tender

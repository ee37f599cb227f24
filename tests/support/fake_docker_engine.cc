// FakeDockerEngine (fake_docker_engine.h): the in-memory engine unit tests
// drive.

#include "tests/support/fake_docker_engine.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <regex>
#include <set>

#include "engine/docker_engine_codec.h"
#include "tests/support/simulated_clock.h"

namespace tender {

using nlohmann::json;

namespace {

const std::set<std::string>& operationNames() {
  static const std::set<std::string> kNames = {"ping",
                                               "version",
                                               "info",
                                               "listContainers",
                                               "inspectContainer",
                                               "createContainer",
                                               "startContainer",
                                               "stopContainer",
                                               "killContainer",
                                               "removeContainer",
                                               "copyToContainer",
                                               "containerLogs",
                                               "containerStats",
                                               "streamEvents",
                                               "createNetwork",
                                               "listNetworks",
                                               "inspectNetwork",
                                               "removeNetwork",
                                               "connectNetwork",
                                               "createVolume",
                                               "listVolumes",
                                               "inspectVolume",
                                               "removeVolume",
                                               "inspectImage",
                                               "removeImage",
                                               "listImages",
                                               "buildImage",
                                               "diskUsage",
                                               "prune"};
  return kNames;
}

constexpr size_t kEventHistory = 256;

uint64_t mix(uint64_t x) {  // splitmix64: spreads a counter over 64 bits
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string rfc3339(WallTime t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  long frac = static_cast<long>(ns % 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

std::string ago(int64_t seconds) {
  if (seconds < 1) return "Less than a second";
  if (seconds < 60) return std::to_string(seconds) + " seconds";
  if (seconds < 3600) return std::to_string(seconds / 60) + " minutes";
  return std::to_string(seconds / 3600) + " hours";
}

// "busybox" -> "busybox:latest"; references with a tag or digest stay.
std::string normalizeTag(const std::string& ref) {
  size_t slash = ref.rfind('/');
  size_t lastPart = slash == std::string::npos ? 0 : slash + 1;
  if (ref.find('@') != std::string::npos || ref.find(':', lastPart) != std::string::npos) {
    return ref;
  }
  return ref + ":latest";
}

// The engine matches name and id filters as regular expressions.
// Field readers that never throw: a missing field or one of another type reads as the default.
std::string getString(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t getInt(const json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

bool getBool(const json& j, const char* key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

bool regexFinds(const std::string& pattern, const std::string& text) {
  try {
    return std::regex_search(text, std::regex(pattern));
  } catch (const std::regex_error&) {
    return text.find(pattern) != std::string::npos;
  }
}

bool labelsMatch(const Labels& labels, const std::vector<std::string>& wanted) {
  for (const auto& w : wanted) {
    size_t eq = w.find('=');
    if (eq == std::string::npos) {
      if (labels.count(w) == 0) return false;
    } else {
      auto it = labels.find(w.substr(0, eq));
      if (it == labels.end() || it->second != w.substr(eq + 1)) return false;
    }
  }
  return true;
}

template <class F>
bool anyOf(const std::vector<std::string>& values, F matches) {
  return std::any_of(values.begin(), values.end(), matches);
}

Status checkFilterNames(const Filters& filters, const std::set<std::string>& allowed) {
  for (const auto& [name, values] : filters) {
    if (allowed.count(name) == 0) return Status::Invalid("invalid filter '" + name + "'");
  }
  return Status::Ok();
}

const std::vector<std::string>* filterValues(const Filters& filters, const char* name) {
  auto it = filters.find(name);
  if (it == filters.end() || it->second.empty()) return nullptr;
  return &it->second;
}

int signalNumber(std::string signal) {
  if (signal.empty()) return 9;
  if (std::all_of(signal.begin(), signal.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return std::atoi(signal.c_str());
  }
  if (signal.compare(0, 3, "SIG") == 0) signal = signal.substr(3);
  static const std::map<std::string, int> kSignals = {
      {"HUP", 1}, {"INT", 2}, {"QUIT", 3}, {"KILL", 9}, {"USR1", 10}, {"USR2", 12}, {"TERM", 15}};
  auto it = kSignals.find(signal);
  return it == kSignals.end() ? -1 : it->second;
}

// A Binds entry "source:destination[:options]" whose source is a volume
// name rather than a host path.
bool namesAVolume(const std::string& source) {
  return !source.empty() && source[0] != '/' && source[0] != '.' && source[0] != '~';
}

std::string volumeMountpoint(const std::string& name) {
  return "/var/lib/docker/volumes/" + name + "/_data";
}

// Whether the options of a Binds entry ("ro", "rw,z") make it read-only.
bool readOnlyOption(const std::string& options) {
  size_t pos = 0;
  while (pos <= options.size()) {
    size_t comma = options.find(',', pos);
    std::string o =
        options.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (o == "ro") return true;
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return false;
}

// `since` of /events: Unix seconds, optionally with ".nanoseconds".
bool validSince(const std::string& since) {
  static const std::regex kSince("^[0-9]+(\\.[0-9]{1,9})?$");
  return std::regex_match(since, kSince);
}

// Walks an uncompressed tar and says whether it holds a file at `path`.
bool tarHolds(const std::string& tar, std::string path) {
  auto clean = [](std::string p) {
    while (p.compare(0, 2, "./") == 0) p.erase(0, 2);
    return p;
  };
  path = clean(path);
  size_t pos = 0;
  while (pos + 512 <= tar.size()) {
    std::string name(tar.data() + pos, strnlen(tar.data() + pos, 100));
    if (name.empty()) return false;  // the zero blocks that end the archive
    std::string prefix(tar.data() + pos + 345, strnlen(tar.data() + pos + 345, 155));
    if (!prefix.empty()) name = prefix + "/" + name;
    size_t size = std::strtoull(std::string(tar.data() + pos + 124, 12).c_str(), nullptr, 8);
    char type = tar[pos + 156];
    if ((type == '0' || type == '\0') && clean(name) == path) return true;
    pos += 512 + (size + 511) / 512 * 512;
  }
  return false;
}

}  // namespace

struct FakeDockerEngine::Container {
  struct Endpoint {
    std::string ip;  // "" while the container does not run
    std::vector<std::string> aliases;
  };
  std::string id;
  std::string name;
  std::string imageId;
  std::string configImage;
  json config;
  json hostConfig;
  Labels labels;
  ContainerState state;
  bool healthcheck = false;
  std::string created;
  int64_t createdUnix = 0;
  std::map<std::string, Endpoint> networks;  // by network name
  std::vector<LogLine> logs;
  int64_t memoryUsage = 0;
  json mounts = json::array();       // inspect's Mounts
  std::vector<std::string> volumes;  // every volume it mounts, named or anonymous
  std::set<std::string> anonymous;   // the volumes made for it (removeVolumes takes them)
  std::map<int, std::optional<int>> signalExits;  // setSignalExit: signal -> exit code, or ignored
  std::vector<std::pair<std::string, std::string>> copied;  // copyToContainer: {path, tar}
};

struct FakeDockerEngine::Network {
  NetworkInfo info;  // containerIds unused; computed from the containers
};

struct FakeDockerEngine::Volume {
  VolumeInfo info;
};

struct FakeDockerEngine::Image {
  ImageInfo info;
};

struct FakeDockerEngine::Subscriber {
  std::recursive_mutex mu;  // held while a callback runs and when the flags are set
  // Read without `mu` (under the fake's lock), so a callback that calls into
  // the fake cannot deadlock against a thread listing streams.
  std::atomic<bool> cancelled{false};
  std::atomic<bool> ended{false};
  Filters filters;
  EventStreamCallbacks callbacks;

  bool matches(const EngineEvent& e) const {
    if (auto v = filterValues(filters, "type")) {
      if (!anyOf(*v, [&](const std::string& t) { return t == e.type; })) return false;
    }
    if (auto v = filterValues(filters, "event")) {
      std::string base = e.action.substr(0, e.action.find(':'));
      if (!anyOf(*v, [&](const std::string& a) { return a == e.action || a == base; })) {
        return false;
      }
    }
    if (auto v = filterValues(filters, "label")) {
      if (!labelsMatch(e.attributes, *v)) return false;
    }
    if (auto v = filterValues(filters, "container")) {
      auto name = e.attributes.find("name");
      if (!anyOf(*v, [&](const std::string& c) {
            return c == e.id || (name != e.attributes.end() && c == name->second) ||
                   (c.size() >= 12 && e.id.compare(0, c.size(), c) == 0);
          })) {
        return false;
      }
    }
    return true;
  }

  void offer(const EngineEvent& e) {
    std::lock_guard<std::recursive_mutex> l(mu);
    if (cancelled || ended || !matches(e) || !callbacks.onEvent) return;
    callbacks.onEvent(e);
  }

  void end(const Status& status) {
    std::lock_guard<std::recursive_mutex> l(mu);
    if (cancelled || ended) return;
    ended = true;
    auto onEnd = callbacks.onEnd;
    if (onEnd) onEnd(status);
  }
};

class FakeDockerEngine::Stream : public EngineStream {
 public:
  explicit Stream(std::shared_ptr<Subscriber> s) : s_(std::move(s)) {}
  ~Stream() override { cancel(); }
  void cancel() override {
    std::lock_guard<std::recursive_mutex> l(s_->mu);
    s_->cancelled = true;
  }

 private:
  std::shared_ptr<Subscriber> s_;
};

struct FakeDockerEngine::PendingEvents {
  std::vector<EngineEvent> events;
};

FakeDockerEngine::FakeDockerEngine(const Clock* clock)
    : ownClock_(clock ? nullptr : std::make_unique<SimulatedClock>()),
      clock_(clock ? clock : ownClock_.get()) {
  info_.name = "fake-engine";
  info_.serverVersion = "20.10.24";
  info_.memTotal = int64_t{8} << 30;
  info_.ncpu = 2;
  info_.dockerRootDir = "/var/lib/docker";
  info_.cgroupVersion = "1";
  info_.operatingSystem = "Fake Linux";
  for (const auto& [name, driver] : std::vector<std::pair<std::string, std::string>>{
           {"bridge", "bridge"}, {"host", "host"}, {"none", "null"}}) {
    auto n = std::make_unique<Network>();
    n->info.id = newId();
    n->info.name = name;
    n->info.driver = driver;
    networks_[n->info.id] = std::move(n);
  }
}

FakeDockerEngine::~FakeDockerEngine() = default;

// --- helpers (REQUIRES: mu_ held, unless said otherwise) ---

Status FakeDockerEngine::begin(const char* operation) {
  calls_[operation]++;
  negotiated_ = true;
  auto it = failures_.find(operation);
  if (it != failures_.end() && !it->second.empty()) {
    Status s = it->second.front();
    it->second.erase(it->second.begin());
    return s;
  }
  return Status::Ok();
}

std::string FakeDockerEngine::newId() {
  char buf[65];
  uint64_t n = nextId_++;
  std::snprintf(buf, sizeof buf, "%016llx%016llx%016llx%016llx",
                static_cast<unsigned long long>(mix(n)),
                static_cast<unsigned long long>(mix(n + 1000003)),
                static_cast<unsigned long long>(mix(n + 2000003)),
                static_cast<unsigned long long>(mix(n + 3000017)));
  return buf;
}

std::string FakeDockerEngine::nowRfc3339() const { return rfc3339(clock_->now()); }

FakeDockerEngine::Container* FakeDockerEngine::findContainer(const std::string& idOrName) {
  return const_cast<Container*>(
      static_cast<const FakeDockerEngine*>(this)->findContainer(idOrName));
}

const FakeDockerEngine::Container* FakeDockerEngine::findContainer(
    const std::string& idOrName) const {
  if (idOrName.empty()) return nullptr;
  auto exact = containers_.find(idOrName);
  if (exact != containers_.end()) return exact->second.get();
  // Not "/name": the real client puts the argument in the URL path, where
  // the engine answers "//name" with a redirect, not the container.
  for (const auto& [id, c] : containers_) {
    if (c->name == idOrName) return c.get();
  }
  const Container* found = nullptr;
  for (const auto& [id, c] : containers_) {
    if (id.compare(0, idOrName.size(), idOrName) == 0) {
      if (found) return nullptr;  // ambiguous prefix
      found = c.get();
    }
  }
  return found;
}

FakeDockerEngine::Network* FakeDockerEngine::findNetwork(const std::string& idOrName) {
  if (idOrName.empty()) return nullptr;
  auto exact = networks_.find(idOrName);
  if (exact != networks_.end()) return exact->second.get();
  for (auto& [id, n] : networks_) {
    if (n->info.name == idOrName) return n.get();
  }
  Network* found = nullptr;
  for (auto& [id, n] : networks_) {
    if (id.compare(0, idOrName.size(), idOrName) == 0) {
      if (found) return nullptr;
      found = n.get();
    }
  }
  return found;
}

const FakeDockerEngine::Image* FakeDockerEngine::findImage(const std::string& nameOrId) const {
  if (nameOrId.empty()) return nullptr;
  auto tag = tags_.find(normalizeTag(nameOrId));
  if (tag != tags_.end()) return images_.at(tag->second).get();
  std::string id = nameOrId.compare(0, 7, "sha256:") == 0 ? nameOrId : "sha256:" + nameOrId;
  const Image* found = nullptr;
  for (const auto& [imageId, image] : images_) {
    if (imageId.compare(0, id.size(), id) == 0) {
      if (found) return nullptr;
      found = image.get();
    }
  }
  return found;
}

ContainerInfo FakeDockerEngine::inspectLocked(const Container& c) const {
  json state = {{"Status", c.state.status},
                {"Running", c.state.running},
                {"Paused", c.state.paused},
                {"Restarting", c.state.restarting},
                {"OOMKilled", c.state.oomKilled},
                {"Dead", c.state.dead},
                {"Pid", c.state.pid},
                {"ExitCode", c.state.exitCode},
                {"Error", c.state.error},
                {"StartedAt", c.state.startedAt},
                {"FinishedAt", c.state.finishedAt}};
  if (c.healthcheck) {
    state["Health"] = {{"Status", c.state.health.empty() ? "starting" : c.state.health},
                       {"FailingStreak", c.state.failingStreak},
                       {"Log", json::array()}};
  }
  json networks = json::object();
  for (const auto& [name, endpoint] : c.networks) {
    std::string networkId;
    for (const auto& [id, n] : networks_) {
      if (n->info.name == name) networkId = id;
    }
    networks[name] = {
        {"NetworkID", networkId},
        {"IPAddress", endpoint.ip},
        {"Aliases", endpoint.aliases.empty() ? json(nullptr) : json(endpoint.aliases)}};
  }
  json raw = {{"Id", c.id},
              {"Name", "/" + c.name},
              {"Created", c.created},
              {"Image", c.imageId},
              {"RestartCount", 0},
              {"Config", c.config},
              {"HostConfig", c.hostConfig},
              {"Mounts", c.mounts},
              {"State", state},
              {"NetworkSettings", {{"Networks", networks}}}};
  ContainerInfo info = engine_codec::parseContainerInfo(std::move(raw));
  if (!c.healthcheck) info.state.health.clear();
  return info;
}

void FakeDockerEngine::emit(PendingEvents& out, const Container& c, const std::string& action,
                            Labels extra) {
  EngineEvent e;
  e.type = "container";
  e.action = action;
  e.id = c.id;
  e.attributes = c.labels;
  e.attributes["name"] = c.name;
  e.attributes["image"] = c.configImage;
  for (auto& [k, v] : extra) e.attributes[k] = v;
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_->now().time_since_epoch())
                .count();
  e.timeNano = ns;
  e.time = ns / 1'000'000'000;
  history_.push_back(e);
  if (history_.size() > kEventHistory) history_.erase(history_.begin());
  out.events.push_back(std::move(e));
}

// REQUIRES: mu_ NOT held (callbacks may call back into the fake).
void FakeDockerEngine::deliver(PendingEvents& pending) {
  if (pending.events.empty()) return;
  std::vector<std::shared_ptr<Subscriber>> subscribers;
  {
    std::lock_guard<std::mutex> l(mu_);
    subscribers = subscribers_;
  }
  for (const auto& e : pending.events) {
    for (const auto& s : subscribers) s->offer(e);
  }
}

void FakeDockerEngine::startLocked(Container& c) {
  c.state.status = "running";
  c.state.running = true;
  c.state.paused = false;
  c.state.restarting = false;
  c.state.dead = false;
  c.state.oomKilled = false;
  c.state.exitCode = 0;
  c.state.error.clear();
  c.state.pid = nextPid_++;
  c.state.startedAt = nowRfc3339();
  c.state.health = c.healthcheck ? "starting" : "";
  c.state.failingStreak = 0;
  for (auto& [name, endpoint] : c.networks) {
    if (name == "host" || name == "none") continue;
    std::string subnet = name == "bridge" ? "172.17." : "172.18.";
    int n = nextIp_++;
    endpoint.ip = subnet + std::to_string(n / 250) + "." + std::to_string(2 + n % 250);
  }
}

void FakeDockerEngine::exitLocked(PendingEvents& out, Container& c, int exitCode) {
  c.state.status = "exited";
  c.state.running = false;
  c.state.pid = 0;
  c.state.exitCode = exitCode;
  c.state.finishedAt = nowRfc3339();
  for (auto& [name, endpoint] : c.networks) endpoint.ip.clear();
  emit(out, c, "die", {{"exitCode", std::to_string(exitCode)}});
}

bool FakeDockerEngine::signalLocked(PendingEvents& out, Container& c, int signal) {
  emit(out, c, "kill", {{"signal", std::to_string(signal)}});
  std::optional<int> exitCode = 128 + signal;  // dies of it
  auto response = c.signalExits.find(signal);
  if (signal != 9 && response != c.signalExits.end()) exitCode = response->second;
  if (!exitCode) return false;
  exitLocked(out, c, *exitCode);
  return true;
}

int FakeDockerEngine::stopSignalOf(const Container& c) const {
  std::string configured = getString(c.config, "StopSignal");
  int number = configured.empty() ? -1 : signalNumber(configured);
  return number > 0 ? number : 15;
}

void FakeDockerEngine::ensureVolumeLocked(const std::string& name) {
  if (volumes_.count(name)) return;
  auto v = std::make_unique<Volume>();
  v->info.name = name;
  v->info.driver = "local";
  v->info.mountpoint = volumeMountpoint(name);
  v->info.createdAt = nowRfc3339();
  volumes_[name] = std::move(v);
}

bool FakeDockerEngine::volumeInUse(const std::string& name) const {
  for (const auto& [id, c] : containers_) {
    if (std::find(c->volumes.begin(), c->volumes.end(), name) != c->volumes.end()) return true;
  }
  return false;
}

void FakeDockerEngine::mountVolumesLocked(Container& c, const json& body, const json& hostConfig) {
  std::set<std::string> destinations;
  auto volume = [&](const std::string& name, const std::string& destination,
                    const std::string& mode, bool rw) {
    ensureVolumeLocked(name);
    c.volumes.push_back(name);
    destinations.insert(destination);
    c.mounts.push_back({{"Type", "volume"},
                        {"Name", name},
                        {"Source", volumeMountpoint(name)},
                        {"Destination", destination},
                        {"Driver", "local"},
                        {"Mode", mode},
                        {"RW", rw},
                        {"Propagation", ""}});
  };
  auto other = [&](const std::string& type, const std::string& source,
                   const std::string& destination, const std::string& mode, bool rw) {
    destinations.insert(destination);
    c.mounts.push_back({{"Type", type},
                        {"Source", source},
                        {"Destination", destination},
                        {"Mode", mode},
                        {"RW", rw},
                        {"Propagation", type == "bind" ? "rprivate" : ""}});
  };
  auto anonymous = [&](const std::string& destination, const std::string& mode, bool rw) {
    std::string name = newId();
    c.anonymous.insert(name);
    volume(name, destination, mode, rw);
  };
  auto binds = hostConfig.find("Binds");
  if (binds != hostConfig.end() && binds->is_array()) {
    for (const auto& b : *binds) {
      if (!b.is_string()) continue;
      const std::string bind = b.get<std::string>();
      size_t first = bind.find(':');
      if (first == std::string::npos) continue;
      size_t second = bind.find(':', first + 1);
      std::string source = bind.substr(0, first);
      std::string destination = bind.substr(
          first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
      std::string options = second == std::string::npos ? "" : bind.substr(second + 1);
      bool rw = !readOnlyOption(options);
      if (namesAVolume(source)) {
        volume(source, destination, options.empty() ? "z" : options, rw);
      } else {
        other("bind", source, destination, options, rw);
      }
    }
  }
  auto mounts = hostConfig.find("Mounts");
  if (mounts != hostConfig.end() && mounts->is_array()) {
    for (const auto& m : *mounts) {
      const std::string type = getString(m, "Type");
      const std::string source = getString(m, "Source");
      const std::string target = getString(m, "Target");
      const bool rw = !getBool(m, "ReadOnly");
      if (type == "volume") {
        if (source.empty()) {
          anonymous(target, "z", rw);
        } else {
          volume(source, target, "z", rw);
        }
      } else if (type == "bind" || type == "tmpfs") {
        other(type, type == "bind" ? source : "", target, "", rw);
      }
    }
  }
  // Config.Volumes (an image's VOLUME too): an anonymous volume for each
  // path nothing else is mounted on.
  auto declared = body.find("Volumes");
  if (declared != body.end() && declared->is_object()) {
    for (auto it = declared->begin(); it != declared->end(); ++it) {
      if (!destinations.count(it.key())) anonymous(it.key(), "", true);
    }
  }
}

// --- DockerEngine ---

Status FakeDockerEngine::ping() {
  std::lock_guard<std::mutex> l(mu_);
  return begin("ping");
}

std::string FakeDockerEngine::apiVersion() const {
  std::lock_guard<std::mutex> l(mu_);
  return negotiated_ ? "1.41" : "";
}

Result<EngineVersion> FakeDockerEngine::version() {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("version");
  if (!f.ok()) return f;
  EngineVersion v;
  v.version = info_.serverVersion;
  v.apiVersion = "1.41";
  v.minApiVersion = "1.12";
  v.os = "linux";
  v.arch = "amd64";
  v.kernelVersion = "fake";
  return v;
}

Result<EngineInfo> FakeDockerEngine::info() {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("info");
  if (!f.ok()) return f;
  EngineInfo i = info_;
  i.containers = static_cast<int>(containers_.size());
  i.containersRunning =
      static_cast<int>(std::count_if(containers_.begin(), containers_.end(),
                                     [](const auto& c) { return c.second->state.running; }));
  return i;
}

Result<std::vector<ContainerSummary>> FakeDockerEngine::listContainers(const Filters& filters,
                                                                       bool all) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("listContainers");
  if (!f.ok()) return f;
  Status bad = checkFilterNames(filters, {"label", "name", "id", "status"});
  if (!bad.ok()) return bad;
  static const std::set<std::string> kStates = {"created", "restarting", "running", "removing",
                                                "paused",  "exited",     "dead"};
  if (auto v = filterValues(filters, "status")) {
    for (const auto& s : *v) {
      if (kStates.count(s) == 0) return Status::Invalid("invalid filter 'status=" + s + "'");
    }
  }
  std::vector<const Container*> matched;
  for (const auto& [id, c] : containers_) {
    if (!all && !c->state.running && !filterValues(filters, "status")) continue;
    if (auto v = filterValues(filters, "label"); v && !labelsMatch(c->labels, *v)) continue;
    if (auto v = filterValues(filters, "name");
        v && !anyOf(*v, [&](const std::string& p) { return regexFinds(p, "/" + c->name); })) {
      continue;
    }
    if (auto v = filterValues(filters, "id");
        v && !anyOf(*v, [&](const std::string& p) { return regexFinds(p, c->id); })) {
      continue;
    }
    if (auto v = filterValues(filters, "status");
        v && !anyOf(*v, [&](const std::string& s) { return s == c->state.status; })) {
      continue;
    }
    matched.push_back(c.get());
  }
  // The engine lists the newest first.
  std::stable_sort(matched.begin(), matched.end(), [](const Container* a, const Container* b) {
    return a->createdUnix > b->createdUnix;
  });
  int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_->now().time_since_epoch()).count();
  std::vector<ContainerSummary> out;
  for (const Container* c : matched) {
    ContainerSummary s;
    s.id = c->id;
    s.name = c->name;
    s.image = c->configImage;
    s.imageId = c->imageId;
    s.state = c->state.status;
    s.labels = c->labels;
    s.created = c->createdUnix;
    if (c->state.running) {
      s.status = "Up " + ago(now - c->createdUnix);
      // As the engine says it: "Up 3 seconds (healthy)".
      if (c->state.health == "starting") s.status += " (health: starting)";
      if (c->state.health == "healthy" || c->state.health == "unhealthy") s.status += " (" + c->state.health + ")";
    } else if (c->state.status == "exited") {
      s.status = "Exited (" + std::to_string(c->state.exitCode) + ") " + ago(now - c->createdUnix) +
                 " ago";
    } else {
      s.status = "Created";
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<ContainerInfo> FakeDockerEngine::inspectContainer(const std::string& idOrName) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("inspectContainer");
  if (!f.ok()) return f;
  const Container* c = findContainer(idOrName);
  if (!c) return Status::NotFound("No such container: " + idOrName);
  return inspectLocked(*c);
}

Result<std::string> FakeDockerEngine::createContainer(const std::string& requestedName,
                                                      const json& body) {
  PendingEvents events;
  Result<std::string> result = [&]() -> Result<std::string> {
    std::lock_guard<std::mutex> l(mu_);
    Status f = begin("createContainer");
    if (!f.ok()) return f;
    if (!body.is_object()) return Status::Invalid("the container config is not a JSON object");
    std::string name = requestedName;
    if (!name.empty() && name[0] == '/') name.erase(0, 1);
    static const std::regex kValidName("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
    if (!name.empty() && !std::regex_match(name, kValidName)) {
      return Status::Invalid("Invalid container name (" + requestedName +
                             "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    }
    if (!name.empty()) {
      for (const auto& [id, c] : containers_) {
        if (c->name == name) {
          return Status::Conflict("Conflict. The container name \"/" + name +
                                  "\" is already in use by container \"" + id +
                                  "\". You have to remove (or rename) that container to be able "
                                  "to reuse that name.");
        }
      }
    }
    auto imageRef = body.find("Image");
    if (imageRef == body.end() || !imageRef->is_string() || imageRef->get<std::string>().empty()) {
      return Status::Invalid("the container config names no Image");
    }
    const Image* image = findImage(imageRef->get<std::string>());
    if (!image) return Status::NotFound("No such image: " + normalizeTag(*imageRef));

    json hostConfig = body.contains("HostConfig") && body["HostConfig"].is_object()
                          ? body["HostConfig"]
                          : json::object();
    int64_t memory = getInt(hostConfig, "Memory");
    if (memory > 0 && memory < 6 * 1024 * 1024) {
      return Status::Invalid("Minimum memory limit allowed is 6MB");
    }
    // Networks: NetworkMode names the first; before API 1.44 only one may be given at create.
    std::vector<std::string> endpointNames;
    json endpoints = json::object();
    if (body.contains("NetworkingConfig") && body["NetworkingConfig"].is_object()) {
      const json& nc = body["NetworkingConfig"];
      if (nc.contains("EndpointsConfig") && nc["EndpointsConfig"].is_object()) {
        endpoints = nc["EndpointsConfig"];
      }
    }
    for (auto it = endpoints.begin(); it != endpoints.end(); ++it)
      endpointNames.push_back(it.key());
    if (endpointNames.size() > 1) {
      std::string list;
      for (const auto& n : endpointNames) list += (list.empty() ? "" : ", ") + n;
      return Status::Invalid("Container cannot be connected to network endpoints: " + list);
    }
    std::string mode = getString(hostConfig, "NetworkMode");
    std::string primary;
    if (mode.compare(0, 10, "container:") == 0) {
      primary.clear();
    } else if (!mode.empty() && mode != "default") {
      primary = mode;
    } else if (!endpointNames.empty()) {
      primary = endpointNames.front();
    } else {
      primary = "bridge";
    }
    if (!primary.empty()) {
      Network* n = findNetwork(primary);
      if (!n) return Status::NotFound("network " + primary + " not found");
      primary = n->info.name;
    }

    auto c = std::make_unique<Container>();
    c->id = newId();
    c->name = name.empty() ? "fake_" + c->id.substr(0, 8) : name;
    c->imageId = image->info.id;
    c->configImage = *imageRef;
    c->config = body;
    c->config.erase("HostConfig");
    c->config.erase("NetworkingConfig");
    c->hostConfig = hostConfig;
    if (body.contains("Labels") && body["Labels"].is_object()) {
      for (auto it = body["Labels"].begin(); it != body["Labels"].end(); ++it) {
        if (it->is_string()) c->labels[it.key()] = it->get<std::string>();
      }
    }
    auto healthcheck = body.find("Healthcheck");
    if (healthcheck != body.end() && healthcheck->is_object()) {
      auto test = healthcheck->find("Test");
      c->healthcheck =
          test != healthcheck->end() && test->is_array() && !test->empty() && (*test)[0] != "NONE";
    }
    c->state.status = "created";
    c->state.startedAt = "0001-01-01T00:00:00Z";
    c->state.finishedAt = "0001-01-01T00:00:00Z";
    c->created = nowRfc3339();
    c->createdUnix =
        std::chrono::duration_cast<std::chrono::seconds>(clock_->now().time_since_epoch()).count();
    if (!primary.empty()) {
      Container::Endpoint e;
      auto endpoint = endpoints.find(primary);
      if (endpoint != endpoints.end() && endpoint->is_object()) {
        auto aliases = endpoint->find("Aliases");
        if (aliases != endpoint->end() && aliases->is_array()) {
          for (const auto& a : *aliases) {
            if (a.is_string()) e.aliases.push_back(a.get<std::string>());
          }
        }
      }
      c->networks[primary] = e;
    }
    mountVolumesLocked(*c, body, hostConfig);
    std::string id = c->id;
    emit(events, *c, "create");
    containers_[id] = std::move(c);
    return id;
  }();
  deliver(events);
  return result;
}

Status FakeDockerEngine::startContainer(const std::string& idOrName) {
  PendingEvents events;
  Status result = [&] {
    std::lock_guard<std::mutex> l(mu_);
    Status f = begin("startContainer");
    if (!f.ok()) return f;
    Container* c = findContainer(idOrName);
    if (!c) return Status::NotFound("No such container: " + idOrName);
    if (c->state.running) {
      return Status::NotModified("container " + idOrName + " is already running");
    }
    for (const auto& [name, endpoint] : c->networks) {
      if (!findNetwork(name)) return Status::NotFound("network " + name + " not found");
    }
    startLocked(*c);
    emit(events, *c, "start");
    return Status::Ok();
  }();
  deliver(events);
  return result;
}

Status FakeDockerEngine::stopContainer(const std::string& idOrName, int timeoutSeconds) {
  PendingEvents events;
  Status result = [&] {
    std::lock_guard<std::mutex> l(mu_);
    Status f = begin("stopContainer");
    if (!f.ok()) return f;
    Container* c = findContainer(idOrName);
    if (!c) return Status::NotFound("No such container: " + idOrName);
    if (!c->state.running) {
      return Status::NotModified("container " + idOrName + " is already stopped");
    }
    // The stop signal; a program that ignores it gets SIGKILL once the
    // grace period is over (the fake does not wait for it).
    if (!signalLocked(events, *c, stopSignalOf(*c))) signalLocked(events, *c, 9);
    emit(events, *c, "stop");
    return Status::Ok();
  }();
  deliver(events);
  return result;
}

Status FakeDockerEngine::killContainer(const std::string& idOrName, const std::string& signal) {
  PendingEvents events;
  Status result = [&] {
    std::lock_guard<std::mutex> l(mu_);
    Status f = begin("killContainer");
    if (!f.ok()) return f;
    Container* c = findContainer(idOrName);
    if (!c) {
      return Status::NotFound("Cannot kill container: " + idOrName +
                              ": No such container: " + idOrName);
    }
    int number = signalNumber(signal);
    if (number <= 0) return Status::Invalid("Invalid signal: " + signal);
    if (!c->state.running) {
      return Status::Conflict("Cannot kill container: " + idOrName + ": Container " + c->id +
                              " is not running");
    }
    signalLocked(events, *c, number);  // a program that ignores it keeps running
    return Status::Ok();
  }();
  deliver(events);
  return result;
}

Status FakeDockerEngine::removeContainer(const std::string& idOrName, bool force,
                                         bool removeVolumes) {
  PendingEvents events;
  Status result = [&] {
    std::lock_guard<std::mutex> l(mu_);
    Status f = begin("removeContainer");
    if (!f.ok()) return f;
    Container* c = findContainer(idOrName);
    if (!c) return Status::NotFound("No such container: " + idOrName);
    if (c->state.running) {
      if (!force) {
        return Status::Conflict("You cannot remove a running container " + c->id +
                                ". Stop the container before attempting removal or force remove");
      }
      signalLocked(events, *c, 9);
    }
    emit(events, *c, "destroy");
    std::set<std::string> anonymous = c->anonymous;
    containers_.erase(c->id);
    // Only the volumes made for it, and only when no other container uses them.
    if (removeVolumes) {
      for (const auto& v : anonymous) {
        if (!volumeInUse(v)) volumes_.erase(v);
      }
    }
    return Status::Ok();
  }();
  deliver(events);
  return result;
}

Status FakeDockerEngine::copyToContainer(const std::string& idOrName, const std::string& path,
                                         const std::string& tar) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("copyToContainer");
  if (!f.ok()) return f;
  Container* c = findContainer(idOrName);
  if (!c) return Status::NotFound("No such container: " + idOrName);
  if (c->hostConfig.is_object() && c->hostConfig.value("ReadonlyRootfs", false)) {
    return Status::Forbidden("container rootfs is marked read-only");
  }
  c->copied.emplace_back(path, tar);
  return Status::Ok();
}

std::vector<std::pair<std::string, std::string>> FakeDockerEngine::copiedInto(
    const std::string& idOrName) const {
  std::lock_guard<std::mutex> l(mu_);
  const Container* c = findContainer(idOrName);
  return c ? c->copied : std::vector<std::pair<std::string, std::string>>{};
}

Result<ContainerStats> FakeDockerEngine::containerStats(const std::string& idOrName) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("containerStats");
  if (!f.ok()) return f;
  const Container* c = findContainer(idOrName);
  if (!c) return Status::NotFound("No such container: " + idOrName);
  ContainerStats s;
  if (c->state.running) s.memoryUsageBytes = c->memoryUsage;
  if (c->hostConfig.is_object() && c->hostConfig.contains("Memory") && c->hostConfig["Memory"].is_number()) {
    s.memoryLimitBytes = c->hostConfig["Memory"].get<int64_t>();
  }
  return s;
}

Status FakeDockerEngine::setMemoryUsage(const std::string& idOrName, int64_t bytes) {
  std::lock_guard<std::mutex> l(mu_);
  Container* c = findContainer(idOrName);
  if (!c) return Status::NotFound("No such container: " + idOrName);
  c->memoryUsage = bytes;
  return Status::Ok();
}

Result<std::vector<LogLine>> FakeDockerEngine::containerLogs(const std::string& idOrName,
                                                             const LogOptions& options) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("containerLogs");
  if (!f.ok()) return f;
  const Container* c = findContainer(idOrName);
  if (!c) return Status::NotFound("No such container: " + idOrName);
  if (!options.stdoutStream && !options.stderrStream) {
    return Status::Invalid("Bad parameters: you must choose at least one stream");
  }
  std::vector<LogLine> out;
  for (const auto& line : c->logs) {
    bool wanted =
        line.stream == LogLine::Stream::kStdout ? options.stdoutStream : options.stderrStream;
    if (!wanted) continue;
    out.push_back(line);
    // The fake keeps no times: a fixed stamp in the engine's format.
    if (options.timestamps) out.back().text = "2000-01-01T00:00:00.000000000Z " + out.back().text;
  }
  if (options.tail >= 0 && out.size() > static_cast<size_t>(options.tail)) {
    out.erase(out.begin(), out.end() - options.tail);
  }
  return out;
}

std::unique_ptr<EngineStream> FakeDockerEngine::streamEvents(const Filters& filters,
                                                             const std::string& since,
                                                             EventStreamCallbacks callbacks) {
  auto subscriber = std::make_shared<Subscriber>();
  subscriber->filters = filters;
  subscriber->callbacks = std::move(callbacks);
  auto stream = std::make_unique<Stream>(subscriber);
  Status failure;
  std::vector<EngineEvent> replay;
  {
    std::lock_guard<std::mutex> l(mu_);
    failure = begin("streamEvents");
    // As the engine: /events checks no filter names (unknown ones are
    // ignored), but refuses a `since` it cannot parse (HTTP 500).
    if (failure.ok() && !since.empty() && !validSince(since)) {
      failure = Status::Internal("strconv.ParseInt: parsing \"" + since + "\": invalid syntax");
    }
    if (failure.ok()) {
      subscribers_.erase(std::remove_if(subscribers_.begin(), subscribers_.end(),
                                        [](const auto& s) { return s->cancelled || s->ended; }),
                         subscribers_.end());
      subscribers_.push_back(subscriber);
      if (!since.empty()) {
        size_t dot = since.find('.');
        int64_t secs = std::atoll(since.substr(0, dot).c_str());
        int64_t nanos = 0;
        if (dot != std::string::npos) {
          std::string frac = since.substr(dot + 1, 9);
          frac.resize(9, '0');
          nanos = std::atoll(frac.c_str());
        }
        int64_t from = secs * 1'000'000'000 + nanos;
        for (const auto& e : history_) {
          if (e.timeNano >= from) replay.push_back(e);
        }
      }
    }
  }
  if (!failure.ok()) {
    subscriber->end(failure);
    return stream;
  }
  for (const auto& e : replay) subscriber->offer(e);
  return stream;
}

Result<std::string> FakeDockerEngine::createNetwork(const std::string& name, const json& body) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("createNetwork");
  if (!f.ok()) return f;
  if (name.empty()) return Status::Invalid("network name is empty");
  for (const auto& [id, n] : networks_) {
    if (n->info.name == name) {
      return Status::Conflict("network with name " + name + " already exists");
    }
  }
  auto n = std::make_unique<Network>();
  n->info.id = newId();
  n->info.name = name;
  n->info.driver = getString(body, "Driver");
  if (n->info.driver.empty()) n->info.driver = "bridge";
  n->info.internal = getBool(body, "Internal");
  if (body.is_object() && body.contains("Labels") && body["Labels"].is_object()) {
    for (auto it = body["Labels"].begin(); it != body["Labels"].end(); ++it) {
      if (it->is_string()) n->info.labels[it.key()] = it->get<std::string>();
    }
  }
  std::string id = n->info.id;
  networks_[id] = std::move(n);
  return id;
}

Result<std::vector<NetworkInfo>> FakeDockerEngine::listNetworks(const Filters& filters) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("listNetworks");
  if (!f.ok()) return f;
  Status bad = checkFilterNames(filters, {"label", "name", "id", "driver"});
  if (!bad.ok()) return bad;
  std::vector<NetworkInfo> out;
  for (const auto& [id, n] : networks_) {
    const NetworkInfo& info = n->info;
    if (auto v = filterValues(filters, "label"); v && !labelsMatch(info.labels, *v)) continue;
    if (auto v = filterValues(filters, "name");
        v && !anyOf(*v, [&](const std::string& p) { return regexFinds(p, info.name); })) {
      continue;
    }
    if (auto v = filterValues(filters, "id");
        v && !anyOf(*v, [&](const std::string& p) { return regexFinds(p, info.id); })) {
      continue;
    }
    if (auto v = filterValues(filters, "driver");
        v && !anyOf(*v, [&](const std::string& d) { return d == info.driver; })) {
      continue;
    }
    NetworkInfo listed = info;
    listed.containerIds.clear();
    out.push_back(std::move(listed));
  }
  return out;
}

Result<NetworkInfo> FakeDockerEngine::inspectNetwork(const std::string& idOrName) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("inspectNetwork");
  if (!f.ok()) return f;
  Network* n = findNetwork(idOrName);
  if (!n) return Status::NotFound("network " + idOrName + " not found");
  NetworkInfo info = n->info;
  info.containerIds.clear();
  // As the engine: only running containers have an endpoint on the network.
  for (const auto& [id, c] : containers_) {
    if (c->state.running && c->networks.count(info.name)) info.containerIds.push_back(id);
  }
  return info;
}

Status FakeDockerEngine::removeNetwork(const std::string& idOrName) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("removeNetwork");
  if (!f.ok()) return f;
  Network* n = findNetwork(idOrName);
  if (!n) return Status::NotFound("network " + idOrName + " not found");
  const std::string name = n->info.name;
  if (name == "bridge" || name == "host" || name == "none") {
    return Status::Internal(name + " is a pre-defined network and cannot be removed");
  }
  for (const auto& [id, c] : containers_) {
    if (c->state.running && c->networks.count(name)) {
      return Status::Internal("error while removing network: network " + name + " id " +
                              n->info.id + " has active endpoints");
    }
  }
  networks_.erase(n->info.id);
  return Status::Ok();
}

Status FakeDockerEngine::connectNetwork(const std::string& network, const std::string& container,
                                        const std::vector<std::string>& aliases) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("connectNetwork");
  if (!f.ok()) return f;
  Network* n = findNetwork(network);
  if (!n) return Status::NotFound("network " + network + " not found");
  Container* c = findContainer(container);
  if (!c) return Status::NotFound("No such container: " + container);
  if (c->networks.count(n->info.name)) {
    return Status::Internal("endpoint with name " + c->name + " already exists in network " +
                            n->info.name);
  }
  Container::Endpoint e;
  e.aliases = aliases;
  if (c->state.running) e.ip = "172.18.1." + std::to_string(2 + (nextIp_++ % 250));
  c->networks[n->info.name] = e;
  return Status::Ok();
}

Result<VolumeInfo> FakeDockerEngine::createVolume(
    const std::string& name, const std::string& driver, const Labels& labels,
    const std::map<std::string, std::string>& driverOpts) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("createVolume");
  if (!f.ok()) return f;
  std::string volumeName = name.empty() ? newId() : name;
  // As the engine: creating an existing volume returns it unchanged.
  auto existing = volumes_.find(volumeName);
  if (existing != volumes_.end()) return existing->second->info;
  auto v = std::make_unique<Volume>();
  v->info.name = volumeName;
  v->info.driver = driver.empty() ? "local" : driver;
  v->info.mountpoint = "/var/lib/docker/volumes/" + volumeName + "/_data";
  v->info.labels = labels;
  v->info.createdAt = nowRfc3339();
  VolumeInfo info = v->info;
  volumes_[volumeName] = std::move(v);
  return info;
}

Result<std::vector<VolumeInfo>> FakeDockerEngine::listVolumes(const Filters& filters) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("listVolumes");
  if (!f.ok()) return f;
  Status bad = checkFilterNames(filters, {"label", "name", "driver", "dangling"});
  if (!bad.ok()) return bad;
  std::vector<VolumeInfo> out;
  for (const auto& [name, v] : volumes_) {
    const VolumeInfo& info = v->info;
    if (auto w = filterValues(filters, "label"); w && !labelsMatch(info.labels, *w)) continue;
    if (auto w = filterValues(filters, "name");
        w && !anyOf(*w, [&](const std::string& p) { return regexFinds(p, info.name); })) {
      continue;
    }
    if (auto w = filterValues(filters, "driver");
        w && !anyOf(*w, [&](const std::string& d) { return d == info.driver; })) {
      continue;
    }
    if (auto w = filterValues(filters, "dangling")) {
      bool wantDangling = w->front() == "true" || w->front() == "1";
      if (wantDangling == volumeInUse(info.name)) continue;
    }
    out.push_back(info);
  }
  return out;
}

Result<VolumeInfo> FakeDockerEngine::inspectVolume(const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("inspectVolume");
  if (!f.ok()) return f;
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return Status::NotFound("get " + name + ": no such volume");
  return it->second->info;
}

Status FakeDockerEngine::removeVolume(const std::string& name, bool force) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("removeVolume");
  if (!f.ok()) return f;
  auto it = volumes_.find(name);
  if (it == volumes_.end()) {
    if (force) return Status::Ok();
    return Status::NotFound("get " + name + ": no such volume");
  }
  if (volumeInUse(name)) {
    std::string users;
    for (const auto& [id, c] : containers_) {
      if (std::find(c->volumes.begin(), c->volumes.end(), name) != c->volumes.end()) {
        users += (users.empty() ? "" : " ") + id;
      }
    }
    return Status::Conflict("remove " + name + ": volume is in use - [" + users + "]");
  }
  volumes_.erase(it);
  return Status::Ok();
}

Result<ImageInfo> FakeDockerEngine::inspectImage(const std::string& nameOrId) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("inspectImage");
  if (!f.ok()) return f;
  const Image* image = findImage(nameOrId);
  if (!image) return Status::NotFound("No such image: " + nameOrId);
  return image->info;
}

Status FakeDockerEngine::removeImage(const std::string& nameOrId, bool force) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("removeImage");
  if (!f.ok()) return f;
  const Image* image = findImage(nameOrId);
  if (!image) return Status::NotFound("No such image: " + nameOrId);
  const std::string id = image->info.id;
  if (!force) {
    for (const auto& [cid, c] : containers_) {
      if (c->imageId == id) {
        return Status::Conflict("conflict: unable to remove repository reference \"" + nameOrId +
                                "\" (must force) - container " + cid.substr(0, 12) +
                                " is using its referenced image " + id.substr(7, 12));
      }
    }
  }
  for (auto it = tags_.begin(); it != tags_.end();) {
    it = it->second == id ? tags_.erase(it) : std::next(it);
  }
  images_.erase(id);
  return Status::Ok();
}

Result<std::string> FakeDockerEngine::buildImage(const std::string& contextTar,
                                                 const BuildOptions& options) {
  {
    std::lock_guard<std::mutex> l(mu_);
    Status f = begin("buildImage");
    if (!f.ok()) return f;
  }
  std::string dockerfile = options.dockerfile.empty() ? "Dockerfile" : options.dockerfile;
  if (!tarHolds(contextTar, dockerfile)) {
    return Status::Invalid("Cannot locate specified Dockerfile: " + dockerfile);
  }
  std::string id = "sha256:" + [this] {
    std::lock_guard<std::mutex> l(mu_);
    return newId();
  }();
  if (options.tag.empty()) {
    std::lock_guard<std::mutex> l(mu_);
    auto image = std::make_unique<Image>();
    image->info.id = id;
    image->info.labels = options.labels;
    images_[id] = std::move(image);
    return id;
  }
  return addImage(options.tag, id, options.labels);
}

Result<std::vector<ImageInfo>> FakeDockerEngine::listImages(const Filters& filters) {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("listImages");
  if (!f.ok()) return f;
  Status bad = checkFilterNames(filters, {"label", "dangling", "reference"});
  if (!bad.ok()) return bad;
  std::vector<ImageInfo> out;
  for (const auto& [id, image] : images_) {
    const ImageInfo& info = image->info;
    if (auto w = filterValues(filters, "label"); w && !labelsMatch(info.labels, *w)) continue;
    if (auto w = filterValues(filters, "dangling")) {
      bool wantDangling = w->front() == "true" || w->front() == "1";
      if (wantDangling != info.repoTags.empty()) continue;
    }
    if (auto w = filterValues(filters, "reference")) {
      bool any = false;
      for (const auto& ref : *w) {
        any |= std::find(info.repoTags.begin(), info.repoTags.end(), normalizeTag(ref)) != info.repoTags.end();
      }
      if (!any) continue;
    }
    out.push_back(info);
  }
  return out;
}

Result<DiskUsage> FakeDockerEngine::diskUsage() {
  std::lock_guard<std::mutex> l(mu_);
  Status f = begin("diskUsage");
  if (!f.ok()) return f;
  DiskUsage d;
  for (const auto& [id, c] : containers_) d.containers[id] = 0;
  for (const auto& [id, image] : images_) {
    d.images[id] = image->info.size;
    d.layersSize += image->info.size;
  }
  for (const auto& [name, v] : volumes_) d.volumes[name] = 0;
  return d;
}

Result<PruneReport> FakeDockerEngine::prune(const std::string& what, const Filters& filters) {
  std::vector<std::string> victims;
  std::map<std::string, int64_t> sizes;
  {
    std::lock_guard<std::mutex> l(mu_);
    Status f = begin("prune");
    if (!f.ok()) return f;
    if (what == "containers") {
      for (const auto& [id, c] : containers_) {
        if (!c->state.running) victims.push_back(id);
      }
    } else if (what == "networks") {
      for (const auto& [id, n] : networks_) {
        const std::string& name = n->info.name;
        if (name == "bridge" || name == "host" || name == "none") continue;
        bool used = false;
        for (const auto& [cid, c] : containers_) used |= c->networks.count(name) > 0;
        if (!used) victims.push_back(id);
      }
    } else if (what == "images") {
      auto w = filterValues(filters, "dangling");
      bool onlyDangling = !w || w->front() == "true" || w->front() == "1";
      for (const auto& [id, image] : images_) {
        if (onlyDangling && !image->info.repoTags.empty()) continue;
        bool used = false;
        for (const auto& [cid, c] : containers_) used |= c->imageId == id;
        if (used) continue;
        victims.push_back(id);
        sizes[id] = image->info.size;
      }
    } else if (what == "volumes") {
      for (const auto& [name, v] : volumes_) {
        if (!volumeInUse(name)) victims.push_back(name);
      }
    } else {
      return Status::Invalid("cannot prune \"" + what + "\"");
    }
  }
  PruneReport r;
  for (const auto& v : victims) {
    Status s = what == "containers" ? removeContainer(v, false, false)
               : what == "networks" ? removeNetwork(v)
               : what == "images"   ? removeImage(v, false)
                                    : removeVolume(v, false);
    if (!s.ok()) continue;
    r.deleted.push_back(v);
    r.spaceReclaimed += sizes.count(v) ? sizes[v] : 0;
  }
  return r;
}

// --- test controls ---

std::string FakeDockerEngine::addImage(const std::string& tag, const std::string& id,
                                       const Labels& labels) {
  std::lock_guard<std::mutex> l(mu_);
  std::string imageId = id.empty() ? "sha256:" + newId() : id;
  if (imageId.compare(0, 7, "sha256:") != 0) imageId = "sha256:" + imageId;
  std::string normalized = normalizeTag(tag);
  // A tag belongs to one image: moving it leaves the old image untagged.
  auto old = tags_.find(normalized);
  if (old != tags_.end() && old->second != imageId) {
    auto& oldTags = images_.at(old->second)->info.repoTags;
    oldTags.erase(std::remove(oldTags.begin(), oldTags.end(), normalized), oldTags.end());
  }
  auto& image = images_[imageId];
  if (!image) {
    image = std::make_unique<Image>();
    image->info.id = imageId;
    image->info.size = 2 * 1024 * 1024;
  }
  for (const auto& [k, v] : labels) image->info.labels[k] = v;
  if (std::find(image->info.repoTags.begin(), image->info.repoTags.end(), normalized) ==
      image->info.repoTags.end()) {
    image->info.repoTags.push_back(normalized);
  }
  tags_[normalized] = imageId;
  return imageId;
}

Status FakeDockerEngine::crash(const std::string& idOrName, int exitCode, bool oomKilled) {
  PendingEvents events;
  Status result = [&] {
    std::lock_guard<std::mutex> l(mu_);
    Container* c = findContainer(idOrName);
    if (!c) return Status::NotFound("No such container: " + idOrName);
    if (!c->state.running) return Status::Invalid("container " + idOrName + " is not running");
    if (oomKilled) emit(events, *c, "oom");
    exitLocked(events, *c, exitCode);
    c->state.oomKilled = oomKilled;
    return Status::Ok();
  }();
  deliver(events);
  return result;
}

Status FakeDockerEngine::setSignalExit(const std::string& idOrName, const std::string& signal,
                                       std::optional<int> exitCode) {
  std::lock_guard<std::mutex> l(mu_);
  Container* c = findContainer(idOrName);
  if (!c) return Status::NotFound("No such container: " + idOrName);
  int number = signalNumber(signal);
  if (number <= 0) return Status::Invalid("Invalid signal: " + signal);
  if (number == 9) return Status::Invalid("SIGKILL cannot be caught or ignored");
  c->signalExits[number] = exitCode;
  return Status::Ok();
}

Status FakeDockerEngine::setHealth(const std::string& idOrName, const std::string& health) {
  PendingEvents events;
  Status result = [&] {
    std::lock_guard<std::mutex> l(mu_);
    Container* c = findContainer(idOrName);
    if (!c) return Status::NotFound("No such container: " + idOrName);
    if (!c->healthcheck) return Status::Invalid("container " + idOrName + " has no health check");
    if (!c->state.running) return Status::Invalid("container " + idOrName + " is not running");
    if (health != "healthy" && health != "unhealthy" && health != "starting") {
      return Status::Invalid("health must be healthy, unhealthy or starting, not " + health);
    }
    c->state.failingStreak = health == "unhealthy" ? c->state.failingStreak + 1 : 0;
    if (c->state.health != health) {
      c->state.health = health;
      emit(events, *c, "health_status: " + health);
    }
    return Status::Ok();
  }();
  deliver(events);
  return result;
}

Status FakeDockerEngine::appendLogs(const std::string& idOrName,
                                    const std::vector<LogLine>& lines) {
  std::lock_guard<std::mutex> l(mu_);
  Container* c = findContainer(idOrName);
  if (!c) return Status::NotFound("No such container: " + idOrName);
  c->logs.insert(c->logs.end(), lines.begin(), lines.end());
  return Status::Ok();
}

void FakeDockerEngine::failNext(const std::string& operation, Status status) {
  if (operationNames().count(operation) == 0) {
    std::fprintf(stderr, "FakeDockerEngine::failNext: \"%s\" is not a DockerEngine method\n",
                 operation.c_str());
    std::abort();
  }
  std::lock_guard<std::mutex> l(mu_);
  failures_[operation].push_back(std::move(status));
}

int FakeDockerEngine::callCount(const std::string& operation) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = calls_.find(operation);
  return it == calls_.end() ? 0 : it->second;
}

void FakeDockerEngine::resetCallCounts() {
  std::lock_guard<std::mutex> l(mu_);
  calls_.clear();
}

void FakeDockerEngine::endEventStreams(const Status& status) {
  std::vector<std::shared_ptr<Subscriber>> subscribers;
  {
    std::lock_guard<std::mutex> l(mu_);
    subscribers.swap(subscribers_);
  }
  for (const auto& s : subscribers) s->end(status);
}

void FakeDockerEngine::setInfo(const EngineInfo& info) {
  std::lock_guard<std::mutex> l(mu_);
  info_ = info;
}

std::optional<ContainerInfo> FakeDockerEngine::peekContainer(const std::string& idOrName) const {
  std::lock_guard<std::mutex> l(mu_);
  const Container* c = findContainer(idOrName);
  if (!c) return std::nullopt;
  return inspectLocked(*c);
}

size_t FakeDockerEngine::containerCount() const {
  std::lock_guard<std::mutex> l(mu_);
  return containers_.size();
}

size_t FakeDockerEngine::openEventStreams() const {
  std::lock_guard<std::mutex> l(mu_);
  size_t n = 0;
  for (const auto& s : subscribers_) {
    if (!s->cancelled && !s->ended) n++;
  }
  return n;
}

}  // namespace tender

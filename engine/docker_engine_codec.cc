// The pure half of the Engine API client (engine/docker_engine_codec.h):
// addresses, versions, queries, HTTP errors as Status, the decoding of
// answers, log frames, JSON-line streams and build messages.
#include "engine/docker_engine_codec.h"

#include <algorithm>
#include <cstdio>

namespace tender {
namespace engine_codec {

namespace {

using nlohmann::json;

// Field readers that accept what the engine really sends: fields that are
// missing, null, or of another type than documented read as the default.
const json* field(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string str(const json& j, const char* key) {
  const json* f = field(j, key);
  return f && f->is_string() ? f->get<std::string>() : std::string();
}

int64_t i64(const json& j, const char* key) {
  const json* f = field(j, key);
  if (!f) return 0;
  if (f->is_number_integer()) return f->get<int64_t>();
  if (f->is_number_unsigned()) return static_cast<int64_t>(f->get<uint64_t>());
  if (f->is_number_float()) return static_cast<int64_t>(f->get<double>());
  return 0;
}

bool boolean(const json& j, const char* key) {
  const json* f = field(j, key);
  return f && f->is_boolean() && f->get<bool>();
}

const json& object(const json& j, const char* key) {
  static const json kEmpty = json::object();
  const json* f = field(j, key);
  return f && f->is_object() ? *f : kEmpty;
}

Labels stringMap(const json& j, const char* key) {
  Labels out;
  for (auto it = object(j, key).begin(); it != object(j, key).end(); ++it) {
    if (it->is_string()) out[it.key()] = it->get<std::string>();
  }
  return out;
}

std::string withoutSlash(std::string name) {
  if (!name.empty() && name[0] == '/') name.erase(0, 1);
  return name;
}

bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string escape(std::string_view s, std::string_view keep) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (unreserved(c) || keep.find(static_cast<char>(c)) != std::string_view::npos) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::pair<long, long> versionParts(const std::string& v) {
  long major = 0, minor = 0;
  std::sscanf(v.c_str(), "%ld.%ld", &major, &minor);
  return {major, minor};
}

}  // namespace

Result<EngineAddress> parseEngineAddress(const std::string& host) {
  EngineAddress a;
  a.text = host;
  const std::string unixScheme = "unix://";
  const std::string tcpScheme = "tcp://";
  if (host.compare(0, unixScheme.size(), unixScheme) == 0) {
    a.kind = EngineAddress::Kind::kUnix;
    a.path = host.substr(unixScheme.size());
    if (a.path.empty() || a.path[0] != '/') {
      return Status::Invalid("engine address " + host + ": a unix socket needs an absolute path");
    }
    return a;
  }
  if (host.compare(0, tcpScheme.size(), tcpScheme) == 0) {
    a.kind = EngineAddress::Kind::kTcp;
    std::string rest = host.substr(tcpScheme.size());
    while (!rest.empty() && rest.back() == '/') rest.pop_back();
    if (rest.empty()) return Status::Invalid("engine address " + host + ": no host");
    if (rest.find('/') != std::string::npos) {
      return Status::Invalid("engine address " + host + ": a path prefix is not supported");
    }
    size_t colon = rest.rfind(':');
    size_t bracket = rest.rfind(']');
    if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
      a.host = rest.substr(0, colon);
      a.port = rest.substr(colon + 1);
    } else {
      a.host = rest;
      a.port = "2375";
    }
    if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') {
      a.host = a.host.substr(1, a.host.size() - 2);
    }
    if (a.host.empty() || a.port.empty() ||
        a.port.find_first_not_of("0123456789") != std::string::npos) {
      return Status::Invalid("engine address " + host + ": expected tcp://host:port");
    }
    return a;
  }
  return Status::Invalid("engine address " + host +
                         ": expected unix:///path/to/docker.sock or tcp://host:port");
}

int compareApiVersions(const std::string& a, const std::string& b) {
  auto pa = versionParts(a), pb = versionParts(b);
  if (pa.first != pb.first) return pa.first < pb.first ? -1 : 1;
  if (pa.second != pb.second) return pa.second < pb.second ? -1 : 1;
  return 0;
}

std::string negotiateApiVersion(const std::string& server, const std::string& ours) {
  if (server.empty()) return ours;
  return compareApiVersions(server, ours) < 0 ? server : ours;
}

std::string queryEscape(std::string_view s) { return escape(s, ""); }

std::string pathEscape(std::string_view s, bool keepSlashes) {
  return escape(s, keepSlashes ? ":@/" : ":@");
}

std::string filtersJson(const Filters& filters) {
  json j = json::object();
  for (const auto& [name, values] : filters) j[name] = values;
  return j.dump();
}

Query& Query::add(const std::string& key, const std::string& value) {
  text_ += text_.empty() ? "?" : "&";
  text_ += queryEscape(key) + "=" + queryEscape(value);
  return *this;
}

std::string Query::str() const { return text_; }

Status statusFromHttp(unsigned httpStatus, const std::string& body) {
  if (httpStatus >= 200 && httpStatus < 300) return Status::Ok();
  std::string message;
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) message = str(j, "message");
  if (message.empty()) {
    message = body;
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
      message.pop_back();
    }
  }
  if (message.empty()) message = "the engine answered HTTP " + std::to_string(httpStatus);
  switch (httpStatus) {
    case 304:
      return Status::NotModified(message);
    case 400:
      return Status::Invalid(message);
    case 404:
      return Status::NotFound(message);
    case 409:
      return Status::Conflict(message);
    default:
      return Status::Internal(message);
  }
}

EngineVersion parseVersion(const json& j) {
  EngineVersion v;
  v.version = str(j, "Version");
  v.apiVersion = str(j, "ApiVersion");
  v.minApiVersion = str(j, "MinAPIVersion");
  v.os = str(j, "Os");
  v.arch = str(j, "Arch");
  v.kernelVersion = str(j, "KernelVersion");
  return v;
}

EngineInfo parseInfo(const json& j) {
  EngineInfo i;
  i.name = str(j, "Name");
  i.serverVersion = str(j, "ServerVersion");
  i.memTotal = i64(j, "MemTotal");
  i.ncpu = static_cast<int>(i64(j, "NCPU"));
  i.dockerRootDir = str(j, "DockerRootDir");
  i.cgroupVersion = str(j, "CgroupVersion");
  i.systemTime = str(j, "SystemTime");
  i.operatingSystem = str(j, "OperatingSystem");
  i.containers = static_cast<int>(i64(j, "Containers"));
  i.containersRunning = static_cast<int>(i64(j, "ContainersRunning"));
  return i;
}

ContainerSummary parseContainerSummary(const json& j) {
  ContainerSummary c;
  c.id = str(j, "Id");
  const json* names = field(j, "Names");
  if (names && names->is_array() && !names->empty() && names->front().is_string()) {
    c.name = withoutSlash(names->front().get<std::string>());
  }
  c.image = str(j, "Image");
  c.imageId = str(j, "ImageID");
  c.state = str(j, "State");
  c.status = str(j, "Status");
  c.labels = stringMap(j, "Labels");
  c.created = i64(j, "Created");
  return c;
}

ContainerInfo parseContainerInfo(json j) {
  ContainerInfo c;
  c.id = str(j, "Id");
  c.name = withoutSlash(str(j, "Name"));
  c.image = str(j, "Image");
  const json& config = object(j, "Config");
  c.configImage = str(config, "Image");
  c.labels = stringMap(config, "Labels");
  c.tty = boolean(config, "Tty");
  const json& state = object(j, "State");
  c.state.status = str(state, "Status");
  c.state.running = boolean(state, "Running");
  c.state.paused = boolean(state, "Paused");
  c.state.restarting = boolean(state, "Restarting");
  c.state.oomKilled = boolean(state, "OOMKilled");
  c.state.dead = boolean(state, "Dead");
  c.state.pid = static_cast<int>(i64(state, "Pid"));
  c.state.exitCode = static_cast<int>(i64(state, "ExitCode"));
  c.state.error = str(state, "Error");
  c.state.startedAt = str(state, "StartedAt");
  c.state.finishedAt = str(state, "FinishedAt");
  const json& health = object(state, "Health");
  c.state.health = str(health, "Status");
  c.state.failingStreak = static_cast<int>(i64(health, "FailingStreak"));
  c.restartCount = static_cast<int>(i64(j, "RestartCount"));
  const json& networks = object(object(j, "NetworkSettings"), "Networks");
  for (auto it = networks.begin(); it != networks.end(); ++it) {
    c.networkIps[it.key()] = str(*it, "IPAddress");
  }
  c.memoryLimit = i64(object(j, "HostConfig"), "Memory");
  c.raw = std::move(j);
  return c;
}

NetworkInfo parseNetwork(const json& j) {
  NetworkInfo n;
  n.id = str(j, "Id");
  n.name = str(j, "Name");
  n.driver = str(j, "Driver");
  n.internal = boolean(j, "Internal");
  n.labels = stringMap(j, "Labels");
  const json& containers = object(j, "Containers");
  for (auto it = containers.begin(); it != containers.end(); ++it) {
    n.containerIds.push_back(it.key());
  }
  return n;
}

VolumeInfo parseVolume(const json& j) {
  VolumeInfo v;
  v.name = str(j, "Name");
  v.driver = str(j, "Driver");
  v.mountpoint = str(j, "Mountpoint");
  v.labels = stringMap(j, "Labels");
  v.createdAt = str(j, "CreatedAt");
  return v;
}

ImageInfo parseImage(const json& j) {
  ImageInfo i;
  i.id = str(j, "Id");
  const json* tags = field(j, "RepoTags");
  if (tags && tags->is_array()) {
    for (const auto& t : *tags) {
      if (t.is_string()) i.repoTags.push_back(t.get<std::string>());
    }
  }
  i.size = i64(j, "Size");
  i.labels = stringMap(object(j, "Config"), "Labels");
  return i;
}

ImageInfo parseImageSummary(const json& j) {
  ImageInfo i = parseImage(j);
  i.labels = stringMap(j, "Labels");
  return i;
}

DiskUsage parseDiskUsage(const json& j) {
  DiskUsage d;
  d.layersSize = i64(j, "LayersSize");
  auto sized = [](const json& entry, const char* key) {
    const json* f = field(entry, key);
    return f && f->is_number() ? i64(entry, key) : int64_t{-1};
  };
  if (const json* list = field(j, "Containers"); list && list->is_array()) {
    for (const auto& c : *list) d.containers[str(c, "Id")] = sized(c, "SizeRw");
  }
  if (const json* list = field(j, "Images"); list && list->is_array()) {
    for (const auto& i : *list) d.images[str(i, "Id")] = sized(i, "Size");
  }
  if (const json* list = field(j, "Volumes"); list && list->is_array()) {
    for (const auto& v : *list) {
      // UsageData.Size is -1 when the engine did not compute it.
      const json& usage = object(v, "UsageData");
      d.volumes[str(v, "Name")] = usage.contains("Size") ? sized(usage, "Size") : -1;
    }
  }
  return d;
}

PruneReport parsePruneReport(const json& j, const char* listKey) {
  PruneReport r;
  r.spaceReclaimed = i64(j, "SpaceReclaimed");
  if (const json* list = field(j, listKey); list && list->is_array()) {
    for (const auto& item : *list) {
      if (item.is_string()) {
        r.deleted.push_back(item.get<std::string>());
      } else if (item.is_object()) {
        // Images: [{"Untagged": "..."}, {"Deleted": "sha256:..."}]
        std::string d = str(item, "Deleted");
        if (!d.empty()) r.deleted.push_back(d);
      }
    }
  }
  return r;
}

std::optional<EngineEvent> parseEvent(const json& j) {
  if (!j.is_object()) return std::nullopt;
  EngineEvent e;
  e.type = str(j, "Type");
  e.action = str(j, "Action");
  if (e.action.empty()) e.action = str(j, "status");  // the pre-1.22 field
  const json& actor = object(j, "Actor");
  e.id = str(actor, "ID");
  if (e.id.empty()) e.id = str(j, "id");
  e.attributes = stringMap(actor, "Attributes");
  e.time = i64(j, "time");
  e.timeNano = i64(j, "timeNano");
  if (e.type.empty() && e.action.empty()) return std::nullopt;
  return e;
}

void LineSplitter::feed(std::string_view data,
                        const std::function<void(std::string_view)>& onLine) {
  while (!data.empty()) {
    size_t nl = data.find('\n');
    if (nl == std::string_view::npos) {
      pending_.append(data.data(), data.size());
      return;
    }
    if (pending_.empty()) {
      onLine(data.substr(0, nl));
    } else {
      pending_.append(data.data(), nl);
      std::string line;
      line.swap(pending_);
      onLine(line);
    }
    data.remove_prefix(nl + 1);
  }
}

void LineSplitter::finish(const std::function<void(std::string_view)>& onLine) {
  if (pending_.empty()) return;
  std::string line;
  line.swap(pending_);
  onLine(line);
}

namespace {

// True when `body` starts like a stream of log frames.
bool looksFramed(std::string_view body) {
  if (body.size() < 8) return body.empty();
  auto b = [&](size_t i) { return static_cast<unsigned char>(body[i]); };
  return b(0) <= 2 && b(1) == 0 && b(2) == 0 && b(3) == 0;
}

void splitRaw(std::string_view body, LogLine::Stream stream, std::vector<LogLine>& out) {
  LineSplitter splitter;
  auto add = [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(LogLine{stream, std::string(line)});
  };
  splitter.feed(body, add);
  splitter.finish(add);
}

}  // namespace

ContainerStats parseStats(const nlohmann::json& j) {
  ContainerStats out;
  if (!j.is_object() || !j.contains("memory_stats") || !j["memory_stats"].is_object()) return out;
  const nlohmann::json& m = j["memory_stats"];
  auto num = [](const nlohmann::json& o, const char* key) -> int64_t {
    return o.contains(key) && o[key].is_number() ? o[key].get<int64_t>() : 0;
  };
  int64_t usage = num(m, "usage");
  int64_t cache = 0;
  if (m.contains("stats") && m["stats"].is_object()) {
    const nlohmann::json& st = m["stats"];
    // cgroup v2 names it inactive_file, v1 total_inactive_file; older
    // engines subtracted "cache".
    if (st.contains("inactive_file")) {
      cache = num(st, "inactive_file");
    } else if (st.contains("total_inactive_file")) {
      cache = num(st, "total_inactive_file");
    } else {
      cache = num(st, "cache");
    }
  }
  out.memoryUsageBytes = cache < usage ? usage - cache : usage;
  out.memoryLimitBytes = num(m, "limit");
  if (j.contains("cpu_stats") && j["cpu_stats"].is_object()) {
    const nlohmann::json& c = j["cpu_stats"];
    if (c.contains("cpu_usage") && c["cpu_usage"].is_object())
      out.cpuTotalNs = num(c["cpu_usage"], "total_usage");
    out.systemCpuNs = num(c, "system_cpu_usage");
    out.onlineCpus = static_cast<int>(num(c, "online_cpus"));
  }
  return out;
}

void FrameDecoder::feed(std::string_view data, const Output& onOutput) {
  if (raw_) {
    if (!data.empty()) onOutput(LogLine::Stream::kStdout, data);
    return;
  }
  pending_.append(data.data(), data.size());
  size_t pos = 0;
  while (pending_.size() - pos >= 8) {
    auto b = [&](size_t i) {
      return static_cast<uint32_t>(static_cast<unsigned char>(pending_[pos + i]));
    };
    uint32_t size = (b(4) << 24) | (b(5) << 16) | (b(6) << 8) | b(7);
    if (pending_.size() - pos - 8 < size) break;
    LogLine::Stream stream = pending_[pos] == 2 ? LogLine::Stream::kStderr : LogLine::Stream::kStdout;
    if (size > 0) onOutput(stream, std::string_view(pending_).substr(pos + 8, size));
    pos += 8 + size;
  }
  pending_.erase(0, pos);
}

void FrameLineSplitter::feed(std::string_view data, const OnLine& onLine) {
  decoder_.feed(data, [&](LogLine::Stream s, std::string_view piece) {
    LineSplitter& lines = s == LogLine::Stream::kStderr ? err_ : out_;
    lines.feed(piece, [&](std::string_view line) {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      onLine(LogLine{s, std::string(line)});
    });
  });
}

void FrameLineSplitter::finish(const OnLine& onLine) {
  auto flush = [&](LineSplitter& lines, LogLine::Stream s) {
    lines.finish([&](std::string_view line) {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      onLine(LogLine{s, std::string(line)});
    });
  };
  flush(out_, LogLine::Stream::kStdout);
  flush(err_, LogLine::Stream::kStderr);
}

std::vector<LogLine> decodeLogs(std::string_view body, bool tty) {
  std::vector<LogLine> out;
  if (tty || !looksFramed(body)) {
    splitRaw(body, LogLine::Stream::kStdout, out);
    return out;
  }
  LineSplitter out_lines, err_lines;
  auto sink = [&out](LogLine::Stream s) {
    return [&out, s](std::string_view line) { out.push_back(LogLine{s, std::string(line)}); };
  };
  auto toStdout = sink(LogLine::Stream::kStdout);
  auto toStderr = sink(LogLine::Stream::kStderr);
  size_t pos = 0;
  while (pos + 8 <= body.size()) {
    auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(body[i])); };
    unsigned char stream = static_cast<unsigned char>(body[pos]);
    uint32_t size = (b(pos + 4) << 24) | (b(pos + 5) << 16) | (b(pos + 6) << 8) | b(pos + 7);
    pos += 8;
    std::string_view payload = body.substr(pos, std::min<size_t>(size, body.size() - pos));
    pos += payload.size();
    // Stream 0 (stdin) only appears for attached TTY-less stdin; treat it as stdout.
    if (stream == 2) {
      err_lines.feed(payload, toStderr);
    } else {
      out_lines.feed(payload, toStdout);
    }
  }
  out_lines.finish(toStdout);
  err_lines.finish(toStderr);
  return out;
}

void BuildMessageScanner::line(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return;
  if (error_.empty()) {
    std::string detail = str(object(j, "errorDetail"), "message");
    std::string err = str(j, "error");
    if (!detail.empty()) {
      error_ = detail;
    } else if (!err.empty()) {
      error_ = err;
    }
  }
  std::string id = str(object(j, "aux"), "ID");
  if (!id.empty()) imageId_ = id;
  std::string stream = str(j, "stream");
  while (!stream.empty() && (stream.back() == '\n' || stream.back() == '\r')) stream.pop_back();
  if (!stream.empty()) {
    const std::string built = "Successfully built ";
    if (imageId_.empty() && stream.compare(0, built.size(), built) == 0) {
      imageId_ = stream.substr(built.size());
    }
    tail_.push_back(stream);
    if (tail_.size() > 10) tail_.erase(tail_.begin());
  }
}

}  // namespace engine_codec
}  // namespace tender

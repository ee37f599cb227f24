// InstrumentedEngine: every DockerEngine call timed and counted by operation
// (engine/instrumented_engine.h).
#include "engine/instrumented_engine.h"

#include <algorithm>

namespace tender {
namespace {

const Status& statusOf(const Status& s) { return s; }
template <typename T>
const Status& statusOf(const Result<T>& r) {
  return r.status();
}

}  // namespace

InstrumentedEngine::InstrumentedEngine(DockerEngine& inner, Clock& clock) : inner_(inner), clock_(clock) {}

template <typename F>
auto InstrumentedEngine::timed(const char* op, F&& call) -> decltype(call()) {
  const MonoTime start = clock_.monotonic();
  auto result = call();
  const double seconds = std::chrono::duration<double>(clock_.monotonic() - start).count();
  record(op, statusOf(result), seconds);
  return result;
}

void InstrumentedEngine::record(const char* op, const Status& status, double seconds) {
  const auto& bounds = DurationHistogram::bounds();
  std::lock_guard<std::mutex> l(mu_);
  Counters& c = counters_[op];
  if (c.buckets.empty()) c.buckets.assign(bounds.size() + 1, 0);
  ++c.calls;
  if (!status.ok()) ++c.errors[status.reason()];
  const size_t i = DurationHistogram::bucketOf(seconds);
  ++c.buckets[i];
  c.sum += seconds;
}

std::map<std::string, EngineCallStats> InstrumentedEngine::snapshot() const {
  std::lock_guard<std::mutex> l(mu_);
  std::map<std::string, EngineCallStats> out;
  for (const auto& [op, c] : counters_) {
    EngineCallStats& s = out[op];
    s.calls = c.calls;
    s.errors = c.errors;
    s.duration.sum = c.sum;
    s.duration.count = c.calls;
    uint64_t running = 0;
    for (uint64_t b : c.buckets) s.duration.cumulative.push_back(running += b);
  }
  return out;
}

Status InstrumentedEngine::ping() {
  return timed("ping", [&] { return inner_.ping(); });
}
Result<EngineVersion> InstrumentedEngine::version() {
  return timed("version", [&] { return inner_.version(); });
}
Result<EngineInfo> InstrumentedEngine::info() {
  return timed("info", [&] { return inner_.info(); });
}
Result<std::vector<ContainerSummary>> InstrumentedEngine::listContainers(const Filters& filters, bool all) {
  return timed("list_containers", [&] { return inner_.listContainers(filters, all); });
}
Result<ContainerInfo> InstrumentedEngine::inspectContainer(const std::string& idOrName) {
  return timed("inspect_container", [&] { return inner_.inspectContainer(idOrName); });
}
Status InstrumentedEngine::copyToContainer(const std::string& id, const std::string& path,
                                           const std::string& tar) {
  return timed("copy_to_container", [&] { return inner_.copyToContainer(id, path, tar); });
}

Result<std::string> InstrumentedEngine::createContainer(const std::string& name, const nlohmann::json& body) {
  return timed("create_container", [&] { return inner_.createContainer(name, body); });
}
Status InstrumentedEngine::startContainer(const std::string& id) {
  return timed("start_container", [&] { return inner_.startContainer(id); });
}
Status InstrumentedEngine::stopContainer(const std::string& id, int timeoutSeconds) {
  return timed("stop_container", [&] { return inner_.stopContainer(id, timeoutSeconds); });
}
Status InstrumentedEngine::killContainer(const std::string& id, const std::string& signal) {
  return timed("kill_container", [&] { return inner_.killContainer(id, signal); });
}
Status InstrumentedEngine::removeContainer(const std::string& id, bool force, bool removeVolumes) {
  return timed("remove_container", [&] { return inner_.removeContainer(id, force, removeVolumes); });
}
Result<std::vector<LogLine>> InstrumentedEngine::containerLogs(const std::string& id, const LogOptions& options) {
  return timed("container_logs", [&] { return inner_.containerLogs(id, options); });
}
Result<ContainerStats> InstrumentedEngine::containerStats(const std::string& id) {
  return timed("container_stats", [&] { return inner_.containerStats(id); });
}
std::unique_ptr<EngineStream> InstrumentedEngine::streamEvents(const Filters& filters, const std::string& since,
                                                               EventStreamCallbacks callbacks) {
  // Opening is counted; a stream's life is not a call's latency.
  record("stream_events", Status::Ok(), 0);
  return inner_.streamEvents(filters, since, std::move(callbacks));
}
Result<std::string> InstrumentedEngine::createNetwork(const std::string& name, const nlohmann::json& body) {
  return timed("create_network", [&] { return inner_.createNetwork(name, body); });
}
Result<std::vector<NetworkInfo>> InstrumentedEngine::listNetworks(const Filters& filters) {
  return timed("list_networks", [&] { return inner_.listNetworks(filters); });
}
Result<NetworkInfo> InstrumentedEngine::inspectNetwork(const std::string& idOrName) {
  return timed("inspect_network", [&] { return inner_.inspectNetwork(idOrName); });
}
Status InstrumentedEngine::removeNetwork(const std::string& idOrName) {
  return timed("remove_network", [&] { return inner_.removeNetwork(idOrName); });
}
Status InstrumentedEngine::connectNetwork(const std::string& network, const std::string& container,
                                          const std::vector<std::string>& aliases) {
  return timed("connect_network", [&] { return inner_.connectNetwork(network, container, aliases); });
}
Result<VolumeInfo> InstrumentedEngine::createVolume(const std::string& name, const std::string& driver,
                                                    const Labels& labels,
                                                    const std::map<std::string, std::string>& driverOpts) {
  return timed("create_volume", [&] { return inner_.createVolume(name, driver, labels, driverOpts); });
}
Result<std::vector<VolumeInfo>> InstrumentedEngine::listVolumes(const Filters& filters) {
  return timed("list_volumes", [&] { return inner_.listVolumes(filters); });
}
Result<VolumeInfo> InstrumentedEngine::inspectVolume(const std::string& name) {
  return timed("inspect_volume", [&] { return inner_.inspectVolume(name); });
}
Status InstrumentedEngine::removeVolume(const std::string& name, bool force) {
  return timed("remove_volume", [&] { return inner_.removeVolume(name, force); });
}
Result<ImageInfo> InstrumentedEngine::inspectImage(const std::string& nameOrId) {
  return timed("inspect_image", [&] { return inner_.inspectImage(nameOrId); });
}
Status InstrumentedEngine::removeImage(const std::string& nameOrId, bool force) {
  return timed("remove_image", [&] { return inner_.removeImage(nameOrId, force); });
}

Result<std::vector<ImageInfo>> InstrumentedEngine::listImages(const Filters& filters) {
  return timed("list_images", [&] { return inner_.listImages(filters); });
}

Result<DiskUsage> InstrumentedEngine::diskUsage() {
  return timed("disk_usage", [&] { return inner_.diskUsage(); });
}

Result<PruneReport> InstrumentedEngine::prune(const std::string& what, const Filters& filters) {
  return timed("prune", [&] { return inner_.prune(what, filters); });
}
Result<std::string> InstrumentedEngine::buildImage(const std::string& contextTar, const BuildOptions& options) {
  return timed("build_image", [&] { return inner_.buildImage(contextTar, options); });
}

}  // namespace tender

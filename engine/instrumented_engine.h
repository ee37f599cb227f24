// InstrumentedEngine: a DockerEngine that times every call it passes on to
// another, for GET /metrics (engine call latency and errors by operation).
//
// Thread-safety: as the wrapped engine; the counters take their own lock.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "base/clock.h"
#include "base/histogram.h"
#include "engine/docker_engine.h"

namespace tender {

struct EngineCallStats {
  uint64_t calls = 0;
  std::map<std::string, uint64_t> errors;  // by Status reason ("NotFound", "Unavailable", ...)
  DurationHistogram duration;
};

class InstrumentedEngine : public DockerEngine {
 public:
  // `inner` and `clock` must outlive this.
  InstrumentedEngine(DockerEngine& inner, Clock& clock);

  // By operation ("list_containers", "start_container", ...).
  std::map<std::string, EngineCallStats> snapshot() const;

  Status ping() override;
  std::string apiVersion() const override { return inner_.apiVersion(); }
  Result<EngineVersion> version() override;
  Result<EngineInfo> info() override;
  Result<std::vector<ContainerSummary>> listContainers(const Filters& filters, bool all) override;
  Result<ContainerInfo> inspectContainer(const std::string& idOrName) override;
  Result<std::string> createContainer(const std::string& name, const nlohmann::json& body) override;
  Status startContainer(const std::string& id) override;
  Status stopContainer(const std::string& id, int timeoutSeconds) override;
  Status killContainer(const std::string& id, const std::string& signal) override;
  Status removeContainer(const std::string& id, bool force, bool removeVolumes) override;
  Result<std::vector<LogLine>> containerLogs(const std::string& id, const LogOptions& options) override;
  Result<ContainerStats> containerStats(const std::string& id) override;
  Status copyToContainer(const std::string& id, const std::string& path, const std::string& tar) override;
  // Streams are passed on untimed, as streamEvents.
  std::unique_ptr<EngineStream> followLogs(const std::string& id, bool tty,
                                           const LogOptions& options,
                                           LogStreamCallbacks callbacks) override {
    return inner_.followLogs(id, tty, options, std::move(callbacks));
  }
  std::unique_ptr<ExecStream> exec(const std::string& containerId, const ExecOptions& options,
                                     ExecCallbacks callbacks) override {
    return inner_.exec(containerId, options, std::move(callbacks));
  }
  std::unique_ptr<EngineStream> streamEvents(const Filters& filters, const std::string& since,
                                             EventStreamCallbacks callbacks) override;
  Result<std::string> createNetwork(const std::string& name, const nlohmann::json& body) override;
  Result<std::vector<NetworkInfo>> listNetworks(const Filters& filters) override;
  Result<NetworkInfo> inspectNetwork(const std::string& idOrName) override;
  Status removeNetwork(const std::string& idOrName) override;
  Status connectNetwork(const std::string& network, const std::string& container,
                        const std::vector<std::string>& aliases) override;
  Result<VolumeInfo> createVolume(const std::string& name, const std::string& driver, const Labels& labels,
                                  const std::map<std::string, std::string>& driverOpts) override;
  Result<std::vector<VolumeInfo>> listVolumes(const Filters& filters) override;
  Result<VolumeInfo> inspectVolume(const std::string& name) override;
  Status removeVolume(const std::string& name, bool force) override;
  Result<ImageInfo> inspectImage(const std::string& nameOrId) override;
  Status removeImage(const std::string& nameOrId, bool force) override;
  Result<std::vector<ImageInfo>> listImages(const Filters& filters) override;
  Result<DiskUsage> diskUsage() override;
  Result<PruneReport> prune(const std::string& what, const Filters& filters) override;
  Result<std::string> buildImage(const std::string& contextTar, const BuildOptions& options) override;

 private:
  template <typename F>
  auto timed(const char* op, F&& call) -> decltype(call());
  void record(const char* op, const Status& status, double seconds);

  DockerEngine& inner_;
  Clock& clock_;
  mutable std::mutex mu_;
  struct Counters {
    uint64_t calls = 0;
    std::map<std::string, uint64_t> errors;
    std::vector<uint64_t> buckets;  // per bound, not cumulative; +Inf last
    double sum = 0;
  };
  std::map<std::string, Counters> counters_;
};

}  // namespace tender

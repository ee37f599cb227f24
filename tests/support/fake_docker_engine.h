// FakeDockerEngine: an in-memory Docker engine for unit tests.
//
// It keeps what the real engine keeps and answers as it answers, so code
// tested against it behaves the same against a real engine (a suite against
// the real engine pins the shared behaviour). What it models:
//   - containers: ids (64 hex digits; a unique prefix or the name, without a
//     leading '/', also finds one), unique valid names (a duplicate is Conflict with the engine's
//     message), labels, states created -> running -> exited, exit codes,
//     OOMKilled, health status when the config has a Healthcheck, the IPs of
//     the networks it is on while running. inspectContainer's `raw` has the
//     engine's shape: Config (the create body without HostConfig and
//     NetworkingConfig), HostConfig, Mounts, State, NetworkSettings.Networks.
//   - signals: a stop sends Config.StopSignal (SIGTERM by default), then
//     SIGKILL when the program ignores it; what the program does with a
//     signal is set with setSignalExit() (default: it dies of it, 128 + n).
//   - images added with addImage() or built with buildImage() (a new id per
//     build); creating from an unknown image is NotFound "No such image: ...".
//   - networks (bridge, host and none exist from the start) and volumes; a
//     named volume in HostConfig.Binds or Mounts is created on use, as the
//     engine does, and a volume in use cannot be removed. A volume Mount
//     without Source, or a path in Config.Volumes, gets an anonymous volume
//     (64 hex digits) that removeContainer(removeVolumes) takes along.
//   - list filters: label ("key" or "key=value", all must hold), name and id
//     (regular expressions searched in the name or id, as the engine does),
//     status (containers); several values of name/id/status are ORed. Other
//     filter names are Invalid, as the engine says for unknown ones.
//   - events for create, start, kill, die, oom, stop, destroy and
//     health_status, with the container's labels, name, image, exitCode (die)
//     and signal (kill) as attributes. Stream filters: type, event, label,
//     container; other names are ignored, as the engine ignores them on
//     /events, and a `since` that is no time ends the stream (Internal). The
//     last 256 events are replayed to a stream opened with `since`.
// Times come from the Clock given to the constructor.
//
// Thread-safety: every method may be called from any thread. Event callbacks
// run synchronously on the thread whose call caused the event (for example
// inside startContainer() or crash()), after the fake's lock is released;
// streamEvents() itself calls them for replayed events, and calls onEnd when
// a failNext("streamEvents", ...) error is due. After cancel() returns no
// callback of that stream runs (cancel() waits for one already running on
// another thread).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "tests/support/simulated_clock.h"
#include "engine/docker_engine.h"

namespace tender {

class FakeDockerEngine : public DockerEngine {
 public:
  // `clock` (not owned) dates states and events; it must outlive the fake.
  // Null: a SimulatedClock of the fake's own.
  explicit FakeDockerEngine(const Clock* clock = nullptr);
  ~FakeDockerEngine() override;

  // DockerEngine. Each call counts towards callCount(<method name>) and first
  // takes an error queued with failNext(<method name>, ...).
  Status ping() override;
  std::string apiVersion() const override;
  Result<EngineVersion> version() override;
  Result<EngineInfo> info() override;
  Result<std::vector<ContainerSummary>> listContainers(const Filters& filters,
                                                       bool all = true) override;
  Result<ContainerInfo> inspectContainer(const std::string& idOrName) override;
  Result<std::string> createContainer(const std::string& name, const nlohmann::json& body) override;
  Status startContainer(const std::string& id) override;
  Status stopContainer(const std::string& id, int timeoutSeconds) override;
  Status killContainer(const std::string& id, const std::string& signal = "SIGKILL") override;
  Status removeContainer(const std::string& id, bool force, bool removeVolumes) override;
  Status copyToContainer(const std::string& id, const std::string& path, const std::string& tar) override;
  Result<ContainerStats> containerStats(const std::string& id) override;
  Result<std::vector<LogLine>> containerLogs(const std::string& id,
                                             const LogOptions& options) override;
  std::unique_ptr<EngineStream> streamEvents(const Filters& filters, const std::string& since,
                                             EventStreamCallbacks callbacks) override;
  Result<std::string> createNetwork(const std::string& name, const nlohmann::json& body) override;
  Result<std::vector<NetworkInfo>> listNetworks(const Filters& filters) override;
  Result<NetworkInfo> inspectNetwork(const std::string& idOrName) override;
  Status removeNetwork(const std::string& idOrName) override;
  Status connectNetwork(const std::string& network, const std::string& container,
                        const std::vector<std::string>& aliases) override;
  Result<VolumeInfo> createVolume(const std::string& name, const std::string& driver,
                                  const Labels& labels,
                                  const std::map<std::string, std::string>& driverOpts) override;
  Result<std::vector<VolumeInfo>> listVolumes(const Filters& filters) override;
  Result<VolumeInfo> inspectVolume(const std::string& name) override;
  Status removeVolume(const std::string& name, bool force) override;
  Result<ImageInfo> inspectImage(const std::string& nameOrId) override;
  Status removeImage(const std::string& nameOrId, bool force) override;
  Result<std::vector<ImageInfo>> listImages(const Filters& filters) override;
  Result<std::string> buildImage(const std::string& contextTar,
                                 const BuildOptions& options) override;
  // Image sizes as addImage set them; containers and volumes take 0 bytes.
  Result<DiskUsage> diskUsage() override;
  // Removes through the public remove calls (which count too): stopped
  // containers, networks no container is on, dangling (untagged) images or,
  // with filter dangling=false, every image no container uses, unused volumes.
  Result<PruneReport> prune(const std::string& what, const Filters& filters) override;

  // --- Test controls. None of them counts as an engine call. ---

  // Makes an image known under `tag` ("busybox" means "busybox:latest").
  // Returns its id: `id` if given, else a new "sha256:..." one. Adding a tag
  // again moves it to the new id, as a rebuild does.
  std::string addImage(const std::string& tag, const std::string& id = "",
                       const Labels& labels = {});
  // A running container dies on its own: exit code, OOMKilled, and the oom
  // (when oomKilled) and die events. NotFound, or Invalid when not running.
  Status crash(const std::string& idOrName, int exitCode, bool oomKilled = false);
  // What the container's program does when a stop or a kill sends it
  // `signal` ("SIGTERM", "TERM" or "15"): exit with `exitCode` (a shell that
  // traps it and exits 0), or, with nullopt, ignore it (PID 1 without a
  // handler, such as sleep: a stop then sends SIGKILL, exit 137, events kill
  // <signal>, kill 9, die, stop; a kill leaves it running). By default a
  // signal ends the program with 128 + its number. SIGKILL cannot be caught:
  // Invalid. NotFound without such a container.
  Status setSignalExit(const std::string& idOrName, const std::string& signal,
                       std::optional<int> exitCode);
  // Sets the health status of a running container with a health check
  // ("healthy", "unhealthy", "starting"); a change emits "health_status: <s>".
  Status setHealth(const std::string& idOrName, const std::string& health);
  // Appends output that containerLogs() returns.
  Status appendLogs(const std::string& idOrName, const std::vector<LogLine>& lines);
  // Each tar copyToContainer put into the container, with its path, in order.
  std::vector<std::pair<std::string, std::string>> copiedInto(const std::string& idOrName) const;
  // The memory a running container reports in containerStats().
  Status setMemoryUsage(const std::string& idOrName, int64_t bytes);
  // The next call of `operation` (a DockerEngine method name such as
  // "createContainer") fails with `status` instead of acting. Several are
  // queued in order. Aborts on a name that is not a method.
  void failNext(const std::string& operation, Status status);
  // How many times `operation` was called, failed calls included.
  int callCount(const std::string& operation) const;
  void resetCallCounts();
  // Ends every open event stream with `status` (ok: the engine closed them,
  // as when it restarts). The streams' onEnd runs on this thread.
  void endEventStreams(const Status& status = Status::Ok());
  // What info() reports (memTotal, ncpu...).
  void setInfo(const EngineInfo& info);
  // The container as inspect would show it, without counting a call.
  std::optional<ContainerInfo> peekContainer(const std::string& idOrName) const;
  // How many containers exist, in any state.
  size_t containerCount() const;
  // Event streams still open (not cancelled, not ended).
  size_t openEventStreams() const;

 private:
  struct Container;
  struct Network;
  struct Volume;
  struct Image;
  struct Subscriber;
  class Stream;
  struct PendingEvents;

  Status begin(const char* operation);  // counts the call, returns a queued failure
  Container* findContainer(const std::string& idOrName);
  const Container* findContainer(const std::string& idOrName) const;
  Network* findNetwork(const std::string& idOrName);
  const Image* findImage(const std::string& nameOrId) const;
  ContainerInfo inspectLocked(const Container& c) const;
  std::string newId();
  std::string nowRfc3339() const;
  void emit(PendingEvents& out, const Container& c, const std::string& action, Labels extra = {});
  void deliver(PendingEvents& events);
  // The container's program ends with `exitCode`: state and the die event.
  void exitLocked(PendingEvents& out, Container& c, int exitCode);
  // Sends `signal` (the kill event); true when the program ended of it.
  bool signalLocked(PendingEvents& out, Container& c, int signal);
  int stopSignalOf(const Container& c) const;  // Config.StopSignal, SIGTERM by default
  void startLocked(Container& c);
  bool volumeInUse(const std::string& name) const;
  void ensureVolumeLocked(const std::string& name);
  // The volumes, binds and tmpfs of a new container: its Mounts, and the
  // named and anonymous volumes it uses (made when missing).
  void mountVolumesLocked(Container& c, const nlohmann::json& body,
                          const nlohmann::json& hostConfig);

  std::unique_ptr<SimulatedClock> ownClock_;
  const Clock* clock_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Container>> containers_;  // by id
  std::map<std::string, std::unique_ptr<Network>> networks_;      // by id
  std::map<std::string, std::unique_ptr<Volume>> volumes_;        // by name
  std::map<std::string, std::unique_ptr<Image>> images_;          // by id
  std::map<std::string, std::string> tags_;                       // "repo:tag" -> image id
  std::map<std::string, std::vector<Status>> failures_;
  std::map<std::string, int> calls_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
  std::vector<EngineEvent> history_;
  EngineInfo info_;
  bool negotiated_ = false;  // apiVersion() is empty until the first call
  uint64_t nextId_ = 1;
  int nextPid_ = 1000;
  int nextIp_ = 2;
};

}  // namespace tender

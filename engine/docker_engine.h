// DockerEngine: the narrow interface through which tender talks to a Docker
// engine. The real implementation (docker_engine_beast.h) speaks HTTP/1.1 to
// the Engine API over a unix socket or TCP with Boost.Beast; FakeDockerEngine
// (tests/support/fake_docker_engine.h) keeps containers, networks and volumes
// in memory for unit tests.
//
// Every call has a deadline and returns a Status instead of throwing. An
// engine that answers with an error passes its own message on
// ({"message": "..."}) in the Status. HTTP codes map onto Status codes:
// 404 -> NotFound, 409 -> Conflict, 304 -> NotModified, 400 -> Invalid,
// a refused or dropped connection -> Unavailable, a passed deadline -> Timeout,
// anything else -> Internal.
//
// Thread-safety: all methods may be called from any thread at once, EXCEPT the
// event-loop thread that the real client runs its I/O on (the synchronous
// calls block the caller until the I/O completes there). Event streams
// deliver their callbacks on that event-loop thread: callbacks must not block
// and must not call the synchronous methods.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace tender {

using Labels = std::map<std::string, std::string>;

// GET /version
struct EngineVersion {
  std::string version;        // "20.10.24"
  std::string apiVersion;     // the server's maximum, "1.41"
  std::string minApiVersion;  // "1.12"
  std::string os, arch, kernelVersion;
};

// GET /info (the engine's host: with DOCKER_HOST=tcp:// that is not this machine)
struct EngineInfo {
  std::string name;           // host name
  std::string serverVersion;
  int64_t memTotal = 0;       // bytes
  int ncpu = 0;
  std::string dockerRootDir;  // "/var/lib/docker"
  std::string cgroupVersion;  // "1" or "2"
  std::string systemTime;     // the engine host's clock, RFC 3339 ("" when not said)
  std::string operatingSystem;
  int containers = 0, containersRunning = 0;
};

// One entry of GET /containers/json
struct ContainerSummary {
  std::string id;
  std::string name;     // without the leading '/'
  std::string image;    // as the user named it
  std::string imageId;  // "sha256:..."
  std::string state;    // created | running | paused | restarting | removing | exited | dead
  std::string status;   // "Up 3 seconds", "Exited (1) 2 minutes ago"
  Labels labels;
  int64_t created = 0;  // Unix seconds
};

struct ContainerState {
  std::string status;  // as ContainerSummary::state
  bool running = false;
  bool paused = false;
  bool restarting = false;
  bool oomKilled = false;
  bool dead = false;
  int pid = 0;
  int exitCode = 0;
  std::string error;
  std::string startedAt;   // RFC 3339 with nanoseconds, "0001-01-01T00:00:00Z" if never
  std::string finishedAt;
  std::string health;      // "" (no health check), starting | healthy | unhealthy
  int failingStreak = 0;
};

// GET /containers/{id}/json
struct ContainerInfo {
  std::string id;
  std::string name;     // without the leading '/'
  std::string image;    // the image ID the container was created from ("sha256:...")
  std::string configImage;  // Config.Image, as the user named it
  Labels labels;
  ContainerState state;
  bool tty = false;
  int restartCount = 0;
  std::map<std::string, std::string> networkIps;  // network name -> IPv4 address
  int64_t memoryLimit = 0;                        // HostConfig.Memory
  nlohmann::json raw;                             // the whole answer
};

// GET /networks, /networks/{id}
struct NetworkInfo {
  std::string id;
  std::string name;
  std::string driver;
  bool internal = false;
  Labels labels;
  std::vector<std::string> containerIds;  // only filled by inspect
};

// GET /volumes, /volumes/{name}
struct VolumeInfo {
  std::string name;
  std::string driver;
  std::string mountpoint;
  Labels labels;
  std::string createdAt;
};

// GET /images/{name}/json
struct ImageInfo {
  std::string id;  // "sha256:..."
  std::vector<std::string> repoTags;
  int64_t size = 0;
  Labels labels;
};

// One line of the /events stream.
struct EngineEvent {
  std::string type;    // "container", "network", ...
  std::string action;  // "die", "start", "health_status: healthy", ...
  std::string id;      // Actor.ID
  Labels attributes;   // Actor.Attributes: the container's labels plus name, image, exitCode...
  int64_t time = 0;       // Unix seconds
  int64_t timeNano = 0;   // Unix nanoseconds
};

// Filters for list calls and the events stream. Each entry is one Engine API
// filter name ("label", "type", "event", "name", "status"...) with its values;
// the engine ANDs label values and ORs other values of one name.
using Filters = std::map<std::string, std::vector<std::string>>;

struct LogOptions {
  bool stdoutStream = true;
  bool stderrStream = true;
  int tail = -1;              // -1: all lines
  std::string until;          // RFC 3339 or Unix seconds; "" for none
  std::string since;          // Unix seconds ("1700000000.123456789"); "" for none
  bool timestamps = false;
};

// One demultiplexed chunk of container output.
struct LogLine {
  enum class Stream { kStdout, kStderr };
  Stream stream = Stream::kStdout;
  std::string text;  // one line, without its trailing newline
};

// One sample of a container's resource use.
struct ContainerStats {
  // Memory in use without the page cache the kernel can drop (what `docker
  // stats` shows): usage minus inactive_file (cgroup v2) or cache (v1).
  int64_t memoryUsageBytes = 0;
  int64_t memoryLimitBytes = 0;  // 0 when the engine reports none
  // CPU time the container used and the host's CPU time, both cumulative
  // nanoseconds (cpu_stats): two samples give a rate. 0 when not reported.
  int64_t cpuTotalNs = 0;
  int64_t systemCpuNs = 0;
  int onlineCpus = 0;
};

// GET /system/df: what the engine's objects take on its disk. A size the
// engine did not compute is -1.
struct DiskUsage {
  std::map<std::string, int64_t> containers;  // id -> writable layer (SizeRw)
  std::map<std::string, int64_t> images;      // id -> size (shared layers counted in each)
  std::map<std::string, int64_t> volumes;     // name -> size of its data
  int64_t layersSize = 0;                     // all image layers, each counted once
};

// POST /{containers,networks,images,volumes}/prune
struct PruneReport {
  std::vector<std::string> deleted;  // ids or names, as the engine reports them
  int64_t spaceReclaimed = 0;
};

struct BuildOptions {
  std::string tag;                          // "tender-busybox:latest"
  std::string dockerfile = "Dockerfile";    // path inside the context
  std::map<std::string, std::string> buildArgs;
  std::string target;
  Labels labels;
};

// A long-lived stream (events). Destroying or cancelling it closes the
// connection; after cancel() no further callback is delivered.
class EngineStream {
 public:
  virtual ~EngineStream() = default;
  virtual void cancel() = 0;
};

struct LogStreamCallbacks {
  // Each line as it is written (on the engine's event-loop thread).
  std::function<void(const LogLine&)> onLine;
  // Exactly once, when the stream ends: ok() when the container stopped (the
  // engine ends a follow then), an error when it could not be opened or
  // broke. Not called after cancel().
  std::function<void(const Status&)> onEnd;
};

// A command run in a running container (POST /containers/{id}/exec).
struct ExecOptions {
  std::vector<std::string> cmd;
  bool tty = false;  // the output is then raw, stdout only
  // Whether the command has a stdin: what ExecStream::sendStdin sends
  // reaches it, and closeStdin() ends it. Without, its stdin is empty.
  bool attachStdin = false;
  // With tty: the terminal's size in characters, set once the command has
  // started (0: the engine's default, 80x24).
  int width = 0;
  int height = 0;
};

struct ExecCallbacks {
  // Output as it comes, in pieces (not lines), on the event-loop thread.
  std::function<void(LogLine::Stream, std::string_view)> onOutput;
  // Exactly once: the command's exit code when it ran (ok), or why it could
  // not be created, started or inspected. Not called after cancel().
  std::function<void(const Status&, int exitCode)> onEnd;
};

struct EventStreamCallbacks {
  // Each event as it arrives (on the engine's event-loop thread).
  std::function<void(const EngineEvent&)> onEvent;
  // Exactly once, when the stream ends: ok() when the engine closed it (for
  // example an engine restart), an error when it could not be opened or broke.
  // Not called after cancel().
  std::function<void(const Status&)> onEnd;
};

// A running exec, as its caller drives it: its stdin and its terminal.
// Every call returns at once, from any thread; what is sent before the
// command has started is queued, in order.
class ExecStream : public EngineStream {
 public:
  // Ignored without ExecOptions::attachStdin, or after closeStdin().
  virtual void sendStdin(std::string data) = 0;
  // The command reads the end of its input once what was sent is written.
  virtual void closeStdin() = 0;
  // The terminal's new size (POST /exec/{id}/resize); only the latest one
  // asked before the command started is applied. Ignored without a tty.
  virtual void resize(int width, int height) = 0;
};

class DockerEngine {
 public:
  virtual ~DockerEngine() = default;

  // GET /_ping, unversioned. Also (re)negotiates the API version.
  virtual Status ping() = 0;
  // The negotiated API version ("1.41"); empty before a successful ping.
  virtual std::string apiVersion() const = 0;
  virtual Result<EngineVersion> version() = 0;
  virtual Result<EngineInfo> info() = 0;

  // Containers. `all` includes stopped ones.
  virtual Result<std::vector<ContainerSummary>> listContainers(const Filters& filters,
                                                               bool all = true) = 0;
  virtual Result<ContainerInfo> inspectContainer(const std::string& idOrName) = 0;
  // POST /containers/create?name=NAME with `body` as the Engine API's
  // ContainerConfig (Image, Cmd, Env, Labels, HostConfig, NetworkingConfig...).
  // Returns the new container's id. A name in use gives Conflict.
  virtual Result<std::string> createContainer(const std::string& name,
                                              const nlohmann::json& body) = 0;
  // Start: NotModified when already running.
  virtual Status startContainer(const std::string& id) = 0;
  // Stop with `timeoutSeconds` grace before SIGKILL; the call's own deadline
  // is longer than that. NotModified when already stopped.
  virtual Status stopContainer(const std::string& id, int timeoutSeconds) = 0;
  virtual Status killContainer(const std::string& id, const std::string& signal = "SIGKILL") = 0;
  // force: kill a running container first; removeVolumes: its anonymous volumes too.
  virtual Status removeContainer(const std::string& id, bool force, bool removeVolumes) = 0;
  // Extracts `tar` into the container's filesystem at `path` (a directory
  // that exists), the entries' owners and modes as the tar gives them; the
  // container may be created and not yet started.
  virtual Status copyToContainer(const std::string& id, const std::string& path,
                                 const std::string& tar) = 0;
  // GET /containers/{id}/logs (not following), demultiplexed when the
  // container has no TTY.
  virtual Result<std::vector<LogLine>> containerLogs(const std::string& id,
                                                     const LogOptions& options) = 0;
  // GET /containers/{id}/logs?follow=1: the lines of `options` (tail,
  // since, timestamps), then each new one as it is written, until the
  // container stops or the stream is cancelled. `tty`: the container's
  // (ContainerInfo::tty), which says whether its output is framed. Returns
  // at once; callbacks say what happens. The default, for engines without
  // it, ends at once with Unavailable.
  virtual std::unique_ptr<EngineStream> followLogs(const std::string& id, bool tty,
                                                   const LogOptions& options,
                                                   LogStreamCallbacks callbacks);
  // Runs a command in a running container: create the exec, start it
  // attached (stdout and stderr; stdin when options.attachStdin), then read
  // its exit code. Returns at once; callbacks say what happens, and the
  // stream sends its input. The default ends at once with Unavailable.
  virtual std::unique_ptr<ExecStream> exec(const std::string& containerId,
                                             const ExecOptions& options,
                                             ExecCallbacks callbacks);
  // GET /containers/{id}/stats?stream=false&one-shot=true: one sample. A
  // container that does not run reports zero use.
  virtual Result<ContainerStats> containerStats(const std::string& id) = 0;

  // GET /events: a chunked stream of JSON lines. `since` is "" or
  // "<seconds>.<nanoseconds>". Returns at once; callbacks say what happens.
  virtual std::unique_ptr<EngineStream> streamEvents(const Filters& filters,
                                                     const std::string& since,
                                                     EventStreamCallbacks callbacks) = 0;

  // Networks. `body` is the Engine API's NetworkCreate (Driver, Internal,
  // Labels, ...); Name is set from `name`. Returns the id.
  virtual Result<std::string> createNetwork(const std::string& name, const nlohmann::json& body) = 0;
  virtual Result<std::vector<NetworkInfo>> listNetworks(const Filters& filters) = 0;
  virtual Result<NetworkInfo> inspectNetwork(const std::string& idOrName) = 0;
  virtual Status removeNetwork(const std::string& idOrName) = 0;
  virtual Status connectNetwork(const std::string& network, const std::string& container,
                                const std::vector<std::string>& aliases) = 0;

  // Volumes. Returns the volume as created.
  virtual Result<VolumeInfo> createVolume(const std::string& name, const std::string& driver,
                                          const Labels& labels,
                                          const std::map<std::string, std::string>& driverOpts) = 0;
  virtual Result<std::vector<VolumeInfo>> listVolumes(const Filters& filters) = 0;
  virtual Result<VolumeInfo> inspectVolume(const std::string& name) = 0;
  virtual Status removeVolume(const std::string& name, bool force) = 0;

  // Images.
  virtual Result<ImageInfo> inspectImage(const std::string& nameOrId) = 0;
  // GET /images/json (no intermediate images). Filters: label, dangling, reference.
  virtual Result<std::vector<ImageInfo>> listImages(const Filters& filters) = 0;
  // DELETE /images/{name}: untags, and removes the image when no tag is
  // left. force: even when a stopped container uses it.
  virtual Status removeImage(const std::string& nameOrId, bool force) = 0;
  // POST /build with `contextTar` (an uncompressed tar of the build context).
  // The engine answers 200 even when a step fails: the JSON message stream is
  // scanned for "error". Returns the built image's id.
  virtual Result<std::string> buildImage(const std::string& contextTar,
                                         const BuildOptions& options) = 0;

  // GET /system/df. Computing volume sizes walks their data: seconds on a
  // large host, so callers ask only when they report bytes.
  virtual Result<DiskUsage> diskUsage() = 0;
  // POST /{what}/prune, `what` one of containers, networks, images, volumes:
  // the engine's host-wide prune (every stopped container, unused network,
  // dangling image or unused volume, whoever made it). On API 1.41 a volume
  // prune removes named volumes too. tender calls it only when a user asks
  // for a host-wide prune.
  virtual Result<PruneReport> prune(const std::string& what, const Filters& filters) = 0;
};

}  // namespace tender

// Internal to engine/ (nothing outside this folder includes it): the parts
// of the real Engine API client that its two files share, with no Beast or
// Asio in sight so that only docker_engine_beast.cc pays for them.
//
// docker_engine_beast.cc runs exchanges (one HTTP request and its answer on a
// fresh connection) on the io_context; docker_engine_calls.cc builds each
// DockerEngine call's request, reads its answer, negotiates the API version
// and runs the events stream. They meet here: an ExchangeSpec goes in, a
// Reply (or a Status) comes out through ExchangeHandlers.
//
// Thread-safety: Transport's methods are safe from any thread; an Exchange is
// cancelled on the event loop only.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "engine/docker_engine.h"
#include "engine/docker_engine_beast.h"
#include "engine/docker_engine_codec.h"

namespace boost {
namespace asio {
class io_context;
}  // namespace asio
}  // namespace boost

namespace tender {
namespace engine_internal {

using Millis = std::chrono::milliseconds;

inline constexpr size_t kBodyLimit = size_t{64} << 20;

// The HTTP methods the Engine API calls use.
enum class HttpMethod { kGet, kPost, kPut, kDelete };
// "GET", "POST", "PUT", "DELETE".
const char* methodName(HttpMethod method);

// What came back from one HTTP exchange.
struct Reply {
  unsigned status = 0;      // 0: no answer header arrived
  std::string apiVersion;   // the Api-Version header
  std::string body;         // all of it, except the 2xx body of a streamed exchange
  bool peerClosed = false;  // the engine closed the connection before the body was complete
};

struct ExchangeSpec {
  HttpMethod method = HttpMethod::kGet;
  std::string target;
  std::string body;
  std::string contentType;
  // Connecting, sending, and reading the answer's header.
  Millis connectTimeout{30000};
  // The whole exchange; zero: no deadline once the answer has started.
  Millis timeout{0};
  size_t bodyLimit = kBodyLimit;  // not applied to a streamed 2xx body
  bool streaming = false;
  // Streaming only: the connection carries data both ways once a 2xx
  // answer's header has come (a hijacked exec's stdin): what
  // Transport::send() gives is written then, in order, and closeSend()
  // shuts the sending side once it is written, so the engine sees its end.
  bool duplex = false;
};

struct ExchangeHandlers {
  // Streaming only: once, when a 2xx answer's header has come.
  std::function<void()> onStarted;
  // Streaming only: each piece of a 2xx body as it arrives.
  std::function<void(std::string_view)> onData;
  // Exactly once, unless cancelled first: the transport's outcome and the answer.
  std::function<void(Status, Reply)> onDone;
};

// A running exchange, as its owner sees it.
class Exchange {
 public:
  virtual ~Exchange() = default;
  // REQUIRES: called on the event loop. No handler runs afterwards.
  virtual void cancel() = 0;
  // A duplex exchange's data to write, and the end of it (see
  // ExchangeSpec::duplex); ignored by others. REQUIRES: on the event loop.
  virtual void send(std::string data) { (void)data; }
  virtual void closeSend() {}
};

// "GET /v1.45/containers/json": an exchange, for messages.
std::string describe(const ExchangeSpec& spec);

// Why an exchange failed below HTTP, and the Status each failure becomes:
// the deadline passed (Timeout), the engine could not be reached
// (Unavailable), the answer was too large (Internal), or the connection broke
// (Unavailable). `engine` is the address as written; `cause` the transport's
// own words.
enum class ExchangeFailure { kTimeout, kConnect, kBodyLimit, kBroken };
Status exchangeFailure(ExchangeFailure failure, const std::string& engine,
                       const ExchangeSpec& spec, const std::string& cause);

// What the engine object and its streams share: where the engine is, and the
// negotiated API version. Streams keep it alive after the engine object goes.
class Transport {
 public:
  Transport(boost::asio::io_context& ioc, EngineOptions options);

  boost::asio::io_context& ioc() { return ioc_; }
  const EngineOptions& options() const { return options_; }
  bool onLoopThread() const;

  std::shared_ptr<Exchange> start(ExchangeSpec spec, ExchangeHandlers handlers);
  // From any thread: each runs on the event loop, in the order called.
  void cancel(const std::shared_ptr<Exchange>& ex);
  void send(const std::shared_ptr<Exchange>& ex, std::string data);
  void closeSend(const std::shared_ptr<Exchange>& ex);

  std::string apiVersion() const;
  // Takes the version to speak from a /_ping answer.
  void negotiate(const Reply& ping);
  ExchangeSpec pingSpec() const;

 private:
  template <class Protocol>
  std::shared_ptr<Exchange> startAs(ExchangeSpec spec, ExchangeHandlers handlers);

  boost::asio::io_context& ioc_;
  EngineOptions options_;
  Result<engine_codec::EngineAddress> address_;
  std::string pinnedVersion_;
  mutable std::mutex mu_;
  std::string apiVersion_;
};

// The standalone engine's own event loop (docker_engine_beast.cc).
class OwnedLoop;

// The DockerEngine over a Transport. Its constructors and destructor are in
// docker_engine_beast.cc (they own or borrow the loop), its calls in
// docker_engine_calls.cc.
class BeastDockerEngine : public DockerEngine {
 public:
  BeastDockerEngine(boost::asio::io_context& ioc, EngineOptions options);
  // The standalone form: owns the loop it runs on.
  BeastDockerEngine(std::unique_ptr<OwnedLoop> loop, EngineOptions options);
  ~BeastDockerEngine() override;

  Status ping() override;
  std::string apiVersion() const override;
  Result<EngineVersion> version() override;
  Result<EngineInfo> info() override;
  Result<std::vector<ContainerSummary>> listContainers(const Filters& filters, bool all) override;
  Result<ContainerInfo> inspectContainer(const std::string& idOrName) override;
  Result<std::string> createContainer(const std::string& name, const nlohmann::json& body) override;
  Status startContainer(const std::string& id) override;
  Status stopContainer(const std::string& id, int timeoutSeconds) override;
  Status killContainer(const std::string& id, const std::string& signal) override;
  Status removeContainer(const std::string& id, bool force, bool removeVolumes) override;
  Status copyToContainer(const std::string& id, const std::string& path, const std::string& tar) override;
  Result<std::vector<LogLine>> containerLogs(const std::string& id,
                                             const LogOptions& options) override;
  Result<ContainerStats> containerStats(const std::string& id) override;
  // In docker_engine_streams.cc.
  std::unique_ptr<EngineStream> followLogs(const std::string& id, bool tty,
                                           const LogOptions& options,
                                           LogStreamCallbacks callbacks) override;
  std::unique_ptr<ExecStream> exec(const std::string& containerId, const ExecOptions& options,
                                     ExecCallbacks callbacks) override;
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
  Status removeImage(const std::string& nameOrId, bool force) override;
  Result<std::vector<ImageInfo>> listImages(const Filters& filters) override;
  Result<DiskUsage> diskUsage() override;
  Result<PruneReport> prune(const std::string& what, const Filters& filters) override;
  Result<ImageInfo> inspectImage(const std::string& nameOrId) override;
  Result<std::string> buildImage(const std::string& contextTar,
                                 const BuildOptions& options) override;

 private:
  // Waits for one exchange on the loop. `onData` (optional) makes it a stream.
  Result<Reply> roundTrip(ExchangeSpec spec,
                          std::function<void(std::string_view)> onData = nullptr);
  Status ensureVersion();
  // A versioned call whose non-2xx answers become errors.
  Result<Reply> call(HttpMethod method, const std::string& path,
                     const std::optional<nlohmann::json>& body = std::nullopt,
                     Millis timeout = Millis(0));
  Status callStatus(HttpMethod method, const std::string& path,
                    const std::optional<nlohmann::json>& body = std::nullopt);
  Status callStatusWithin(HttpMethod method, const std::string& path, Millis timeout);
  Result<nlohmann::json> callJson(HttpMethod method, const std::string& path,
                                  const std::optional<nlohmann::json>& body = std::nullopt);
  static Result<std::string> idFrom(const nlohmann::json& j, const std::string& what);

  std::unique_ptr<OwnedLoop> loop_;  // only in the standalone form; declared first, ended last
  std::shared_ptr<Transport> transport_;
};

}  // namespace engine_internal
}  // namespace tender

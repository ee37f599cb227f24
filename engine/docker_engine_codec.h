// The pure half of the Engine API client: addresses, API versions, query
// strings, the decoding of answers, log frames and JSON-line streams. No I/O
// and no Beast, so all of it is tested without an engine. Used by the real
// client (docker_engine_calls.cc, docker_engine_beast.cc); nothing else needs
// to include it.
//
// Thread-safety: free functions are pure; LineSplitter and
// BuildMessageScanner are values owned by one caller.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/docker_engine.h"
#include "base/status.h"

namespace tender {
namespace engine_codec {

inline constexpr const char* kDefaultEngineHost = "unix:///var/run/docker.sock";

struct EngineAddress {
  enum class Kind { kUnix, kTcp };
  Kind kind = Kind::kUnix;
  std::string path;  // kUnix: the socket's path
  std::string host;  // kTcp
  std::string port;  // kTcp
  std::string text;  // as written ("unix:///var/run/docker.sock"), for messages
};

// Parses "unix:///path" or "tcp://host[:port]" (port 2375 when omitted).
// Anything else, TLS included, is Invalid.
Result<EngineAddress> parseEngineAddress(const std::string& host);

// Compares "major.minor" versions: negative, zero or positive as a <, ==, > b.
// Missing or malformed parts count as 0.
int compareApiVersions(const std::string& a, const std::string& b);
// The version to speak with a server whose maximum is `server`: the smaller
// of the two; `ours` when the server did not say.
std::string negotiateApiVersion(const std::string& server, const std::string& ours);

// Percent-encodes everything outside RFC 3986's unreserved set.
std::string queryEscape(std::string_view s);
// As queryEscape, but keeps ':' and '@' (and '/' when `keepSlashes`, for
// image references such as "registry:5000/team/app:1").
std::string pathEscape(std::string_view s, bool keepSlashes = false);
// {"label":["a=b"],"type":["container"]}, the form every list call accepts.
std::string filtersJson(const Filters& filters);

// Builds "?k=v&k2=v2" (or "" when empty), escaping the values.
class Query {
 public:
  Query& add(const std::string& key, const std::string& value);
  std::string str() const;

 private:
  std::string text_;
};

// The engine's answer turned into a Status: ok for 2xx; otherwise the code
// mapped as docker_engine.h says, with the engine's {"message": ...} (or the
// raw body, or the HTTP code when there is neither) as the message.
Status statusFromHttp(unsigned httpStatus, const std::string& body);

// Decoders of the engine's JSON answers. They never throw: missing or null
// fields leave defaults.
EngineVersion parseVersion(const nlohmann::json& j);
EngineInfo parseInfo(const nlohmann::json& j);
ContainerSummary parseContainerSummary(const nlohmann::json& j);
ContainerInfo parseContainerInfo(nlohmann::json j);
NetworkInfo parseNetwork(const nlohmann::json& j);
VolumeInfo parseVolume(const nlohmann::json& j);
ImageInfo parseImage(const nlohmann::json& j);
// One entry of GET /images/json (labels at the top level, not under Config).
ImageInfo parseImageSummary(const nlohmann::json& j);
DiskUsage parseDiskUsage(const nlohmann::json& j);
// The answer of a /prune call; `listKey` names its list of removed objects
// ("ContainersDeleted", "NetworksDeleted", "ImagesDeleted", "VolumesDeleted").
PruneReport parsePruneReport(const nlohmann::json& j, const char* listKey);
// One line of /events; nullopt when it is not an event object.
std::optional<EngineEvent> parseEvent(const nlohmann::json& j);

// Splits a byte stream into lines however the stream was cut into pieces
// (HTTP chunks, reads). Lines are passed on without their '\n'.
class LineSplitter {
 public:
  void feed(std::string_view data, const std::function<void(std::string_view)>& onLine);
  // Passes on a last line that had no '\n'.
  void finish(const std::function<void(std::string_view)>& onLine);

 private:
  std::string pending_;
};

// Turns a logs answer into lines. Without a TTY the engine frames its output
// (8-byte header: stream, 0, 0, 0, big-endian size; then the payload); a frame
// may hold several lines and a line may span frames, so lines are assembled
// per stream. With a TTY the output is raw text ending lines with "\r\n".
std::vector<LogLine> decodeLogs(std::string_view body, bool tty);

// The incremental form of the engine's output framing, for streams (a
// follow, an exec): pieces of output as whole frames arrive, however the
// stream was cut. `raw` (a TTY): everything is stdout, unframed.
class FrameDecoder {
 public:
  using Output = std::function<void(LogLine::Stream, std::string_view)>;
  explicit FrameDecoder(bool raw) : raw_(raw) {}
  void feed(std::string_view data, const Output& onOutput);

 private:
  bool raw_;
  std::string pending_;
};

// FrameDecoder's pieces assembled into lines per stream (a "\r\n" ending
// taken as "\n"), for a follow of logs.
class FrameLineSplitter {
 public:
  using OnLine = std::function<void(const LogLine&)>;
  explicit FrameLineSplitter(bool raw) : decoder_(raw) {}
  void feed(std::string_view data, const OnLine& onLine);
  // Passes on last lines that had no '\n'.
  void finish(const OnLine& onLine);

 private:
  FrameDecoder decoder_;
  LineSplitter out_, err_;
};

// A stats sample's memory and CPU figures (see ContainerStats).
ContainerStats parseStats(const nlohmann::json& j);

// Reads the JSON-message stream of POST /build, one line at a time.
class BuildMessageScanner {
 public:
  void line(std::string_view text);
  // The first error the engine reported; "" when none.
  const std::string& error() const { return error_; }
  // The built image's id ("sha256:..."); "" when the stream did not say.
  const std::string& imageId() const { return imageId_; }
  // The last lines of build output, to give an error its context.
  const std::vector<std::string>& tail() const { return tail_; }

 private:
  std::string error_;
  std::string imageId_;
  std::vector<std::string> tail_;
};

}  // namespace engine_codec
}  // namespace tender

// The real DockerEngine: HTTP/1.1 to the Engine API over a unix socket or TCP,
// with Boost.Beast on Boost.Asio. Beast and Asio stay inside
// docker_engine_beast.cc (the calls are built in docker_engine_calls.cc) so
// that including this header costs nothing.
//
// Every ordinary call opens a fresh connection and has a deadline
// (callTimeout; buildImage: buildTimeout; stopContainer: its grace period plus
// callTimeout). Streams (events) use a dedicated connection with no overall
// deadline. The API version is negotiated with GET /_ping before the first
// call, unless DOCKER_API_VERSION (or EngineOptions::apiVersion) pins it.
//
// Thread-safety: as DockerEngine. The synchronous methods must not be called
// on the io_context's own thread: there they return Status::Internal at once
// instead of waiting for themselves. Streams must be destroyed before the
// io_context they run on.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "engine/docker_engine.h"

namespace boost {
namespace asio {
class io_context;
}  // namespace asio
}  // namespace boost

namespace tender {

struct EngineOptions {
  // "" means $DOCKER_HOST, or unix:///var/run/docker.sock when that is unset.
  // Accepted forms: unix:///path/to.sock and tcp://host:port (port 2375 if omitted).
  std::string host;
  // "" means $DOCKER_API_VERSION, or the version negotiated by ping().
  std::string apiVersion;
  // The deadline of every ordinary call, connecting included.
  std::chrono::milliseconds callTimeout{30000};
  // The deadline of buildImage, which runs every step of a Dockerfile.
  std::chrono::milliseconds buildTimeout{600000};
};

// The newest Engine API version this client speaks.
inline constexpr const char* kMaxEngineApiVersion = "1.45";

// Runs its I/O on `ioc`, which the caller runs on its own thread (the event
// loop). REQUIRES: `ioc` outlives the engine and every stream it returns.
std::unique_ptr<DockerEngine> makeBeastDockerEngine(boost::asio::io_context& ioc,
                                                    EngineOptions options = {});

// The same client with a private io_context and one thread running it: for
// callers without an event loop of their own (command-line tools, tests).
// REQUIRES: every stream it returns is destroyed before the engine.
std::unique_ptr<DockerEngine> makeStandaloneBeastDockerEngine(EngineOptions options = {});

// The address the client talks to for `options` ("unix:///var/run/docker.sock"),
// after $DOCKER_HOST and the default are applied; for messages.
std::string resolvedEngineHost(const EngineOptions& options);

}  // namespace tender

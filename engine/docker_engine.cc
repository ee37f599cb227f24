// The defaults of DockerEngine's optional streams, for engines that do not
// have them (the fake's, wrappers that do not forward them).
#include "engine/docker_engine.h"

namespace tender {
namespace {

class EndedStream : public ExecStream {
 public:
  void cancel() override {}
  void sendStdin(std::string) override {}
  void closeStdin() override {}
  void resize(int, int) override {}
};

}  // namespace

std::unique_ptr<EngineStream> DockerEngine::followLogs(const std::string&, bool, const LogOptions&,
                                                       LogStreamCallbacks callbacks) {
  if (callbacks.onEnd) callbacks.onEnd(Status::Unavailable("this engine cannot follow logs"));
  return std::make_unique<EndedStream>();
}

std::unique_ptr<ExecStream> DockerEngine::exec(const std::string&, const ExecOptions&,
                                                 ExecCallbacks callbacks) {
  if (callbacks.onEnd) callbacks.onEnd(Status::Unavailable("this engine cannot run commands"), -1);
  return std::make_unique<EndedStream>();
}

}  // namespace tender

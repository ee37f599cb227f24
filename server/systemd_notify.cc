// notifySystemd (systemd_notify.h) over libsystemd's sd_notify.

#include "server/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <mutex>

namespace tender {
namespace {

std::mutex& statusMutex() {
  static std::mutex mu;
  return mu;
}
std::string& lastStatus() {
  static std::string last;
  return last;
}

}  // namespace

void notifySystemd(const std::string& state) {
  // 0: keep NOTIFY_SOCKET in the environment, for the notifications that follow.
  sd_notify(0, state.c_str());
}

void notifyStatus(const std::string& status) {
  std::lock_guard<std::mutex> l(statusMutex());
  if (lastStatus() == status) return;
  lastStatus() = status;
  notifySystemd("STATUS=" + status);
}

}  // namespace tender

// Tells systemd how `tender serve` is doing, for a unit of Type=notify:
// READY=1 once the API listens, STATUS= lines saying what it waits for,
// STOPPING=1 when it shuts down. Sent to $NOTIFY_SOCKET (libsystemd's
// sd_notify); without that variable (not run by systemd) nothing is sent.
//
// Thread-safety: may be called from any thread.
#pragma once

#include <string>

namespace tender {

// `state`: newline-separated assignments ("READY=1\nSTATUS=reconciling").
void notifySystemd(const std::string& state);

// A STATUS= line, sent only when it differs from the last one sent.
void notifyStatus(const std::string& status);

}  // namespace tender

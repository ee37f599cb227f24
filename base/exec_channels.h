// The messages of an interactive exec's WebSocket, the server's and the
// client's alike: each binary message is one channel byte and its data, the
// layout of Kubernetes' channel protocol (v5.channel.k8s.io):
//
//   0 stdin   client -> server: bytes for the command's input
//   1 stdout  server -> client
//   2 stderr  server -> client (none with a tty: its output is all stdout)
//   3 status  server -> client, last: {"exitCode":N}, or {"error":{...}} (the
//             API's error body) when the command could not run
//   4 resize  client -> server: {"Width":W,"Height":H}, the terminal's size
//   255 close client -> server: one more byte, the channel closed (0: the
//             command reads the end of its input)
//
// The subprotocol's name is kExecSubprotocol. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tender {

inline constexpr const char* kExecSubprotocol = "tender.exec.v1";

enum class ExecChannel : uint8_t {
  kStdin = 0,
  kStdout = 1,
  kStderr = 2,
  kStatus = 3,
  kResize = 4,
  kClose = 255,
};

struct ExecMessage {
  ExecChannel channel = ExecChannel::kStdin;
  std::string_view data;  // into the message it was read from
};

// The message carrying `data` on `channel`.
std::string execMessage(ExecChannel channel, std::string_view data);
// Its channel and data; nullopt for an empty message or an unknown channel.
std::optional<ExecMessage> readExecMessage(std::string_view message);

struct TerminalSize {
  int width = 0;
  int height = 0;
};
std::string resizeMessage(TerminalSize size);
// A resize message's size: nullopt unless both are whole numbers from 1
// to 65535.
std::optional<TerminalSize> readResize(std::string_view data);

}  // namespace tender

#include "base/exec_channels.h"

#include <nlohmann/json.hpp>

namespace tender {

std::string execMessage(ExecChannel channel, std::string_view data) {
  std::string m;
  m.reserve(data.size() + 1);
  m.push_back(static_cast<char>(channel));
  m.append(data);
  return m;
}

std::optional<ExecMessage> readExecMessage(std::string_view message) {
  if (message.empty()) return std::nullopt;
  const auto c = static_cast<uint8_t>(message.front());
  if (c > static_cast<uint8_t>(ExecChannel::kResize) && c != static_cast<uint8_t>(ExecChannel::kClose))
    return std::nullopt;
  return ExecMessage{static_cast<ExecChannel>(c), message.substr(1)};
}

std::string resizeMessage(TerminalSize size) {
  return execMessage(ExecChannel::kResize,
                     nlohmann::json{{"Width", size.width}, {"Height", size.height}}.dump());
}

std::optional<TerminalSize> readResize(std::string_view data) {
  const auto j = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto side = [&j](const char* key) -> int {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) return 0;
    const auto n = it->get<int64_t>();
    return n >= 1 && n <= 65535 ? static_cast<int>(n) : 0;
  };
  const int w = side("Width"), h = side("Height");
  if (w == 0 || h == 0) return std::nullopt;
  return TerminalSize{w, h};
}

}  // namespace tender

// Byte counts as people read them: "8.0MiB", "512KiB", "17B" (binary units,
// one decimal). Used in logs, events, post-mortems and the CLI's tables.
#pragma once

#include <cstdint>
#include <string>

namespace tender {

std::string formatBytes(int64_t bytes);

}  // namespace tender

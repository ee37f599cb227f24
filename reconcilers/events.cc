// Recording what reconcilers did as events in the store (events.h).

#include "reconcilers/events.h"

#include <spdlog/spdlog.h>

namespace tender {

void recordEvent(Store& store, Clock& clock, const Key& key, const std::string& type,
                 const std::string& reason, const std::string& message, nlohmann::json data) {
  EventRecord e;
  e.time = clock.nowMillis();
  e.type = type;
  e.reason = reason;
  e.kind = key.kind;
  e.namespace_ = key.ns;
  e.name = key.name;
  e.message = message;
  e.data = std::move(data);
  auto r = store.appendEvent(e);
  if (!r.ok()) spdlog::warn("{}: cannot record event {}: {}", key.str(), reason, r.status().ToString());
}

}  // namespace tender

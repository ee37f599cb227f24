// Recording what reconcilers did, as rows of the store's events table.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/clock.h"
#include "controller/reconciler.h"
#include "store/store.h"

namespace tender {

// Appends an event about `key`; a store error is logged, never returned: an
// event that cannot be written must not fail the reconcile that caused it.
// `data` goes with it (an API write's {"by": principal}).
void recordEvent(Store& store, Clock& clock, const Key& key, const std::string& type,
                 const std::string& reason, const std::string& message,
                 nlohmann::json data = nlohmann::json::object());

}  // namespace tender

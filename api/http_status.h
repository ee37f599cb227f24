// The HTTP status code that answers a Status: the API's mapping of the
// foundation's error codes (kNotFound -> 404, kConflict -> 409, ...).
#pragma once

#include "base/status.h"

namespace tender {

int httpStatusOf(const Status& status);

}  // namespace tender

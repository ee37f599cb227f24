// ?labelSelector=: the simple form kubectl writes, "k=v,k2==v2,k3!=v3" (every
// term must hold). Pure.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace tender {

struct LabelRequirement {
  std::string key, value;
  bool negate = false;  // k!=v: the label is absent or has another value
};
using LabelSelector = std::vector<LabelRequirement>;

// "" selects everything. A term that is not key=value, key==value or
// key!=value is Invalid, naming labelSelector.
Result<LabelSelector> parseLabelSelector(const std::string& text);

// Whether `labels` (a JSON object of strings) satisfies every term.
bool selectorMatches(const LabelSelector& selector, const nlohmann::json& labels);

}  // namespace tender

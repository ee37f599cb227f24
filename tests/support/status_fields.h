// The fields a Status's details name, in order.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace tender::testing {

inline std::vector<std::string> fieldsOf(const Status& s) {
  std::vector<std::string> out;
  for (const auto& d : s.details()) out.push_back(d.field);
  return out;
}

}  // namespace tender::testing

#include "api/label_selector.h"

namespace tender {

Result<LabelSelector> parseLabelSelector(const std::string& sel) {
  LabelSelector out;
  size_t start = 0;
  while (start <= sel.size() && !sel.empty()) {
    size_t comma = sel.find(',', start);
    std::string term =
        sel.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    bool negate = false;
    size_t eq = term.find("!=");
    size_t skip = 2;
    if (eq != std::string::npos) {
      negate = true;
    } else if ((eq = term.find("==")) == std::string::npos) {
      eq = term.find('=');
      skip = 1;
    }
    if (eq == std::string::npos || eq == 0) {
      return Status::Invalid(
          "labelSelector: \"" + term + "\" is not key=value or key!=value",
          {{"labelSelector", "\"" + term + "\" is not key=value or key!=value"}});
    }
    out.push_back({term.substr(0, eq), term.substr(eq + skip), negate});
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

bool selectorMatches(const LabelSelector& selector, const nlohmann::json& labels) {
  for (const LabelRequirement& r : selector) {
    bool eq = labels.is_object() && labels.contains(r.key) && labels[r.key].is_string() &&
              labels[r.key].get<std::string>() == r.value;
    if (eq == r.negate) return false;
  }
  return true;
}

}  // namespace tender

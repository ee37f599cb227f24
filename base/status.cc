// Status's names for its codes, its text and WithContext (base/status.h).
#include "base/status.h"

namespace tender {

const char* Status::reason() const {
  switch (code_) {
    case Code::kOk: return "OK";
    case Code::kInvalid: return "Invalid";
    case Code::kNotFound: return "NotFound";
    case Code::kConflict: return "Conflict";
    case Code::kUnavailable: return "Unavailable";
    case Code::kTimeout: return "Timeout";
    case Code::kTooLarge: return "TooLarge";
    case Code::kUnauthorized: return "Unauthorized";
    case Code::kForbidden: return "Forbidden";
    case Code::kTooManyRequests: return "TooManyRequests";
    case Code::kNotModified: return "NotModified";
    case Code::kInternal: return "Internal";
  }
  return "Internal";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = std::string(reason()) + ": " + message_;
  for (const auto& d : details_) s += "; " + d.field + ": " + d.message;
  return s;
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_, details_);
}

}  // namespace tender

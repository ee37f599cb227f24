// The API's mapping of a Status code onto an HTTP status (http_status.h).

#include "api/http_status.h"

namespace tender {

int httpStatusOf(const Status& status) {
  using Code = Status::Code;
  switch (status.code()) {
    case Code::kOk:
      return 200;
    case Code::kInvalid:
      return 400;
    case Code::kNotFound:
      return 404;
    case Code::kConflict:
      return 409;
    case Code::kUnavailable:
      return 503;
    case Code::kTimeout:
      return 504;
    case Code::kTooLarge:
      return 413;
    case Code::kUnauthorized:
      return 401;
    case Code::kForbidden:
      return 403;
    case Code::kTooManyRequests:
      return 429;
    case Code::kNotModified:
      return 304;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

}  // namespace tender

// Status and Result<T>: the one way errors travel through tender.
//
// Exceptions from yaml-cpp, SQLite, Beast and cpprestsdk are converted into a
// Status at the boundary of the module that calls them; nothing throws across
// module boundaries. Success is cheap (no allocation).
//
// Thread-safety: values; safe to copy between threads.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tender {

// One invalid field of a request or manifest: `field` is a path such as
// "spec.resources.limits.memory" or "[1].spec.image" (document 1).
struct FieldError {
  std::string field;
  std::string message;
  bool operator==(const FieldError& o) const { return field == o.field && message == o.message; }
};

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalid,       // bad input: a manifest, a parameter
    kNotFound,
    kConflict,      // stale resourceVersion, name in use
    kUnavailable,   // the engine or the store cannot be reached
    kTimeout,       // a deadline passed
    kTooLarge,      // a body or a value over its limit
    kUnauthorized,  // no valid credentials
    kForbidden,     // valid credentials, not allowed
    kTooManyRequests,  // over a budget or a cap of the caller's: retry later
    kNotModified,   // the engine's 304: already started / already stopped
    kInternal,      // a bug or an unexpected answer
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status Invalid(std::string msg, std::vector<FieldError> details = {}) {
    return Status(Code::kInvalid, std::move(msg), std::move(details));
  }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Conflict(std::string msg) { return Status(Code::kConflict, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status Timeout(std::string msg) { return Status(Code::kTimeout, std::move(msg)); }
  static Status TooLarge(std::string msg) { return Status(Code::kTooLarge, std::move(msg)); }
  static Status Unauthorized(std::string msg) { return Status(Code::kUnauthorized, std::move(msg)); }
  static Status Forbidden(std::string msg) { return Status(Code::kForbidden, std::move(msg)); }
  static Status TooManyRequests(std::string msg) {
    return Status(Code::kTooManyRequests, std::move(msg));
  }
  static Status NotModified(std::string msg) { return Status(Code::kNotModified, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<FieldError>& details() const { return details_; }

  bool IsInvalid() const { return code_ == Code::kInvalid; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsConflict() const { return code_ == Code::kConflict; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }
  bool IsTimeout() const { return code_ == Code::kTimeout; }
  bool IsNotModified() const { return code_ == Code::kNotModified; }
  bool IsTooManyRequests() const { return code_ == Code::kTooManyRequests; }

  // The code's name ("Invalid", "NotFound", ...): the reason word of an error
  // body and the prefix of ToString(). (What HTTP status a code maps to is the
  // API's business: api/http_status.h.)
  const char* reason() const;
  // "NotFound: no such container: x" (plus "; field: message" per detail).
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context + ": "`.
  Status WithContext(const std::string& context) const;
  // Returns a copy carrying `details` (the field or parameter at fault), for
  // any code: a 403 can name the namespace, a 409 the field.
  Status WithDetails(std::vector<FieldError> details) const {
    Status s = *this;
    s.details_ = std::move(details);
    return s;
  }

 private:
  Status(Code c, std::string m, std::vector<FieldError> d = {})
      : code_(c), message_(std::move(m)), details_(std::move(d)) {}
  Code code_ = Code::kOk;
  std::string message_;
  std::vector<FieldError> details_;
};

// A value or the Status saying why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : status_(std::move(status)) {}  // NOLINT
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok()
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace tender

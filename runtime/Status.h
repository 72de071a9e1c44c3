//===- Status.h - error values of the runtime -------------------*- C++ -*-===//
//
// This file implements Status and StatusOr<T>: how every runtime call reports
// failure. A Status carries a code and a message that names the failing call
// and the object involved (file, tensor, kernel). Nothing in the runtime aborts
// or throws on bad input; it returns a Status.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_STATUS_H
#define WEFT_RUNTIME_STATUS_H

#include <optional>
#include <string>
#include <utility>

namespace weft::rt {

/// What kind of failure a Status reports.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the caller passed something wrong (shape, name, dtype)
  kNotFound,           // a file, tensor or symbol does not exist
  kDataLoss,           // a file is truncated or corrupt
  kFailedPrecondition, // a call made in the wrong state (run before binding)
  kResourceExhausted,  // out of memory
  kUnavailable,        // a device or peer is not there
  kInternal,           // a bug in weft
  kUnimplemented,      // a valid request this build or device does not support yet
};

/// Returns a short name for `code`, e.g. "DATA_LOSS".
const char *statusCodeName(StatusCode code);

/// The result of a runtime call: ok, or a code and a message.
class [[nodiscard]] Status {
public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}
  static Status ok() { return Status(); }

  bool isOk() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string &message() const { return message_; }
  /// "DATA_LOSS: <message>", or "OK".
  std::string toString() const;

private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status notFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status dataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status failedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status resourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status internalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }

/// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] StatusOr {
public:
  StatusOr(Status status) : status_(std::move(status)) {}
  StatusOr(T value) : value_(std::move(value)) {}

  bool isOk() const { return status_.isOk(); }
  const Status &status() const { return status_; }
  T &value() & { return *value_; }
  const T &value() const & { return *value_; }
  T &&value() && { return std::move(*value_); }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }
  T &operator*() { return *value_; }

private:
  Status status_;
  std::optional<T> value_;
};

} // namespace weft::rt

/// Returns early from the enclosing function when `expr` is not ok.
#define WEFT_RETURN_IF_ERROR(expr)                                             \
  do {                                                                         \
    ::weft::rt::Status weft_status_ = (expr);                                  \
    if (!weft_status_.isOk())                                                  \
      return weft_status_;                                                     \
  } while (0)

#endif // WEFT_RUNTIME_STATUS_H

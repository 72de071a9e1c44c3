//===- StatusCheck.h - runtime statuses as exceptions in train/ --*- C++ -*-===//
//
// This file implements check(), which the training run uses to turn a failed
// rt::Status (or StatusOr) into std::runtime_error("<what>: <message>"), the
// error weft train prints.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TRAIN_STATUSCHECK_H
#define WEFT_TRAIN_STATUSCHECK_H

#include "runtime/Status.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace weft::train {

/// Throws std::runtime_error("<what>: <message>") when `s` failed.
inline void check(const rt::Status &s, const std::string &what) {
  if (!s.isOk())
    throw std::runtime_error(what + ": " + s.message());
}

/// The value of `v`, or throws as check(Status) does.
template <typename T> T check(rt::StatusOr<T> v, const std::string &what) {
  if (!v.isOk())
    throw std::runtime_error(what + ": " + v.status().message());
  return std::move(v).value();
}

} // namespace weft::train

#endif // WEFT_TRAIN_STATUSCHECK_H

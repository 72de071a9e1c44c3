//===- Check.h - runtime statuses as exceptions in the weft CLI -*- C++ -*-===//
//
// This file implements check(): the commands call the runtime, which reports
// failures as rt::Status; check turns a failure into std::runtime_error
// (`weft` prints it and exits 1).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_CHECK_H
#define WEFT_TOOLS_WEFT_CHECK_H

#include "runtime/Status.h"

#include <stdexcept>
#include <utility>

namespace weft::cli {

/// The value of `v`; throws std::runtime_error with its status on failure.
template <typename T> T check(rt::StatusOr<T> v) {
  if (!v.isOk())
    throw std::runtime_error(v.status().toString());
  return std::move(v).value();
}

/// Throws std::runtime_error with `s` when it is a failure.
inline void check(const rt::Status &s) {
  if (!s.isOk())
    throw std::runtime_error(s.toString());
}

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_CHECK_H

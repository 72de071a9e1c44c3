//===- DslError.h - the exception thrown by the weft DSL --------*- C++ -*-===//
//
// This file implements the DSL's error type. Every shape, dtype or usage
// error found while building a program (by the DSL itself or by the weft
// dialect's type inference and verifiers) is thrown as a DslError whose
// message starts with the model's "<file>:<line>: error: ".
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_DSLERROR_H
#define WEFT_FRONTEND_DSLERROR_H

#include "frontend/Types.h"

#include <stdexcept>
#include <string>

namespace weft {

/// An error in a model definition. what() is "<file>:<line>: error: <message>"
/// followed, for ops built inside nn modules, by one "  in <file>:<line>" line
/// per module frame (outermost first).
class DslError : public std::runtime_error {
public:
  /// Wraps an already formatted message.
  explicit DslError(const std::string &message) : std::runtime_error(message) {}

  /// Formats "<file>:<line>: error: <message>" for `loc`.
  DslError(const Loc &loc, const std::string &message)
      : std::runtime_error(format(loc, message)) {}

  /// The "<file>:<line>: error: <message>" text used by the constructor.
  static std::string format(const Loc &loc, const std::string &message);
};

} // namespace weft

#endif // WEFT_FRONTEND_DSLERROR_H

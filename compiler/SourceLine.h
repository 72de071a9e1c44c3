//===- SourceLine.h - the model line an op comes from -----------*- C++ -*-===//
//
// This file declares sourceLine, which turns an op's location into the
// file:line the reports print (`weft plan --explain`, `weft estimate
// --top`).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COMPILER_SOURCELINE_H
#define WEFT_COMPILER_SOURCELINE_H

#include "mlir/IR/Location.h"

#include <string>

namespace weft {

/// The innermost file:line of `loc` (the DSL wraps module calls in call
/// sites: the line inside the module); "?" when it has none.
std::string sourceLine(mlir::Location loc);

} // namespace weft

#endif // WEFT_COMPILER_SOURCELINE_H

//===- Passes.h - weft's graph-level passes ---------------------*- C++ -*-===//
//
// This file declares the graph-level passes (generated from Passes.td) and
// their registration.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PASSES_H
#define WEFT_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace weft {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace weft

#endif // WEFT_PASSES_PASSES_H

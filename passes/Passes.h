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

/// Adds the fusion passes to a pass manager nested on func.func, in the
/// graph pipeline's order (FusionPipeline.cpp): LayerNorm, matmul + GELU,
/// batch_matmul + add, then elementwise kernels, then clean-up.
void addFusionPasses(mlir::OpPassManager &fn);

} // namespace weft

#endif // WEFT_PASSES_PASSES_H

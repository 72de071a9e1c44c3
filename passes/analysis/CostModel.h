//===- CostModel.h - FLOPs and bytes of weft ops ----------------*- C++ -*-===//
//
// This file declares the cost model of weft ops: the floating-point operations
// an op performs and the fewest bytes it must move (operands read once, result
// written once). Benchmarks divide by these to report achieved GFLOP/s and
// GB/s; the fusion and sharding passes will rank choices with it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_ANALYSIS_COSTMODEL_H
#define WEFT_PASSES_ANALYSIS_COSTMODEL_H

#include <cstdint>

namespace mlir {
class Operation;
} // namespace mlir

namespace weft {

/// The cost of one op.
struct OpCost {
  int64_t flops = 0;
  int64_t bytes = 0;
};

/// Returns the cost of `op`. Data movement that needs no kernel (reshape,
/// constants) costs nothing; contractions count 2*M*N*K per batch (plus their
/// epilogue); LayerNorm 8 and RMSNorm 4 FLOPs per element; other ops count one
/// FLOP per element they read (transcendentals count one too).
OpCost estimateCost(mlir::Operation *op);

} // namespace weft

#endif // WEFT_PASSES_ANALYSIS_COSTMODEL_H

//===- CostModel.h - FLOPs and bytes of weft ops and programs ---*- C++ -*-===//
//
// This file declares the cost model of weft ops: the floating-point operations
// an op performs and the fewest bytes it must move (operands read once, result
// written once), and the one definition of what a program costs (summed over
// the top-level ops of its function), which weft-print-stats, `weft compile
// --stats` and the benchmarks report. Benchmarks divide by these to report
// achieved GFLOP/s and GB/s; the fusion and sharding passes will rank choices
// with it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_ANALYSIS_COSTMODEL_H
#define WEFT_PASSES_ANALYSIS_COSTMODEL_H

#include "cost/ClusterSpec.h"

#include "llvm/ADT/ArrayRef.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace mlir {
class Operation;
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace weft {

/// The cost of one op.
struct OpCost {
  int64_t flops = 0;
  int64_t bytes = 0;
  /// Elements passed through each element function (cost::ElementFunction
  /// order: exp, log, tanh, sigmoid, gelu, gelu_tanh, fast_gelu), counted
  /// apart because they cost far more than their one FLOP: the op's own
  /// operand for such an op, a fused GEMM's result for its GELU epilogue, a
  /// fusion's body's.
  std::array<int64_t, cost::kElementFunctions> functionElements{};
  /// Loop nests the kernel runs one after another: a fusion's reductions
  /// each add one (cost::KernelWork::passes).
  int64_t passes = 1;
};

/// Returns the cost of `op`. Data movement that needs no kernel (reshape,
/// constants) costs nothing; contractions count 2*M*N*K per batch (plus their
/// epilogue); LayerNorm 8 and RMSNorm 4 FLOPs per element; other ops count one
/// FLOP per element they read (transcendentals count one too).
OpCost estimateCost(mlir::Operation *op);

/// The products a contraction computes: `batch` products of an m x k by
/// k x n matmul each.
struct ContractionShape {
  int64_t batch = 1, m = 0, n = 0, k = 0;
};

/// The contraction shape of `op` (matmul, batch_matmul and their fused
/// forms; nullopt for any other op) from operand shapes `lhs` and `rhs`
/// (the op's own when empty: pass local shapes for a sharded op).
std::optional<ContractionShape> contractionShape(mlir::Operation *op, llvm::ArrayRef<int64_t> lhs = {},
                                                 llvm::ArrayRef<int64_t> rhs = {});

/// How many ops of a group there are and what they cost together.
struct CostRow {
  int64_t count = 0;
  int64_t flops = 0;
  int64_t bytes = 0;
};

/// What one run of a function costs: each top-level weft op of its body
/// counted once with estimateCost (a weft.fusion is one op whose FLOPs are its
/// body's and whose bytes are its own operands and results; ops nested in it
/// are not counted again).
struct ProgramCost {
  /// One row per op name ("weft.matmul"), in name order; reshapes and
  /// constants are counted (at no cost).
  std::map<std::string, CostRow> byKind;
  /// The sum of all rows.
  CostRow total;
  /// Steps the program runs: every op but reshapes (aliases of their input)
  /// and constants (data loaded with the program).
  int64_t kernels = 0;
  /// Of which GEMMs (library calls): matmul, batch_matmul and their fused
  /// forms.
  int64_t gemms = 0;
};

/// Sums the cost of `func` (see ProgramCost); an external function costs
/// nothing.
ProgramCost summarizeCost(mlir::func::FuncOp func);

} // namespace weft

#endif // WEFT_PASSES_ANALYSIS_COSTMODEL_H

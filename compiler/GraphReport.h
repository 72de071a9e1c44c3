//===- GraphReport.h - what the graph phase did, in numbers -----*- C++ -*-===//
//
// This file declares the reports behind `weft compile --stats` and
// `--memory-report`: the module after the graph phase, and counts of the
// kernels, FLOPs and bytes it implies (from the cost model).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COMPILER_GRAPHREPORT_H
#define WEFT_COMPILER_GRAPHREPORT_H

#include "compiler/Compile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>

namespace weft {

/// Kernel launches and traffic of a graph.
struct GraphStats {
  /// Steps the program will run: GEMMs plus generated kernels.
  int64_t kernels = 0;
  /// Of which GEMMs (library calls).
  int64_t gemms = 0;
  int64_t flops = 0;
  /// Bytes read and written, each op reading its operands and writing its
  /// results once.
  int64_t bytes = 0;
};

/// Runs the training passes (with options.train), the parallel passes (on a
/// module with a mesh, or with options.autoShard or options.plan: the result
/// is one rank's program) and the graph phase of `options` on a clone of
/// `module` and returns it (implemented in
/// Compile.cpp, next to compile()). Throws CompileError with
/// the diagnostics on failure.
mlir::OwningOpRef<mlir::ModuleOp> runGraphPhase(mlir::ModuleOp module,
                                                const CompileOptions &options);

/// Counts the kernels, FLOPs and bytes of the module's @main.
GraphStats computeGraphStats(mlir::ModuleOp module);

} // namespace weft

#endif // WEFT_COMPILER_GRAPHREPORT_H

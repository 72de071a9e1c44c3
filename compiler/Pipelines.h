//===- Pipelines.h - the pass pipelines of a compile ------------*- C++ -*-===//
//
// This file declares the graph-level pass pipelines, built in one place from
// the compile's options: the training passes (for a training step) and the
// graph passes (canonicalize/CSE, fusion, schedule, memory plan). The mesh
// and the parallel passes join here. The phases they form are named in
// compiler/Phases.h.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COMPILER_PIPELINES_H
#define WEFT_COMPILER_PIPELINES_H

#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace weft {

struct AutoShardOptions;
struct CompileOptions;
struct TrainOptions;

/// Adds the training passes to `pm` (on the module): [weft-quantize-weights
/// with mode `quantize` when not empty: the frozen base weights, before
/// autodiff], weft-mixed-precision (bf16/f16), weft-autodiff,
/// weft-optimizer, weft-loss-scaling (f16).
void buildTrainingPipeline(mlir::OpPassManager &pm, const TrainOptions &train,
                           const std::string &quantize = "");

/// Adds the parallel passes to `pm` (on a module with a weft.mesh, or with
/// `autoShard` one without): canonicalize and CSE, weft-auto-shard (with
/// `autoShard`), weft-propagate-sharding, weft-spmd-partition, canonicalize
/// and CSE again; what follows works on the program of one rank.
void buildParallelPipeline(mlir::OpPassManager &pm, const AutoShardOptions *autoShard = nullptr);

/// Adds the graph-level passes to `pm` (on the module): [weft-quantize-weights
/// with options.quantize, when not training], canonicalize and CSE,
/// then (with options.fuse) the fusion passes, then (for a training step
/// with TrainOptions::recompute "blocks") weft-recompute, then weft-schedule and
/// weft-plan-memory with the arena alignment of options.target.
void buildGraphPipeline(mlir::OpPassManager &pm, const CompileOptions &options);

} // namespace weft

#endif // WEFT_COMPILER_PIPELINES_H

//===- TrainStep.h - compiling a training step ------------------*- C++ -*-===//
//
// This file declares the training-step compile API: a
// forward program with a scalar loss becomes ONE Executable that runs the
// forward pass, the backward pass (weft-autodiff) and the optimizer update
// (weft-optimizer), with the parameters and optimizer state updated in place
// on the device; and the learning-rate schedule the host feeds it.
//
// Running a step: bind the parameters once (Executor::setParameter) and, per
// step, the inputs, "lr" (an f32 scalar, e.g. learningRate(t, ...)) and, for
// AdamW, "step" (t as an f32 scalar, 1-based); then run(). After the run,
// Executor::parameter(name) holds the new weights and Executor::state(name)
// the optimizer state ("adamw.m:<param>", "adamw.v:<param>",
// "sgd.momentum:<param>"); the loss is output "loss", and with clipping the
// pre-clip global gradient norm is output "grad_norm".
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COMPILER_TRAINSTEP_H
#define WEFT_COMPILER_TRAINSTEP_H

#include "compiler/Compile.h"

#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace weft {

/// Runs the training passes (buildTrainingPipeline) on a clone of
/// `forwardWithLoss` and returns the training-step module (the input is left
/// unchanged); options.configurePassManager sees the pass manager. Throws
/// CompileError with every diagnostic and its location on failure (e.g. no
/// output named `train.loss`, an op without a gradient).
mlir::OwningOpRef<mlir::ModuleOp> buildTrainStep(mlir::ModuleOp forwardWithLoss,
                                                 const TrainOptions &train,
                                                 const CompileOptions &options = {});

/// Compiles the training step of `forwardWithLoss` into one Executable:
/// weft::compile with options.train = `train` (the training passes run
/// inside the compile, so --dump-ir and IR printing show them; compile cache
/// included). Throws CompileError on failure.
CompileResult compileTrainStep(mlir::ModuleOp forwardWithLoss, const TrainOptions &train,
                               const CompileOptions &options);

/// The two programs of a training step run as train.microBatches = K
/// micro-batches (gradient accumulation). Running one step: create the apply
/// step's Executor first, then the micro-step's with
/// ExecutorOptions::shareStorageWith pointing at it (they share the
/// parameters and the accumulators "grad_accum:<param>"); run the micro-step
/// K times, each with its micro-batch bound ("loss": that micro-batch's mean
/// loss; the step's loss is the mean of the K), then the apply step with
/// "lr" and "step" bound, which updates the parameters and optimizer state
/// and zeroes the accumulators. On a mesh each rank keeps its own partial
/// sums; the apply step reduces them once.
struct AccumulatedTrainStep {
  CompileResult microStep;
  CompileResult applyStep;
};

/// Compiles the two programs of `forwardWithLoss`, the loss program of ONE
/// micro-batch (batch / K rows), with train.microBatches = K (>= 1). Throws
/// CompileError for K < 1, for f16 (dynamic loss scaling is not wired
/// through the accumulators: use bf16), for ZeRO 3 and for
/// options.autoShard or options.plan (each program would get its own
/// layout), with the fix.
AccumulatedTrainStep compileAccumulatedTrainStep(mlir::ModuleOp forwardWithLoss,
                                                 const TrainOptions &train,
                                                 const CompileOptions &options);

/// The learning rate of step `step` (1-based, like the "step" input):
/// linear warmup from maxLr / warmup at step 1 to maxLr at step `warmup`
/// (without warmup: maxLr at step 1), then cosine decay to
/// minLrRatio * maxLr at step `totalSteps`, and that floor afterwards. Throws std::invalid_argument for step < 1, warmup < 0,
/// totalSteps < warmup, maxLr < 0 or a ratio outside [0, 1].
double learningRate(int step, double maxLr, int warmup, int totalSteps,
                    double minLrRatio = 0.1);

} // namespace weft

#endif // WEFT_COMPILER_TRAINSTEP_H

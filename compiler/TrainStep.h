//===- TrainStep.h - compiling a training step ------------------*- C++ -*-===//
//
// This file implements the declarations of the training-step compile API: a
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

/// The optimizer and its hyperparameters (PyTorch's meanings). The learning
/// rate is not here: it is the runtime input "lr" of every step.
struct TrainOptions {
  /// "adamw" or "sgd".
  std::string optimizer = "adamw";
  /// AdamW's moment decays and denominator epsilon.
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  /// AdamW: decoupled (p *= 1 - lr * wd); SGD: added to the gradient
  /// (g += wd * p). Applies to parameters of rank >= 2 unless decayAll.
  double weightDecay = 0.1;
  /// SGD momentum (0: plain SGD, no state).
  double momentum = 0.0;
  /// Clip the global gradient norm to this value; 0 turns clipping off.
  double clipNorm = 1.0;
  /// Decay every parameter (biases and LayerNorm gains too).
  bool decayAll = false;
  /// Keep the "grad:<param>" outputs of the step (for debugging).
  bool keepGradients = false;
  /// The weft.output name of the scalar loss.
  std::string loss = "loss";
  /// The compute precision: "f32", "bf16" or "f16". bf16 and f16 run
  /// weft-mixed-precision before weft-autodiff (f32 master weights and
  /// reductions); f16 adds dynamic loss scaling (weft-loss-scaling after
  /// weft-optimizer: state "amp.loss_scale_log2" and "amp.good_steps",
  /// output "loss_scale"; a step with a non-finite gradient is skipped).
  std::string precision = "f32";
  /// f16: log2 of the first loss scale (scale = 2^(this + state s)).
  double initLossScaleLog2 = 16;
  /// f16: finite steps in a row before the loss scale doubles.
  int64_t lossScaleGrowthInterval = 2000;
};

/// Runs weft-autodiff and weft-optimizer on a clone of `forwardWithLoss` and
/// returns the training-step module (the input is left unchanged). Throws
/// CompileError with every diagnostic and its location on failure (e.g. no
/// output named `train.loss`, an op without a gradient).
mlir::OwningOpRef<mlir::ModuleOp> buildTrainStep(mlir::ModuleOp forwardWithLoss,
                                                 const TrainOptions &train,
                                                 const CompileOptions &options = {});

/// Compiles the training step of `forwardWithLoss` (buildTrainStep, then
/// weft::compile with `options`, compile cache included) into one
/// Executable. Throws CompileError on failure.
CompileResult compileTrainStep(mlir::ModuleOp forwardWithLoss, const TrainOptions &train,
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

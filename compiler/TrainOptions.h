//===- TrainOptions.h - what a training step optimizes and how --*- C++ -*-===//
//
// This file declares TrainOptions, the optimizer and precision of a compiled
// training step (compiler/TrainStep.h, CompileOptions::train). Plain data:
// no MLIR types.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COMPILER_TRAINOPTIONS_H
#define WEFT_COMPILER_TRAINOPTIONS_H

#include <cstdint>
#include <string>

namespace weft {

/// Which program of a step run as several micro-batches a compile builds
/// (TrainOptions::microBatches; compileAccumulatedTrainStep builds both).
enum class StepPart {
  /// The whole step: forward, backward and update in one program.
  Whole,
  /// Forward + backward of one micro-batch, adding each gradient / K into
  /// its accumulator (state "grad_accum:<param>"); output "loss".
  MicroStep,
  /// The update from the accumulated gradients (their mean over the
  /// micro-batches, reduced over the data-parallel ranks, clipped), then the accumulators
  /// zeroed; no forward pass.
  ApplyStep,
};

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
  /// ZeRO level over the mesh axis "dp" (needs a module with a weft.mesh that
  /// has it): 1 shards the optimizer state, 2 also reduce-scatters the
  /// gradients into those shards, 3 also shards the parameters (gathered
  /// where used, FSDP-style). 0: everything the optimizer touches replicated.
  int zero = 0;
  /// Gradient checkpointing: "none", or "blocks" to recompute the groups the
  /// model marked (RecomputeScope; GPT-2: Gpt2Config::gradient_checkpointing,
  /// one per transformer block) in the backward pass instead of keeping their
  /// activations (weft-recompute, after fusion). The gradients are the same.
  std::string recompute = "none";
  /// Gradient accumulation (Hugging Face's gradient_accumulation_steps): an
  /// optimizer step runs this many forward + backward passes over
  /// micro-batches of batch / microBatches rows, sums their gradients and
  /// updates once, with the gradients reduced over the data-parallel ranks
  /// once per step. The forward program given to the compile is then ONE
  /// micro-batch's (activations of one micro-batch). 1: today's single
  /// program. See compileAccumulatedTrainStep (compiler/TrainStep.h).
  int microBatches = 1;
  /// The program this compile builds (set by compileAccumulatedTrainStep).
  StepPart part = StepPart::Whole;
};

/// Every field of `train` as text, for compile-cache keys.
std::string describeTrainOptions(const TrainOptions &train);

} // namespace weft

#endif // WEFT_COMPILER_TRAINOPTIONS_H

//===- Pipelines.cpp - the pass pipelines of a compile --------------------===//
//
// This file implements the training and graph pipelines (Pipelines.h):
//   training: [weft-quantize-weights] → [weft-mixed-precision with
//             store-frozen] →
//             weft-autodiff → weft-optimizer → [weft-loss-scaling]; a
//             micro-step: weft-autodiff → weft-accumulate-gradients{mode=micro};
//             an apply step: the whole step's, then
//             weft-accumulate-gradients{mode=apply}
//   parallel: canonicalize, CSE → weft-propagate-sharding →
//             weft-spmd-partition → canonicalize, CSE (with a weft.mesh)
//   graph:    [weft-quantize-weights | weft-mixed-precision with
//             store-parameters (a forward program in bf16/f16)] →
//             [weft-expand-matmul-q8 (cuda)] → canonicalize, CSE → [weft-scatter-add-into (training)] → [fusion: layernorm, matmul+gelu,
//             batch_matmul+add, elementwise; CSE, canonicalize] →
//             [weft-recompute] → weft-schedule → weft-plan-memory
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipelines.h"

#include "codegen/common/CodegenOptions.h"
#include "compiler/Compile.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

namespace weft {

namespace {

/// weft-quantize-weights in `mode`; `activations`: the products quantize
/// their activations per row (serving), or keep them f32 (a training step
/// over an int8 base, differentiated for f32 activations).
void addQuantizePass(mlir::OpPassManager &pm, const std::string &mode, double threshold,
                     const std::string &lmHead, bool activations) {
  QuantizeWeightsPassOptions quantize;
  quantize.mode = mode;
  quantize.threshold = threshold;
  quantize.lmHead = lmHead;
  quantize.activations = activations;
  pm.addPass(createQuantizeWeightsPass(quantize));
}

} // namespace

void buildTrainingPipeline(mlir::OpPassManager &pm, const TrainOptions &train, const std::string &quantize) {
  // An int8 base under LoRA: quantized first, so that mixed precision and
  // autodiff see weft.matmul_q8 (differentiated for its activations only).
  if (!quantize.empty())
    addQuantizePass(pm, quantize, /*threshold=*/6.0, /*lmHead=*/"f32", /*activations=*/false);
  bool mixed = train.precision != "f32";
  bool scaled = train.precision == "f16";
  if (mixed) {
    MixedPrecisionPassOptions amp;
    amp.precision = train.precision;
    amp.lossScaling = scaled;
    amp.initScaleLog2 = train.initLossScaleLog2;
    amp.loss = train.loss;
    amp.storeFrozen = true; // a frozen base (LoRA) held low, without f32 masters
    pm.addPass(createMixedPrecisionPass(amp));
  }
  AutodiffPassOptions autodiff;
  autodiff.loss = scaled ? std::string("scaled_loss") : train.loss;
  pm.addPass(createAutodiffPass(autodiff));
  AccumulateGradientsPassOptions accumulate;
  accumulate.microBatches = train.microBatches;
  accumulate.keepGradients = train.keepGradients;
  accumulate.zero = train.zero;
  if (train.part == StepPart::MicroStep) { // no update: the gradients go into the accumulators
    accumulate.mode = "micro";
    pm.addPass(createAccumulateGradientsPass(accumulate));
    return;
  }
  bool apply = train.part == StepPart::ApplyStep;
  OptimizerPassOptions optimizer;
  optimizer.optimizer = train.optimizer;
  optimizer.beta1 = train.beta1;
  optimizer.beta2 = train.beta2;
  optimizer.eps = train.eps;
  optimizer.weightDecay = train.weightDecay;
  optimizer.momentum = train.momentum;
  optimizer.clipNorm = train.clipNorm;
  optimizer.decayAll = train.decayAll;
  optimizer.keepGradients = train.keepGradients || scaled || apply;
  optimizer.zero = train.zero;
  pm.addPass(createOptimizerPass(optimizer));
  if (scaled) {
    LossScalingPassOptions scaling;
    scaling.growthInterval = train.lossScaleGrowthInterval;
    scaling.keepGradients = train.keepGradients || apply;
    pm.addPass(createLossScalingPass(scaling));
  }
  if (apply) { // the update reads the accumulators instead of this program's gradients
    accumulate.mode = "apply";
    pm.addPass(createAccumulateGradientsPass(accumulate));
  }
}

void buildParallelPipeline(mlir::OpPassManager &pm, const AutoShardOptions *autoShard) {
  auto cleanUp = [&]() {
    mlir::OpPassManager &fn = pm.nest<mlir::func::FuncOp>();
    fn.addPass(mlir::createCanonicalizerPass());
    fn.addPass(mlir::createCSEPass());
  };
  cleanUp();
  if (autoShard) {
    AutoShardPassOptions o;
    o.devices = autoShard->devices;
    o.cluster = autoShard->cluster;
    o.memoryGib = autoShard->memoryGib;
    o.verify = autoShard->verify;
    o.alignment = autoShard->alignment;
    pm.addPass(createAutoShardPass(o));
  }
  pm.addPass(createPropagateShardingPass());
  pm.addPass(createSpmdPartitionPass());
  cleanUp();
}

void buildGraphPipeline(mlir::OpPassManager &pm, const CompileOptions &options) {
  // Before fusion: it rewrites plain weft.matmul ops (a training step was
  // quantized before autodiff, buildTrainingPipeline).
  if (!options.quantize.empty() && !options.train)
    addQuantizePass(pm, options.quantize, options.llmInt8Threshold, options.lmHead,
                    /*activations=*/true);
  if (!options.train && options.precision != "f32") { // inference in bf16/f16, weights held low
    MixedPrecisionPassOptions amp;
    amp.precision = options.precision;
    amp.storeParameters = true;
    amp.storeStates = true; // key/value caches held low too
    pm.addPass(createMixedPrecisionPass(amp));
  }
  mlir::OpPassManager &fn = pm.nest<mlir::func::FuncOp>();
  // CUDA has no int8 GEMM: each weft.matmul_q8 (the quantize pass's, or a
  // training step's over an int8 base, forward and backward) becomes a cast
  // of its int8 weight, a weft.matmul (cuBLASLt) and elementwise scaling,
  // before fusion so that the scaling joins elementwise kernels.
  if (options.expandMatmulQ8.value_or(options.target == "cuda"))
    fn.addPass(createExpandMatmulQ8Pass());
  fn.addPass(mlir::createCanonicalizerPass());
  fn.addPass(mlir::createCSEPass());
  // A tied embedding's gradient: the lookup's rows added into the LM head's
  // gradient (before fusion, which would take the add into a kernel).
  if (options.train)
    fn.addPass(createScatterAddIntoPass());
  if (options.fuse)
    addFusionPasses(fn); // passes/fusion/FusionPipeline.cpp
  // Gradient checkpointing on the kernels that will run (after CSE and
  // fusion, which would otherwise merge the copies back or fuse them with
  // forward ops); weft-schedule keeps the copies in the backward pass.
  if (options.train && options.train->recompute != "none" &&
      options.train->part != StepPart::ApplyStep) { // the apply step has no forward pass
    RecomputePassOptions recompute;
    recompute.loss = options.train->loss;
    fn.addPass(createRecomputePass(recompute));
  }
  // Memory: an op order with a lower peak of live bytes, then one arena
  // offset per buffer over that order, aligned as the target needs (64 bytes
  // on the CPU, 256 for cuBLASLt on CUDA: codegen::arenaAlignment). The code
  // generators emit their steps in the function's op order and place buffers
  // at the recorded offsets, so nothing may change the ops after these two.
  const int64_t alignment = static_cast<int64_t>(codegen::arenaAlignment(options.target));
  SchedulePassOptions schedule;
  schedule.alignment = alignment;
  fn.addPass(createSchedulePass(schedule));
  PlanMemoryPassOptions plan;
  plan.alignment = alignment;
  fn.addPass(createPlanMemoryPass(plan));
}

} // namespace weft

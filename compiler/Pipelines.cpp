//===- Pipelines.cpp - the pass pipelines of a compile --------------------===//
//
// This file implements the training and graph pipelines (Pipelines.h):
//   training: [weft-mixed-precision] → weft-autodiff → weft-optimizer →
//             [weft-loss-scaling]
//   parallel: canonicalize, CSE → weft-propagate-sharding →
//             weft-spmd-partition → canonicalize, CSE (with a weft.mesh)
//   graph:    canonicalize, CSE → [fusion: layernorm, matmul+gelu,
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

void buildTrainingPipeline(mlir::OpPassManager &pm, const TrainOptions &train) {
  bool mixed = train.precision != "f32";
  bool scaled = train.precision == "f16";
  if (mixed) {
    MixedPrecisionPassOptions amp;
    amp.precision = train.precision;
    amp.lossScaling = scaled;
    amp.initScaleLog2 = train.initLossScaleLog2;
    amp.loss = train.loss;
    pm.addPass(createMixedPrecisionPass(amp));
  }
  AutodiffPassOptions autodiff;
  autodiff.loss = scaled ? std::string("scaled_loss") : train.loss;
  pm.addPass(createAutodiffPass(autodiff));
  OptimizerPassOptions optimizer;
  optimizer.optimizer = train.optimizer;
  optimizer.beta1 = train.beta1;
  optimizer.beta2 = train.beta2;
  optimizer.eps = train.eps;
  optimizer.weightDecay = train.weightDecay;
  optimizer.momentum = train.momentum;
  optimizer.clipNorm = train.clipNorm;
  optimizer.decayAll = train.decayAll;
  optimizer.keepGradients = train.keepGradients || scaled;
  optimizer.zero = train.zero;
  pm.addPass(createOptimizerPass(optimizer));
  if (scaled) {
    LossScalingPassOptions scaling;
    scaling.growthInterval = train.lossScaleGrowthInterval;
    scaling.keepGradients = train.keepGradients;
    pm.addPass(createLossScalingPass(scaling));
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
  if (!options.quantize.empty()) { // before fusion: it rewrites plain weft.matmul ops
    QuantizeWeightsPassOptions quantize;
    quantize.mode = options.quantize;
    quantize.threshold = options.llmInt8Threshold;
    quantize.quantizeLmHead = options.quantizeLmHead;
    pm.addPass(createQuantizeWeightsPass(quantize));
  }
  mlir::OpPassManager &fn = pm.nest<mlir::func::FuncOp>();
  fn.addPass(mlir::createCanonicalizerPass());
  fn.addPass(mlir::createCSEPass());
  if (options.fuse)
    addFusionPasses(fn); // passes/fusion/FusionPipeline.cpp
  // Gradient checkpointing on the kernels that will run (after CSE and
  // fusion, which would otherwise merge the copies back or fuse them with
  // forward ops); weft-schedule keeps the copies in the backward pass.
  if (options.train && options.train->recompute != "none") {
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

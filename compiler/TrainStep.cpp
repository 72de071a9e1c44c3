//===- TrainStep.cpp - compiling a training step --------------------------===//
//
// This file implements the training-step compile API:
//   1. buildTrainStep clones the forward module and runs the training
//      pipeline (compiler/Pipelines.h: [weft-mixed-precision] →
//      weft-autodiff → weft-optimizer → [weft-loss-scaling]), collecting
//      diagnostics into a CompileError.
//   2. compileTrainStep hands the forward module to weft::compile with
//      CompileOptions::train set: the compile runs the same training
//      pipeline, then the graph pipeline and code generator, into one
//      Executable whose update outputs alias the parameter and state buffers
//      (in place).
//   3. compileAccumulatedTrainStep compiles the same forward module twice,
//      as the micro-step and as the apply step of gradient accumulation
//      (TrainOptions::part; weft-accumulate-gradients).
//   4. learningRate is the host-side schedule: linear warmup, cosine decay.
//
//===----------------------------------------------------------------------===//

#include "compiler/TrainStep.h"

#include "compiler/Diagnostics.h"
#include "compiler/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace weft {

std::string describeTrainOptions(const TrainOptions &t) {
  std::ostringstream os;
  os.precision(17);
  os << "optimizer=" << t.optimizer << " beta1=" << t.beta1 << " beta2=" << t.beta2
     << " eps=" << t.eps << " weight_decay=" << t.weightDecay << " momentum=" << t.momentum
     << " clip_norm=" << t.clipNorm << " decay_all=" << t.decayAll
     << " keep_gradients=" << t.keepGradients << " loss=" << t.loss
     << " precision=" << t.precision << " zero=" << t.zero
     << " init_loss_scale_log2=" << t.initLossScaleLog2
     << " loss_scale_growth_interval=" << t.lossScaleGrowthInterval
     << " recompute=" << t.recompute << " micro_batches=" << t.microBatches
     << " part=" << int(t.part);
  return os.str();
}

mlir::OwningOpRef<mlir::ModuleOp> buildTrainStep(mlir::ModuleOp forwardWithLoss,
                                                 const TrainOptions &train,
                                                 const CompileOptions &options) {
  mlir::OwningOpRef<mlir::ModuleOp> work(forwardWithLoss.clone());
  DiagnosticCollector diagnostics(forwardWithLoss->getContext());
  mlir::PassManager pm(forwardWithLoss->getContext());
  buildTrainingPipeline(pm, train);
  if (options.configurePassManager)
    options.configurePassManager(pm);
  if (mlir::failed(pm.run(*work)))
    diagnostics.fail("training step (weft-autodiff, weft-optimizer)");
  return work;
}

CompileResult compileTrainStep(mlir::ModuleOp forwardWithLoss, const TrainOptions &train,
                               const CompileOptions &options) {
  CompileOptions withTrain = options;
  withTrain.train = train;
  return compile(forwardWithLoss, withTrain);
}

AccumulatedTrainStep compileAccumulatedTrainStep(mlir::ModuleOp forwardWithLoss,
                                                 const TrainOptions &train,
                                                 const CompileOptions &options) {
  const std::string k = std::to_string(train.microBatches);
  if (train.microBatches < 1)
    throw CompileError("gradient accumulation needs at least one micro-batch, got " + k);
  if (train.precision == "f16")
    throw CompileError("gradient accumulation (" + k + " micro-batches) does not support precision f16: "
                       "its dynamic loss scaling is not carried through the accumulated gradients; use "
                       "bf16 (no loss scaling needed) or f32");
  if (train.zero == 3)
    throw CompileError("gradient accumulation (" + k + " micro-batches) does not support ZeRO 3 (the "
                       "micro-steps would read parameters split over the ranks); use --zero 1 or 2");
  if (options.autoShard || options.plan)
    throw CompileError("gradient accumulation (" + k + " micro-batches) needs the layout given by the module's "
                       "mesh and hints: the micro-step and the update must split the parameters alike, which a "
                       "strategy search (--mesh auto) or a saved plan (--plan) run on each program separately does "
                       "not guarantee");
  AccumulatedTrainStep step;
  TrainOptions part = train;
  part.part = StepPart::MicroStep;
  step.microStep = compileTrainStep(forwardWithLoss, part, options);
  part.part = StepPart::ApplyStep;
  step.applyStep = compileTrainStep(forwardWithLoss, part, options);
  return step;
}

double learningRate(int step, double maxLr, int warmup, int totalSteps, double minLrRatio) {
  if (step < 1 || warmup < 0 || totalSteps < warmup || !(maxLr >= 0) ||
      !(minLrRatio >= 0 && minLrRatio <= 1))
    throw std::invalid_argument(
        "learningRate: need step >= 1, 0 <= warmup <= totalSteps, maxLr >= 0 and "
        "0 <= minLrRatio <= 1; got step " + std::to_string(step) + ", warmup " +
        std::to_string(warmup) + ", totalSteps " + std::to_string(totalSteps) + ", maxLr " +
        std::to_string(maxLr) + ", minLrRatio " + std::to_string(minLrRatio));
  if (step <= warmup)
    return maxLr * step / warmup;
  // The decay starts after the warmup (at step 1 without one).
  int start = std::max(warmup, 1);
  if (step <= start)
    return maxLr;
  double minLr = maxLr * minLrRatio;
  if (step >= totalSteps)
    return minLr;
  double progress = double(step - start) / double(totalSteps - start);
  return minLr + 0.5 * (1.0 + std::cos(M_PI * progress)) * (maxLr - minLr);
}

} // namespace weft

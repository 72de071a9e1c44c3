//===- TrainStep.cpp - compiling a training step --------------------------===//
//
// This file implements the training-step compile API:
//   1. buildTrainStep clones the forward module and runs weft-autodiff (the
//      gradient of the loss for every parameter) then weft-optimizer (the
//      update of every parameter and its state, in weft ops), collecting
//      diagnostics into a CompileError. With precision bf16/f16,
//      weft-mixed-precision runs first, and for f16 weft-loss-scaling last.
//   2. compileTrainStep hands that module to weft::compile: the normal graph
//      pipeline and code generator turn it into one Executable whose update
//      outputs alias the parameter and state buffers (in place).
//   3. learningRate is the host-side schedule: linear warmup, cosine decay.
//
//===----------------------------------------------------------------------===//

#include "compiler/TrainStep.h"

#include "passes/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace weft {

mlir::OwningOpRef<mlir::ModuleOp> buildTrainStep(mlir::ModuleOp forwardWithLoss,
                                                 const TrainOptions &train,
                                                 const CompileOptions &options) {
  mlir::MLIRContext *ctx = forwardWithLoss->getContext();
  mlir::OwningOpRef<mlir::ModuleOp> work(forwardWithLoss.clone());
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(ctx, [&](mlir::Diagnostic &d) {
    llvm::raw_string_ostream os(diagnostics);
    os << d.getLocation() << ": "
       << (d.getSeverity() == mlir::DiagnosticSeverity::Error ? "error" : "note") << ": " << d
       << "\n";
    for (mlir::Diagnostic &note : d.getNotes())
      os << note.getLocation() << ": note: " << note << "\n";
    return mlir::success();
  });

  mlir::PassManager pm(ctx);
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
  pm.addPass(createOptimizerPass(optimizer));
  if (scaled) {
    LossScalingPassOptions scaling;
    scaling.growthInterval = train.lossScaleGrowthInterval;
    scaling.keepGradients = train.keepGradients;
    pm.addPass(createLossScalingPass(scaling));
  }
  if (options.configurePassManager)
    options.configurePassManager(pm);
  if (mlir::failed(pm.run(*work)))
    throw CompileError("training step (weft-autodiff, weft-optimizer) failed:\n" + diagnostics);
  return work;
}

CompileResult compileTrainStep(mlir::ModuleOp forwardWithLoss, const TrainOptions &train,
                               const CompileOptions &options) {
  mlir::OwningOpRef<mlir::ModuleOp> step = buildTrainStep(forwardWithLoss, train, options);
  return compile(*step, options);
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

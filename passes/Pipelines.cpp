//===- Pipelines.cpp - weft's named compilation phases --------------------===//
//
// This file implements the graph-level pipeline (canonicalize, CSE; with
// fusion on, the fusion passes, then scheduling and memory planning; sharding
// joins as it lands) and the list of phases.
//
//===----------------------------------------------------------------------===//

#include "passes/Pipelines.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

namespace weft {

const std::vector<std::string> &compilePhases(const std::string &target) {
  static const std::vector<std::string> cpu = {
      "weft", "graph", "linalg", "bufferized", "llvm", "executable"};
  static const std::vector<std::string> cuda = {
      "weft", "graph", "linalg", "bufferized", "loops", "gpu", "executable"};
  return target == "cuda" ? cuda : cpu;
}

void buildGraphPipeline(mlir::OpPassManager &pm, bool fuse) {
  mlir::OpPassManager &fn = pm.nest<mlir::func::FuncOp>();
  fn.addPass(mlir::createCanonicalizerPass());
  fn.addPass(mlir::createCSEPass());
  if (fuse) {
    // Fusion of recognized patterns into single ops, on the cleaned-up graph;
    // then clean up what the fusions left (dead constants, duplicates).
    fn.addPass(createFuseLayerNormPass());
    fn.addPass(createFuseMatmulGeluPass());
    fn.addPass(createFuseBatchMatmulAddPass());
    // Whatever elementwise, broadcast and reduce ops remain (softmax, residual
    // adds, leftovers of the patterns above) become weft.fusion kernels.
    fn.addPass(createFuseElementwisePass());
    fn.addPass(mlir::createCSEPass());
    fn.addPass(mlir::createCanonicalizerPass());
  }
  // Memory: an op order with a lower peak of live bytes, then one arena
  // offset per buffer over that order (64-byte aligned, the CPU's cache
  // line). The code generators emit their steps in the function's op order
  // and place buffers at the recorded offsets, so nothing may change the ops
  // after these two passes.
  fn.addPass(createSchedulePass());
  PlanMemoryPassOptions plan;
  plan.alignment = 64;
  fn.addPass(createPlanMemoryPass(plan));
}

} // namespace weft

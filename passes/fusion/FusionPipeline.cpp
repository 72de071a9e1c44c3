//===- FusionPipeline.cpp - the fusion passes, in order --------------------===//
//
// This file implements addFusionPasses (passes/Passes.h): the one list of
// fusions, in the order the graph pipeline runs them, shared by the compile
// (compiler/Pipelines.cpp) and the strategy search, which costs candidates
// as the fused programs they become.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

namespace weft {

void addFusionPasses(mlir::OpPassManager &fn) {
  // Recognized patterns into single ops, on the cleaned-up graph.
  fn.addPass(createFuseLayerNormPass());
  fn.addPass(createFuseMatmulGeluPass());
  fn.addPass(createFuseMatmulSwigluPass());
  fn.addPass(createFuseBatchMatmulAddPass());
  // Whatever elementwise, broadcast and reduce ops remain (softmax, residual
  // adds, leftovers of the patterns above) become weft.fusion kernels; then
  // clean up what the fusions left (dead constants, duplicates).
  fn.addPass(createFuseElementwisePass());
  fn.addPass(mlir::createCSEPass());
  fn.addPass(mlir::createCanonicalizerPass());
}

} // namespace weft

//===- Pipelines.cpp - weft's named compilation phases --------------------===//
//
// This file implements the graph-level pipeline (canonicalize, CSE; the fusion,
// sharding and memory passes join it as they land) and the list of phases.
//
//===----------------------------------------------------------------------===//

#include "passes/Pipelines.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

namespace weft {

const std::vector<std::string> &compilePhases() {
  static const std::vector<std::string> phases = {
      "weft", "graph", "linalg", "bufferized", "llvm", "executable"};
  return phases;
}

void buildGraphPipeline(mlir::OpPassManager &pm, bool fuse) {
  mlir::OpPassManager &fn = pm.nest<mlir::func::FuncOp>();
  fn.addPass(mlir::createCanonicalizerPass());
  fn.addPass(mlir::createCSEPass());
  if (!fuse)
    return;
  // Fusion of recognized patterns into single ops, on the cleaned-up graph;
  // then clean up what the fusions left (dead constants, duplicates).
  fn.addPass(createFuseLayerNormPass());
  fn.addPass(createFuseMatmulGeluPass());
  fn.addPass(createFuseBatchMatmulAddPass());
  fn.addPass(mlir::createCSEPass());
  fn.addPass(mlir::createCanonicalizerPass());
}

} // namespace weft

//===- KernelPipeline.cpp - the kernel module's shared phases -------------===//
//
// This file implements the "linalg" and "bufferized" phases of kernel
// lowering (see KernelPipeline.h), shared by both code generators.
//
//===----------------------------------------------------------------------===//

#include "codegen/common/KernelPipeline.h"
#include "codegen/Passes.h"

#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace weft::codegen {

void addLinalgPhase(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createConvertWeftToLinalgPass());
  pm.addPass(createCanonicalizerPass());
}

void addBufferizePhase(OpPassManager &pm) {
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizationOptions options;
  options.memCpyFn = [](OpBuilder &b, Location loc, Value from, Value to) {
    b.create<linalg::CopyOp>(loc, from, to);
    return success();
  };
  pm.addPass(bufferization::createOneShotBufferizePass(options));
  pm.addPass(createCanonicalizerPass());
  bufferization::buildBufferDeallocationPipeline(pm, {});
  pm.addPass(createCanonicalizerPass());
}

} // namespace weft::codegen

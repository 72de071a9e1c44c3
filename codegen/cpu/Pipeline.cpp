//===- Pipeline.cpp - the kernel module's MLIR lowering -------------------===//
//
// This file implements lowerKernelModule, the MLIR half of the CPU back end,
// in three phases (the names CpuCodegenOptions::stopAfter takes):
//   linalg:     weft-convert-to-linalg, canonicalize.
//   bufferized: eliminate-empty-tensors (results go straight into the output
//               argument), one-shot-bufferize (copies as linalg.copy, so no
//               runtime helper is needed), the ownership-based deallocation
//               pipeline (frees the f32 accumulators of f16/bf16 kernels).
//   llvm:       (weft-split-reductions when asked), linalg → parallel loops,
//               weft-cpu-limit-parallel-loops, scf.parallel → OpenMP (options.parallel), polynomial math,
//               affine/scf → cf, strided metadata, and
//               weft-cpu-lower-to-llvm + reconcile-unrealized-casts.
// One PassManager runs them all; options.configurePassManager sees it first.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/Pipeline.h"
#include "codegen/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <limits>

using namespace mlir;

namespace weft::codegen {
namespace {

enum class Phase { Linalg, Bufferized, LLVM };

void addLinalgPhase(PassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createConvertWeftToLinalgPass());
  pm.addPass(createCanonicalizerPass());
}

void addBufferizePhase(PassManager &pm) {
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

void addLLVMPhase(PassManager &pm, bool parallel, bool splitReductions) {
  if (splitReductions)
    pm.addNestedPass<func::FuncOp>(createSplitReductionsPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  LimitParallelLoopsPassOptions limit;
  limit.minWork = parallel ? kMinParallelWork : std::numeric_limits<int64_t>::max();
  pm.addNestedPass<func::FuncOp>(createLimitParallelLoopsPass(limit));
  if (parallel) {
    pm.addPass(createConvertSCFToOpenMPPass());
    // Inlines the memref.alloca_scope put around each parallel body (it holds
    // no allocas; left in place, scf-to-cf would give it several blocks).
    pm.addPass(createCanonicalizerPass());
  }
  pm.addPass(createApproximateMathPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createLowerToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

} // namespace

LogicalResult lowerKernelModule(ModuleOp kernels, const CpuCodegenOptions &options) {
  Phase last = Phase::LLVM;
  if (options.stopAfter == "linalg")
    last = Phase::Linalg;
  else if (options.stopAfter == "bufferized")
    last = Phase::Bufferized;
  else if (!options.stopAfter.empty() && options.stopAfter != "llvm")
    return emitError(kernels.getLoc())
           << "unknown code generation phase '" << options.stopAfter
           << "'; use linalg, bufferized or llvm";

  PassManager pm(kernels.getContext());
  if (options.configurePassManager)
    options.configurePassManager(pm);
  addLinalgPhase(pm);
  if (last >= Phase::Bufferized)
    addBufferizePhase(pm);
  if (last >= Phase::LLVM)
    addLLVMPhase(pm, options.parallel, options.splitReductions);
  return pm.run(kernels);
}

} // namespace weft::codegen

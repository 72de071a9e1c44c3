//===- CpuPipeline.cpp - the kernel module's MLIR lowering for the CPU ----===//
//
// This file implements lowerKernelModule, the MLIR half of the CPU back end:
// the shared phases "linalg" and "bufferized" (common/KernelPipeline.cpp),
// then the CPU's "llvm" phase: (weft-split-reductions when asked), linalg →
// parallel loops, weft-cpu-limit-parallel-loops, scf.parallel → OpenMP
// (options.parallel), polynomial math, affine/scf → cf, strided metadata,
// and weft-cpu-lower-to-llvm + reconcile-unrealized-casts. One PassManager
// runs them all; options.configurePassManager sees it first.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/CpuPipeline.h"
#include "codegen/Passes.h"
#include "codegen/common/KernelPipeline.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
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

LogicalResult lowerKernelModule(ModuleOp kernels, const CpuCodegenOptions &options,
                                size_t lastPhase) {
  // The positions of codegenPhases("cpu"): linalg, bufferized, llvm.
  PassManager pm(kernels.getContext());
  if (options.configurePassManager)
    options.configurePassManager(pm);
  addLinalgPhase(pm);
  if (lastPhase >= 1)
    addBufferizePhase(pm);
  if (lastPhase >= 2)
    addLLVMPhase(pm, options.parallel, options.splitReductions);
  return pm.run(kernels);
}

} // namespace weft::codegen

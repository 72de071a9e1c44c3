//===- CubinEmitter.cpp - a gpu.module to a cubin -------------------------===//
//
// This file implements buildCubin, one PassManager over the kernel module:
//   1. nvvm-attach-target {chip, features, O}: the gpu.module gets its target;
//   2. inside the gpu.module: affine → arith, expand-strided-metadata (views
//      become pointer arithmetic), affine → arith again, scf → cf,
//      convert-gpu-to-nvvm with the bare-pointer convention (each memref
//      argument is one pointer: what the runtime passes), reconcile casts;
//   3. gpu-module-to-binary {format=bin, toolkit}: LLVM IR linked with the
//      toolkit's libdevice (exp, log, tanh, erf, ...), NVPTX → PTX, then the
//      toolkit's ptxas (a subprocess) → cubin.
// The cubin is the single object of the resulting gpu.binary.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CubinEmitter.h"
#include "codegen/cuda/GpuMapping.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <mutex>

extern "C" {
void LLVMInitializeNVPTXTargetInfo();
void LLVMInitializeNVPTXTarget();
void LLVMInitializeNVPTXTargetMC();
void LLVMInitializeNVPTXAsmPrinter();
}

using namespace mlir;

namespace weft::codegen {
namespace {

void initializeNvptx() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
  });
}

} // namespace

FailureOr<std::string> buildCubin(ModuleOp kernels, const CudaCodegenOptions &options) {
  Location loc = kernels.getLoc();
  llvm::SmallString<256> ptxas(options.toolkitPath);
  llvm::sys::path::append(ptxas, "bin", "ptxas");
  if (!llvm::sys::fs::can_execute(ptxas))
    return emitError(loc) << "cannot compile for cuda: no ptxas at '" << ptxas
                          << "'; install the CUDA toolkit or pass its path "
                             "(CudaCodegenOptions::toolkitPath)";
  initializeNvptx();

  PassManager pm(kernels.getContext());
  if (options.configurePassManager)
    options.configurePassManager(pm);
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = static_cast<unsigned>(options.optLevel);
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &gpuPm = pm.nest<gpu::GPUModuleOp>();
  gpuPm.addPass(createLowerAffinePass());
  gpuPm.addPass(memref::createExpandStridedMetadataPass());
  gpuPm.addPass(createLowerAffinePass());
  gpuPm.addPass(createConvertSCFToCFPass());
  gpuPm.addPass(createCanonicalizerPass());
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.useBarePtrCallConv = true;
  gpuPm.addPass(createConvertGpuOpsToNVVMOps(nvvm));
  gpuPm.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.toolkitPath = options.toolkitPath;
  binary.compilationTarget = "bin";
  // ptxas optimises the functions of one module on every CPU (it documents
  // no effect on the code produced): 11.4 -> see docs/performance.md for the
  // GPT-2 train step's module.
  binary.cmdOptions = "--split-compile 0";
  pm.addPass(createGpuModuleToBinaryPass(binary));
  if (failed(pm.run(kernels)))
    return failure();

  auto bin = kernels.lookupSymbol<gpu::BinaryOp>(kGpuModuleName);
  if (!bin || bin.getObjectsAttr().size() != 1)
    return emitError(loc) << "gpu-module-to-binary produced no single cubin for '"
                          << kGpuModuleName << "'";
  auto object = cast<gpu::ObjectAttr>(bin.getObjectsAttr()[0]);
  if (object.getFormat() != gpu::CompilationTarget::Binary)
    return emitError(loc) << "gpu-module-to-binary produced a "
                          << gpu::stringifyCompilationTarget(object.getFormat())
                          << " object instead of a cubin";
  return object.getObject().getValue().str();
}

} // namespace weft::codegen

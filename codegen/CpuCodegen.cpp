//===- CpuCodegen.cpp - weft programs to CPU Executables ------------------===//
//
// This file implements compileForCpu, the CPU code generator's driver, and
// the registration of its passes and dialects.
//
// Design
// ------
// 1. Partition (cpu/Partition.cpp). @main is walked in order. Arguments are
//    PARAMETER / INPUT buffers named by their weft.param / weft.input tags;
//    weft.constant is a CONSTANT buffer with its bytes (i1: one byte);
//    weft.reshape is an alias of its input's storage (no step); f32
//    weft.matmul / weft.batch_matmul are Gemm steps that the runtime runs
//    with cblas_sgemm (transpose flags mapped, batch = product of the batch
//    dimensions); every other weft op is one KernelCall step. Identical ops
//    (name, attributes, types) share a kernel. Returned values become OUTPUT
//    buffers named by weft.output; one that is a parameter, input, constant
//    or already an output is copied by a kernel. Other values are TEMPORARY
//    buffers at increasing 64-byte aligned arena offsets (no reuse yet:
//    assignArenaOffsets in cpu/ArenaLayout.cpp is the one function memory
//    planning replaces). Step labels read "<op> @ file:line".
// 2. Kernel module (cpu/KernelBuilder.cpp). Each kernel is a func
//    `weft_k<N>_<op>` whose arguments are memrefs for the op's operands, then
//    its result. The op is cloned on bufferization.to_tensor of the operands
//    and its result materialized into the last argument (destination-passing
//    style), so after eliminate-empty-tensors + one-shot-bufferize no kernel
//    allocates its output.
// 3. weft-convert-to-linalg (linalg/*.cpp, one pattern file per op family)
//    lowers the weft ops to linalg/tensor/arith/math on tensors.
// 4. Lowering (cpu/Pipeline.cpp): bufferize, linalg → parallel loops;
//    weft-cpu-limit-parallel-loops keeps OpenMP for outermost loop nests of
//    at least kMinParallelWork (32768) innermost iterations, over their
//    leading dimensions only; scf.parallel → OpenMP (options.parallel);
//    polynomial exp/log/tanh/erf (they vectorize, libm calls do not); then
//    the LLVM dialect with bare-pointer memref arguments.
//    Machine code (cpu/ObjectEmitter.cpp): LLVM IR plus a packed entry
//    `void weft_k<N>(void **args)` per kernel, optimised at optLevel for the
//    host CPU (its name goes into compiler_fingerprint), an in-memory object
//    linked by `cc -shared` (with libomp and an rpath when OpenMP is used)
//    into the ELF shared object stored in kernel_library.
//
//===----------------------------------------------------------------------===//

#include "codegen/CpuCodegen.h"
#include "codegen/Passes.h"
#include "codegen/cpu/Partition.h"
#include "codegen/cpu/Pipeline.h"
#include "ir/WeftDialect.h"
#include "runtime/Executable.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"

#include "llvm/Config/llvm-config.h"

using namespace mlir;

namespace weft::codegen {

void registerCodegenDialects(DialectRegistry &registry) {
  registry.insert<WeftDialect, func::FuncDialect, arith::ArithDialect, math::MathDialect,
                  tensor::TensorDialect, linalg::LinalgDialect,
                  bufferization::BufferizationDialect, memref::MemRefDialect,
                  scf::SCFDialect, affine::AffineDialect, cf::ControlFlowDialect,
                  index::IndexDialect, ub::UBDialect, omp::OpenMPDialect,
                  LLVM::LLVMDialect>();
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  arith::registerBufferDeallocationOpInterfaceExternalModels(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerSubsetOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerSubsetOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  cf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  memref::registerAllocationOpInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

void registerCodegenPasses() { registerWeftCodegenPasses(); }

FailureOr<proto::Executable> compileForCpu(ModuleOp module, const CpuCodegenOptions &options) {
  MLIRContext *ctx = module.getContext();
  DialectRegistry registry;
  registerCodegenDialects(registry);
  ctx->appendDialectRegistry(registry);
  // Load up front: passes run on several threads and must not load dialects.
  for (StringRef name : registry.getDialectNames())
    ctx->getOrLoadDialect(name);

  PartitionOptions partitionOptions;
  partitionOptions.scatterColumnBlock = options.scatterColumnBlock;
  FailureOr<CpuPartition> partition = partitionForCpu(module, partitionOptions);
  if (failed(partition))
    return failure();
  proto::Executable &exe = partition->executable;
  exe.set_format_version(rt::kFormatVersion);
  exe.set_target("cpu");
  exe.set_program_name(module.getSymName() ? module.getSymName()->str() : "main");
  exe.set_compiler_fingerprint("weft-cpu-codegen 1; llvm " LLVM_VERSION_STRING "; cpu " +
                               hostCpuDescription() + "; O" +
                               std::to_string(options.optLevel) + "; parallel " +
                               (options.parallel ? std::to_string(kMinParallelWork) : "off"));
  if (failed(assignArenaOffsets(*partition, rt::kMinArenaAlignment)))
    return failure();

  ModuleOp kernels = *partition->kernels;
  if (failed(lowerKernelModule(kernels, options)))
    return failure();
  if (!options.stopAfter.empty()) {
    module.getBodyRegion().takeBody(kernels.getBodyRegion());
    return std::move(exe);
  }
  if (!partition->entries.empty()) {
    FailureOr<std::string> library =
        buildKernelLibrary(kernels, partition->entries, options.optLevel, module.getLoc());
    if (failed(library))
      return failure();
    exe.set_kernel_library(std::move(*library));
  }
  return std::move(exe);
}

} // namespace weft::codegen

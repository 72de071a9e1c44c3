//===- CpuCodegen.cpp - weft programs to CPU Executables ------------------===//
//
// This file implements compileForCpu, the CPU code generator's driver, and
// the registration of its dialects.
//
// Design
// ------
// 1. Partition into kernels (common/Partition.cpp, shared with CUDA). @main
//    is walked in order. Arguments are PARAMETER / STATE / INPUT buffers
//    named by their tags; weft.constant is a CONSTANT buffer with its bytes;
//    weft.reshape is an alias of its input's storage (no step); f32
//    weft.matmul / weft.batch_matmul are Gemm steps that the runtime runs
//    with cblas_sgemm (transpose flags mapped, batch = product of the batch
//    dimensions); every other weft op is one KernelCall step. Identical ops
//    (name, attributes, types) share a kernel. Returned values become OUTPUT
//    buffers named by weft.output; one that is a parameter, input, constant
//    or already an output is copied by a kernel. Step labels read
//    "<op> @ file:line".
// 2. Arena layout (common/ArenaLayout.cpp): every arena buffer at the
//    offset of the memory plan on @main (weft-plan-memory, aligned to
//    arenaAlignment("cpu") = 64 bytes); without a plan, each at fresh bytes.
// 3. Kernel module (common/KernelBuilder.cpp). Each kernel is a func
//    `weft_k<N>_<op>` whose arguments are memrefs for the op's operands, then
//    its result. The op is cloned on bufferization.to_tensor of the operands
//    and its result materialized into the last argument (destination-passing
//    style), so after eliminate-empty-tensors + one-shot-bufferize no kernel
//    allocates its output.
// 4. The shared phases (common/KernelPipeline.cpp): weft-convert-to-linalg
//    (linalg/*.cpp, one pattern file per op family), then bufferization.
// 5. The CPU phase (cpu/CpuPipeline.cpp): linalg → parallel loops;
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

#include "codegen/cpu/CpuCodegen.h"
#include "codegen/common/Dialects.h"
#include "codegen/common/Partition.h"
#include "codegen/cpu/CpuPipeline.h"
#include "runtime/Executable.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"

#include "llvm/Config/llvm-config.h"

using namespace mlir;

namespace weft::codegen {

void registerCpuCodegenDialects(DialectRegistry &registry) {
  registerKernelDialects(registry);
  registry.insert<omp::OpenMPDialect>();
  registerOpenMPDialectTranslation(registry);
}

FailureOr<proto::Executable> compileForCpu(ModuleOp module, const CpuCodegenOptions &options) {
  DialectRegistry registry;
  registerCpuCodegenDialects(registry);
  loadDialects(module.getContext(), registry);
  FailureOr<size_t> stop = stopPhaseIndex(options, "cpu", module.getLoc());
  if (failed(stop))
    return failure();

  PartitionOptions partitionOptions;
  partitionOptions.scatterColumnBlock = options.scatterColumnBlock;
  partitionOptions.narrowFloatGemms = true; // bf16 / f16: runtime/cpu/NarrowGemm.h
  FailureOr<KernelPartition> partition = partitionIntoKernels(module, partitionOptions);
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
  for (const std::string &feature : hostCpuFeaturesForRuntime())
    exe.add_cpu_features(feature);
  if (failed(assignArenaOffsets(*partition, arenaAlignment("cpu"))))
    return failure();

  ModuleOp kernels = *partition->kernels;
  if (failed(lowerKernelModule(kernels, options, *stop)))
    return failure();
  if (*stop < codegenPhases("cpu").size()) {
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

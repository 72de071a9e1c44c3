//===- CudaCodegen.cpp - weft programs to CUDA Executables ----------------===//
//
// This file implements compileForCuda, the CUDA code generator's driver.
//
// Design
// ------
// The CUDA back end shares everything up to loops with the CPU back end and
// differs from there on:
// 1. Partition into kernels (common/Partition.cpp, shared with the CPU):
//    buffers, steps, kernels, the memory plan's arena offsets (planned with
//    arenaAlignment("cuda") = 256 bytes). f32,
//    bf16 and f16 (batch) matmuls are Gemm steps, which the CUDA runtime runs
//    with cuBLASLt (runtime/cuda/CublasLt.cpp; f32 accumulation); every
//    other op is a kernel call.
//    A fused_matmul's bias or gelu_tanh+bias epilogue then moves into its
//    Gemm step as a cuBLASLt epilogue (cuda/GemmEpilogues.cpp).
// 2. The kernel module goes through the shared "linalg" and "bufferized"
//    phases (common/KernelPipeline.cpp), then weft-split-reductions
//    (linalg/SplitReductions.cpp: reductions with little parallel work
//    become partial + final reductions), linalg → parallel loops and
//    scf-parallel-loop-fusion (a partial buffer's fill joins its loop).
// 3. GPU mapping (cuda/GpuMapping.cpp): each top-level loop nest of a kernel
//    function becomes a gpu.func of one gpu.module, launched with a 1-D grid
//    (one thread per parallel iteration) or, for sequential code, one thread.
//    A kernel is the list of its launches (Kernel.cuda_launches). Memory a
//    kernel allocates (f32 accumulators of narrow-float reductions,
//    intermediates of fused kernels) becomes scratch: TEMPORARY buffers past
//    the planned arena, shared by all kernels, passed as extra arguments.
//    Row reductions (weft.layer_norm, weft.rms_norm, softmax-like fusions)
//    skip steps 2-3 when they fit: cuda/RowReductionKernels.cpp builds them
//    as warp/block-per-row gpu.funcs directly, before the generic lowering
//    (so the "linalg", "bufferized" and "loops" phases still show the
//    generic form of every kernel).
// 4. Machine code (cuda/CubinEmitter.cpp): NVVM, libdevice, NVPTX, ptxas of
//    the toolkit named in the options → one sm_90 cubin for the whole
//    program, stored in kernel_library.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CudaCodegen.h"
#include "codegen/Passes.h"
#include "codegen/common/Dialects.h"
#include "codegen/common/KernelPipeline.h"
#include "codegen/common/Partition.h"
#include "codegen/cuda/CubinEmitter.h"
#include "codegen/cuda/GemmEpilogues.h"
#include "codegen/cuda/GpuMapping.h"
#include "codegen/cuda/RowReductionKernels.h"
#include "runtime/Executable.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Config/llvm-config.h"

#include <algorithm>

using namespace mlir;

namespace weft::codegen {

void registerCudaCodegenDialects(DialectRegistry &registry) {
  registerKernelDialects(registry);
  registry.insert<gpu::GPUDialect, NVVM::NVVMDialect, vector::VectorDialect>();
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerGPUDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
}

namespace {

/// Replaces the body of `module` by the kernel module (for stopAfter).
void showKernels(ModuleOp module, ModuleOp kernels) {
  module.getBodyRegion().takeBody(kernels.getBodyRegion());
  for (NamedAttribute a : kernels->getDiscardableAttrs())
    module->setAttr(a.getName(), a.getValue());
}

/// The shared phases through "linalg" (or "bufferized" when `bufferize`),
/// then with `loops` the CUDA phase "loops", in one pass manager.
LogicalResult lowerKernels(ModuleOp kernels, const CudaCodegenOptions &options, bool bufferize,
                           bool loops) {
  PassManager pm(kernels.getContext());
  if (options.configurePassManager)
    options.configurePassManager(pm);
  addLinalgPhase(pm);
  if (bufferize)
    addBufferizePhase(pm);
  if (!loops)
    return pm.run(kernels);
  if (options.splitReductions)
    pm.addNestedPass<func::FuncOp>(createSplitReductionsPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  // Adjacent parallel loops over the same space (a partial buffer's zero fill
  // and the partial reduction into it) become one loop: one launch, not two.
  pm.addNestedPass<func::FuncOp>(createParallelLoopFusionPass());
  pm.addPass(createCanonicalizerPass());
  return pm.run(kernels);
}

FailureOr<proto::DType> scratchDType(Type t, Location loc) {
  if (std::optional<proto::DType> dtype = bufferDType(t))
    return *dtype;
  return emitError(loc) << "a kernel needs scratch memory of element type " << t
                        << ", which a buffer cannot hold; use f32, f16, bf16, i32, i64 or i1";
}

/// Gives each kernel's scratch memrefs TEMPORARY buffers past the end of the
/// planned arena and appends them to the kernel's arguments and to every
/// step that calls it. Steps run one after another on one stream, so all
/// kernels share the same scratch region (as large as the largest need).
LogicalResult addScratchBuffers(proto::Executable &exe, const std::vector<GpuKernel> &kernels,
                                Location loc) {
  const uint64_t alignment = arenaAlignment("cuda");
  uint64_t base = (exe.arena_size() + alignment - 1) / alignment * alignment;
  uint64_t region = 0;
  std::vector<std::vector<uint32_t>> scratchIds(kernels.size());
  for (auto [k, kernel] : llvm::enumerate(kernels)) {
    uint64_t offset = 0;
    proto::Kernel *pk = exe.mutable_kernels(static_cast<int>(k));
    for (auto [i, type] : llvm::enumerate(kernel.scratch)) {
      FailureOr<proto::DType> dtype = scratchDType(type.getElementType(), loc);
      if (failed(dtype))
        return failure();
      uint64_t elementBytes =
          type.getElementType().isInteger(1) ? 1 : type.getElementTypeBitWidth() / 8;
      uint64_t bytes = static_cast<uint64_t>(type.getNumElements()) * elementBytes;
      uint32_t id = static_cast<uint32_t>(exe.buffers_size());
      proto::Buffer *b = exe.add_buffers();
      b->set_id(id);
      b->set_name("scratch " + std::to_string(i) + " of kernel " + pk->symbol());
      b->set_kind(proto::TEMPORARY);
      b->set_dtype(*dtype);
      for (int64_t d : type.getShape())
        b->add_shape(d);
      b->set_byte_size(bytes);
      b->set_arena_offset(base + offset);
      offset += (bytes + alignment - 1) / alignment * alignment;
      scratchIds[k].push_back(id);
      proto::KernelArg *spec = pk->add_args();
      spec->set_dtype(*dtype);
      spec->set_byte_size(bytes);
    }
    pk->set_num_args(pk->num_args() + static_cast<uint32_t>(kernel.scratch.size()));
    region = std::max(region, offset);
  }
  for (proto::Step &step : *exe.mutable_steps()) {
    if (!step.has_kernel_call())
      continue;
    for (uint32_t id : scratchIds[step.kernel_call().kernel()])
      step.mutable_kernel_call()->add_args(id);
  }
  if (region)
    exe.set_arena_size(base + region);
  return success();
}

/// Per kernel: the op of @main its first call computes (from the buffer of
/// the call's last result), when the kernel function was built for that op.
std::vector<Operation *> kernelOps(const KernelPartition &p) {
  std::vector<Operation *> ops(p.entries.size(), nullptr);
  for (const proto::Step &s : p.executable.steps()) {
    if (!s.has_kernel_call() || s.kernel_call().args_size() == 0)
      continue;
    uint32_t k = s.kernel_call().kernel();
    if (k >= ops.size() || ops[k])
      continue;
    uint32_t out = s.kernel_call().args(s.kernel_call().args_size() - 1);
    Value v = out < p.bufferValues.size() ? p.bufferValues[out] : Value();
    Operation *op = v ? v.getDefiningOp() : nullptr;
    if (op && StringRef(p.entries[k].function)
                  .ends_with("_" + op->getName().stripDialect().str()))
      ops[k] = op;
  }
  return ops;
}

/// Builds the row-reduction kernels (cuda/RowReductionKernels.h) into a
/// gpu.module of `holder` and erases their kernel functions from `kernels`.
/// Returns, per kernel, its GpuKernel when it became a row kernel.
std::vector<std::optional<GpuKernel>> buildRowKernels(KernelPartition &p, ModuleOp kernels,
                                                      ModuleOp holder) {
  OpBuilder b(holder.getContext());
  b.setInsertionPointToEnd(holder.getBody());
  auto gpuModule = b.create<gpu::GPUModuleOp>(holder.getLoc(), kGpuModuleName);
  std::vector<Operation *> ops = kernelOps(p);
  std::vector<std::optional<GpuKernel>> built(p.entries.size());
  for (auto [k, op] : llvm::enumerate(ops)) {
    if (!op)
      continue;
    auto fn = kernels.lookupSymbol<func::FuncOp>(p.entries[k].function);
    if (!fn || fn.isExternal())
      continue;
    built[k] = buildRowReductionKernel(gpuModule, op, p.entries[k].function,
                                       fn.getArgumentTypes());
    if (built[k])
      fn.erase();
  }
  return built;
}

/// Moves the gpu.funcs of `holder`'s gpu.module into `kernels`'.
void mergeRowKernels(ModuleOp holder, ModuleOp kernels) {
  auto from = holder.lookupSymbol<gpu::GPUModuleOp>(kGpuModuleName);
  auto to = kernels.lookupSymbol<gpu::GPUModuleOp>(kGpuModuleName);
  Block *dest = to.getBody();
  for (auto fn : llvm::make_early_inc_range(from.getBody()->getOps<gpu::GPUFuncOp>())) {
    if (!dest->empty() && dest->back().hasTrait<OpTrait::IsTerminator>())
      fn->moveBefore(&dest->back());
    else
      fn->moveBefore(dest, dest->end());
  }
}

} // namespace

FailureOr<proto::Executable> compileForCuda(ModuleOp module, const CudaCodegenOptions &options) {
  DialectRegistry registry;
  registerCudaCodegenDialects(registry);
  loadDialects(module.getContext(), registry);
  // The positions of codegenPhases("cuda"): linalg, bufferized, loops, gpu.
  enum : size_t { kLinalg, kBufferized, kLoops, kGpu };
  FailureOr<size_t> stop = stopPhaseIndex(options, "cuda", module.getLoc());
  if (failed(stop))
    return failure();
  if (options.blockSize < 32 || options.blockSize > 1024 || options.blockSize % 32 != 0)
    return emitError(module.getLoc())
           << "cuda block size " << options.blockSize
           << " is not a multiple of 32 between 32 and 1024; pick e.g. 256";
  if (options.maxGridBlocks < 1 || options.maxGridBlocks > 2147483647u)
    return emitError(module.getLoc())
           << "cuda grid cap " << options.maxGridBlocks
           << " (maxGridBlocks) is not between 1 and 2147483647 blocks; pick e.g. "
           << 132 * (2048 / options.blockSize) << " (one wave of an H100 at block size "
           << options.blockSize << ")";

  PartitionOptions partitionOptions;
  partitionOptions.narrowFloatGemms = true; // cuBLASLt runs bf16/f16 GEMMs
  partitionOptions.int8WeightGemms = false; // weft.matmul_q8 arrives expanded (weft-expand-matmul-q8)
  partitionOptions.scatterColumnBlock = 1;  // a thread per column of a scatter_add
  FailureOr<KernelPartition> partition = partitionIntoKernels(module, partitionOptions);
  if (failed(partition))
    return failure();
  if (options.gemmEpilogues)
    foldGemmEpilogues(*partition);
  proto::Executable &exe = partition->executable;
  exe.set_format_version(rt::kFormatVersion);
  exe.set_target("cuda");
  exe.set_program_name(module.getSymName() ? module.getSymName()->str() : "main");
  exe.set_compiler_fingerprint("weft-cuda-codegen 4; llvm " LLVM_VERSION_STRING "; " +
                               options.chip + " " + options.features + "; O" +
                               std::to_string(options.optLevel) + "; block " +
                               std::to_string(options.blockSize) + "; max grid " +
                               std::to_string(options.maxGridBlocks) +
                               (options.gemmEpilogues ? "; gemm epilogues" : "") +
                               (options.splitReductions ? "; split reductions" : ""));
  if (failed(assignArenaOffsets(*partition, arenaAlignment("cuda"))))
    return failure();

  ModuleOp kernels = *partition->kernels;
  OwningOpRef<ModuleOp> rowHolder = ModuleOp::create(module.getLoc());
  std::vector<std::optional<GpuKernel>> rowKernels(partition->entries.size());
  if (*stop >= kGpu)
    rowKernels = buildRowKernels(*partition, kernels, *rowHolder);
  if (failed(lowerKernels(kernels, options, *stop >= kBufferized, *stop >= kLoops)))
    return failure();
  if (*stop <= kLoops) {
    showKernels(module, kernels);
    return std::move(exe);
  }

  std::vector<std::string> functions;
  for (auto [k, e] : llvm::enumerate(partition->entries))
    if (!rowKernels[k])
      functions.push_back(e.function);
  FailureOr<std::vector<GpuKernel>> mapped =
      mapKernelsToGpu(kernels, functions, options.blockSize, options.maxGridBlocks);
  if (failed(mapped))
    return failure();
  mergeRowKernels(*rowHolder, kernels);
  std::vector<GpuKernel> generic = std::move(*mapped);
  std::vector<GpuKernel> gpuKernels;
  for (size_t k = 0, next = 0; k < rowKernels.size(); ++k)
    gpuKernels.push_back(rowKernels[k] ? std::move(*rowKernels[k]) : std::move(generic[next++]));
  if (failed(addScratchBuffers(exe, gpuKernels, module.getLoc())))
    return failure();
  for (auto [k, gpuKernel] : llvm::enumerate(gpuKernels)) {
    proto::Kernel *kernel = exe.mutable_kernels(static_cast<int>(k));
    for (const GpuLaunch &l : gpuKernel.launches) {
      proto::CudaLaunch *launch = kernel->add_cuda_launches();
      launch->set_function(l.function);
      launch->set_grid_x(l.grid[0]);
      launch->set_grid_y(l.grid[1]);
      launch->set_grid_z(l.grid[2]);
      launch->set_block_x(l.block[0]);
      launch->set_block_y(l.block[1]);
      launch->set_block_z(l.block[2]);
      for (uint32_t a : l.args)
        launch->add_args(a);
    }
  }
  if (*stop == kGpu) {
    showKernels(module, kernels);
    return std::move(exe);
  }
  if (exe.kernels_size() > 0) {
    FailureOr<std::string> cubin = buildCubin(kernels, options);
    if (failed(cubin))
      return failure();
    exe.set_kernel_library(std::move(*cubin));
  }
  return std::move(exe);
}

} // namespace weft::codegen

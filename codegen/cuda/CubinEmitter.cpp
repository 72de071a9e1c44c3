//===- CubinEmitter.cpp - a gpu.module to a cubin -------------------------===//
//
// This file implements buildCubin:
//   1. one PassManager over the kernel module: nvvm-attach-target {chip,
//      features, O}; inside the gpu.module: affine → arith,
//      expand-strided-metadata (views become pointer arithmetic), affine →
//      arith again, scf → cf, convert-gpu-to-nvvm with the bare-pointer
//      convention (each memref argument is one pointer: what the runtime
//      passes), reconcile casts;
//   2. serialization (gpu::transformGpuModulesToBinaries, what
//      gpu-module-to-binary runs): LLVM IR linked with the toolkit's
//      libdevice (exp, log, tanh, erf, ...), NVPTX → PTX, then the toolkit's
//      ptxas (a subprocess; one module optimizes on every CPU with
//      --split-compile 0) → cubin.
// LLVM's NVPTX back end and ptxas take almost all of the time, one module at
// a time. So when the context allows threads and there are enough kernels,
// step 2 splits the kernels into as many pieces as the context has threads
// (balanced by operation count; every piece keeps the module's declarations),
// serializes the pieces in parallel as relocatable objects (ptxas -c, one
// thread each: the pieces already use every thread) and
// links them with the toolkit's nvlink into one cubin; the kernels need
// nothing from each other, so this only changes how long it takes. Without
// threads (--mlir-disable-threading, IR printing), nvlink or enough kernels,
// the whole module is one piece and ptxas writes the cubin directly. The
// cubin is the single object of the resulting gpu.binary.
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
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Threading.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <list>
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

/// Fewest kernels per piece worth a parallel serialization (each piece
/// repeats the per-module work: libdevice linking, a ptxas start).
constexpr size_t kMinKernelsPerPiece = 8;

void initializeNvptx() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
  });
}

/// Step 1: the gpu.module of `kernels` lowered to NVVM, with its target.
LogicalResult lowerToNvvm(ModuleOp kernels, const CudaCodegenOptions &options) {
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
  return pm.run(kernels);
}

/// Step 2 for one module holding the gpu.module: its object, a cubin or,
/// when `relocatable`, a relocatable object for nvlink.
FailureOr<std::string> serialize(ModuleOp holder, const CudaCodegenOptions &options,
                                 bool relocatable) {
  Location loc = holder.getLoc();
  std::optional<SymbolTable> table;
  auto symbolTable = [&]() -> SymbolTable * {
    if (!table)
      table.emplace(holder);
    return &*table;
  };
  gpu::TargetOptions target(options.toolkitPath, {},
                            relocatable ? "-c" : "--split-compile 0",
                            gpu::CompilationTarget::Binary, symbolTable);
  if (failed(gpu::transformGpuModulesToBinaries(holder, nullptr, target)))
    return failure();
  auto bin = holder.lookupSymbol<gpu::BinaryOp>(kGpuModuleName);
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

/// Splits the kernels of `gpuModule` into `count` modules, each holding a
/// copy of the gpu.module with its share of the kernels (greedy by
/// operation count, largest first) and every non-kernel symbol.
std::vector<OwningOpRef<ModuleOp>> splitKernels(gpu::GPUModuleOp gpuModule, size_t count) {
  StringRef kernelAttr = NVVM::NVVMDialect::getKernelFuncAttrName();
  std::vector<std::pair<size_t, std::string>> sizes;
  for (auto fn : gpuModule.getBody()->getOps<LLVM::LLVMFuncOp>()) {
    if (!fn->hasAttr(kernelAttr))
      continue;
    size_t ops = 0;
    fn.walk([&](Operation *) { ++ops; });
    sizes.push_back({ops, fn.getSymName().str()});
  }
  std::stable_sort(sizes.begin(), sizes.end(),
                   [](const auto &a, const auto &b) { return a.first > b.first; });
  std::vector<size_t> load(count, 0);
  std::vector<llvm::StringSet<>> owned(count);
  for (const auto &[ops, name] : sizes) {
    size_t lightest = std::min_element(load.begin(), load.end()) - load.begin();
    load[lightest] += ops;
    owned[lightest].insert(name);
  }
  std::vector<OwningOpRef<ModuleOp>> pieces;
  for (size_t i = 0; i < count; ++i) {
    OwningOpRef<ModuleOp> piece = ModuleOp::create(gpuModule.getLoc());
    OpBuilder b(piece->getBodyRegion());
    auto copy = cast<gpu::GPUModuleOp>(b.clone(*gpuModule));
    for (auto fn : llvm::make_early_inc_range(copy.getBody()->getOps<LLVM::LLVMFuncOp>()))
      if (fn->hasAttr(kernelAttr) && !owned[i].contains(fn.getSymName()))
        fn.erase();
    pieces.push_back(std::move(piece));
  }
  return pieces;
}

/// Links relocatable objects into one cubin with the toolkit's nvlink.
FailureOr<std::string> linkObjects(ArrayRef<std::string> objects, StringRef nvlink,
                                   const CudaCodegenOptions &options, Location loc) {
  std::vector<std::string> paths;
  std::list<llvm::FileRemover> removers; // stable: a FileRemover deletes its file when destroyed
  auto temporary = [&](StringRef suffix) -> FailureOr<std::string> {
    llvm::SmallString<128> path;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile("weft-cuda", suffix, path))
      return emitError(loc) << "cannot create a temporary file for nvlink: " << ec.message();
    removers.emplace_back(path);
    return path.str().str();
  };
  for (const std::string &object : objects) {
    FailureOr<std::string> path = temporary("o");
    if (failed(path))
      return failure();
    std::error_code ec;
    llvm::raw_fd_ostream os(*path, ec);
    if (ec)
      return emitError(loc) << "cannot write '" << *path << "' for nvlink: " << ec.message();
    os << object;
    os.close();
    if (os.has_error())
      return emitError(loc) << "cannot write '" << *path << "' for nvlink";
    paths.push_back(*path);
  }
  FailureOr<std::string> out = temporary("cubin"), log = temporary("log");
  if (failed(out) || failed(log))
    return failure();
  std::string arch = "-arch=" + options.chip;
  std::vector<StringRef> args = {nvlink, arch};
  for (const std::string &p : paths)
    args.push_back(p);
  args.push_back("-o");
  args.push_back(*out);
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(*log), StringRef(*log)};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(nvlink, args, std::nullopt, redirects, 0, 0, &message);
  auto read = [](StringRef path) -> std::string {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    return buffer ? (*buffer)->getBuffer().str() : std::string();
  };
  if (rc != 0)
    return emitError(loc) << "nvlink failed (exit code " << rc << (message.empty() ? "" : ": ")
                          << message << ") linking " << objects.size()
                          << " kernel objects: " << read(*log);
  std::string cubin = read(*out);
  if (cubin.empty())
    return emitError(loc) << "nvlink wrote no cubin at '" << *out << "'";
  return cubin;
}

} // namespace

FailureOr<std::string> buildCubin(ModuleOp kernels, const CudaCodegenOptions &options) {
  Location loc = kernels.getLoc();
  llvm::SmallString<256> ptxas(options.toolkitPath), nvlink(options.toolkitPath);
  llvm::sys::path::append(ptxas, "bin", "ptxas");
  llvm::sys::path::append(nvlink, "bin", "nvlink");
  if (!llvm::sys::fs::can_execute(ptxas))
    return emitError(loc) << "cannot compile for cuda: no ptxas at '" << ptxas
                          << "'; install the CUDA toolkit or pass its path "
                             "(CudaCodegenOptions::toolkitPath)";
  initializeNvptx();
  if (failed(lowerToNvvm(kernels, options)))
    return failure();

  auto gpuModule = kernels.lookupSymbol<gpu::GPUModuleOp>(kGpuModuleName);
  if (!gpuModule)
    return emitError(loc) << "no gpu.module '" << kGpuModuleName << "' to compile";
  MLIRContext *ctx = kernels.getContext();
  size_t numKernels = 0;
  for (auto fn : gpuModule.getBody()->getOps<LLVM::LLVMFuncOp>())
    numKernels += fn->hasAttr(NVVM::NVVMDialect::getKernelFuncAttrName());
  size_t pieces = ctx->isMultithreadingEnabled() && llvm::sys::fs::can_execute(nvlink)
                      ? std::min<size_t>(ctx->getNumThreads(), numKernels / kMinKernelsPerPiece)
                      : 1;
  if (pieces <= 1)
    return serialize(kernels, options, /*relocatable=*/false);

  std::vector<OwningOpRef<ModuleOp>> modules = splitKernels(gpuModule, pieces);
  std::vector<std::string> objects(pieces);
  if (failed(failableParallelForEachN(ctx, 0, pieces, [&](size_t i) -> LogicalResult {
        FailureOr<std::string> object = serialize(*modules[i], options, /*relocatable=*/true);
        if (failed(object))
          return failure();
        objects[i] = std::move(*object);
        return success();
      })))
    return failure();
  return linkObjects(objects, nvlink, options, loc);
}

} // namespace weft::codegen

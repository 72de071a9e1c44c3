//===- ObjectEmitter.cpp - LLVM dialect → ELF shared object ---------------===//
//
// This file implements buildKernelLibrary, the machine-code half of the CPU
// back end:
//   1. Translate the LLVM-dialect kernel module to LLVM IR.
//   2. For each kernel add the exported packed entry `void weft_kN(void **)`
//      that loads the buffer addresses and calls the kernel function, which
//      becomes internal (it is inlined). Kernel arguments are noalias
//      (a kernel's output never shares bytes with its inputs) except for the
//      kernels of Elementwise ops, whose result the memory plan may put on
//      the storage of a dying operand (in place).
//   3. Optimise for the host CPU (name and features from LLVM's host query,
//      so AVX-512 is used where present) at the requested level.
//   4. Emit a PIC object in memory.
//   5. Write the objects to a fresh temporary folder and link them with `cc
//      -shared` (plus libomp.so.5 and an rpath to it when the kernels use
//      OpenMP, and libm); `-z defs` makes a missing symbol a link error here
//      rather than a load error later. Read the .so back and remove the
//      folder.
// Steps 1-4 take almost all of the time, in one thread per module. When the
// MLIR context allows threads and there are enough kernels, the kernels are
// split into as many modules as the context has threads (balanced by
// operation count; each keeps the external declarations) and steps 1-4 run
// on them in parallel, each in its own LLVMContext; step 5 links the
// objects into the one .so. Kernels call nothing but external functions, so
// the split changes only how long it takes; a module with any other
// definition is compiled whole.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/CpuPipeline.h"
#include "runtime/CpuFeatures.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Threading.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/xxhash.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

#include <algorithm>
#include <mutex>
#include <vector>

using namespace mlir;

namespace weft::codegen {
namespace {

/// Where libomp.so.5 may be, in order of preference.
constexpr const char *kOpenMPLibraries[] = {"/usr/lib/llvm-19/lib/libomp.so.5",
                                             "/usr/lib/x86_64-linux-gnu/libomp.so.5"};

void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

std::string hostFeatureString() {
  llvm::SubtargetFeatures features;
  for (const auto &f : llvm::sys::getHostCPUFeatures())
    features.AddFeature(f.first(), f.second);
  return features.getString();
}

/// Step 2: the packed entries.
LogicalResult addPackedEntries(llvm::Module &m, ArrayRef<KernelEntry> entries, Location loc) {
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *entryType = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false);
  for (const KernelEntry &e : entries) {
    llvm::Function *kernel = m.getFunction(e.function);
    if (!kernel || kernel->arg_size() != e.numArgs)
      return emitError(loc) << "internal error: kernel function '" << e.function
                            << "' is missing or does not take " << e.numArgs << " pointers";
    kernel->setLinkage(llvm::GlobalValue::InternalLinkage);
    // Arguments that every call gives the same storage become one pointer
    // (the others unused); then no two used arguments share a written byte,
    // and all are noalias (KernelEntry::sharedArgs).
    bool shared = !e.noAlias && e.sharedArgs.size() == e.numArgs;
    if (shared)
      for (unsigned i = 0; i < e.numArgs; ++i)
        if (e.sharedArgs[i] != i)
          kernel->getArg(i)->replaceAllUsesWith(kernel->getArg(e.sharedArgs[i]));
    if (e.noAlias || shared)
      for (unsigned i = 0; i < e.numArgs; ++i)
        kernel->addParamAttr(i, llvm::Attribute::NoAlias);
    auto *entry = llvm::Function::Create(entryType, llvm::GlobalValue::ExternalLinkage,
                                         e.symbol, m);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
    SmallVector<llvm::Value *> args;
    for (unsigned i = 0; i < e.numArgs; ++i) {
      llvm::Value *slot = b.CreateConstInBoundsGEP1_64(ptr, entry->getArg(0), i);
      args.push_back(b.CreateLoad(ptr, slot));
    }
    b.CreateCall(kernel, args);
    b.CreateRetVoid();
  }
  return success();
}

/// Step 3: the target machine and the optimisation pipeline.
void optimize(llvm::Module &m, llvm::TargetMachine &tm, int optLevel) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  llvm::PassBuilder pb(&tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel <= 0   ? llvm::OptimizationLevel::O0
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager mpm = level == llvm::OptimizationLevel::O0
                                    ? pb.buildO0DefaultPipeline(level)
                                    : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(m, mam);
}

/// Step 5: link `objects` into a shared object and return its bytes.
FailureOr<std::string> linkSharedObject(ArrayRef<std::string> objects, bool needsOpenMP,
                                        Location loc) {
  llvm::SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("weft-kernels", dir))
    return emitError(loc) << "cannot create a temporary folder for linking kernels: "
                          << ec.message() << "; check TMPDIR";
  struct Cleanup {
    llvm::SmallString<128> &dir;
    ~Cleanup() { llvm::sys::fs::remove_directories(dir); }
  } cleanup{dir};

  auto path = [&](StringRef name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };
  std::string soPath = path("kernels.so"), logPath = path("link.log");
  std::vector<std::string> objPaths;
  for (auto [i, object] : llvm::enumerate(objects)) {
    objPaths.push_back(path("kernels" + std::to_string(i) + ".o"));
    std::error_code ec;
    llvm::raw_fd_ostream os(objPaths.back(), ec);
    if (ec)
      return emitError(loc) << "cannot write " << objPaths.back() << ": " << ec.message();
    os << object;
    os.close();
    if (os.has_error())
      return emitError(loc) << "cannot write " << objPaths.back() << ": "
                            << os.error().message();
  }
  llvm::ErrorOr<std::string> cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    return emitError(loc) << "no C compiler driver 'cc' on PATH to link the kernels; "
                             "install gcc or clang";
  SmallVector<std::string> args = {*cc, "-shared", "-o", soPath};
  args.append(objPaths.begin(), objPaths.end());
  args.push_back("-Wl,-z,defs");
  if (needsOpenMP) {
    const char *libomp = nullptr;
    for (const char *candidate : kOpenMPLibraries)
      if (llvm::sys::fs::exists(candidate)) {
        libomp = candidate;
        break;
      }
    if (!libomp)
      return emitError(loc) << "the kernels use OpenMP but libomp.so.5 was found in neither "
                            << kOpenMPLibraries[0] << " nor " << kOpenMPLibraries[1]
                            << "; install libomp-19-dev or compile with parallel = false";
    args.push_back(libomp);
    args.push_back("-Wl,-rpath," + llvm::sys::path::parent_path(libomp).str());
  }
  args.push_back("-lm");
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(logPath), StringRef(logPath)};
  std::string execError;
  int rc = llvm::sys::ExecuteAndWait(*cc, argRefs, std::nullopt, redirects,
                                     /*SecondsToWait=*/300, 0, &execError);
  if (rc != 0) {
    auto log = llvm::MemoryBuffer::getFile(logPath);
    return emitError(loc) << "linking the kernels with '" << llvm::join(argRefs, " ")
                          << "' failed (exit code " << rc << ")"
                          << (execError.empty() ? "" : ": " + execError) << ":\n"
                          << (log ? (*log)->getBuffer() : StringRef("<no output>"));
  }
  auto so = llvm::MemoryBuffer::getFile(soPath);
  if (!so)
    return emitError(loc) << "cannot read the linked kernels " << soPath << ": "
                          << so.getError().message();
  return (*so)->getBuffer().str();
}

} // namespace

std::vector<std::string> hostCpuFeaturesForRuntime() {
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> features;
  for (const std::string &name : rt::checkableCpuFeatures())
    if (auto it = host.find(name); it != host.end() && it->second)
      features.push_back(name);
  return features;
}

std::string hostCpuDescription() {
  std::string features = hostFeatureString();
  return llvm::sys::getHostCPUName().str() + " features:" +
         llvm::utohexstr(llvm::xxh3_64bits(features));
}

namespace {

/// A relocatable object of some kernels, and whether it calls OpenMP.
struct KernelObject {
  std::string bytes;
  bool needsOpenMP = false;
};

/// Steps 1-4 for one module (in its own LLVMContext).
FailureOr<KernelObject> emitObject(ModuleOp kernels, ArrayRef<KernelEntry> entries, int optLevel,
                                   Location loc) {
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> m = translateModuleToLLVMIR(kernels, llvmContext, "weft_kernels");
  if (!m)
    return emitError(loc) << "cannot translate the kernels to LLVM IR (see the diagnostics "
                             "above)";
  if (failed(addPackedEntries(*m, entries, loc)))
    return failure();

  std::string triple = llvm::sys::getProcessTriple(), error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return emitError(loc) << "no LLVM target for " << triple << ": " << error;
  std::string cpu = llvm::sys::getHostCPUName().str(), features = hostFeatureString();
  llvm::CodeGenOptLevel cgLevel =
      optLevel <= 0 ? llvm::CodeGenOptLevel::None : llvm::CodeGenOptLevel::Aggressive;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, llvm::TargetOptions(), llvm::Reloc::PIC_, std::nullopt, cgLevel));
  if (!tm)
    return emitError(loc) << "cannot create an LLVM target machine for " << triple << " "
                          << cpu;
  m->setTargetTriple(triple);
  m->setDataLayout(tm->createDataLayout());
  for (llvm::Function &f : *m)
    if (!f.isDeclaration()) {
      f.addFnAttr("target-cpu", cpu);
      f.addFnAttr("target-features", features);
    }
  optimize(*m, *tm, optLevel);

  llvm::SmallVector<char, 0> object;
  {
    llvm::raw_svector_ostream os(object);
    llvm::legacy::PassManager codegen;
    if (tm->addPassesToEmitFile(codegen, os, nullptr, llvm::CodeGenFileType::ObjectFile))
      return emitError(loc) << "LLVM cannot emit object files for " << triple;
    codegen.run(*m);
  }
  return KernelObject{std::string(object.data(), object.size()),
                      m->getFunction("__kmpc_fork_call") != nullptr};
}

/// Fewest kernels per piece worth compiling separately.
constexpr size_t kMinKernelsPerPiece = 8;

/// Whether the kernel functions of `kernels` can be compiled apart: every
/// other top-level op is a declaration or private.
bool splittable(ModuleOp kernels, const llvm::StringSet<> &kernelFunctions) {
  for (Operation &op : kernels.getBody()->getOperations()) {
    if (auto fn = dyn_cast<LLVM::LLVMFuncOp>(op)) {
      if (fn.isExternal() || kernelFunctions.contains(fn.getSymName()) ||
          fn.getLinkage() == LLVM::Linkage::Private || fn.getLinkage() == LLVM::Linkage::Internal)
        continue;
      return false;
    }
    if (auto global = dyn_cast<LLVM::GlobalOp>(op)) {
      if (global.getLinkage() == LLVM::Linkage::Private ||
          global.getLinkage() == LLVM::Linkage::Internal)
        continue;
      return false;
    }
  }
  return true;
}

/// `count` modules, each a copy of `kernels` with only its share of the
/// kernel functions (greedy by operation count, largest first), and their
/// entries.
void splitKernels(ModuleOp kernels, ArrayRef<KernelEntry> entries, size_t count,
                  std::vector<OwningOpRef<ModuleOp>> &modules,
                  std::vector<std::vector<KernelEntry>> &pieceEntries) {
  std::vector<std::pair<size_t, size_t>> sizes; // (ops, entry index)
  for (auto [i, e] : llvm::enumerate(entries)) {
    size_t ops = 0;
    if (auto fn = kernels.lookupSymbol<LLVM::LLVMFuncOp>(e.function))
      fn.walk([&](Operation *) { ++ops; });
    sizes.push_back({ops, i});
  }
  std::stable_sort(sizes.begin(), sizes.end(),
                   [](const auto &a, const auto &b) { return a.first > b.first; });
  std::vector<size_t> load(count, 0);
  std::vector<llvm::StringSet<>> owned(count);
  pieceEntries.assign(count, {});
  for (auto [ops, i] : sizes) {
    size_t lightest = std::min_element(load.begin(), load.end()) - load.begin();
    load[lightest] += ops;
    owned[lightest].insert(entries[i].function);
    pieceEntries[lightest].push_back(entries[i]);
  }
  llvm::StringSet<> all;
  for (const KernelEntry &e : entries)
    all.insert(e.function);
  for (size_t p = 0; p < count; ++p) {
    OwningOpRef<ModuleOp> piece(cast<ModuleOp>(kernels->clone()));
    for (auto fn : llvm::make_early_inc_range(piece->getOps<LLVM::LLVMFuncOp>()))
      if (all.contains(fn.getSymName()) && !owned[p].contains(fn.getSymName()))
        fn.erase();
    modules.push_back(std::move(piece));
  }
}

} // namespace

FailureOr<std::string> buildKernelLibrary(ModuleOp kernels, ArrayRef<KernelEntry> entries,
                                          int optLevel, Location loc) {
  initializeNativeTarget();
  MLIRContext *ctx = kernels.getContext();
  llvm::StringSet<> kernelFunctions;
  for (const KernelEntry &e : entries)
    kernelFunctions.insert(e.function);
  size_t pieces = ctx->isMultithreadingEnabled() && splittable(kernels, kernelFunctions)
                      ? std::min<size_t>(ctx->getNumThreads(), entries.size() / kMinKernelsPerPiece)
                      : 1;
  if (pieces <= 1) {
    FailureOr<KernelObject> object = emitObject(kernels, entries, optLevel, loc);
    if (failed(object))
      return failure();
    return linkSharedObject({object->bytes}, object->needsOpenMP, loc);
  }
  std::vector<OwningOpRef<ModuleOp>> modules;
  std::vector<std::vector<KernelEntry>> pieceEntries;
  splitKernels(kernels, entries, pieces, modules, pieceEntries);
  std::vector<KernelObject> objects(pieces);
  if (failed(failableParallelForEachN(ctx, 0, pieces, [&](size_t i) -> LogicalResult {
        FailureOr<KernelObject> object = emitObject(*modules[i], pieceEntries[i], optLevel, loc);
        if (failed(object))
          return failure();
        objects[i] = std::move(*object);
        return success();
      })))
    return failure();
  std::vector<std::string> bytes;
  bool needsOpenMP = false;
  for (KernelObject &o : objects) {
    bytes.push_back(std::move(o.bytes));
    needsOpenMP = needsOpenMP || o.needsOpenMP;
  }
  return linkSharedObject(bytes, needsOpenMP, loc);
}

} // namespace weft::codegen

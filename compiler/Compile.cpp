//===- Compile.cpp - the single-call compile API --------------------------===//
//
// This file implements weft::compile:
//   1. Print the input module; with the options (training options included),
//      the target and the identity of the running compiler binary it forms
//      the cache key (SHA-256).
//   2. On a cache hit, load and validate the cached Executable and return it
//      (a corrupt cache entry is recompiled and overwritten).
//   3. Otherwise clone the module and run, under one IR dumper and one
//      diagnostic collector, the training pipeline (for a training step),
//      the graph pipeline (compiler/Pipelines.h), then the target's code
//      generator; stop after options.compileTo (compiler/Phases.h).
//   4. Store the Executable in the cache atomically and return it.
//
//===----------------------------------------------------------------------===//

#include "compiler/Compile.h"

#include "codegen/common/CodegenOptions.h"
#include "codegen/cpu/CpuCodegen.h"
#include "codegen/cuda/CudaCodegen.h"
#include "compiler/Diagnostics.h"
#include "compiler/GraphReport.h"
#include "compiler/IrDump.h"
#include "compiler/Phases.h"
#include "compiler/Pipelines.h"
#include "ir/AttrNames.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdlib>
#include <sys/stat.h>

namespace weft {
namespace {

/// Identifies the compiler that is running: the size and modification time of
/// this process's executable change whenever any part of weft is rebuilt, so a
/// rebuilt compiler never reuses an older compiler's cache entries.
std::string compilerIdentity() {
  struct stat st {};
  if (::stat("/proc/self/exe", &st) != 0)
    return "unknown";
  return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtime);
}

std::string printModule(mlir::ModuleOp module, bool withLocations) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, mlir::OpPrintingFlags().enableDebugInfo(withLocations));
  return text;
}

std::string cacheKey(mlir::ModuleOp module, const CompileOptions &options) {
  llvm::SHA256 sha;
  auto add = [&](llvm::StringRef s) {
    sha.update(s);
    sha.update(llvm::StringRef("\0", 1));
  };
  add("weft-compile-v1");
  add(compilerIdentity());
  add(llvm::sys::getHostCPUName());
  add(options.target);
  add(options.fuse ? "fuse" : "no-fuse");
  add("quantize " + options.quantize + " lm-head " + options.lmHead +
      (options.quantize == "llm-int8" ? " threshold " + std::to_string(options.llmInt8Threshold) : ""));
  add(options.expandMatmulQ8 ? (*options.expandMatmulQ8 ? "expand-q8" : "fused-q8") : "default-q8");
  add("precision " + options.precision);
  add(options.train ? "train " + describeTrainOptions(*options.train) : "forward");
  add(options.autoShard ? "auto-shard " + options.autoShard->describe() : "given shardings");
  add(options.plan ? "plan " + options.plan->text : "no plan");
  add(printModule(module, /*withLocations=*/true));
  return llvm::toHex(sha.final(), /*LowerCase=*/true).substr(0, 32);
}

/// weft-recompute's summary (kRecomputeSummaryAttr) on the module's
/// function after the graph passes; null when it has none.
mlir::DictionaryAttr recomputeSummary(mlir::ModuleOp work) {
  for (auto fn : work.getOps<mlir::func::FuncOp>())
    if (auto summary = fn->getAttrOfType<mlir::DictionaryAttr>(kRecomputeSummaryAttr))
      return summary;
  return nullptr;
}

/// Copies weft-recompute's `summary`, if any, into the Executable's
/// RecomputeReport.
void recordRecomputeReport(mlir::DictionaryAttr summary, proto::Executable &exe) {
  if (!summary)
    return;
  auto get = [&](llvm::StringRef key) -> uint64_t {
    auto v = summary.getAs<mlir::IntegerAttr>(key);
    return v && v.getInt() > 0 ? uint64_t(v.getInt()) : 0;
  };
  proto::RecomputeReport *r = exe.mutable_recompute();
  r->set_groups(get("groups"));
  r->set_ops(get("ops"));
  r->set_added_flops(get("added_flops"));
  r->set_step_flops(get("step_flops"));
  r->set_kept_bytes_before(get("kept_bytes_before"));
  r->set_kept_bytes_after(get("kept_bytes_after"));
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// Runs the training pipeline (with options.train) on `work` in place;
/// `configure` sets up the pass manager (dumps, printing, timing).
void runTrainingPipeline(mlir::ModuleOp work, const CompileOptions &options,
                         const std::function<void(mlir::PassManager &)> &configure,
                         const DiagnosticCollector &diagnostics) {
  if (!options.train)
    return;
  mlir::PassManager pm(work->getContext());
  buildTrainingPipeline(pm, *options.train, options.quantize);
  if (configure)
    configure(pm);
  if (mlir::failed(pm.run(work)))
    diagnostics.fail("training step (weft-autodiff, weft-optimizer)");
}

/// Runs the parallel pipeline on `work` in place when it has a mesh or one is to be searched.
void runParallelPipeline(mlir::ModuleOp work, const CompileOptions &options,
                         const std::function<void(mlir::PassManager &)> &configure,
                         const DiagnosticCollector &diagnostics) {
  if (options.plan) {
    std::string error = options.plan->applyTo(work);
    if (!error.empty())
      throw CompileError(error);
  }
  if (!work->hasAttr(kMeshAttr) && !options.autoShard)
    return;
  mlir::PassManager pm(work->getContext());
  // The search checks its plans against the budget with the target's arena alignment.
  std::optional<AutoShardOptions> autoShard = options.autoShard;
  if (autoShard)
    autoShard->alignment = static_cast<int64_t>(codegen::arenaAlignment(options.target));
  buildParallelPipeline(pm, autoShard ? &*autoShard : nullptr);
  if (configure)
    configure(pm);
  if (mlir::failed(pm.run(work)))
    diagnostics.fail("parallel passes (weft-auto-shard, weft-propagate-sharding, weft-spmd-partition)");
}

/// Runs the graph pipeline on `work` in place.
void runGraphPipeline(mlir::ModuleOp work, const CompileOptions &options,
                      const std::function<void(mlir::PassManager &)> &configure,
                      const DiagnosticCollector &diagnostics) {
  mlir::PassManager graph(work->getContext());
  buildGraphPipeline(graph, options);
  if (configure)
    configure(graph);
  if (mlir::failed(graph.run(work)))
    diagnostics.fail("graph passes");
}

} // namespace

std::string AutoShardOptions::describe() const {
  std::string text = "devices=" + std::to_string(devices) + " cluster=" + cluster +
                     " memory-gib=" + std::to_string(memoryGib) + (verify ? " verify" : "");
  // A description file is part of what is compiled: its contents, not only its name.
  if (llvm::sys::fs::exists(cluster))
    if (auto file = llvm::MemoryBuffer::getFile(cluster))
      text += " " + (*file)->getBuffer().str();
  return text;
}

std::string compileCacheDir(const CompileOptions &options) {
  if (!options.cacheDir.empty())
    return options.cacheDir;
  if (const char *d = std::getenv("WEFT_CACHE_DIR"); d && *d)
    return d;
  if (const char *d = std::getenv("XDG_CACHE_HOME"); d && *d)
    return std::string(d) + "/weft";
  const char *home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.cache/weft";
}

CompileResult compile(mlir::ModuleOp module, const CompileOptions &options) {
  auto start = std::chrono::steady_clock::now();
  CompileResult result;
  if (options.target != "cpu" && options.target != "cuda")
    throw CompileError("unknown target '" + options.target +
                       "'; this build supports: cpu, cuda");
  if (options.train && options.train->recompute != "none" && options.train->recompute != "blocks")
    throw CompileError("unknown recompute mode '" + options.train->recompute +
                       "'; use none or blocks (the groups the model marked with RecomputeScope)");
  if (options.precision != "f32" && options.precision != "bf16" && options.precision != "f16")
    throw CompileError("unknown precision '" + options.precision + "'; use f32, bf16 or f16");
  if (options.precision != "f32" && options.train)
    throw CompileError("precision " + options.precision + " is for a forward program; a training step "
                       "takes its precision from TrainOptions::precision");
  if (options.precision != "f32" && !options.quantize.empty())
    throw CompileError("quantize " + options.quantize + " keeps f32 activations; it does not combine "
                       "with precision " + options.precision);
  if (!options.compileTo.empty() && !isCompilePhase(options.compileTo, options.target))
    throw CompileError("unknown phase '" + options.compileTo + "' for --compile-to with target " +
                       options.target + "; phases: " + phaseNames(options.target));
  bool toExecutable =
      options.compileTo.empty() || options.compileTo == "executable";

  // 1-2. The cache.
  if (options.useCache && toExecutable && options.dumpIrDir.empty()) {
    std::string dir = compileCacheDir(options);
    result.cachePath = dir + "/" + cacheKey(module, options) + ".wexe";
    if (llvm::sys::fs::exists(result.cachePath)) {
      auto cached = rt::Executable::load(result.cachePath);
      if (cached.isOk()) {
        result.executable = std::move(cached).value();
        result.cacheHit = true;
        result.seconds = secondsSince(start);
        return result;
      }
      llvm::errs() << "weft: warning: ignoring unusable cache entry: "
                   << cached.status().message() << "\n";
    }
  }

  // 3. Graph passes, then code generation, on a clone.
  mlir::MLIRContext *ctx = module->getContext();
  mlir::OwningOpRef<mlir::ModuleOp> work(module.clone());
  DiagnosticCollector diagnostics(ctx);
  std::optional<IrDumper> dumper;
  if (!options.dumpIrDir.empty()) {
    dumper.emplace(options.dumpIrDir);
    dumper->dump(*work, "input");
  }
  auto configure = [&](mlir::PassManager &pm) {
    if (dumper) {
      pm.getContext()->disableMultithreading();
      dumper->attach(pm);
    }
    if (options.configurePassManager)
      options.configurePassManager(pm);
  };
  if (options.compileTo == "weft") {
    result.ir = printModule(*work, false);
    result.seconds = secondsSince(start);
    return result;
  }

  runTrainingPipeline(*work, options, configure, diagnostics);
  if (options.compileTo == "train") {
    result.ir = printModule(*work, false);
    result.seconds = secondsSince(start);
    return result;
  }

  runParallelPipeline(*work, options, configure, diagnostics);
  if (options.compileTo == "parallel") {
    result.ir = printModule(*work, false);
    result.seconds = secondsSince(start);
    return result;
  }

  runGraphPipeline(*work, options, configure, diagnostics);
  if (options.compileTo == "graph") {
    result.ir = printModule(*work, false);
    result.seconds = secondsSince(start);
    return result;
  }

  mlir::DictionaryAttr summary = recomputeSummary(*work);
  mlir::FailureOr<proto::Executable> exe = mlir::failure();
  if (options.target == "cuda") {
    codegen::CudaCodegenOptions cg;
    cg.configurePassManager = configure;
    if (!toExecutable)
      cg.stopAfter = options.compileTo;
    exe = codegen::compileForCuda(*work, cg);
  } else {
    codegen::CpuCodegenOptions cg;
    cg.configurePassManager = configure;
    if (!toExecutable)
      cg.stopAfter = options.compileTo;
    exe = codegen::compileForCpu(*work, cg);
  }
  if (mlir::failed(exe))
    diagnostics.fail("code generation");
  if (!toExecutable) {
    result.ir = printModule(*work, false);
    result.seconds = secondsSince(start);
    return result;
  }
  recordRecomputeReport(summary, *exe);
  exe->set_compiler_fingerprint(result.cachePath.empty()
                                    ? std::string("uncached")
                                    : cacheKey(module, options));
  result.executable = rt::Executable(std::move(*exe));
  if (rt::Status s = result.executable->validate(); !s.isOk())
    throw CompileError("the code generator produced an invalid executable: " +
                       s.toString());

  // 4. Store.
  if (!result.cachePath.empty()) {
    llvm::sys::fs::create_directories(compileCacheDir(options));
    if (rt::Status s = result.executable->save(result.cachePath); !s.isOk())
      llvm::errs() << "weft: warning: could not write the compile cache: "
                   << s.message() << "\n";
  }
  result.seconds = secondsSince(start);
  return result;
}

mlir::OwningOpRef<mlir::ModuleOp> runGraphPhase(mlir::ModuleOp module,
                                                const CompileOptions &options) {
  mlir::OwningOpRef<mlir::ModuleOp> work(module.clone());
  DiagnosticCollector diagnostics(module->getContext());
  runTrainingPipeline(*work, options, options.configurePassManager, diagnostics);
  runParallelPipeline(*work, options, options.configurePassManager, diagnostics);
  runGraphPipeline(*work, options, options.configurePassManager, diagnostics);
  return work;
}

} // namespace weft

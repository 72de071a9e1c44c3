//===- CompileCommand.cpp - `weft compile` --------------------------------===//
//
// This file implements `weft compile MODEL|FILE.mlir [flags] -o OUT.wexe`:
// compile a catalog model (or its training step with --train) or a .mlir
// file through the compile API (compiler/Compile.h) into an Executable, or
// with --compile-to into the IR of a phase; --stats and --memory-report print
// what the graph passes do to the program.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Commands.h"

#include "tools/weft/Check.h"
#include "tools/weft/Flags.h"
#include "tools/weft/MlirFlags.h"
#include "tools/weft/ModelSource.h"

#include "compiler/GraphReport.h"
#include "compiler/TrainStep.h"
#include "passes/memory/MemoryPlan.h"
#include "runtime/MemoryNeeds.h"
#include "runtime/comm/CommBytes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace weft::cli {
namespace {

/// The flags of `weft compile`, declared in `flags`.
struct CompileCommandFlags {
  ModelFlags model = ModelFlags::forCompile();
  bool trainStep = false;
  CompileFlags compile;
  ParallelFlags parallel;
  std::string outputPath;
  bool stats = false, memoryReport = false;
  FlagSet flags{"compile", kCompileUsage,
                "Compiles a model to an Executable (.wexe), through the compile cache."};

  CompileCommandFlags() {
    model.declare(flags);
    compile.declare(flags);
    compile.declareQuantize(flags);
    flags.addSwitch("train",
                    "GPT-2: compile the training step (forward + backward + AdamW) instead of "
                    "the forward",
                    &trainStep);
    parallel.declare(flags);
    flags.section("Output");
    flags.addString("o", "FILE",
                    "output file (.wexe, or .mlir with --compile-to; default: "
                    "none, or stdout with --compile-to)",
                    &outputPath);
    flags.addSwitch("stats",
                    "print weft's graph statistics before and after fusion: kernels, GEMMs, "
                    "GFLOP and MB moved",
                    &stats);
    flags.addSwitch("memory-report",
                    "print the temporaries without reuse, the lower bound and the planned arena",
                    &memoryReport);
    declareMlirFlags(flags);
    compile.configurePassManager = configureMlirPassManager;
  }
};

void printStats(ModelSource &src, const CompileFlags &flags) {
  mlir::ModuleOp module = src.module();
  CompileOptions o = src.compileOptions(flags);
  std::printf("%-14s %8s %6s %12s %12s\n", "graph", "kernels", "gemms", "GFLOP", "MB moved");
  for (bool fuse : {false, true}) {
    o.fuse = fuse;
    GraphStats s = computeGraphStats(*runGraphPhase(module, o));
    std::printf("%-14s %8lld %6lld %12.3f %12.2f\n", fuse ? "after fusion" : "before fusion",
                (long long)s.kernels, (long long)s.gemms, s.flops / 1e9, s.bytes / 1e6);
  }
}

void printMemoryReport(ModelSource &src, const CompileFlags &flags) {
  auto graph = runGraphPhase(src.module(), src.compileOptions(flags));
  auto fn = *graph->getOps<mlir::func::FuncOp>().begin();
  auto report = computeMemoryReport(fn);
  if (mlir::failed(report))
    throw std::runtime_error("memory report failed (see the diagnostics above)");
  std::printf("memory: temporaries without reuse %.2f MiB; lower bound (peak live) %.2f MiB; "
              "planned arena %.2f MiB (%.3f x lower bound, %.3f x no reuse); constants %.2f MiB\n",
              report->noReuseBytes / 1048576.0, report->lowerBoundBytes / 1048576.0,
              report->plannedBytes / 1048576.0,
              double(report->plannedBytes) / double(std::max<int64_t>(1, report->lowerBoundBytes)),
              double(report->plannedBytes) / double(std::max<int64_t>(1, report->noReuseBytes)),
              report->persistentBytes / 1048576.0);
}

/// Writes the IR --compile-to stopped at to -o, else to stdout.
void writeIr(const std::string &ir, const std::string &outputPath) {
  if (outputPath.empty() || outputPath == "-") {
    std::fputs(ir.c_str(), stdout);
    return;
  }
  std::string err;
  auto f = mlir::openOutputFile(outputPath, &err);
  if (!f)
    throw std::runtime_error(err);
  f->os() << ir;
  f->keep();
}

} // namespace

int runCompile(int argc, char **argv) {
  CompileCommandFlags f;
  if (!f.flags.parseOrHelp(argc, argv))
    return 0;
  f.parallel.resolve(f.trainStep);
  if (f.trainStep && f.compile.quantize != "none")
    throw FlagError("--quantize " + f.compile.quantize + " stores a served model's weights in int8; a --train "
                    "step trains its weights in f32: drop one (a frozen int8 base under LoRA adapters: weft "
                    "train --quantize int8-weight --lora SPEC)");
  if (isFile(f.model.model, ".wexe"))
    throw std::runtime_error("'" + f.model.model + "' is already compiled");
  auto src = loadModelSource(f.model, f.compile, f.parallel, f.trainStep);
  if (f.stats)
    printStats(*src, f.compile);
  if (f.memoryReport)
    printMemoryReport(*src, f.compile);
  CompileResult r = compile(src->module(), src->compileOptions(f.compile));
  if (!r.executable) {
    writeIr(r.ir, f.outputPath);
    return 0;
  }
  printCompileLine(r);
  const auto &p = r.executable->proto();
  std::printf("executable: %d kernels, %d steps, %d buffers, arena %.2f MiB\n", p.kernels_size(),
              p.steps_size(), p.buffers_size(), p.arena_size() / 1048576.0);
  std::printf("device memory to run it%s: %s\n", p.mesh().axes_size() ? " (per rank)" : "",
              rt::memoryNeeds(p).describe().c_str());
  if (std::string recompute = rt::describeRecompute(p); !recompute.empty())
    std::printf("%s\n", recompute.c_str());
  if (p.mesh().axes_size())
    std::printf("communicated per run by rank 0: %s\n", rt::describeCommunication(p, 0).c_str());
  if (!f.outputPath.empty()) {
    check(r.executable->save(f.outputPath));
    std::printf("wrote %s\n", f.outputPath.c_str());
  }
  return 0;
}

} // namespace weft::cli

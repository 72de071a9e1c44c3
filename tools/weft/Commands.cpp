//===- Commands.cpp - the weft CLI's commands -----------------------------===//
//
// This file implements `weft compile` and `weft run` on top of the compile API
// (compiler/Compile.h), the model catalog and the runtime Executor.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Commands.h"

#include "compiler/Compile.h"
#include "compiler/GraphReport.h"
#include "compiler/TrainStep.h"
#include "passes/memory/MemoryPlan.h"
#include "ir/WeftDialect.h"
#include "models/catalog/Gpt2Weights.h"
#include "models/catalog/ModelCatalog.h"
#include "models/catalog/ParamInit.h"

#include "runtime/Executor.h"
#include "runtime/io/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <cstdio>
#include <stdexcept>

namespace cl = llvm::cl;

namespace weft::cli {
namespace {

cl::OptionCategory modelCat("Model");
cl::opt<std::string> modelArg(cl::Positional, cl::Required,
                              cl::desc("<gpt2|mlp|FILE.mlir|FILE.wexe>"));
cl::opt<std::string> configPath("config", cl::desc("GPT-2: Hugging Face config.json"),
                                cl::cat(modelCat));
cl::opt<std::string> preset("preset", cl::desc("GPT-2 without --config: small (124M, default) or tiny"),
                            cl::cat(modelCat));
cl::opt<int> batch("batch", cl::desc("Sequences per run"), cl::init(1), cl::cat(modelCat));
cl::opt<int> seq("seq", cl::desc("GPT-2: tokens per sequence (default: the number of --tokens, else 128)"),
                 cl::init(0), cl::cat(modelCat));

cl::OptionCategory compileCat("Compile");
cl::opt<std::string> outputPath("o", cl::desc("Output file (.wexe, or .mlir with --compile-to)"),
                                cl::value_desc("file"), cl::cat(compileCat));
cl::opt<std::string> target("target", cl::desc("cpu or cuda (an sm_90 cubin; runs on a GPU)"),
                            cl::init("cpu"), cl::cat(compileCat));
cl::opt<std::string> dumpIr("dump-ir", cl::desc("Write the IR after every pass to DIR/NN-<pass>.mlir"),
                            cl::value_desc("DIR"), cl::cat(compileCat));
cl::opt<std::string> compileTo("compile-to",
                               cl::desc("Stop after PHASE: weft, train, graph, linalg, bufferized, then llvm (cpu) or loops, gpu (cuda), executable"),
                               cl::value_desc("PHASE"), cl::cat(compileCat));
cl::opt<bool> noFuse("no-fuse", cl::desc("Skip the fusion passes"), cl::cat(compileCat));
cl::opt<bool> memoryReport("memory-report",
                           cl::desc("Print temporaries without reuse, the lower bound and the planned arena"),
                           cl::cat(compileCat));
cl::opt<bool> trainStep("train",
                        cl::desc("GPT-2: compile the training step (forward + backward + AdamW) "
                                 "instead of the forward"),
                        cl::cat(compileCat));
cl::opt<std::string> precision("precision",
                               cl::desc("With --train: f32, bf16 or f16 compute (f32 master weights, "
                                        "reductions and loss; f16 adds dynamic loss scaling)"),
                               cl::init("f32"), cl::cat(compileCat));
cl::opt<bool> noCache("no-cache", cl::desc("Neither read nor write the compile cache"), cl::cat(compileCat));

cl::OptionCategory runCat("Run");
cl::opt<std::string> weights("weights", cl::desc("GPT-2: Hugging Face model.safetensors (default: random weights)"),
                             cl::cat(runCat));
cl::opt<std::string> tokens("tokens", cl::desc("GPT-2: comma-separated token ids"), cl::cat(runCat));
cl::opt<std::string> logitsOut("logits-out", cl::desc("Write the first output as .npy ([tokens, vocab] for GPT-2 with --batch 1)"),
                               cl::cat(runCat));
cl::opt<bool> randomWeights("random-weights",
                            cl::desc("Running a .wexe: fill its parameters with N(0, 0.02) values"),
                            cl::cat(runCat));
cl::opt<unsigned> seed("seed", cl::desc("Seed for random weights and inputs"), cl::init(0), cl::cat(runCat));
cl::opt<unsigned> repeat("repeat", cl::desc("Run this many times and report the median"), cl::init(1),
                         cl::cat(runCat));

void parseFlags(int argc, char **argv, const char *overview) {
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  // --help lists weft's options and MLIR's debugging ones, not every LLVM
  // backend flag (they still parse; --help-hidden shows them).
  cl::HideUnrelatedOptions({&modelCat, &compileCat, &runCat});
  for (const char *visible : {"mlir-timing", "mlir-print-ir-after-all", "mlir-print-ir-before-all",
                              "mlir-print-ir-after-failure", "mlir-print-debuginfo", "stats"})
    if (auto it = cl::getRegisteredOptions().find(visible); it != cl::getRegisteredOptions().end())
      it->second->setHiddenFlag(cl::NotHidden);
  cl::ParseCommandLineOptions(argc, argv, overview);
}

bool endsWith(const std::string &s, const char *suffix) {
  return llvm::StringRef(s).ends_with(suffix);
}

ModelRequest modelRequest() {
  ModelRequest r;
  r.name = modelArg;
  r.configPath = configPath;
  r.preset = preset;
  r.batch = batch;
  r.seq = seq;
  if (r.seq == 0 && !tokens.empty())
    r.seq = static_cast<int>(llvm::count(tokens.getValue(), ',')) + 1;
  return r;
}

CompileOptions compileOptions(const std::optional<TrainOptions> &train = std::nullopt) {
  CompileOptions o;
  o.train = train;
  o.target = target;
  o.dumpIrDir = dumpIr;
  o.compileTo = compileTo;
  o.useCache = !noCache;
  o.fuse = !noFuse;
  o.configurePassManager = [](mlir::PassManager &pm) {
    if (mlir::failed(mlir::applyPassManagerCLOptions(pm)))
      throw std::runtime_error("bad pass manager options");
    mlir::applyDefaultTimingPassManagerCLOptions(pm);
  };
  return o;
}

/// The program being compiled: either built by the DSL, or parsed from .mlir.
struct Source {
  std::optional<Program> program;
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> parsed;
  /// With --train: the training options (the compile builds the step).
  std::optional<TrainOptions> train;
  mlir::ModuleOp module() { return program ? program->module() : *parsed; }
};

std::unique_ptr<Source> loadSource() {
  auto src = std::make_unique<Source>();
  if (endsWith(modelArg, ".mlir")) {
    src->context.loadDialect<weft::WeftDialect, mlir::func::FuncDialect>();
    llvm::SourceMgr sm;
    mlir::SourceMgrDiagnosticHandler handler(sm, &src->context);
    src->parsed = mlir::parseSourceFile<mlir::ModuleOp>(modelArg.getValue(), sm,
                                                        &src->context);
    if (!src->parsed)
      throw std::runtime_error("cannot parse '" + modelArg + "' (see above)");
    return src;
  }
  if (!trainStep && precision != "f32")
    throw std::runtime_error("--precision applies to --train (the training step)");
  if (trainStep) {
    if (modelArg != "gpt2")
      throw std::runtime_error("--train is supported for gpt2");
    ModelRequest r = modelRequest();
    src->program.emplace(models::buildGpt2TrainLoss(gpt2ConfigFor(r), r.batch,
                                                    r.seq > 0 ? r.seq : 128));
    if (precision != "f32" && precision != "bf16" && precision != "f16")
      throw std::runtime_error("--precision must be f32, bf16 or f16, got '" + precision + "'");
    src->train.emplace();
    src->train->precision = precision;
    return src;
  }
  src->program.emplace(buildModel(modelRequest()));
  return src;
}

void printStats(Source &src) {
  mlir::ModuleOp module = src.module();
  CompileOptions o = compileOptions(src.train);
  std::printf("%-14s %8s %6s %12s %12s\n", "graph", "kernels", "gemms", "GFLOP", "MB moved");
  for (bool fuse : {false, true}) {
    o.fuse = fuse;
    GraphStats s = computeGraphStats(*runGraphPhase(module, o));
    std::printf("%-14s %8lld %6lld %12.3f %12.2f\n", fuse ? "after fusion" : "before fusion",
                (long long)s.kernels, (long long)s.gemms, s.flops / 1e9, s.bytes / 1e6);
  }
}

void printMemoryReport(Source &src) {
  auto graph = runGraphPhase(src.module(), compileOptions(src.train));
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

void printCompileLine(const CompileResult &r) {
  std::printf("compile: %.2f s (%s)%s%s\n", r.seconds,
              r.cacheHit ? "cache hit" : "compiled",
              r.cachePath.empty() ? "" : ", cache: ",
              r.cachePath.c_str());
}

template <typename T>
T check(rt::StatusOr<T> v) {
  if (!v.isOk())
    throw std::runtime_error(v.status().toString());
  return std::move(v).value();
}
void check(const rt::Status &s) {
  if (!s.isOk())
    throw std::runtime_error(s.toString());
}

std::vector<int64_t> parseTokens(const std::string &text) {
  std::vector<int64_t> ids;
  for (llvm::StringRef part : llvm::split(llvm::StringRef(text), ',')) {
    int64_t v;
    if (part.trim().getAsInteger(10, v))
      throw std::runtime_error("--tokens: '" + part.str() +
                               "' is not an integer token id");
    ids.push_back(v);
  }
  return ids;
}

/// Binds inputs: GPT-2 tokens from --tokens (repeated over the batch) or
/// random; other inputs random.
void bindInputs(rt::Executor &exe, const weft::proto::Executable &proto,
                int64_t vocab) {
  std::mt19937_64 rng(seed + 1);
  for (const auto &b : proto.buffers()) {
    if (b.kind() != weft::proto::INPUT)
      continue;
    std::vector<int64_t> shape(b.shape().begin(), b.shape().end());
    rt::HostTensor t(b.dtype(), shape);
    if (b.dtype() == weft::proto::I64 || b.dtype() == weft::proto::I32) {
      std::vector<int64_t> ids;
      if (!tokens.empty())
        ids = parseTokens(tokens);
      for (int64_t i = 0; i < t.numElements(); ++i) {
        int64_t v = ids.empty() ? int64_t(rng() % uint64_t(vocab))
                                : ids[i % ids.size()];
        if (v < 0 || v >= vocab)
          throw std::runtime_error("token id " + std::to_string(v) +
                                   " is outside the vocabulary [0, " +
                                   std::to_string(vocab) + ")");
        if (b.dtype() == weft::proto::I64)
          t.data<int64_t>()[i] = v;
        else
          t.data<int32_t>()[i] = int32_t(v);
      }
    } else if (b.dtype() == weft::proto::F32) {
      std::normal_distribution<float> normal(0.f, 1.f);
      for (int64_t i = 0; i < t.numElements(); ++i)
        t.data<float>()[i] = normal(rng);
    } else {
      throw std::runtime_error("input '" + b.name() + "' has dtype " +
                               rt::dtypeName(b.dtype()) +
                               "; weft run fills f32, i32 and i64 inputs");
    }
    check(exe.setInput(b.name(), t));
  }
}

/// Prints, per position of the first sequence, the most likely next token.
void printGpt2Predictions(const rt::HostTensor &logits,
                          const std::vector<int64_t> &ids) {
  int64_t vocab = logits.shape.back();
  int64_t positions = logits.shape[logits.shape.size() - 2];
  const float *data = logits.data<float>();
  std::printf("position  token  next-token (top-1)  logit\n");
  for (int64_t t = 0; t < positions; ++t) {
    const float *row = data + t * vocab;
    int64_t best = std::max_element(row, row + vocab) - row;
    std::printf("%8lld  %5lld  %18lld  %6.3f\n", (long long)t,
                (long long)(ids.empty() ? -1 : ids[t % ids.size()]),
                (long long)best, row[best]);
  }
}

} // namespace

int runCompile(int argc, char **argv) {
  parseFlags(argc, argv, "weft compile: compile a model to an Executable\n");
  if (endsWith(modelArg, ".wexe"))
    throw std::runtime_error("'" + modelArg + "' is already compiled");
  auto src = loadSource();
  // --stats is an option libLLVM registers itself; weft reads it to print
  // its graph statistics.
  if (llvm::AreStatisticsEnabled())
    printStats(*src);
  if (memoryReport)
    printMemoryReport(*src);
  CompileResult r = compile(src->module(), compileOptions(src->train));
  if (!r.executable) {
    if (outputPath.empty() || outputPath == "-") {
      std::fputs(r.ir.c_str(), stdout);
    } else {
      std::string err;
      auto f = mlir::openOutputFile(outputPath, &err);
      if (!f)
        throw std::runtime_error(err);
      f->os() << r.ir;
      f->keep();
    }
    return 0;
  }
  printCompileLine(r);
  const auto &p = r.executable->proto();
  std::printf("executable: %d kernels, %d steps, %d buffers, arena %.2f MiB\n",
              p.kernels_size(), p.steps_size(), p.buffers_size(),
              p.arena_size() / 1048576.0);
  if (!outputPath.empty()) {
    check(r.executable->save(outputPath));
    std::printf("wrote %s\n", outputPath.c_str());
  }
  return 0;
}

int runRun(int argc, char **argv) {
  parseFlags(argc, argv, "weft run: compile (or load) a model and run it\n");
  std::optional<rt::Executable> exe;
  std::unique_ptr<Source> src;
  if (endsWith(modelArg, ".wexe")) {
    exe = check(rt::Executable::load(modelArg));
  } else {
    src = loadSource();
    CompileResult r = compile(src->module(), compileOptions(src->train));
    if (!r.executable)
      throw std::runtime_error("--compile-to stops before an executable; use weft compile");
    printCompileLine(r);
    exe = std::move(*r.executable);
  }
  proto::Executable proto = exe->proto();
  auto executor = check(rt::Executor::create(std::move(*exe)));

  // Parameters: from --weights (by name), else the DSL's initializers; a
  // .wexe carries no initializers, so it needs --weights or --random-weights.
  bool isGpt2 = src && src->program && modelArg == "gpt2";
  int64_t vocab = isGpt2 ? gpt2ConfigFor(modelRequest()).vocab_size : 1 << 30;
  std::vector<ParamSpec> params;
  if (src && src->program) {
    params = src->program->params();
  } else {
    for (const auto &b : proto.buffers())
      if (b.kind() == weft::proto::PARAMETER)
        params.push_back(ParamSpec{b.name(), {b.shape().begin(), b.shape().end()},
                                   DType::F32, Init::normal(0.02)});
  }
  if (!weights.empty()) {
    check(loadGpt2Weights(weights, params, *executor));
  } else if (src || randomWeights) {
    for (const ParamSpec &p : params)
      check(executor->setParameter(p.name, initialValue(p, seed)));
  } else if (!params.empty()) {
    throw std::runtime_error("'" + modelArg + "' has " + std::to_string(params.size()) +
                             " parameters (e.g. '" + params.front().name +
                             "'): pass --weights FILE.safetensors or --random-weights");
  }
  bindInputs(*executor, proto, vocab);

  std::vector<double> ms;
  for (unsigned i = 0; i < std::max(1u, repeat.getValue()); ++i) {
    auto t0 = std::chrono::steady_clock::now();
    check(executor->run());
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - t0)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("run: %.2f ms (median of %zu)\n", ms[ms.size() / 2], ms.size());

  rt::HostTensor first = check(executor->output(0));
  if (isGpt2)
    printGpt2Predictions(first, tokens.empty() ? std::vector<int64_t>{}
                                               : parseTokens(tokens));
  else
    std::printf("output 0: %s %s\n", rt::dtypeName(first.dtype),
                rt::shapeString(first.shape).c_str());
  if (!logitsOut.empty()) {
    if (first.shape.size() == 3 && first.shape[0] == 1)
      first.shape.erase(first.shape.begin());
    check(rt::writeNpy(logitsOut, first));
    std::printf("wrote %s %s\n", logitsOut.c_str(),
                rt::shapeString(first.shape).c_str());
  }
  return 0;
}

} // namespace weft::cli

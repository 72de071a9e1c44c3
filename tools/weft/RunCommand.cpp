//===- RunCommand.cpp - `weft run` ----------------------------------------===//
//
// This file implements `weft run MODEL|FILE.mlir|FILE.wexe [flags]`: compile
// the model (or load the .wexe), bind its parameters (--weights, the DSL's
// initializers or --random-weights) and inputs (--tokens or random), run it
// with the runtime Executor and print the time and the first output (for
// GPT-2 and LLaMA: the next-token predictions).
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Commands.h"

#include "tools/weft/Check.h"
#include "tools/weft/Flags.h"
#include "tools/weft/MlirFlags.h"
#include "tools/weft/ModelSource.h"
#include "tools/weft/ProfileReport.h"
#include "tools/weft/Ranks.h"

#include "models/catalog/HfWeights.h"
#include "models/catalog/LoraAdapter.h"
#include "models/catalog/ParamInit.h"
#include "runtime/io/QuantizedWeights.h"
#include "runtime/Executor.h"
#include "runtime/comm/ShardedBuffer.h"
#include "runtime/io/Npy.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <climits>
#include <cstdio>
#include <random>
#include <stdexcept>

namespace weft::cli {
namespace {

/// The flags of `weft run`, declared in `flags`.
struct RunCommandFlags {
  ModelFlags model = ModelFlags::forRun();
  CompileFlags compile;
  ParallelFlags parallel;
  RuntimeFlags runtime;
  std::string weights, tokens, logitsOut, loraAdapter;
  bool randomWeights = false;
  int64_t seed = 0, repeat = 1, profile = 0;
  FlagSet flags{"run", kRunUsage,
                "Compiles a model (through the compile cache) or loads a .wexe, and runs it."};

  RunCommandFlags() {
    model.declare(flags);
    compile.declare(flags);
    compile.declareQuantize(flags);
    parallel.declare(flags);
    flags.section("Run");
    flags.addString("weights", "FILE",
                    "Hugging Face weights: a .safetensors file, a sharded checkpoint's "
                    "model.safetensors.index.json, or a directory holding either (and config.json, the default "
                    "--config) (default: random weights)",
                    &weights);
    flags.addString("lora-adapter", "DIR",
                    "gpt2: merge this PEFT LoRA adapter (adapter_config.json, "
                    "adapter_model.safetensors) into the weights",
                    &loraAdapter);
    flags.addString("tokens", "IDS", "gpt2, llama: comma-separated token ids (default: random)", &tokens);
    flags.addString("logits-out", "FILE",
                    "write the first output as .npy ([tokens, vocab] for gpt2 and llama with --batch 1)",
                    &logitsOut);
    flags.addSwitch("random-weights", "running a .wexe: fill its parameters with N(0, 0.02) values",
                    &randomWeights);
    flags.addInteger("seed", "S", "seed for random weights and inputs", &seed, 0, UINT_MAX);
    flags.addInteger("repeat", "N", "run this many times and report the median", &repeat, 0);
    flags.addInteger("profile", "N",
                     "then one profiled run (each step waited for): the N ops that took longest, "
                     "with their steps, milliseconds and share of the run",
                     &profile, 0);
    runtime.declare(flags);
    declareMlirFlags(flags);
    compile.configurePassManager = configureMlirPassManager;
  }
};

/// Binds inputs: GPT-2 tokens from --tokens (one row, repeated over the
/// batch: exactly as many ids as the input's last dimension) or random;
/// other inputs random.
void bindInputs(rt::Executor &exe, const weft::proto::Executable &proto, int64_t vocab,
                const RunCommandFlags &f) {
  std::mt19937_64 rng(unsigned(f.seed) + 1);
  for (const auto &b : proto.buffers()) {
    if (b.kind() != weft::proto::INPUT)
      continue;
    std::vector<int64_t> shape = rt::wholeShapeOf(b); // split inputs are set whole
    rt::HostTensor t(b.dtype(), shape);
    if (b.dtype() == weft::proto::I64 || b.dtype() == weft::proto::I32) {
      std::vector<int64_t> ids;
      if (!f.tokens.empty())
        ids = parseIdList("tokens", f.tokens);
      int64_t row = shape.empty() ? 1 : shape.back();
      if (!ids.empty() && int64_t(ids.size()) != row)
        throw FlagError("--tokens gives " + std::to_string(ids.size()) + " ids but input '" +
                        b.name() + "' " + rt::shapeString(shape) + " takes " +
                        std::to_string(row) + " per row; give exactly " + std::to_string(row) +
                        " (or leave --seq to follow --tokens)");
      // The rows the ids select: the Executable records them for an input
      // that feeds a gather (a .wexe knows its vocabulary).
      int64_t limit = b.index_limit() > 0 ? int64_t(b.index_limit()) : vocab;
      for (int64_t i = 0; i < t.numElements(); ++i) {
        int64_t v = ids.empty() ? int64_t(rng() % uint64_t(limit)) : ids[i % ids.size()];
        if (v < 0 || v >= limit)
          throw std::runtime_error("token id " + std::to_string(v) + " is outside the vocabulary [0, " +
                                   std::to_string(limit) + ") of input '" + b.name() + "'");
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
      throw std::runtime_error("input '" + b.name() + "' has dtype " + rt::dtypeName(b.dtype()) +
                               "; weft run fills f32, i32 and i64 inputs");
    }
    check(exe.setInput(b.name(), t));
  }
}

/// Prints, per position of the first sequence, the most likely next token.
void printPredictions(const rt::HostTensor &logits, const std::vector<int64_t> &ids) {
  int64_t vocab = logits.shape.back();
  int64_t positions = logits.shape[logits.shape.size() - 2];
  const float *data = logits.data<float>();
  std::printf("position  token  next-token (top-1)  logit\n");
  for (int64_t t = 0; t < positions; ++t) {
    const float *row = data + t * vocab;
    int64_t best = std::max_element(row, row + vocab) - row;
    std::printf("%8lld  %5lld  %18lld  %6.3f\n", (long long)t,
                (long long)(ids.empty() ? -1 : ids[t % ids.size()]), (long long)best, row[best]);
  }
}

/// Sets the parameters: from --weights (by name), else the DSL's
/// initializers; a .wexe carries no initializers, so it needs --weights or
/// --random-weights.
void bindParameters(rt::Executor &executor, const proto::Executable &proto, const ModelSource *src,
                    const RunCommandFlags &f) {
  std::vector<ParamSpec> params;
  if (src && src->program) {
    params = src->program->params();
  } else {
    for (const auto &b : proto.buffers())
      if (b.kind() == weft::proto::PARAMETER)
        params.push_back(ParamSpec{b.name(), rt::wholeShapeOf(b), DType::F32, Init::normal(0.02)});
  }
  if (!f.weights.empty()) {
    check(loadHfWeights(f.weights, params, executor));
  } else if (src || f.randomWeights) {
    for (const ParamSpec &p : params) // an int8 weight (--quantize) is quantized here
      check(rt::isInt8Weight(executor, p.name)
                ? rt::setInt8Weight(executor, p.name, initialValue(p, unsigned(f.seed)))
                : executor.setParameter(p.name, initialValue(p, unsigned(f.seed))));
  } else if (!params.empty()) {
    throw std::runtime_error("'" + f.model.model + "' has " + std::to_string(params.size()) +
                             " parameters (e.g. '" + params.front().name +
                             "'): pass --weights FILE.safetensors or --random-weights");
  }
  if (!f.loraAdapter.empty()) {
    if (f.model.model != "gpt2")
      throw FlagError("--lora-adapter merges a GPT-2 PEFT adapter; '" + f.model.model + "' is not gpt2");
    if (f.compile.quantize != "none")
      throw FlagError("--lora-adapter merges into f32 weights; drop --quantize (or quantize the merged weights)");
    LoraAdapter adapter = check(loadLoraAdapter(f.loraAdapter, gpt2PeftModelInfo()));
    check(mergeLoraIntoExecutor(adapter, gpt2PeftModelInfo(), executor));
  }
}

/// Runs --repeat times and prints the median time.
void runTimed(rt::Executor &executor, int64_t repeat) {
  std::vector<double> ms;
  for (int64_t i = 0; i < std::max<int64_t>(1, repeat); ++i) {
    auto t0 = std::chrono::steady_clock::now();
    check(executor.run());
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("run: %.2f ms (median of %zu)\n", ms[ms.size() / 2], ms.size());
}

} // namespace

int runRun(int argc, char **argv) {
  RunCommandFlags f;
  if (!f.flags.parseOrHelp(argc, argv))
    return 0;
  f.parallel.memoryGiB = f.runtime.memoryGiB; // --mesh auto's budget
  f.parallel.resolve(/*training=*/false);
  if (f.model.seq == 0 && !f.tokens.empty())
    f.model.seq = int64_t(llvm::count(f.tokens, ',')) + 1;
  // A Hugging Face model directory as --weights carries its config.json.
  if (f.model.configPath.empty() && f.model.preset.empty() && !f.weights.empty() &&
      std::filesystem::is_directory(f.weights) &&
      std::filesystem::exists(std::filesystem::path(f.weights) / "config.json"))
    f.model.configPath = (std::filesystem::path(f.weights) / "config.json").string();

  std::optional<rt::Executable> exe;
  std::unique_ptr<ModelSource> src;
  Ranks ranks; // with a mesh: this process is one of its ranks (rank 0 prints)
  if (isFile(f.model.model, ".wexe")) {
    if (!f.parallel.mesh.empty())
      throw FlagError("--mesh applies when compiling; '" + f.model.model +
                      "' is compiled for its own mesh");
    exe = check(rt::Executable::load(f.model.model));
    MeshSpec mesh;
    for (const proto::MeshAxis &a : exe->proto().mesh().axes())
      mesh.axes.emplace_back(a.name(), a.size());
    ranks = joinRanks(mesh, "run");
  } else {
    ranks = joinRanks(f.parallel.ranks(), f.parallel.ranksFlag(), "run");
    src = loadModelSource(f.model, f.compile, f.parallel, /*trainStep=*/false);
    CompileResult r = compile(src->module(), src->compileOptions(f.compile));
    if (!r.executable)
      throw std::runtime_error("--compile-to stops before an executable; use weft compile");
    printCompileLine(r);
    exe = std::move(*r.executable);
  }
  proto::Executable proto = exe->proto();
  rt::ExecutorOptions options = f.runtime.options();
  options.communicator = ranks.world;
  auto executor = check(rt::Executor::create(std::move(*exe), options));

  bool isLm = src && src->program && isLanguageModel(f.model.model);
  int64_t vocab = isLm ? vocabSize(f.model.request()) : 1 << 30;
  bindParameters(*executor, proto, src.get(), f);
  bindInputs(*executor, proto, vocab, f);
  runTimed(*executor, f.repeat);
  if (f.profile > 0) {
    executor->setProfiling(true);
    check(executor->run());
    executor->setProfiling(false);
    if (ranks.writes())
      printProfile(executor->stepTimes(), static_cast<int>(f.profile));
  }

  rt::HostTensor first = check(executor->output(0));
  if (isLm)
    printPredictions(first, f.tokens.empty() ? std::vector<int64_t>{} : parseIdList("tokens", f.tokens));
  else
    std::printf("output 0: %s %s\n", rt::dtypeName(first.dtype),
                rt::shapeString(first.shape).c_str());
  if (!f.logitsOut.empty()) {
    if (first.shape.size() == 3 && first.shape[0] == 1)
      first.shape.erase(first.shape.begin());
    check(rt::writeNpy(f.logitsOut, first));
    std::printf("wrote %s %s\n", f.logitsOut.c_str(), rt::shapeString(first.shape).c_str());
  }
  return 0;
}

} // namespace weft::cli

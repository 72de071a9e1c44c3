//===- gpt2_cpu.cpp - GPT-2 forward on the CPU: weft's side of the bench --===//
//
// This file implements weft-bench-gpt2: it builds GPT-2 with the DSL
// (124M shapes by default), measures the cold compile and the cached compile,
// draws random weights (and writes them as a Hugging Face safetensors file plus
// config.json so that the PyTorch peer runs the very same model), runs the
// forward pass with warm-up and reports the median time, achieved GFLOP/s
// (FLOPs of the program from the cost model, summarizeCost), where the time goes (GEMMs vs generated
// kernels) and the logits as .npy for a numerical comparison with the peer.
// bench/run_gpt2_cpu.sh runs it and the peer side by side.
//
//===----------------------------------------------------------------------===//

#include "compiler/Compile.h"
#include "models/Gpt2.h"
#include "passes/analysis/CostModel.h"
#include "bench/BenchSupport.h"
#include "runtime/Executor.h"
#include "runtime/io/Npy.h"
#include "runtime/io/Safetensors.h"
#include "models/catalog/ParamInit.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/CommandLine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

namespace cl = llvm::cl;
using namespace weft;

static cl::opt<int> layers("layers", cl::desc("n_layer"), cl::init(12));
static cl::opt<int> seq("seq", cl::desc("tokens"), cl::init(128));
static cl::opt<int> repeats("repeats", cl::desc("timed runs"), cl::init(10));
static cl::opt<std::string> outDir("out", cl::desc("folder for weights, config and logits"),
                                   cl::init("/tmp/weft-bench-gpt2"));

using bench::check;
using bench::msSince;

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(argc, argv, "weft GPT-2 CPU benchmark\n");
  std::filesystem::create_directories(outDir.getValue());
  models::Gpt2Config config = models::Gpt2Config::small();
  config.n_layer = layers;

  auto t0 = std::chrono::steady_clock::now();
  Program program = models::buildGpt2Forward(config, 1, seq);
  mlir::ModuleOp module = program.module();
  double buildMs = msSince(t0);

  int64_t flops =
      summarizeCost(module.lookupSymbol<mlir::func::FuncOp>("main")).total.flops;

  CompileOptions options;
  options.cacheDir = outDir + "/cache";
  std::filesystem::remove_all(options.cacheDir);
  CompileResult cold = compile(module, options);
  CompileResult warm = compile(module, options);
  auto executor = check(rt::Executor::create(*cold.executable));

  // Random weights, shared with the peer through a safetensors file.
  std::vector<std::pair<std::string, rt::HostTensor>> tensors;
  for (const ParamSpec &p : program.params()) {
    rt::HostTensor value = initialValue(p, /*seed=*/7);
    check(executor->setParameter(p.name, value));
    tensors.emplace_back(p.name, std::move(value));
  }
  check(rt::writeSafetensors(outDir + "/model.safetensors", tensors));
  {
    std::ofstream cfg(outDir + "/config.json");
    cfg << "{\"n_layer\": " << config.n_layer << ", \"n_head\": " << config.n_head
        << ", \"n_embd\": " << config.n_embd << ", \"vocab_size\": " << config.vocab_size
        << ", \"n_positions\": " << config.n_positions
        << ", \"layer_norm_epsilon\": " << config.layer_norm_epsilon << "}\n";
  }
  rt::HostTensor tokens(weft::proto::I64, {1, seq});
  std::mt19937_64 rng(11);
  std::string ids;
  for (int i = 0; i < seq; ++i) {
    tokens.data<int64_t>()[i] = int64_t(rng() % uint64_t(config.vocab_size));
    ids += (i ? "," : "") + std::to_string(tokens.data<int64_t>()[i]);
  }
  { std::ofstream(outDir + "/tokens.txt") << ids << "\n"; }
  check(executor->setInput("tokens", tokens));

  for (int i = 0; i < 2; ++i)
    check(executor->run());
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    auto s = std::chrono::steady_clock::now();
    check(executor->run());
    ms.push_back(msSince(s));
  }
  std::sort(ms.begin(), ms.end());
  double median = ms[ms.size() / 2];

  // Where the time goes: one profiled run, grouped by step kind.
  executor->setProfiling(true);
  check(executor->run());
  std::map<std::string, double> byKind;
  double gemmUs = 0, kernelUs = 0;
  for (const rt::StepTime &s : executor->stepTimes()) {
    bool gemm = s.kind == "gemm";
    (gemm ? gemmUs : kernelUs) += s.microseconds;
    std::string op = s.label.substr(0, s.label.find(' '));
    byKind[gemm ? "gemm" : op] += s.microseconds;
  }
  rt::HostTensor logits = check(executor->output(0));
  logits.shape.erase(logits.shape.begin());
  check(rt::writeNpy(outDir + "/weft_logits.npy", logits));

  const auto &p = cold.executable->proto();
  std::printf("weft GPT-2 (%d layers, %d wide, vocab %d), 1x%d tokens, fp32\n", config.n_layer,
              config.n_embd, config.vocab_size, (int)seq);
  std::printf("  build (DSL): %.1f ms; compile cold: %.2f s; compile cached: %.1f ms\n", buildMs,
              cold.seconds, warm.seconds * 1e3);
  std::printf("  executable: %d kernels, %d steps, arena %.1f MiB\n", p.kernels_size(),
              p.steps_size(), p.arena_size() / 1048576.0);
  std::printf("  forward: median %.2f ms, min %.2f ms over %d runs; %.1f GFLOP/s (%.2f GFLOP)\n",
              median, ms.front(), (int)repeats, flops / median / 1e6, flops / 1e9);
  std::printf("  profiled run: GEMMs %.2f ms, generated kernels %.2f ms\n", gemmUs / 1e3,
              kernelUs / 1e3);
  std::vector<std::pair<double, std::string>> top;
  for (auto &[k, us] : byKind)
    top.push_back({us, k});
  std::sort(top.rbegin(), top.rend());
  for (size_t i = 0; i < std::min<size_t>(8, top.size()); ++i)
    std::printf("    %-20s %8.2f ms\n", top[i].second.c_str(), top[i].first / 1e3);
  std::printf("{\"weft_median_ms\": %.3f, \"gflops\": %.2f, \"compile_cold_s\": %.3f, "
              "\"compile_cached_ms\": %.3f}\n",
              median, flops / median / 1e6, cold.seconds, warm.seconds * 1e3);
  return 0;
}

//===- MemoryEstimateTest.cpp - weft estimate against the compile ----------===//
//
// This file tests estimateMemory (compiler/MemoryEstimate.h) and `weft
// estimate`: the estimate of a GPT-2 training step and of a prefill with its
// key/value cache is exactly what the compiled Executable allocates (arena,
// parameters, state); the breakdown's parts follow the optimizer, the
// precision (the key/value cache held in bf16/f16 under --precision) and
// ZeRO; the largest batch the command finds is the last whose estimate fits.
//
//===----------------------------------------------------------------------===//

#include "compiler/MemoryEstimate.h"
#include "compiler/TrainStep.h"
#include "models/Gpt2.h"
#include "runtime/MemoryNeeds.h"

#include "mlir/IR/BuiltinOps.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace weft {
namespace {

models::Gpt2Config config() {
  return {.n_layer = 2, .n_head = 4, .n_embd = 64, .vocab_size = 97, .n_positions = 32};
}

int64_t parameterBytes(const Program &p) {
  int64_t n = 0;
  for (const ParamSpec &s : p.params()) {
    int64_t e = 4;
    for (int64_t d : s.shape)
      e *= d;
    n += e;
  }
  return n;
}

CompileOptions uncached() {
  CompileOptions o;
  o.useCache = false;
  return o;
}

TEST(MemoryEstimate, TrainingStepIsWhatTheCompileAllocates) {
  Program loss = models::buildGpt2TrainLoss(config(), 4, 32);
  TrainOptions train;
  EstimateOptions options;
  options.train = train;
  MemoryBreakdown m = estimateMemory(loss.module(), options).memory;
  CompileResult compiled = compileTrainStep(loss.module(), train, uncached());
  ASSERT_TRUE(compiled.executable);
  rt::MemoryNeeds needs = rt::memoryNeeds(compiled.executable->proto());
  EXPECT_EQ(uint64_t(m.arena), needs.arena);
  EXPECT_EQ(uint64_t(m.weights), needs.parameters);
  EXPECT_EQ(uint64_t(m.optimizerState), needs.state);
  EXPECT_EQ(uint64_t(m.total()), needs.total());
  EXPECT_EQ(m.weights, parameterBytes(loss));
  EXPECT_EQ(m.optimizerState, 2 * m.weights); // AdamW: m and v
  EXPECT_EQ(m.cache, 0);
  // At the peak the forward's results are held; the parts never exceed the arena's live bytes.
  EXPECT_GT(m.activations, 0);
  EXPECT_LE(m.gradients, m.weights + 64 * 16);
  EXPECT_GE(m.arena + 64, m.peakLive() / 2);
}

TEST(MemoryEstimate, OptimizerStateFollowsTheOptimizer) {
  Program loss = models::buildGpt2TrainLoss(config(), 2, 16);
  EstimateOptions options;
  options.train.emplace();
  options.train->optimizer = "sgd";
  MemoryBreakdown plain = estimateMemory(loss.module(), options).memory;
  EXPECT_EQ(plain.optimizerState, 0);
  options.train->momentum = 0.9;
  MemoryBreakdown momentum = estimateMemory(loss.module(), options).memory;
  EXPECT_EQ(momentum.optimizerState, momentum.weights);
}

TEST(MemoryEstimate, TrainingHoldsEachGradientOnceAtThePeak) {
  // A step whose gradients make the peak (one row of 8 tokens; the tied
  // table, 2048 x 64 f32 = 512 KiB, is over half the weights). Before
  // weft-scatter-add-into the table's gradient was three tables at the
  // optimizer's peak (the LM head's product, the lookup's scatter_add into
  // zeros, their sum): f32 gradients 1.89 MiB, arena weights + 2 tables. In
  // bf16 the clipping's sum of squares also made one kernel of every
  // gradient's cast, so each was live in bf16 and f32 (1.83 MiB).
  models::Gpt2Config c{.n_layer = 2, .n_head = 4, .n_embd = 64, .vocab_size = 2048, .n_positions = 32};
  Program loss = models::buildGpt2TrainLoss(c, 1, 8);
  const int64_t table = int64_t(c.vocab_size) * c.n_embd * 4;
  // Alignment slack: each of the 28 gradients rounds up to 64 bytes.
  const int64_t slack = 28 * 64;
  for (const char *precision : {"f32", "bf16"}) {
    EstimateOptions options;
    options.train.emplace();
    options.train->precision = precision;
    MemoryBreakdown m = estimateMemory(loss.module(), options).memory;
    // Every f32 gradient once, plus the head's gradient counted again at the
    // scatter_add that writes the sum over it (both are live at that op,
    // though they are one buffer).
    EXPECT_LE(m.gradients, m.weights + table + slack) << precision;
    EXPECT_GE(m.gradients, m.weights) << precision;
    if (std::string(precision) == "f32") // the planned arena: each gradient once (1.94 MiB before)
      EXPECT_LE(m.arena, m.weights + table / 4) << precision;
  }
}

TEST(MemoryEstimate, ServingHoldsTheKeyValueCache) {
  // Prefill of 2 rows of 16 tokens into caches of 32 positions.
  Program prefill = models::buildGpt2Prefill(config(), 2, 16, 32);
  MemoryBreakdown m = estimateMemory(prefill.module(), EstimateOptions{}).memory;
  const int64_t cache = 2 /*k, v*/ * 2 /*layers*/ * 2 /*rows*/ * 4 /*heads*/ * 32 * 16 /*head dim*/ * 4;
  EXPECT_EQ(m.cache, cache);
  EXPECT_EQ(m.weights, parameterBytes(prefill));
  EXPECT_EQ(m.optimizerState, 0);
  EXPECT_EQ(m.gradients, 0);
  CompileResult compiled = compile(prefill.module(), uncached());
  ASSERT_TRUE(compiled.executable);
  rt::MemoryNeeds needs = rt::memoryNeeds(compiled.executable->proto());
  EXPECT_EQ(uint64_t(m.total()), needs.total());

  // bf16 serving: the projections' weights and biases (added in bf16 between
  // the matmuls) are held in bf16 (2 bytes), and so are the embedding tables:
  // the tied wte (gathered and read by the LM head) once, with no f32 copy,
  // and wpe; the LayerNorm parameters stay f32.
  EstimateOptions bf16;
  bf16.inferencePrecision = "bf16";
  MemoryBreakdown low = estimateMemory(prefill.module(), bf16).memory;
  const int64_t projections =
      2 /*layers*/ * (64 * 192 + 64 * 64 + 64 * 256 + 256 * 64 + /*biases*/ 192 + 64 + 256 + 64) * 4;
  const int64_t tables = (config().vocab_size + config().n_positions) * config().n_embd * 4;
  EXPECT_EQ(low.weights, m.weights - (projections + tables) / 2);
  // The key/value caches are held in bf16 too (weft-mixed-precision's
  // store-states): half the bytes, as the bf16 compile allocates them.
  EXPECT_EQ(low.cache, cache / 2);
  CompileOptions lowCompile = uncached();
  lowCompile.precision = "bf16";
  CompileResult lowCompiled = compile(prefill.module(), lowCompile);
  ASSERT_TRUE(lowCompiled.executable);
  EXPECT_EQ(uint64_t(low.total()), rt::memoryNeeds(lowCompiled.executable->proto()).total());
}

TEST(MemoryEstimate, Int8ServingHoldsOneBytePerProjectionWeight) {
  Program prefill = models::buildGpt2Prefill(config(), 2, 16, 32);
  MemoryBreakdown f32 = estimateMemory(prefill.module(), EstimateOptions{}).memory;
  EstimateOptions int8;
  int8.quantize = "int8-weight";
  int8.lmHead = "f32";
  MemoryBreakdown q = estimateMemory(prefill.module(), int8).memory;
  // With an f32 LM head, the four projections of each block become int8 (3 bytes saved per weight) plus one f32
  // scale per output channel; the tied embedding (the LM head) and the biases stay f32.
  const int64_t weights = 2 * (64 * 192 + 64 * 64 + 64 * 256 + 256 * 64);
  const int64_t scales = 2 * (192 + 64 + 256 + 64);
  EXPECT_EQ(q.weights, f32.weights - 3 * weights + 4 * scales);
  // With the LM head in int8 (int8-weight's default), the tied table is held
  // once: int8 [vocab, C] with one f32 scale per row, read by the LM head and
  // by the lookup; its f32 form is gone (3 bytes saved per entry).
  const int64_t vocab = config().vocab_size, width = config().n_embd;
  int8.lmHead = "";
  MemoryBreakdown head = estimateMemory(prefill.module(), int8).memory;
  EXPECT_EQ(head.weights, q.weights - 3 * vocab * width + 4 * vocab);
  int8.lmHead = "int8";
  EXPECT_EQ(estimateMemory(prefill.module(), int8).memory.weights, head.weights);
  // llm-int8 keeps the LM head f32 by default, as Hugging Face does.
  int8.quantize = "llm-int8";
  int8.lmHead = "";
  EXPECT_EQ(estimateMemory(prefill.module(), int8).memory.weights, q.weights);
}

TEST(MemoryEstimate, LoraKeepsStateForTheAdaptersOnly) {
  models::Gpt2Config c = config();
  c.lora.r = 4;
  c.lora.alpha = 8;
  c.lora.targets = {"c_attn"};
  Program loss = models::buildGpt2TrainLoss(c, 2, 16);
  EstimateOptions options;
  options.train.emplace();
  MemoryBreakdown m = estimateMemory(loss.module(), options).memory;
  const int64_t adapters = 2 /*layers*/ * (4 * 64 /*A*/ + 192 * 4 /*B*/) * 4;
  EXPECT_EQ(m.weights, parameterBytes(loss));
  EXPECT_EQ(m.optimizerState, 2 * adapters); // AdamW's moments of the adapters, none for the frozen base
  EXPECT_LE(m.gradients, adapters);

  // Over an int8 base (weft-quantize-weights before autodiff): every frozen
  // projection is one byte per weight plus an f32 scale per output channel;
  // the adapters keep their f32 weights and their state.
  options.quantize = "int8-weight";
  MemoryBreakdown q = estimateMemory(loss.module(), options).memory;
  const int64_t weights = 2 * (64 * 192 + 64 * 64 + 64 * 256 + 256 * 64);
  const int64_t scales = 2 * (192 + 64 + 256 + 64);
  EXPECT_EQ(q.weights, m.weights - 3 * weights + 4 * scales);
  EXPECT_EQ(q.optimizerState, m.optimizerState);
}

TEST(MemoryEstimate, RecomputeOverAnInt8BaseKeepsWhatItKeepsOverF32) {
  // weft-quantize-weights runs before autodiff: its weft.matmul_q8 ops keep
  // their recompute groups, so recompute saves as much over an int8 base.
  models::Gpt2Config c = config();
  c.lora.r = 4;
  c.lora.alpha = 8;
  c.lora.targets = {"c_attn"};
  c.gradient_checkpointing = true;
  Program loss = models::buildGpt2TrainLoss(c, 2, 16);
  EstimateOptions options;
  options.train.emplace();
  options.train->recompute = "blocks";
  MemoryBreakdown f32 = estimateMemory(loss.module(), options).memory;
  options.quantize = "int8-weight";
  MemoryBreakdown int8 = estimateMemory(loss.module(), options).memory;
  EXPECT_EQ(int8.activations, f32.activations);
  EXPECT_LT(int8.weights, f32.weights);
}

TEST(MemoryEstimate, ZeroThreeSplitsWeightsAndStateOverDataParallel) {
  models::Gpt2Config c = config();
  EstimateOptions options;
  options.train.emplace();
  Program one = models::buildGpt2TrainLoss(c, 4, 32);
  MemoryBreakdown single = estimateMemory(one.module(), options).memory;
  MeshSpec mesh = MeshSpec::parse("dp=2");
  nn::ParallelPlan plan;
  plan.dataAxis = "dp";
  Program two = models::buildGpt2TrainLoss(c, 4, 32, plan, mesh);
  options.train->zero = 3;
  MemoryBreakdown sharded = estimateMemory(two.module(), options).memory;
  // Every parameter's first dimension is split in two (padded when odd): at most half plus one row each.
  EXPECT_LT(sharded.weights, single.weights / 2 + 16 * 1024);
  EXPECT_GE(sharded.weights, single.weights / 2);
  EXPECT_EQ(sharded.optimizerState, 2 * sharded.weights);
  EXPECT_LT(sharded.activations, single.activations); // half the batch per device
}

/// Runs the weft binary with `args`; stdout and stderr into `out`; the exit status.
int runWeft(const std::string &args, std::string &out) {
  std::filesystem::path log = std::filesystem::path(::testing::TempDir()) /
                              ("weft-estimate-" + std::to_string(::getpid()) + ".txt");
  std::string cmd = "'" WEFT_BIN_DIR "/weft' " + args + " > '" + log.string() + "' 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream in(log);
  out.assign(std::istreambuf_iterator<char>(in), {});
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// `weft estimate --infer`: the KV cache line of a bf16 (f16) serving
// estimate is half of f32's. The tiny preset's cache for 32 + 32 positions:
// 2 (k, v) x 2 layers x 4 heads x 64 positions x 32 (head dim) x 4 bytes =
// 128 KiB in f32.
TEST(WeftEstimateCli, KvCacheLineFollowsThePrecision) {
  auto cacheLine = [](const std::string &precision) {
    std::string out;
    EXPECT_EQ(runWeft("estimate gpt2 --preset tiny --infer --seq 32 --new-tokens 32 --precision " + precision, out),
              0)
        << out;
    size_t at = out.find("KV cache");
    EXPECT_NE(at, std::string::npos) << out;
    return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
  };
  EXPECT_NE(cacheLine("f32").find(" 128.00 KiB"), std::string::npos) << cacheLine("f32");
  EXPECT_NE(cacheLine("bf16").find(" 64.00 KiB"), std::string::npos) << cacheLine("bf16");
  EXPECT_NE(cacheLine("f16").find(" 64.00 KiB"), std::string::npos) << cacheLine("f16");
}

TEST(WeftEstimateCli, LargestBatchIsTheLastThatFits) {
  // The CLI's model: the tiny preset, sequences of 32 tokens.
  models::Gpt2Config tiny{.n_layer = 2, .n_head = 4, .n_embd = 128, .vocab_size = 512, .n_positions = 256};
  EstimateOptions options;
  options.train.emplace();
  double at3 = double(estimateMemory(models::buildGpt2TrainLoss(tiny, 3, 32).module(), options).memory.total());
  double at4 = double(estimateMemory(models::buildGpt2TrainLoss(tiny, 4, 32).module(), options).memory.total());
  ASSERT_LT(at3, at4);
  char budget[32];
  std::snprintf(budget, sizeof budget, "%.9f", (at3 + at4) / 2 / double(1 << 30));
  std::string out;
  ASSERT_EQ(runWeft(std::string("estimate gpt2 --preset tiny --seq 32 --memory ") + budget, out), 0) << out;
  EXPECT_NE(out.find("largest batch that fits"), std::string::npos) << out;
  EXPECT_NE(out.find("per device: 3 ("), std::string::npos) << out;
  EXPECT_NE(out.find("batch 4 needs"), std::string::npos) << out;

  // --top: the largest buffers at the peak with their role, the op that makes each and its model line.
  ASSERT_EQ(runWeft("estimate gpt2 --preset tiny --seq 32 --batch 4 --top 3", out), 0) << out;
  size_t list = out.find("the largest buffers live at the peak:");
  ASSERT_NE(list, std::string::npos) << out;
  std::string listed = out.substr(list);
  size_t lines = 0;
  for (size_t at = listed.find(".cpp:"); at != std::string::npos; at = listed.find(".cpp:", at + 1))
    ++lines;
  EXPECT_EQ(lines, 3u) << out;
  EXPECT_TRUE(listed.find("activation  weft.") != std::string::npos ||
              listed.find("gradient    weft.") != std::string::npos)
      << out;

  EXPECT_EQ(runWeft("estimate gpt2 --preset tiny --seq 32 --memory 0.0001", out), 1) << out;
  EXPECT_NE(out.find("no batch fits"), std::string::npos) << out;
  EXPECT_EQ(runWeft("estimate gpt2 --preset tiny --train --infer", out), 2) << out;
  EXPECT_NE(out.find("--train and --infer"), std::string::npos) << out;
  EXPECT_EQ(runWeft("estimate gpt2 --preset tiny --infer --seq 200 --new-tokens 100", out), 2) << out;
  EXPECT_NE(out.find("exceeds the model's context of 256"), std::string::npos) << out;
  EXPECT_EQ(runWeft("estimate mlp", out), 2) << out;
  EXPECT_NE(out.find("'mlp' has no training loss in the catalog"), std::string::npos) << out;
  EXPECT_EQ(runWeft("estimate gpt2 --preset tiny --lora r=4,targets=nope", out), 1) << out;
  EXPECT_NE(out.find("the LoRA target module 'nope' matches no Linear layer"), std::string::npos) << out;
  EXPECT_EQ(runWeft("estimate gpt2 --preset tiny --optimizer lion", out), 2) << out;
  EXPECT_NE(out.find("--optimizer must be adamw or sgd"), std::string::npos) << out;
}

} // namespace
} // namespace weft

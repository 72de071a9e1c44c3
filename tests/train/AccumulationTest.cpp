//===- AccumulationTest.cpp - gradient accumulation (micro-batches) -------===//
//
// This file implements the tests of gradient accumulation
// (TrainOptions::microBatches, `weft train --micro-batches K`): a step run as
// 2 or 4 micro-batches gives the losses and weights of the whole-batch step
// (SGD with and without active clipping, AdamW's losses), its micro-step's
// arena shrinks with K (activations of one micro-batch), a run interrupted
// and resumed from a checkpoint repeats the uninterrupted losses, on a
// dp=2 mesh the micro-step reduces no gradient while the apply step
// reduces every one once (also inside dp x tp), and a K that does not divide the batch, f16 and
// ZeRO 3 are refused with the numbers named; LLaMA and LoRA runs and
// `weft estimate --micro-batches` are covered too.
//
//===----------------------------------------------------------------------===//

#include "TrainRunTestUtil.h"

#include "compiler/TrainStep.h"
#include "models/catalog/Strategies.h"
#include "runtime/MemoryNeeds.h"

#include "mlir/IR/BuiltinOps.h"

#include <cmath>
#include <cstdlib>
#include <map>

using namespace weft;
using namespace weft::train;
using namespace weft::trainrun::test;

namespace {

/// The losses of a run and its parameters at the end.
struct RunResult {
  std::vector<float> losses;
  std::map<std::string, rt::HostTensor> params;
  uint64_t microArena = 0; // the arena of the step (K = 1) or of the micro-step
};

/// Batch 4 x seq 8 of the tiny GPT-2, `k` micro-batches.
TrainConfig accumulationConfig(const std::string &data, int k, const std::string &optimizer, double clip) {
  TrainConfig c = tinyTrainConfig(data, 4);
  c.batch = 4;
  c.optimizer.optimizer = optimizer;
  c.optimizer.momentum = optimizer == "sgd" ? 0.9 : 0.0;
  c.optimizer.weightDecay = 0.01;
  c.optimizer.clipNorm = clip;
  c.optimizer.microBatches = k;
  c.lr = optimizer == "sgd" ? 0.3 : 1e-2;
  return c;
}

RunResult runSteps(const TrainConfig &c, int steps) {
  Trainer trainer(c);
  RunResult r;
  for (int i = 0; i < steps; ++i)
    r.losses.push_back(trainer.trainStep());
  for (const std::string &name : trainer.executor().parameterNames()) {
    auto value = trainer.executor().parameter(name);
    EXPECT_TRUE(value.isOk()) << name;
    r.params[name] = *value;
  }
  rt::Executor *step = trainer.microStepExecutor() ? trainer.microStepExecutor() : &trainer.executor();
  r.microArena = rt::memoryNeeds(step->executable().proto()).arena;
  return r;
}

void expectClose(const RunResult &got, const RunResult &want, double lossRel, double paramRel, double paramAbs,
                 const std::string &what) {
  ASSERT_EQ(got.losses.size(), want.losses.size());
  for (size_t i = 0; i < want.losses.size(); ++i)
    EXPECT_NEAR(got.losses[i], want.losses[i], lossRel * std::fabs(want.losses[i]))
        << what << ": the loss of step " << i + 1;
  if (paramRel < 0)
    return;
  ASSERT_EQ(got.params.size(), want.params.size()) << what;
  for (const auto &[name, w] : want.params) {
    const rt::HostTensor &g = got.params.at(name);
    ASSERT_EQ(g.shape, w.shape) << what << ": " << name;
    double worst = 0;
    for (int64_t i = 0; i < w.numElements(); ++i) {
      double a = g.data<float>()[i], b = w.data<float>()[i];
      if (std::fabs(a - b) > paramRel * std::fabs(b) + paramAbs)
        worst = std::max(worst, std::fabs(a - b));
    }
    EXPECT_EQ(worst, 0.0) << what << ": parameter '" << name << "' differs from the whole-batch run";
  }
}

// Tolerances. The K micro-batch gradients are summed in another order than
// the whole batch's (per micro-batch, each scaled by 1 / K, then across
// micro-batches): a few f32 ulps per
// gradient element (~1e-7 relative to its largest addend). SGD moves a weight
// by lr times that, so after 4 steps (lr 0.3, momentum 0.9) weights agree to
// ~1e-6; 1e-5 relative + 1e-6 absolute leaves margin, while a missed 1 / K
// (a K-times gradient), clipping per micro-batch or a lost micro-batch moves
// weights by ~lr * |g| ~ 1e-2. The losses of the first step are computed
// before any update and then follow the weights: 1e-5 relative.
TEST(TrainAccumulation, MicroBatchesEqualTheWholeBatchStep) {
  std::string dir = scratchDir(), data = dir + "/data.txt";
  writeFile(data, sampleText(600));
  for (double clip : {0.0, 0.05}) { // without clipping, then clipping every step (the norm is ~0.3-1)
    RunResult whole = runSteps(accumulationConfig(data, 1, "sgd", clip), 4);
    RunResult two = runSteps(accumulationConfig(data, 2, "sgd", clip), 4);
    RunResult four = runSteps(accumulationConfig(data, 4, "sgd", clip), 4);
    std::string what = "sgd, clip " + std::to_string(clip);
    expectClose(two, whole, 1e-5, 1e-5, 1e-6, what + ", 2 micro-batches");
    expectClose(four, whole, 1e-5, 1e-5, 1e-6, what + ", 4 micro-batches");
    // Peak activations: one micro-batch's (the step's arena is mostly activations).
    EXPECT_LT(two.microArena, whole.microArena);
    EXPECT_LT(four.microArena, two.microArena);
  }
}

// AdamW divides by sqrt(v) + eps: a gradient that is zero in exact
// arithmetic (the attention's key bias: softmax ignores a constant added to
// a row of scores) comes out as order-dependent f32 noise that AdamW scales
// up to ~lr per step, so such weights are not comparable; they do not move
// the loss (softmax ignores them), whose difference stays at the f32 level of
// the other weights: 1e-4 relative after 4 steps with clipping.
TEST(TrainAccumulation, AdamWLossesEqualTheWholeBatchStep) {
  std::string dir = scratchDir(), data = dir + "/data.txt";
  writeFile(data, sampleText(600));
  RunResult whole = runSteps(accumulationConfig(data, 1, "adamw", 1.0), 4);
  RunResult two = runSteps(accumulationConfig(data, 2, "adamw", 1.0), 4);
  expectClose(two, whole, 1e-4, -1, 0, "adamw, 2 micro-batches");
  EXPECT_LT(whole.losses.back(), whole.losses.front()); // it trains
}

TEST(TrainAccumulation, ResumedRunRepeatsTheUninterruptedLosses) {
  std::string dir = scratchDir(), data = dir + "/data.txt";
  writeFile(data, sampleText(600));
  TrainConfig c = accumulationConfig(data, 2, "adamw", 1.0);
  std::vector<float> straight = runSteps(c, 4).losses;
  c.checkpointDir = dir + "/ckpt";
  {
    Trainer first(c);
    first.trainStep();
    first.trainStep();
    first.saveCheckpoint();
  }
  c.resume = true;
  Trainer resumed(c);
  ASSERT_EQ(resumed.step(), 2);
  // The same programs on the same state: bitwise the same losses.
  EXPECT_EQ(resumed.trainStep(), straight[2]);
  EXPECT_EQ(resumed.trainStep(), straight[3]);
  // A checkpoint of 2 micro-batches holds the accumulators: another K is refused.
  c.optimizer.microBatches = 1;
  try {
    Trainer other(c);
    FAIL() << "resuming with another --micro-batches was accepted";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("micro_batches"), std::string::npos) << e.what();
  }
}

/// The elements moved by each collective kind of `exe`'s steps over
/// exactly the mesh axes `axes` (indices into the mesh).
std::map<int, std::vector<uint64_t>> collectives(const rt::Executable &exe, const std::vector<uint32_t> &axes) {
  std::map<int, std::vector<uint64_t>> out;
  for (const proto::Step &s : exe.proto().steps())
    if (s.has_collective() &&
        std::vector<uint32_t>(s.collective().axes().begin(), s.collective().axes().end()) == axes)
      out[int(s.collective().kind())].push_back(s.collective().count());
  return out;
}

// On dp=2 (and dp=2 x tp=2, Megatron's tensor parallelism inside) the
// micro-step keeps each rank's partial gradient sums: it has no collective
// over dp but the loss's (one element; the loss is reduced over dp and tp
// together). The apply step reduces the accumulated gradients over dp once:
// all-reduces (ZeRO 0) or reduce-scatters (ZeRO 2) covering every trainable
// element (on dp x tp: this rank's tp piece of each) and no more.
TEST(TrainAccumulation, OnDataParallelRanksTheGradientsAreReducedOncePerStep) {
  for (const char *spec : {"dp=2", "dp=2,tp=2"}) {
    MeshSpec mesh = MeshSpec::parse(spec);
    const bool tp = mesh.has("tp");
    Program loss = models::buildGpt2TrainLoss(tinyConfig(), 2, 8, strategyPlan(tp ? "dp,tp" : "dp", mesh), mesh);
    for (int zero : {0, 2}) {
      TrainOptions train;
      train.microBatches = 2;
      train.zero = zero;
      CompileOptions options;
      options.cacheDir = testCacheDir();
      AccumulatedTrainStep step = compileAccumulatedTrainStep(loss.module(), train, options);
      ASSERT_TRUE(step.microStep.executable && step.applyStep.executable);
      std::string what = std::string(spec) + ", zero " + std::to_string(zero);
      for (const auto &[kind, counts] : collectives(*step.microStep.executable, {0}))
        for (uint64_t n : counts)
          EXPECT_EQ(n, 1u) << what << ": the micro-step has a collective of kind " << kind << " over dp (" << n
                           << " elements); only the loss should be";
      // This rank's elements: a tp-split parameter holds half of them.
      uint64_t elements = 0;
      for (const proto::Buffer &b : step.applyStep.executable->proto().buffers())
        if (b.kind() == proto::STATE && b.name().rfind("grad_accum:", 0) == 0)
          elements += uint64_t(rt::numElements(std::vector<int64_t>(b.shape().begin(), b.shape().end())));
      // ZeRO 2 reduce-scatters what splits over dp and all-reduces the rest.
      auto apply = collectives(*step.applyStep.executable, {0});
      uint64_t reduced = 0, count = 0;
      for (uint64_t n : apply[proto::ALL_REDUCE])
        reduced += n, ++count;
      for (uint64_t n : apply[proto::REDUCE_SCATTER])
        reduced += 2 * n, ++count; // a reduce-scatter's count is one rank's block
      if (zero == 2)
        EXPECT_FALSE(apply[proto::REDUCE_SCATTER].empty()) << what;
      EXPECT_GE(reduced, elements) << what << ": the apply step reduces too little";
      // Beyond the gradients: the scalars of the clipping norm, and padding.
      EXPECT_LE(reduced, elements + 64 * count) << what << ": more than one reduction";
    }
  }
}

TEST(TrainAccumulation, BadMicroBatchesAreRefused) {
  std::string dir = scratchDir(), data = dir + "/data.txt";
  writeFile(data, sampleText(600));
  TrainConfig c = accumulationConfig(data, 3, "sgd", 0);
  try {
    Trainer t(c);
    FAIL() << "3 micro-batches of a batch of 4 were accepted";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("--micro-batches 3 does not divide --batch 4"), std::string::npos)
        << e.what();
  }
  TrainOptions f16;
  f16.microBatches = 2;
  f16.precision = "f16";
  Program loss = models::buildGpt2TrainLoss(tinyConfig(), 2, 8);
  EXPECT_THROW(compileAccumulatedTrainStep(loss.module(), f16, {}), CompileError);
  TrainOptions zero3;
  zero3.microBatches = 2;
  zero3.zero = 3;
  EXPECT_THROW(compileAccumulatedTrainStep(loss.module(), zero3, {}), CompileError);
  CompileOptions searched;
  searched.autoShard = AutoShardOptions{.devices = 2};
  TrainOptions two;
  two.microBatches = 2;
  EXPECT_THROW(compileAccumulatedTrainStep(loss.module(), two, searched), CompileError);

  std::string base = "train gpt2 " + tinyFlags() + " --data '" + data + "' --seq 8 --steps 1 --sample-tokens 0 ";
  struct Case {
    std::string flags, message;
  } cases[] = {
      {"--batch 4 --micro-batches 3", "--micro-batches 3 does not divide --batch 4"},
      {"--batch 4 --micro-batches 0", "--micro-batches"},
      {"--batch 4 --micro-batches 2 --precision f16", "does not support --precision f16"},
      {"--batch 4 --micro-batches 2 --mesh dp=2 --zero 3", "does not support --zero 3"},
  };
  for (const Case &k : cases) {
    std::string log = dir + "/refused.log";
    EXPECT_NE(runWeft(base + k.flags, log), 0) << k.flags;
    std::string out = readFile(log);
    EXPECT_NE(out.find(k.message), std::string::npos) << k.flags << ":\n" << out;
  }
}

TEST(TrainAccumulation, CliReportsTheMicroStepMemoryAndTrains) {
  std::string dir = scratchDir(), data = dir + "/data.txt", log = dir + "/train.log";
  writeFile(data, sampleText(600));
  ASSERT_EQ(runWeft("train gpt2 " + tinyFlags() + " --data '" + data +
                        "' --batch 4 --seq 8 --steps 2 --micro-batches 2 --eval-every 1 --sample-tokens 0",
                    log),
            0)
      << readFile(log);
  std::string out = readFile(log);
  EXPECT_NE(out.find("gradient accumulation: 2 micro-batches of 2 rows: micro-step arena"), std::string::npos)
      << out;
  EXPECT_NE(out.find("step      2/2  loss"), std::string::npos) << out;
}

/// The losses of the progress lines of a `weft train` log.
std::vector<double> lossLines(const std::string &log) {
  std::vector<double> losses;
  for (size_t at = log.find("loss "); at != std::string::npos; at = log.find("loss ", at + 5))
    if (at >= 2 && log.compare(at - 2, 2, "  ") == 0 && log.find('/', log.rfind("step", at)) < at)
      losses.push_back(std::atof(log.c_str() + at + 5));
  return losses;
}

// LLaMA (SGD) and GPT-2 with LoRA adapters (frozen base weights: the apply
// step keeps them as parameters it does not read) train with 2
// micro-batches to the whole batch's printed losses (4 decimals; the
// summation-order difference is ~1e-7 relative, so 2e-4 absolute).
TEST(TrainAccumulation, LlamaAndLoraEqualTheWholeBatchStep) {
  std::string dir = scratchDir(), log = dir + "/train.log";
  std::string common = " --data /usr/share/common-licenses/GPL-3 --steps 3 --batch 4 --seq 16 --eval-every 0 "
                       "--log-every 1 --sample-tokens 0 ";
  for (std::string model : {std::string("llama --preset tiny --optimizer sgd --lr 0.3"),
                            "gpt2 " + tinyFlags() + " --lora r=4,alpha=8,dropout=0,targets=c_attn --lr 1e-2"}) {
    std::vector<double> losses[2];
    for (int k : {1, 2}) {
      ASSERT_EQ(runWeft("train " + model + common + "--micro-batches " + std::to_string(k), log), 0)
          << readFile(log);
      losses[k - 1] = lossLines(readFile(log));
    }
    ASSERT_EQ(losses[0].size(), 3u) << model;
    ASSERT_EQ(losses[1].size(), 3u) << model;
    for (int i = 0; i < 3; ++i)
      EXPECT_NEAR(losses[1][i], losses[0][i], 2e-4) << model << ": step " << i + 1;
  }
}

/// The bytes of row `what` ("activations", "total") of a `weft estimate`
/// printout ("  activations      12.00 MiB ..."), or -1.
double estimateRow(const std::string &out, const std::string &what) {
  size_t at = out.find("\n  " + what + " ");
  if (at == std::string::npos)
    return -1;
  double value = 0;
  char unit[8] = {};
  if (std::sscanf(out.c_str() + at + 3 + what.size(), " %lf %7s", &value, unit) != 2)
    return -1;
  std::string u = unit;
  return value * (u == "GiB" ? 1 << 30 : u == "MiB" ? 1 << 20 : u == "KiB" ? 1 << 10 : 1);
}

TEST(TrainAccumulation, EstimatePlansOneMicroBatchOfActivations) {
  std::string dir = scratchDir(), log = dir + "/estimate.log";
  // Activations dominate at 16 x 64 (at 8 x 16 the peak is the optimizer's).
  std::string base = "estimate gpt2 --preset tiny --train --batch 16 --seq 64 ";
  ASSERT_EQ(runWeft(base, log), 0) << readFile(log);
  std::string whole = readFile(log);
  ASSERT_EQ(runWeft(base + "--micro-batches 4", log), 0) << readFile(log);
  std::string four = readFile(log);
  EXPECT_NE(four.find("batch 16 (4 micro-batches of 4) x seq 64"), std::string::npos) << four;
  // A quarter of the rows: a quarter of the forward's results (up to the
  // packing of a few small buffers).
  double a1 = estimateRow(whole, "activations"), a4 = estimateRow(four, "activations");
  ASSERT_GT(a1, 0) << whole;
  ASSERT_GT(a4, 0) << four;
  EXPECT_LT(a4, 0.3 * a1) << whole << four;
  EXPECT_LT(estimateRow(four, "total"), estimateRow(whole, "total")) << whole << four;
  EXPECT_GT(estimateRow(four, "apply step"), 0) << four;
  // The accumulators add one f32 copy of the parameters to the state.
  EXPECT_GT(estimateRow(four, "optimizer state"), estimateRow(whole, "optimizer state")) << whole << four;
  EXPECT_NE(runWeft(base + "--micro-batches 3", log), 0);
  EXPECT_NE(readFile(log).find("--micro-batches 3 does not divide --batch 16"), std::string::npos) << readFile(log);
}

} // namespace

//===- RecomputeTest.cpp - gradient checkpointing of GPT-2 blocks ---------===//
//
// This file implements the end-to-end tests of weft-recompute on the GPT-2
// model of models/Gpt2.cpp (2 blocks, gradient_checkpointing marks each as a
// group): the training step compiled on the CPU with recompute = "blocks"
// gives the same loss and "grad:<param>" outputs, bit for bit, as the step
// without it, and both agree with the double-precision reference evaluator;
// the Executable reports the trade; its planned arena is smaller (batch 8);
// every copy runs after the loss (in the backward pass).
//
//===----------------------------------------------------------------------===//

#include "TrainTestUtil.h"

#include "compiler/GraphReport.h"
#include "ir/AttrNames.h"
#include "models/Gpt2.h"
#include "runtime/MemoryNeeds.h"

#include <cstring>

using namespace weft;
using namespace weft::train::test;

namespace {

/// A GPT-2 small enough to compile in seconds, with activations (batch 2 x
/// 16 tokens) that outweigh its weights, as in real training.
models::Gpt2Config tinyConfig(bool checkpointing) {
  models::Gpt2Config c{.n_layer = 2, .n_head = 2, .n_embd = 32, .vocab_size = 64, .n_positions = 16};
  c.gradient_checkpointing = checkpointing;
  return c;
}
constexpr int kBatch = 2, kSeq = 16;

TrainOptions trainOptions(const std::string &recompute) {
  TrainOptions o;
  o.optimizer = "sgd";
  o.keepGradients = true;
  o.recompute = recompute;
  return o;
}

/// Runs one step of `exe` on `args` and returns every output by name.
std::map<std::string, rt::HostTensor> runStep(const rt::Executable &exe, mlir::ModuleOp forward,
                                              const Named &args) {
  std::map<std::string, rt::HostTensor> out;
  auto e = bindAll(exe, forward, args);
  if (!e)
    return out;
  setSchedule(*e, 0.01, 1);
  rt::Status ran = e->run();
  EXPECT_TRUE(ran.isOk()) << ran.toString();
  for (const std::string &name : e->outputNames()) {
    auto v = e->output(name);
    EXPECT_TRUE(v.isOk()) << name;
    if (v.isOk())
      out.emplace(name, std::move(v).value());
  }
  return out;
}

TEST(Recompute, Gpt2GradientsAreBitwiseTheSame) {
  Program plain = models::buildGpt2TrainLoss(tinyConfig(false), kBatch, kSeq);
  Program marked = models::buildGpt2TrainLoss(tinyConfig(true), kBatch, kSeq);
  CompileResult without = compileTrainStep(plain.module(), trainOptions("none"), testCompileOptions());
  CompileResult with = compileTrainStep(marked.module(), trainOptions("blocks"), testCompileOptions());
  ASSERT_TRUE(without.executable && with.executable);

  // The same weights and batch for both (GPT-2-sized initial weights).
  Named args = randomArguments(plain.module(), 17, /*tokenRange=*/64);
  for (auto &[name, value] : args)
    if (name != "tokens" && name != "targets")
      for (double &x : value.data)
        x = double(float(0.1 * x));
  auto a = runStep(*without.executable, plain.module(), args);
  auto b = runStep(*with.executable, marked.module(), args);
  Named ref = referenceGradients(plain.module(), args);

  int grads = 0;
  for (const auto &[name, want] : ref) {
    ASSERT_TRUE(a.count(name) && b.count(name)) << name;
    const rt::HostTensor &x = a.at(name), &y = b.at(name);
    ASSERT_EQ(x.shape, y.shape) << name;
    // Bitwise: the copies are the same kernels on the same inputs.
    EXPECT_EQ(0, std::memcmp(x.data<float>(), y.data<float>(), x.numElements() * sizeof(float)))
        << name << " differs with recompute";
    // And right: against the double-precision evaluator (the kernels' polynomial
    // exp/tanh and f32 sums stay within these bounds).
    expectClose(toRef(y), want, 2e-4, 2e-3, name + " (recompute vs reference)");
    grads += name.rfind("grad:", 0) == 0;
  }
  EXPECT_EQ(grads, 2 + 2 * 12 + 2); // wte, wpe, 12 per block, ln_f

  // The report: both blocks recomputed, fewer activations kept, FLOPs added.
  ASSERT_TRUE(with.executable->proto().has_recompute());
  EXPECT_FALSE(without.executable->proto().has_recompute());
  const proto::RecomputeReport &r = with.executable->proto().recompute();
  EXPECT_EQ(r.groups(), 2u);
  EXPECT_GT(r.ops(), 0u);
  EXPECT_LT(r.kept_bytes_after(), r.kept_bytes_before() / 2);
  EXPECT_GT(r.added_flops(), 0u);
  EXPECT_LT(r.added_flops(), r.step_flops() / 2);
  std::printf("%s\n", rt::describeRecompute(with.executable->proto()).c_str());
}

/// The planned arena of the training step of `config` at batch x seq
/// (graph phase only: the memory plan, no code generation).
int64_t plannedArena(bool checkpointing, int batch, int seq) {
  Program p = models::buildGpt2TrainLoss(tinyConfig(checkpointing), batch, seq);
  CompileOptions options = testCompileOptions();
  options.train = trainOptions(checkpointing ? "blocks" : "none");
  options.train->keepGradients = false; // as in training: gradients die in the update
  options.train->optimizer = "adamw";
  mlir::OwningOpRef<mlir::ModuleOp> graph = runGraphPhase(p.module(), options);
  auto arena = mainOf(*graph)->getAttrOfType<mlir::IntegerAttr>(kArenaSizeAttr);
  EXPECT_TRUE(arena);
  return arena ? arena.getInt() : 0;
}

TEST(Recompute, Gpt2PlannedArenaIsSmaller) {
  // Batch 8 x 16 tokens: the blocks' activations dominate the arena.
  int64_t without = plannedArena(false, 8, 16), with = plannedArena(true, 8, 16);
  EXPECT_LT(with, without);
  std::printf("planned arena: %lld bytes without recompute, %lld with\n", (long long)without,
              (long long)with);
}

TEST(Recompute, Bf16CastsJoinTheirGroups) {
  // weft-mixed-precision's casts carry their producer's group, so in bf16 the
  // blocks' activations are recomputed too (not kept as "group outputs").
  Program p = models::buildGpt2TrainLoss(tinyConfig(true), 8, 16);
  CompileOptions options = testCompileOptions();
  options.train = trainOptions("blocks");
  options.train->precision = "bf16";
  mlir::OwningOpRef<mlir::ModuleOp> graph = runGraphPhase(p.module(), options);
  auto summary = mainOf(*graph)->getAttrOfType<mlir::DictionaryAttr>(kRecomputeSummaryAttr);
  ASSERT_TRUE(summary);
  int64_t before = summary.getAs<mlir::IntegerAttr>("kept_bytes_before").getInt();
  int64_t after = summary.getAs<mlir::IntegerAttr>("kept_bytes_after").getInt();
  EXPECT_EQ(summary.getAs<mlir::IntegerAttr>("groups").getInt(), 2);
  // With the casts in their groups 527 KB -> 281 KB (GPT-2 124M at 4 x 256: 1000 MB -> 547 MB;
  // 774 MB when the casts had no group). What stays is outside the blocks (LM head, loss).
  EXPECT_LT(after * 10, before * 6) << "kept " << before << " -> " << after << " bytes";
}

TEST(Recompute, CopiesRunInTheBackwardPassAfterTheSchedule) {
  Program marked = models::buildGpt2TrainLoss(tinyConfig(true), kBatch, kSeq);
  CompileOptions options = testCompileOptions();
  options.train = trainOptions("blocks");
  mlir::OwningOpRef<mlir::ModuleOp> graph = runGraphPhase(marked.module(), options);
  mlir::func::FuncOp main = mainOf(*graph);
  // The op that computes the loss output ends the forward pass; every copy
  // comes after it in the scheduled order.
  mlir::Operation *terminator = main.getBody().front().getTerminator();
  mlir::Operation *lossOp = nullptr;
  for (unsigned i = 0; i < main.getNumResults(); ++i)
    if (auto name = main.getResultAttrOfType<mlir::StringAttr>(i, kOutputAttr);
        name && name.getValue() == "loss")
      lossOp = terminator->getOperand(i).getDefiningOp();
  ASSERT_TRUE(lossOp);
  int copies = 0, groups[2] = {0, 0};
  for (mlir::Operation &op : main.getBody().front().without_terminator()) {
    auto group = op.getAttrOfType<mlir::IntegerAttr>(kRecomputedAttr);
    if (!group)
      continue;
    ++copies;
    ASSERT_TRUE(group.getInt() == 0 || group.getInt() == 1);
    ++groups[group.getInt()];
    EXPECT_TRUE(lossOp->isBeforeInBlock(&op)) << "a copy runs in the forward pass";
  }
  EXPECT_GT(groups[0], 0);
  EXPECT_GT(groups[1], 0);
  EXPECT_GT(copies, 0);
}

TEST(Recompute, UnknownModeIsRefused) {
  Program plain = models::buildGpt2TrainLoss(tinyConfig(false), 1, 4);
  try {
    compileTrainStep(plain.module(), trainOptions("layers"), testCompileOptions());
    FAIL() << "expected a CompileError";
  } catch (const CompileError &e) {
    EXPECT_NE(std::string(e.what()).find("unknown recompute mode 'layers'"), std::string::npos)
        << e.what();
  }
}

} // namespace

//===- LoraBf16Test.cpp - a bf16 LoRA step holds its frozen base in bf16 --===//
//
// This file tests weft-mixed-precision's store-frozen in a training step
// (TrainOptions::precision = "bf16" with LoRA adapters), on the narrow GPT-2
// and LLaMA of LoraTestModels.h:
//   - every frozen matrix (projections, embeddings; GPT-2's tied wte once) is
//     a bf16 PARAMETER, the adapters f32 (and the norm gains), and the step
//     holds exactly those bytes (memoryNeeds), no f32 copy of the base;
//   - the step's adapter gradients match the f32 step's at the same
//     (bf16-representable) base weights within bf16's error, and differ from
//     them (the step did compute in bf16);
//   - an AdamW step changes the adapters only, the bf16 base bitwise as set.
// Tolerance (normwise over all adapter gradients): the bf16 step rounds the
// activations and the products' results (2^-9 relative each) along a
// one-layer forward and its backward, ~10 roundings mostly cancelling
// (measured 6.0 units for the GPT-2, 1.3 for the LLaMA): we
// allow 16 unit roundoffs (16 * 2^-8 = 6%) of the f32 gradient's norm, where
// a base weight read in the wrong type or layout gives O(1) of it.
//
//===----------------------------------------------------------------------===//

#include "tests/e2e/E2ETestUtil.h"
#include "tests/e2e/LoraTestModels.h"

#include "compiler/TrainStep.h"
#include "models/catalog/LoraAdapter.h"
#include "runtime/MemoryNeeds.h"
#include "runtime/io/QuantizedWeights.h"

#include <cmath>

namespace weft {
namespace {

using namespace lora_test;

/// A training step of narrow `model` in `precision` with `optimizer`,
/// gradients kept as outputs.
std::unique_ptr<rt::Executor> trainStep(const std::string &model, const std::string &precision,
                                        const std::string &optimizer) {
  Program p = lossProgram(model, 2);
  TrainOptions train;
  train.optimizer = optimizer;
  train.precision = precision;
  train.clipNorm = 0;
  train.weightDecay = 0;
  train.keepGradients = true;
  CompileOptions options;
  options.useCache = false;
  CompileResult compiled = compileTrainStep(p.module(), train, options);
  EXPECT_TRUE(compiled.executable.has_value());
  auto exe = rt::Executor::create(std::move(*compiled.executable));
  EXPECT_TRUE(exe.isOk()) << exe.status().toString();
  return std::move(exe).value();
}

/// The parameter values, every base one rounded to bf16 (so the f32 and the
/// bf16 steps start from the same weights) and stored as f32.
std::map<std::string, rt::HostTensor> bf16Values(const std::string &model) {
  std::map<std::string, rt::HostTensor> values = paramValues(lossProgram(model, 2), /*randomB=*/true);
  for (auto &[name, value] : values)
    if (!isLoraParamName(name))
      value = rt::castFloats(rt::castFloats(value, proto::BF16), proto::F32);
  return values;
}

void runStep(rt::Executor &exe, const std::map<std::string, rt::HostTensor> &values, float lr) {
  for (const auto &[name, value] : values)
    ASSERT_TRUE(rt::setWeightFromF32(exe, name, value).isOk()) << name;
  ASSERT_TRUE(exe.setInput("tokens", tokens(0)).isOk());
  ASSERT_TRUE(exe.setInput("targets", tokens(1)).isOk());
  setStepInputs(exe, lr, 1);
  rt::Status ran = exe.run();
  ASSERT_TRUE(ran.isOk()) << ran.toString();
}

class LoraBf16Test : public ::testing::TestWithParam<std::string> {};

TEST_P(LoraBf16Test, FrozenBaseIsHeldInBf16Once) {
  auto exe = trainStep(GetParam(), "bf16", "sgd");
  const proto::Executable &p = exe->executable().proto();
  uint64_t want = 0;
  int lowMatrices = 0;
  for (const proto::Buffer &b : p.buffers()) {
    if (b.kind() != proto::PARAMETER)
      continue;
    // Adapters train in f32; frozen matrices are bf16; a frozen vector is
    // bf16 when only bf16 math reads it (a bias), else f32 (a norm's gain).
    if (isLoraParamName(b.name()))
      EXPECT_EQ(b.dtype(), proto::F32) << b.name();
    else if (b.shape_size() == 2)
      EXPECT_EQ(b.dtype(), proto::BF16) << b.name() << " (a frozen matrix)";
    else
      EXPECT_TRUE(b.dtype() == proto::BF16 || b.dtype() == proto::F32) << b.name();
    lowMatrices += b.dtype() == proto::BF16 && b.shape_size() == 2;
    uint64_t elements = 1;
    for (int64_t d : b.shape())
      elements *= uint64_t(d);
    want += elements * rt::dtypeSize(b.dtype());
  }
  EXPECT_GE(lowMatrices, 5) << "embeddings and projections";
  const uint64_t held = rt::memoryNeeds(p).parameters;
  EXPECT_GE(held, want);
  EXPECT_LT(held, want + 64 * uint64_t(p.buffers_size())) << "only alignment beyond each parameter once";
}

TEST_P(LoraBf16Test, AdapterGradientsMatchTheF32StepWithinBf16) {
  const std::map<std::string, rt::HostTensor> values = bf16Values(GetParam());
  auto f32 = trainStep(GetParam(), "f32", "sgd");
  auto bf16 = trainStep(GetParam(), "bf16", "sgd");
  runStep(*f32, values, 0.0f);
  runStep(*bf16, values, 0.0f);
  double diff = 0, norm = 0;
  int adapters = 0;
  for (const std::string &o : f32->outputNames()) {
    if (o.rfind("grad:", 0) != 0)
      continue;
    ++adapters;
    rt::HostTensor want = f32->output(o).value(), got = bf16->output(o).value();
    ASSERT_EQ(got.dtype, proto::F32) << o;
    ASSERT_EQ(got.numElements(), want.numElements()) << o;
    for (int64_t e = 0; e < want.numElements(); ++e) {
      double d = double(got.data<float>()[e]) - want.data<float>()[e];
      diff += d * d;
      norm += double(want.data<float>()[e]) * want.data<float>()[e];
    }
  }
  EXPECT_GT(adapters, 0);
  ASSERT_GT(norm, 0);
  const double units = std::sqrt(diff / norm) / std::ldexp(1.0, -8);
  std::printf("%s: bf16 step's adapter gradients within %.2f bf16 unit roundoffs of the f32 step's\n",
              GetParam().c_str(), units);
  EXPECT_GT(units, 0.0) << "the step did not compute in bf16";
  EXPECT_LE(units, 16.0);
}

TEST_P(LoraBf16Test, AdamWChangesOnlyTheAdapters) {
  const std::map<std::string, rt::HostTensor> values = bf16Values(GetParam());
  auto exe = trainStep(GetParam(), "bf16", "adamw");
  runStep(*exe, values, 1e-2f);
  for (const auto &[name, value] : values) {
    rt::HostTensor now = exe->parameter(name).value();
    if (isLoraParamName(name)) {
      EXPECT_FALSE(bitwiseEqual(now, value)) << name << " did not train";
    } else {
      // Held as set: bf16 (the f32 value rounded, exactly) or f32.
      rt::HostTensor wide = now.dtype == proto::F32 ? now : rt::castFloats(now, proto::F32);
      EXPECT_TRUE(bitwiseEqual(wide, value)) << name << " (frozen) changed";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, LoraBf16Test, ::testing::Values("gpt2", "llama"));

} // namespace
} // namespace weft

//===- LoraInt8Test.cpp - LoRA training over an int8 base, end to end -----===//
//
// This file implements the tests of LoRA fine-tuning over a weight-only int8
// base (CompileOptions::quantize "int8-weight" on a training step: the frozen
// projection weights become NAME.q8 + NAME.scale before weft-autodiff), on
// the narrow GPT-2 and LLaMA of LoraTestModels.h:
//   - the step holds every frozen projection as int8 (one byte per weight)
//     plus f32 scales, the adapters in f32, and optimizer state for the
//     adapters only;
//   - AdamW steps on one batch lower its loss, change every adapter and leave
//     the int8 weights and scales bitwise unchanged.
// The gradients through the int8 base against finite differences of the
// reference evaluator are in LoraTest.cpp (checkGradients with quantize).
//
//===----------------------------------------------------------------------===//

#include "tests/e2e/E2ETestUtil.h"
#include "tests/e2e/LoraTestModels.h"

#include "compiler/TrainStep.h"
#include "runtime/MemoryNeeds.h"
#include "runtime/io/QuantizedWeights.h"

#include <map>
#include <string>

namespace weft {
namespace {

using namespace lora_test;

class LoraInt8Test : public ::testing::TestWithParam<std::string> {};

TEST_P(LoraInt8Test, AdaptersTrainOverAnUnchangedInt8Base) {
  const std::string model = GetParam();
  Program loss = lossProgram(model);
  TrainOptions train; // AdamW with weight decay and clipping
  CompileOptions options;
  options.useCache = false;
  options.quantize = "int8-weight";
  CompileResult compiled = compileTrainStep(loss.module(), train, options);
  ASSERT_TRUE(compiled.executable.has_value());
  auto exe = std::move(rt::Executor::create(std::move(*compiled.executable))).value();

  // Which parameters the step holds, and how.
  uint64_t int8Bytes = 0, frozenMatmulElements = 0;
  int adapters = 0;
  for (const ParamSpec &p : loss.params()) {
    if (isLoraParamName(p.name)) {
      ++adapters;
      const proto::Buffer *b = exe->buffer(proto::PARAMETER, p.name);
      ASSERT_NE(b, nullptr) << p.name;
      EXPECT_EQ(b->dtype(), proto::F32) << p.name << ": adapters train in f32";
    } else if (rt::isInt8Weight(*exe, p.name)) {
      frozenMatmulElements += uint64_t(rt::numElements(p.shape));
      EXPECT_EQ(exe->buffer(proto::PARAMETER, p.name), nullptr) << p.name << " is held in f32 too";
    }
  }
  for (const std::string &name : exe->parameterNames()) {
    const proto::Buffer *b = exe->buffer(proto::PARAMETER, name);
    if (b->dtype() == proto::I8)
      int8Bytes += b->byte_size();
  }
  EXPECT_EQ(adapters, 6);
  // Every projection of the block is int8 (GPT-2: c_attn, attn.c_proj, c_fc,
  // mlp.c_proj; LLaMA: q, k, v, o, gate, up, down); GPT-2's tied wte and
  // LLaMA's lm_head stay f32.
  const uint64_t projections = model == "gpt2" ? 16 * 48 + 16 * 16 + 16 * 64 + 64 * 16
                                               : 16 * 16 + 2 * 8 * 16 + 16 * 16 + 3 * 16 * 24;
  EXPECT_EQ(frozenMatmulElements, projections);
  EXPECT_EQ(int8Bytes, projections); // one byte per weight
  for (const std::string &s : exe->stateNames())
    EXPECT_TRUE(isLoraParamName(s.substr(s.find(':') + 1))) << s;
  EXPECT_EQ(exe->stateNames().size(), 2u * 6u);

  std::map<std::string, rt::HostTensor> values = paramValues(loss, /*randomB=*/false);
  for (const auto &[name, value] : values)
    ASSERT_TRUE(rt::setWeightFromF32(*exe, name, value).isOk()) << name;
  std::map<std::string, rt::HostTensor> before;
  for (const std::string &name : exe->parameterNames())
    before[name] = exe->parameter(name).value();

  // One batch, eight steps: the loss must fall (a random 1-layer model on a
  // fixed batch drops by far more than 1% at lr 1e-2).
  std::vector<float> losses;
  for (int t = 1; t <= 8; ++t) {
    ASSERT_TRUE(exe->setInput("tokens", tokens(5)).isOk());
    ASSERT_TRUE(exe->setInput("targets", tokens(6)).isOk());
    setStepInputs(*exe, 1e-2f, t);
    rt::Status ran = exe->run();
    ASSERT_TRUE(ran.isOk()) << ran.toString();
    losses.push_back(exe->output("loss").value().data<float>()[0]);
  }
  EXPECT_LT(losses.back(), 0.99f * losses.front()) << "losses " << losses.front() << " -> " << losses.back();
  for (size_t i = 1; i < losses.size(); ++i)
    EXPECT_TRUE(std::isfinite(losses[i]));

  expectOnlyAdaptersChanged(*exe, before);
}

INSTANTIATE_TEST_SUITE_P(Models, LoraInt8Test, ::testing::Values("gpt2", "llama"),
                         [](const ::testing::TestParamInfo<std::string> &info) { return info.param; });

} // namespace
} // namespace weft

//===- Int8ExpansionTest.cpp - int8 models through the CUDA target's form -===//
//
// This file tests, on the CPU, the form int8 weights take on the CUDA target
// (CompileOptions::expandMatmulQ8: weft-expand-matmul-q8 in the graph
// pipeline, each weft.matmul_q8 a cast of its int8 weight, an f32 GEMM and
// elementwise scaling) on whole models: GPT-2 (2 layers, its tied table held
// in int8 under int8-weight's int8 LM head) and LLaMA-tiny (untied head),
// with --quantize int8-weight and llm-int8 (threshold 2.5, so that some
// post-norm activation columns are outliers, checked: the logits move when
// none is). For each, the expanded program
// against the CPU's fused int8 kernels on the same seeded weights and
// tokens: the same int8 parameters (no f32 copy of a quantized weight, the
// same bytes after the host quantized each weight along the channels its
// f32 GEMM reads), no int8 GEMM step left, and logits within the normwise
// tolerance below; and a tied head whose f32 copy is made in blocks of rows
// (max-copy-bytes), which the host must quantize along those rows too.
// Tolerance: max |expanded - fused| <= 1e-3 max |fused|. Both quantize the
// same rows with the same f32 arithmetic and sum the int8 products exactly;
// they differ in the rounding of the rescaling and of f32 sums (the
// outliers', ~1e-7 relative), which a later product's row quantization can
// turn into one quantization step of one element (1/127 of that element's
// share of a sum): measured <= 3e-7 normwise here (GPT-2 and LLaMA, both
// modes), so 1e-3 leaves room for such steps while dropping the outlier
// columns moves the logits by 9e-3 (measured) and a wrong layout or a lost
// scale by O(1) of their magnitude.
//
//===----------------------------------------------------------------------===//

#include "tests/common/Gpt2TestModels.h"
#include "tests/common/QuantizedRun.h"
#include "tests/e2e/E2ETestUtil.h"
#include "tests/e2e/LoraTestModels.h"

#include "compiler/TrainStep.h"

#include "models/Gpt2.h"
#include "models/Llama.h"

namespace weft {
namespace {

/// Compiles `program` for the CPU with `quantize`, expanded or with the fused
/// int8 kernels.
rt::Executable compileInt8(Program &program, const std::string &quantize, bool expand,
                           double threshold = 2.5) {
  CompileOptions options;
  options.useCache = false;
  options.quantize = quantize;
  options.llmInt8Threshold = threshold;
  options.expandMatmulQ8 = expand;
  CompileResult r = compile(program.module(), options);
  EXPECT_TRUE(r.executable.has_value());
  return *r.executable;
}

/// The number of Gemm steps of `exe` that read an int8 b.
int int8Gemms(const proto::Executable &exe) {
  int n = 0;
  for (const proto::Step &s : exe.steps())
    n += s.has_gemm() && s.gemm().b_dtype() == proto::I8;
  return n;
}

void checkExpandedMatchesFused(Program &program, int64_t vocab, uint64_t seed) {
  for (std::string mode : {"int8-weight", "llm-int8"}) {
    SCOPED_TRACE(mode);
    rt::Executable fused = compileInt8(program, mode, false);
    rt::Executable expanded = compileInt8(program, mode, true);
    EXPECT_GT(int8Gemms(fused.proto()), 0);
    EXPECT_EQ(int8Gemms(expanded.proto()), 0) << "a weft.matmul_q8 reached the code generator";
    auto [count, bytes] = test::int8Parameters(expanded.proto());
    EXPECT_GT(count, 0);
    EXPECT_EQ(test::int8Parameters(fused.proto()), std::make_pair(count, bytes));

    test::QuantizedRun a, b;
    test::runQuantized(fused, program, seed, vocab, a);
    test::runQuantized(expanded, program, seed, vocab, b);
    ASSERT_EQ(a.params.size(), b.params.size());
    for (size_t i = 0; i < a.params.size(); ++i) {
      const auto &[name, value] = a.params[i];
      ASSERT_EQ(b.params[i].first, name);
      EXPECT_EQ(b.params[i].second.dtype, value.dtype) << name;
      EXPECT_TRUE(b.params[i].second.bytes == value.bytes) << name << " differs: quantized along other channels";
    }
    double diff = test::normwiseDifference(b.logits, a.logits);
    std::printf("%s: expanded vs fused int8 logits: max |diff| / max |logit| = %.3g\n", mode.c_str(), diff);
    EXPECT_LE(diff, 1e-3);
    if (mode == "llm-int8") { // outliers present: without any the logits move
      test::QuantizedRun none;
      test::runQuantized(compileInt8(program, mode, true, /*threshold=*/1e30), program, seed, vocab, none);
      double effect = test::normwiseDifference(none.logits, b.logits);
      std::printf("llm-int8: logits without outlier columns differ by %.3g\n", effect);
      EXPECT_GT(effect, 1e-3);
    }
  }
}

TEST(Int8Expansion, Gpt2ExpandedMatchesTheFusedKernels) {
  models::Gpt2Config config = test::twoLayerGpt2Config();
  Program program = models::buildGpt2Forward(config, /*batch=*/2, /*seq=*/16);
  checkExpandedMatchesFused(program, config.vocab_size, 31);
}

// An int8 tied head whose f32 copy exceeds max-copy-bytes' default (32 MiB:
// 11000 x 768 x 4 bytes = 33.8 MB, 2 blocks of rows): the blocks' products,
// and the host quantizing the table along the rows its blocked GEMMs read.
TEST(Int8Expansion, BlockedHeadCopyMatchesTheFusedKernels) {
  models::Gpt2Config config = {.n_layer = 1, .n_head = 12, .n_embd = 768, .vocab_size = 11000, .n_positions = 16};
  Program program = models::buildGpt2Forward(config, /*batch=*/1, /*seq=*/4);
  rt::Executable fused = compileInt8(program, "int8-weight", false);
  rt::Executable expanded = compileInt8(program, "int8-weight", true);
  int headGemms = 0;
  for (const proto::Step &st : expanded.proto().steps())
    headGemms += st.has_gemm() && st.gemm().trans_b() && st.gemm().k() == 768 && st.gemm().n() == 5500;
  EXPECT_EQ(headGemms, 2) << "the head's product is not in 2 blocks of 5500 rows";
  test::QuantizedRun a, b;
  test::runQuantized(fused, program, 33, config.vocab_size, a);
  test::runQuantized(expanded, program, 33, config.vocab_size, b);
  ASSERT_EQ(a.params.size(), b.params.size());
  for (size_t i = 0; i < a.params.size(); ++i)
    EXPECT_TRUE(a.params[i].second.bytes == b.params[i].second.bytes) << a.params[i].first;
  double diff = test::normwiseDifference(b.logits, a.logits);
  std::printf("blocked head: expanded vs fused int8 logits: max |diff| / max |logit| = %.3g\n", diff);
  EXPECT_LE(diff, 1e-3);
}

TEST(Int8Expansion, LlamaExpandedMatchesTheFusedKernels) {
  models::LlamaConfig config =
      models::LlamaConfig::fromJsonFile(std::string(WEFT_SOURCE_DIR) + "/models/configs/llama-tiny.json");
  Program program = models::buildLlamaForward(config, /*batch=*/2, /*seq=*/16);
  checkExpandedMatchesFused(program, config.vocab_size, 32);
}

/// A LoRA training step over an int8 base (weft.matmul_q8 with f32
/// activations, forward and, differentiated, backward with unit scales),
/// expanded or fused, for `steps` AdamW steps on one batch: its losses.
std::vector<float> loraLosses(const std::string &model, bool expand, int steps) {
  Program loss = lora_test::lossProgram(model);
  CompileOptions options;
  options.useCache = false;
  options.quantize = "int8-weight";
  options.expandMatmulQ8 = expand;
  CompileResult compiled = compileTrainStep(loss.module(), TrainOptions{}, options);
  EXPECT_TRUE(compiled.executable.has_value());
  EXPECT_GT(test::int8Parameters(compiled.executable->proto()).first, 0);
  auto exe = std::move(rt::Executor::create(std::move(*compiled.executable))).value();
  for (const auto &[name, value] : lora_test::paramValues(loss, /*randomB=*/true))
    EXPECT_TRUE(rt::setWeightFromF32(*exe, name, value).isOk()) << name;
  std::vector<float> losses;
  for (int t = 1; t <= steps; ++t) {
    EXPECT_TRUE(exe->setInput("tokens", lora_test::tokens(5)).isOk());
    EXPECT_TRUE(exe->setInput("targets", lora_test::tokens(6)).isOk());
    lora_test::setStepInputs(*exe, 1e-2f, t);
    rt::Status ran = exe->run();
    EXPECT_TRUE(ran.isOk()) << ran.toString();
    losses.push_back(exe->output("loss").value().data<float>()[0]);
  }
  return losses;
}

// The training path on the GPU's form (weft train --lora over --quantize
// int8-weight): the same losses as the fused kernels step after step
// (f32 activations: the products differ by f32 rounding only; rtol 1e-5 of
// a loss of ~4 leaves room for 4 steps of it, while a wrong gradient
// through the int8 base changes the second loss by far more).
TEST(Int8Expansion, LoraStepOverInt8BaseExpandedMatchesFused) {
  for (std::string model : {"gpt2", "llama"}) {
    SCOPED_TRACE(model);
    std::vector<float> fused = loraLosses(model, false, 4), expanded = loraLosses(model, true, 4);
    ASSERT_EQ(fused.size(), expanded.size());
    for (size_t t = 0; t < fused.size(); ++t)
      EXPECT_NEAR(expanded[t], fused[t], 1e-5 * std::fabs(fused[t])) << "step " << t + 1;
    EXPECT_LT(fused.back(), fused.front());
  }
}

} // namespace
} // namespace weft

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
// tolerance below.
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

TEST(Int8Expansion, LlamaExpandedMatchesTheFusedKernels) {
  models::LlamaConfig config =
      models::LlamaConfig::fromJsonFile(std::string(WEFT_SOURCE_DIR) + "/models/configs/llama-tiny.json");
  Program program = models::buildLlamaForward(config, /*batch=*/2, /*seq=*/16);
  checkExpandedMatchesFused(program, config.vocab_size, 32);
}

} // namespace
} // namespace weft

//===- LlamaE2ETest.cpp - LLaMA compiled vs evaluated ---------------------===//
//
// This file implements the end-to-end numerics tests of the LLaMA family:
// models/configs/llama-tiny.json (2 layers, grouped-query attention 4/2) and
// its variants (multi-head, multi-query, tied embeddings), their forward and
// training loss built with the DSL, compiled for the CPU, run by the runtime,
// and compared with the double-precision reference evaluator on fresh random
// weights and inputs; and the rotary embedding gathered by a positions tensor
// against its constant-table form.
//
// Tolerance: as for GPT-2 (Gpt2E2ETest.cpp), f32 GEMMs with K up to 176 and
// vectorised exp/sigmoid through 2 layers stay well below 1e-4 relative on
// values of order 1; we allow |got - want| <= 2e-4 + 2e-4 * |want|. A wrong
// rotation, head grouping or norm gives O(0.01..1) differences.
//
//===----------------------------------------------------------------------===//

#include "tests/e2e/E2ETestUtil.h"

#include "frontend/DslError.h"
#include "frontend/Ops.h"
#include "frontend/nn/Rotary.h"
#include "models/Llama.h"

namespace weft {
namespace {

models::LlamaConfig tinyConfig() {
  return models::LlamaConfig::fromJsonFile(std::string(WEFT_SOURCE_DIR) + "/models/configs/llama-tiny.json");
}

TEST(LlamaE2E, TinyForwardCompiledMatchesReference) {
  models::LlamaConfig config = tinyConfig();
  ASSERT_EQ(config.kvHeads(), 2);
  ASSERT_EQ(config.num_attention_heads, 4);
  Program program = models::buildLlamaForward(config, /*batch=*/2, /*seq=*/16);
  test::compareCompiledWithReference(program, /*seed=*/4321, 2e-4, 2e-4, /*tokenRange=*/config.vocab_size);
}

TEST(LlamaE2E, HeadGroupingsAndTiedEmbeddingsMatchReference) {
  for (int kv : {4, 1}) {
    models::LlamaConfig config = tinyConfig();
    config.num_key_value_heads = kv;
    config.tie_word_embeddings = kv == 1;
    config.rope_theta = 500000.0; // LLaMA 3's theta
    SCOPED_TRACE("num_key_value_heads " + std::to_string(kv));
    Program program = models::buildLlamaForward(config, /*batch=*/1, /*seq=*/12);
    bool hasHead = false;
    for (const ParamSpec &p : program.params())
      hasHead |= p.name == "lm_head.weight";
    EXPECT_EQ(hasHead, !config.tie_word_embeddings);
    test::compareCompiledWithReference(program, /*seed=*/17 + kv, 2e-4, 2e-4, config.vocab_size);
  }
}

TEST(LlamaE2E, TrainLossCompiledMatchesReference) {
  models::LlamaConfig config = tinyConfig();
  Program program = models::buildLlamaTrainLoss(config, /*batch=*/2, /*seq=*/8);
  test::compareCompiledWithReference(program, /*seed=*/5, 1e-5, 1e-5, config.vocab_size);
}

TEST(LlamaE2E, ParameterNamesAreHuggingFaces) {
  models::LlamaConfig config = tinyConfig();
  Program program = models::buildLlamaForward(config, 1, 4);
  std::map<std::string, Shape> shapes;
  for (const ParamSpec &p : program.params())
    shapes[p.name] = p.shape;
  // 1 embedding + 2 layers x 9 + the final norm + lm_head.
  EXPECT_EQ(shapes.size(), 21u);
  EXPECT_EQ(shapes["model.embed_tokens.weight"], (Shape{256, 64}));
  EXPECT_EQ(shapes["model.layers.1.self_attn.q_proj.weight"], (Shape{64, 64}));
  EXPECT_EQ(shapes["model.layers.1.self_attn.k_proj.weight"], (Shape{32, 64}));
  EXPECT_EQ(shapes["model.layers.1.self_attn.v_proj.weight"], (Shape{32, 64}));
  EXPECT_EQ(shapes["model.layers.1.self_attn.o_proj.weight"], (Shape{64, 64}));
  EXPECT_EQ(shapes["model.layers.0.mlp.gate_proj.weight"], (Shape{176, 64}));
  EXPECT_EQ(shapes["model.layers.0.mlp.up_proj.weight"], (Shape{176, 64}));
  EXPECT_EQ(shapes["model.layers.0.mlp.down_proj.weight"], (Shape{64, 176}));
  EXPECT_EQ(shapes["model.layers.0.input_layernorm.weight"], (Shape{64}));
  EXPECT_EQ(shapes["model.layers.0.post_attention_layernorm.weight"], (Shape{64}));
  EXPECT_EQ(shapes["model.norm.weight"], (Shape{64}));
  EXPECT_EQ(shapes["lm_head.weight"], (Shape{256, 64}));
}

/// The rotary tables gathered by a positions input (what decoding will use)
/// equal the constant tables of positions 0 .. T-1, and a shifted position
/// rotates differently: x [B, H, T, D] rotated both ways in one program.
TEST(LlamaE2E, RotaryPositionsInputMatchesConstantTables) {
  const int64_t B = 2, H = 3, T = 5, D = 8;
  Program p;
  Tensor x = p.input("x", {B, H, T, D});
  Tensor positions = p.input("positions", {B, T}, DType::I64);
  nn::RotaryEmbedding rope(p, D, 10000.0, /*maxPositions=*/32);
  p.output("static", rope.apply(x, rope(T)));
  p.output("gathered", rope.apply(x, rope(positions)));
  CompileOptions options;
  options.useCache = false;
  CompileResult compiled = compile(p.module(), options);
  ASSERT_TRUE(compiled.executable.has_value());
  auto exe = rt::Executor::create(*compiled.executable);
  ASSERT_TRUE(exe.isOk()) << exe.status().toString();
  rt::HostTensor xs(weft::proto::F32, {B, H, T, D});
  std::mt19937 rng(9);
  std::normal_distribution<float> normal;
  for (int64_t i = 0; i < xs.numElements(); ++i)
    xs.data<float>()[i] = normal(rng);
  rt::HostTensor pos(weft::proto::I64, {B, T});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t)
      pos.data<int64_t>()[b * T + t] = t + (b == 1 ? 7 : 0); // row 1 starts at position 7
  ASSERT_TRUE((*exe)->setInput("x", xs).isOk());
  ASSERT_TRUE((*exe)->setInput("positions", pos).isOk());
  ASSERT_TRUE((*exe)->run().isOk());
  rt::HostTensor a = *(*exe)->output(0), g = *(*exe)->output(1);
  const int64_t row = H * T * D;
  double same = 0, shifted = 0;
  for (int64_t i = 0; i < row; ++i) {
    same = std::max(same, double(std::fabs(a.data<float>()[i] - g.data<float>()[i])));
    shifted = std::max(shifted, double(std::fabs(a.data<float>()[row + i] - g.data<float>()[row + i])));
  }
  EXPECT_LE(same, 1e-6);
  EXPECT_GT(shifted, 0.1);
  // Position 0 is the identity rotation (cos 1, sin 0) in both forms.
  for (int64_t d = 0; d < D; ++d)
    EXPECT_NEAR(a.data<float>()[d], xs.data<float>()[d], 1e-6);
}

TEST(LlamaE2E, BadShapesAreRefused) {
  models::LlamaConfig config = tinyConfig();
  auto message = [&](int batch, int seq) {
    try {
      models::buildLlamaForward(config, batch, seq);
    } catch (const DslError &e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message(1, 257).find("1 <= seq <= max_position_embeddings (256)"), std::string::npos);
  EXPECT_NE(message(0, 4).find("need batch >= 1"), std::string::npos);
  auto planMessage = [&](const nn::ParallelPlan &plan, const char *mesh) {
    try {
      models::buildLlamaForward(config, 2, 8, plan, MeshSpec::parse(mesh));
    } catch (const DslError &e) {
      return std::string(e.what());
    }
    return std::string();
  };
  // Tensor parallelism must divide the key/value heads (2) as well as the heads (4).
  EXPECT_NE(planMessage({.tensorAxis = "tp"}, "tp=4").find("num_key_value_heads (2) is not divisible by the tp "
                                                           "size 4"),
            std::string::npos);
  EXPECT_EQ(planMessage({.tensorAxis = "tp"}, "tp=2"), "");
  EXPECT_NE(planMessage({.tensorAxis = "tp", .sequenceParallel = true}, "tp=2")
                .find("sequence parallelism (strategy sp) is not implemented for llama"),
            std::string::npos);
}

} // namespace
} // namespace weft

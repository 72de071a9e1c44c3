//===- Gpt2TestModels.h - the small GPT-2 models tests compile ---*- C++ -*-===//
//
// This file implements the GPT-2 configuration the end-to-end tests share (so
// the CPU and CUDA tests compile the same model) and the GPT-2 training loss
// the gradient, training and mixed-precision tests build: tied LM head, mean
// cross-entropy over next-token labels [B*T], position table of T rows.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_COMMON_GPT2TESTMODELS_H
#define WEFT_TESTS_COMMON_GPT2TESTMODELS_H

#include "frontend/Ops.h"
#include "frontend/Program.h"
#include "frontend/nn/Embedding.h"
#include "frontend/nn/LayerNorm.h"
#include "frontend/nn/TransformerBlock.h"
#include "models/Gpt2.h"

#include <string>

namespace weft::test {

/// GPT-2 with 2 layers, 4 heads, 64 wide, vocabulary 97, 32 positions.
inline models::Gpt2Config twoLayerGpt2Config() {
  return {.n_layer = 2, .n_head = 4, .n_embd = 64, .vocab_size = 97, .n_positions = 32};
}

/// GPT-2 with `layers` blocks (C wide, H heads, vocabulary V) on inputs
/// "tokens" [B, T] and "labels" [B*T] (i64), and the output "loss".
inline void buildGpt2Loss(Program &p, int64_t B, int64_t T, int64_t C, int64_t H, int64_t V,
                          int layers) {
  Tensor tokens = p.input("tokens", {B, T}, DType::I64);
  Tensor labels = p.input("labels", {B * T}, DType::I64);
  nn::Embedding wte(p, "wte", V, C);
  nn::Embedding wpe(p, "wpe", T, C);
  Tensor x = wte(tokens) + wpe(iota(p, {T}, 0, DType::I64));
  nn::BlockConfig block;
  block.n_embd = C;
  block.n_head = H;
  for (int i = 0; i < layers; ++i)
    x = nn::TransformerBlock(p, "h." + std::to_string(i), block)(x);
  x = nn::LayerNorm(p, "ln_f", C)(x);
  Tensor logits = matmul(reshape(x, {B * T, C}), wte.weight, false, /*transpose_b=*/true);
  p.output("loss", cross_entropy(logits, labels));
}

} // namespace weft::test

#endif // WEFT_TESTS_COMMON_GPT2TESTMODELS_H

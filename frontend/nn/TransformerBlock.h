//===- TransformerBlock.h - pre-LN decoder block ----------------*- C++ -*-===//
//
// This file implements nn::TransformerBlock, GPT-2's pre-LayerNorm decoder
// block: x + attn(ln_1(x)), then x + mlp(ln_2(x)), split over a mesh by
// BlockConfig::parallel (sequence parallelism hints the residual stream at
// the LayerNorms).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_NN_TRANSFORMERBLOCK_H
#define WEFT_FRONTEND_NN_TRANSFORMERBLOCK_H

#include "frontend/nn/Attention.h"
#include "frontend/nn/LayerNorm.h"
#include "frontend/nn/Mlp.h"

namespace weft::nn {

/// Sizes and choices of a decoder block.
struct BlockConfig {
  int64_t n_embd = 768;
  int64_t n_head = 12;
  /// Hidden width of the MLP; 0 means 4 * n_embd.
  int64_t n_inner = 0;
  double eps = 1e-5;
  Activation activation = Activation::GeluTanh;
  WeightLayout layout = WeightLayout::InOut;
  Init init = Init::normal(0.02);
  /// Tensor (and sequence) parallelism of the attention and the MLP.
  ParallelPlan parallel;
};

/// Parameters ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj
/// under scope `name` (Hugging Face GPT-2 names).
class TransformerBlock {
public:
  /// Creates the block's parameters.
  TransformerBlock(Program &p, const std::string &name,
                   const BlockConfig &config, Loc loc = Loc::current());

  /// x [B, T, n_embd] -> [B, T, n_embd]. Sequence parallel: the residual
  /// stream (each LayerNorm's input and output, each sublayer's output) is
  /// hinted [{dataAxis}, {tensorAxis}, {}] and each sublayer's input
  /// [{dataAxis}, {}, {}], so the row-parallel projections' all-reduce
  /// becomes a reduce_scatter and the column-parallel ones read an
  /// all_gather (Megatron's sequence parallelism).
  Tensor operator()(const Tensor &x, Loc loc = Loc::current()) const;

  /// The same block with a key/value cache (incremental decoding): the
  /// attention reads and writes `cache` (MultiHeadAttention's cached form).
  /// No sequence parallelism: a block with a sequence-parallel plan throws.
  Tensor operator()(const Tensor &x, KvCacheStep &cache, Loc loc = Loc::current()) const;

  LayerNorm ln_1;
  MultiHeadAttention attn;
  LayerNorm ln_2;
  Mlp mlp;

private:
  Program *program_;
  /// The sequence-parallel layout of the residual stream (empty: none).
  ShardSpec sequence_;
};

} // namespace weft::nn

#endif // WEFT_FRONTEND_NN_TRANSFORMERBLOCK_H

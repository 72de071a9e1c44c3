//===- Attention.h - causal multi-head self-attention -----------*- C++ -*-===//
//
// This file implements nn::MultiHeadAttention in GPT-2's form: one fused qkv
// projection "<name>.c_attn" [n_embd, 3*n_embd], causal scaled dot-product
// attention per head, and the output projection "<name>.c_proj"; under a
// ParallelPlan's tensor axis qkv is column-parallel in 3 blocks (each rank
// holds its heads' q, k and v) and c_proj row-parallel.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_NN_ATTENTION_H
#define WEFT_FRONTEND_NN_ATTENTION_H

#include "frontend/nn/Linear.h"
#include "frontend/nn/ParallelPlan.h"

namespace weft::nn {

/// Causal self-attention over x [B, T, n_embd].
class MultiHeadAttention {
public:
  /// Creates c_attn (n_embd -> 3*n_embd) and c_proj (n_embd -> n_embd) in
  /// `layout` under scope `name`. n_embd must be divisible by n_head.
  /// `plan.tensorAxis` makes c_attn column-parallel (3 blocks) and c_proj
  /// row-parallel.
  MultiHeadAttention(Program &p, const std::string &name, int64_t n_embd,
                     int64_t n_head, WeightLayout layout = WeightLayout::InOut,
                     Init init = Init::normal(0.02), const ParallelPlan &plan = {},
                     Loc loc = Loc::current());

  /// qkv = c_attn(x); q, k, v = three slices of the last dimension, each
  /// reshaped to [B, T, H, D] and permuted to [B, H, T, D];
  /// scores = batch_matmul(q, k^T) * 1/sqrt(D) + causal_mask(T);
  /// softmax over the last dimension; batch_matmul with v; permute back and
  /// merge heads to [B, T, n_embd]; c_proj.
  Tensor operator()(const Tensor &x, Loc loc = Loc::current()) const;

  Linear c_attn, c_proj;
  int64_t n_embd, n_head;

private:
  Program *program_;
};

} // namespace weft::nn

#endif // WEFT_FRONTEND_NN_ATTENTION_H

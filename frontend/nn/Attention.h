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

#include <functional>

namespace weft::nn {

/// What attention with a key/value cache reads and writes (incremental
/// decoding). The cache of one layer holds every row's keys and values
/// [rows, heads, max positions, head dim]; x's keys and values are written at
/// positions start .. start + T - 1 of every row.
struct KvCacheStep {
  /// The layer's key and value caches [B, H, L, D] (weft.state values); the
  /// call replaces them by the caches with x's keys and values written, to
  /// be returned with Program::update.
  Tensor k, v;
  /// Rank-0 i64: the cache position of x's first token (the same in every
  /// row: prompts are left-padded).
  Tensor start;
  /// Additive mask broadcast to the scores [B, H, T, keys]: 0 where a query
  /// may attend, a large negative value elsewhere. keys = L when
  /// `overCache`, else T.
  Tensor bias;
  /// True (a decode step): the queries attend over the whole written cache.
  /// False (a prefill from position 0): over x's own keys and values only,
  /// which the cache then holds for later steps.
  bool overCache = true;
};

/// The additive bias of key positions [rows, 1, 1, keys] from a 0/1 i64
/// mask [rows, keys] (1: a real token, 0: padding or an unwritten cache
/// position): 0 where the mask is 1, -1e9 where it is 0; a KvCacheStep's
/// bias, broadcast over heads and queries. Shared by the decoding programs
/// of every model.
Tensor keyPaddingBias(const Tensor &mask);

/// Scaled dot-product attention of heads already split: q [B, H, T, D],
/// keys and values [B, H, S, D]; scores = q k^T / sqrt(D) + bias() (bias
/// broadcast to [B, H, T, S], built after the scores), softmax over S, times
/// values, heads merged back to [B, T, H * D]. Shared by the GPT-2 and the
/// grouped-query attention modules.
Tensor attendHeads(const Tensor &q, const Tensor &keys, const Tensor &values,
                   const std::function<Tensor()> &bias);

/// attendHeads without the merge: softmax(q k^T / sqrt(D) + bias()) values,
/// [B, H, T, D] (for callers that group the heads differently).
Tensor attentionContext(const Tensor &q, const Tensor &keys, const Tensor &values,
                        const std::function<Tensor()> &bias);

/// Heads [B, H, T, D] merged to [B, T, H * D].
Tensor mergeHeads(const Tensor &ctx);

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

  /// The same attention with a key/value cache: k and v of x are written
  /// into `cache.k` / `cache.v` at `cache.start` (weft.dynamic_update_slice
  /// along the position dimension) and the scores get `cache.bias` instead
  /// of the causal mask. `cache.k` and `cache.v` become the written caches.
  Tensor operator()(const Tensor &x, KvCacheStep &cache, Loc loc = Loc::current()) const;

  Linear c_attn, c_proj;
  int64_t n_embd, n_head;

private:
  /// q, k and v of x [B, T, n_embd], each [B, H, T, D].
  struct Heads {
    Tensor q, k, v;
  };
  Heads project(const Tensor &x) const;
  /// softmax(q k^T / sqrt(D) + bias()) v, heads merged to [B, T, n_embd],
  /// then c_proj (the mask is built where the scores need it).
  Tensor attend(const Heads &h, const Tensor &keys, const Tensor &values,
                const std::function<Tensor()> &bias) const;

  Program *program_;
};

} // namespace weft::nn

#endif // WEFT_FRONTEND_NN_ATTENTION_H

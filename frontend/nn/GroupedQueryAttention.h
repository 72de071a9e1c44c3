//===- GroupedQueryAttention.h - LLaMA's self-attention ---------*- C++ -*-===//
//
// This file implements the declaration of nn::GroupedQueryAttention, causal
// self-attention in LLaMA's form: separate projections "<name>.q_proj",
// "k_proj", "v_proj" and "o_proj" (torch [out, in] layout, no bias by
// default), rotary position embeddings on q and k, and grouped-query
// attention: num_kv_heads <= num_heads key/value heads, each serving
// num_heads / num_kv_heads consecutive query heads (Hugging Face's
// repeat_kv). num_kv_heads == num_heads is plain multi-head attention,
// num_kv_heads == 1 multi-query attention. Under a ParallelPlan's tensor
// axis q/k/v are column-parallel (heads split) and o_proj row-parallel.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_NN_GROUPEDQUERYATTENTION_H
#define WEFT_FRONTEND_NN_GROUPEDQUERYATTENTION_H

#include "frontend/nn/Attention.h"
#include "frontend/nn/Linear.h"
#include "frontend/nn/ParallelPlan.h"
#include "frontend/nn/Rotary.h"

namespace weft::nn {

/// Sizes and choices of a grouped-query attention layer.
struct GqaConfig {
  int64_t hidden = 4096;
  int64_t numHeads = 32;
  /// Key/value heads; must divide numHeads.
  int64_t numKvHeads = 32;
  /// A bias on the four projections (Hugging Face attention_bias).
  bool bias = false;
  Init init = Init::normal(0.02);
  ParallelPlan parallel;
};

/// Causal grouped-query self-attention with rotary embeddings over x [B, T, hidden].
class GroupedQueryAttention {
public:
  /// Creates q_proj (hidden -> H*D), k_proj and v_proj (hidden -> KVH*D) and
  /// o_proj (H*D -> hidden) under scope `name`, D = hidden / H. hidden must
  /// be divisible by numHeads and numHeads by numKvHeads.
  GroupedQueryAttention(Program &p, const std::string &name, const GqaConfig &config,
                        Loc loc = Loc::current());

  /// q, k, v projected and split into heads ([B, H|KVH, T, D]); q and k
  /// rotated by `rope.apply(.., tables)`; k and v repeated to H heads;
  /// softmax(q k^T / sqrt(D) + causal mask) v (attendHeads); o_proj.
  Tensor operator()(const Tensor &x, const RotaryEmbedding &rope, const RotaryTables &tables,
                    Loc loc = Loc::current()) const;

  /// The same attention with a key/value cache (incremental decoding): the
  /// rotated keys and the values of x, [B, KVH, T, D], are written into
  /// `cache.k` / `cache.v` [B, KVH, L, D] at `cache.start` (the cache holds
  /// the key/value heads only, GQA's memory saving; they are repeated to H
  /// heads where attended) and the scores get `cache.bias` instead of the
  /// causal mask: over the whole cache when `cache.overCache`, else over x's
  /// own keys. `tables` are those of x's positions ([B, T, D] per row).
  /// Over the cache with a bias of one query row ([B, 1, 1, L], a decode
  /// step's), each key/value head's query heads attend as one product with
  /// that head's cache (no copy of the cache to H heads).
  Tensor operator()(const Tensor &x, const RotaryEmbedding &rope, const RotaryTables &tables,
                    KvCacheStep &cache, Loc loc = Loc::current()) const;

  /// k or v [B, KVH, T, D] repeated to [B, H, T, D]: head h reads KV head
  /// h / (H / KVH) (a broadcast over a new group dimension, then a reshape).
  Tensor repeatKv(const Tensor &t) const;

  Linear q_proj, k_proj, v_proj, o_proj;
  int64_t numHeads, numKvHeads, headDim;

private:
  /// q [B, H, T, D], k and v [B, KVH, T, D] of x, q and k rotated.
  struct Heads {
    Tensor q, k, v;
  };
  Heads project(const Tensor &x, const RotaryEmbedding &rope, const RotaryTables &tables) const;

  Program *program_;
};

} // namespace weft::nn

#endif // WEFT_FRONTEND_NN_GROUPEDQUERYATTENTION_H

//===- GroupedQueryAttention.cpp - LLaMA's self-attention -----------------===//
//
// This file implements nn::GroupedQueryAttention with primitive DSL ops: four
// Linear projections, head split by reshape + permute, the rotary embedding,
// the key/value heads repeated by broadcast + reshape, and the attention core
// shared with MultiHeadAttention (attendHeads).
//
//===----------------------------------------------------------------------===//

#include "frontend/nn/GroupedQueryAttention.h"
#include "frontend/Builder.h"
#include "frontend/Ops.h"
#include "frontend/nn/Attention.h"
#include "frontend/nn/Module.h"

namespace weft::nn {

namespace {
/// The head dimension hidden / numHeads, after checking that the sizes fit
/// (before any parameter is created).
int64_t checkedHeadDim(Program &p, const GqaConfig &c, const Loc &loc) {
  if (c.numHeads <= 0 || c.numKvHeads <= 0 || c.hidden % c.numHeads != 0 ||
      c.numHeads % c.numKvHeads != 0)
    p.state().fail(loc, "GroupedQueryAttention needs hidden (" + std::to_string(c.hidden) +
                            ") divisible by a positive number of heads (" +
                            std::to_string(c.numHeads) +
                            ") and the heads divisible by the key/value heads (" +
                            std::to_string(c.numKvHeads) + ")");
  return c.hidden / c.numHeads;
}

LinearOptions options(const GqaConfig &c, ParallelStyle style) {
  LinearOptions o = projectionOptions(WeightLayout::OutIn, c.init, {style, c.parallel.tensorAxis});
  o.bias = c.bias;
  return o;
}
} // namespace

GroupedQueryAttention::GroupedQueryAttention(Program &p, const std::string &name,
                                             const GqaConfig &c, Loc loc)
    : q_proj(p, joinName(name, "q_proj"), c.hidden, checkedHeadDim(p, c, loc) * c.numHeads,
             options(c, ParallelStyle::Column), loc),
      k_proj(p, joinName(name, "k_proj"), c.hidden, (c.hidden / c.numHeads) * c.numKvHeads,
             options(c, ParallelStyle::Column), loc),
      v_proj(p, joinName(name, "v_proj"), c.hidden, (c.hidden / c.numHeads) * c.numKvHeads,
             options(c, ParallelStyle::Column), loc),
      o_proj(p, joinName(name, "o_proj"), (c.hidden / c.numHeads) * c.numHeads, c.hidden,
             options(c, ParallelStyle::Row), loc),
      numHeads(c.numHeads), numKvHeads(c.numKvHeads), headDim(c.hidden / c.numHeads),
      program_(&p) {}

Tensor GroupedQueryAttention::repeatKv(const Tensor &t) const {
  int64_t groups = numHeads / numKvHeads;
  if (groups == 1)
    return t;
  Shape s = t.shape(); // [B, KVH, T, D]
  Tensor spread = broadcast(t, {s[0], s[1], groups, s[2], s[3]}, {0, 1, 3, 4});
  return reshape(spread, {s[0], numHeads, s[2], s[3]});
}

GroupedQueryAttention::Heads GroupedQueryAttention::project(const Tensor &x, const RotaryEmbedding &rope,
                                                            const RotaryTables &tables) const {
  Shape xs = x.shape();
  if (xs.size() != 3 || xs[2] != q_proj.in)
    program_->state().fail(Loc::current(), "GroupedQueryAttention '" + q_proj.path +
                                               "' expects x [B, T, " + std::to_string(q_proj.in) +
                                               "], got " + shapeStr(xs));
  const int64_t B = xs[0], T = xs[1], D = headDim;
  auto heads = [&](const Tensor &t, int64_t count) {
    return permute(reshape(t, {B, T, count, D}), {0, 2, 1, 3});
  };
  return {rope.apply(heads(q_proj(x), numHeads), tables), rope.apply(heads(k_proj(x), numKvHeads), tables),
          heads(v_proj(x), numKvHeads)};
}

Tensor GroupedQueryAttention::operator()(const Tensor &x, const RotaryEmbedding &rope,
                                         const RotaryTables &tables, Loc loc) const {
  ModuleCall call(*program_, loc);
  Heads h = project(x, rope, tables);
  const int64_t T = x.shape()[1];
  Tensor ctx = attendHeads(h.q, repeatKv(h.k), repeatKv(h.v),
                           [&] { return causal_mask(*program_, T, x.dtype()); });
  return o_proj(ctx);
}

Tensor GroupedQueryAttention::operator()(const Tensor &x, const RotaryEmbedding &rope,
                                         const RotaryTables &tables, KvCacheStep &cache, Loc loc) const {
  ModuleCall call(*program_, loc);
  Heads h = project(x, rope, tables);
  Shape ks = h.k.shape();
  if (cache.k.shape().size() != 4 || cache.k.shape()[0] != ks[0] || cache.k.shape()[1] != ks[1] ||
      cache.k.shape()[3] != ks[3] || cache.v.shape() != cache.k.shape())
    program_->state().fail(loc, "GroupedQueryAttention '" + q_proj.path + "' needs key and value caches [" +
                                    std::to_string(ks[0]) + ", " + std::to_string(ks[1]) + " (key/value heads), positions, " +
                                    std::to_string(ks[3]) + "], got " + shapeStr(cache.k.shape()) + " and " +
                                    shapeStr(cache.v.shape()));
  cache.k = dynamic_update_slice(cache.k, h.k, cache.start, 2);
  cache.v = dynamic_update_slice(cache.v, h.v, cache.start, 2);
  const int64_t groups = numHeads / numKvHeads;
  if (cache.overCache && groups > 1 && cache.bias.shape().size() == 4 && cache.bias.shape()[2] == 1) {
    // Over the cache with a bias that does not depend on the query: the
    // `groups` query heads of each key/value head become rows of one product
    // with that head's cache ([B, KVH, groups * T, D], head h = kv * groups +
    // g, as repeatKv pairs them), so the cache is read as stored instead of
    // being copied to H heads every step.
    Shape qs = h.q.shape(); // [B, H, T, D]
    Tensor grouped = reshape(h.q, {qs[0], numKvHeads, groups * qs[2], qs[3]});
    Tensor ctx = attentionContext(grouped, cache.k, cache.v, [&] { return cache.bias; });
    return o_proj(mergeHeads(reshape(ctx, qs)));
  }
  const Tensor &keys = cache.overCache ? cache.k : h.k;
  const Tensor &values = cache.overCache ? cache.v : h.v;
  Tensor ctx = attendHeads(h.q, repeatKv(keys), repeatKv(values), [&] { return cache.bias; });
  return o_proj(ctx);
}

} // namespace weft::nn

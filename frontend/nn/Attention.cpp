//===- Attention.cpp - causal multi-head self-attention -------------------===//
//
// This file implements nn::MultiHeadAttention with primitive DSL ops: slices
// of the fused qkv projection, head split by reshape + permute, two batched
// matmuls around a composed softmax, and an additive causal mask; with a
// key/value cache, the new keys and values are written into it
// (dynamic_update_slice) and the caller's mask replaces the causal one.
//
//===----------------------------------------------------------------------===//

#include "frontend/nn/Attention.h"
#include "frontend/Builder.h"
#include "frontend/Ops.h"
#include "frontend/nn/Module.h"

#include <cmath>

namespace weft::nn {

namespace {
/// The width of the fused qkv projection, 3 * n_embd, after checking that
/// the heads divide n_embd (before any parameter is created).
int64_t qkvWidth(Program &p, int64_t n_embd, int64_t n_head, const Loc &loc) {
  if (n_head <= 0 || n_embd % n_head != 0)
    p.state().fail(loc, "MultiHeadAttention needs n_embd (" +
                            std::to_string(n_embd) +
                            ") divisible by a positive n_head (" +
                            std::to_string(n_head) + ")");
  return 3 * n_embd;
}
} // namespace

MultiHeadAttention::MultiHeadAttention(Program &p, const std::string &name,
                                       int64_t n_embd, int64_t n_head,
                                       WeightLayout layout, Init init,
                                       const ParallelPlan &plan, Loc loc)
    : c_attn(p, joinName(name, "c_attn"), n_embd,
             qkvWidth(p, n_embd, n_head, loc),
             projectionOptions(layout, init,
                               {ParallelStyle::Column, plan.tensorAxis, 3}),
             loc),
      c_proj(p, joinName(name, "c_proj"), n_embd, n_embd,
             projectionOptions(layout, init,
                               {ParallelStyle::Row, plan.tensorAxis}),
             loc),
      n_embd(n_embd), n_head(n_head), program_(&p) {}

MultiHeadAttention::Heads MultiHeadAttention::project(const Tensor &x) const {
  Shape xs = x.shape();
  if (xs.size() != 3 || xs[2] != n_embd)
    program_->state().fail(Loc::current(),
                           "MultiHeadAttention '" + c_attn.path +
                               "' expects x [B, T, " + std::to_string(n_embd) +
                               "], got " + shapeStr(xs));
  int64_t B = xs[0], T = xs[1], H = n_head, D = n_embd / n_head;
  Tensor qkv = c_attn(x);
  auto heads = [&](int64_t part) {
    Tensor t = narrow(qkv, 2, part * n_embd, n_embd);
    return permute(reshape(t, {B, T, H, D}), {0, 2, 1, 3});
  };
  return {heads(0), heads(1), heads(2)};
}

Tensor keyPaddingBias(const Tensor &mask) {
  Shape s = mask.shape();
  Tensor bias = (cast(mask, DType::F32) - 1.0) * 1e9;
  return reshape(bias, {s[0], 1, 1, s[1]});
}

Tensor attentionContext(const Tensor &q, const Tensor &keys, const Tensor &values,
                        const std::function<Tensor()> &bias) {
  int64_t D = q.shape()[3]; // q [B, H, T, D]
  Tensor scores = batch_matmul(q, keys, /*transpose_a=*/false,
                               /*transpose_b=*/true);
  scores = scores * (1.0 / std::sqrt(double(D)));
  scores = scores + bias();
  Tensor probs = softmax(scores, -1);
  return batch_matmul(probs, values);
}

Tensor mergeHeads(const Tensor &ctx) {
  Shape s = ctx.shape(); // [B, H, T, D]
  return reshape(permute(ctx, {0, 2, 1, 3}), {s[0], s[2], s[1] * s[3]});
}

Tensor attendHeads(const Tensor &q, const Tensor &keys, const Tensor &values,
                   const std::function<Tensor()> &bias) {
  return mergeHeads(attentionContext(q, keys, values, bias));
}

Tensor MultiHeadAttention::attend(const Heads &h, const Tensor &keys, const Tensor &values,
                                  const std::function<Tensor()> &bias) const {
  return c_proj(attendHeads(h.q, keys, values, bias));
}

Tensor MultiHeadAttention::operator()(const Tensor &x, Loc loc) const {
  ModuleCall call(*program_, loc);
  Heads h = project(x);
  int64_t T = x.shape()[1];
  return attend(h, h.k, h.v, [&] { return causal_mask(*program_, T, x.dtype()); });
}

Tensor MultiHeadAttention::operator()(const Tensor &x, KvCacheStep &cache, Loc loc) const {
  ModuleCall call(*program_, loc);
  Heads h = project(x);
  Shape qs = h.q.shape();
  if (cache.k.shape().size() != 4 || cache.k.shape()[0] != qs[0] ||
      cache.k.shape()[1] != qs[1] || cache.k.shape()[3] != qs[3] ||
      cache.v.shape() != cache.k.shape())
    program_->state().fail(loc, "MultiHeadAttention '" + c_attn.path +
                                    "' needs key and value caches [" + std::to_string(qs[0]) +
                                    ", " + std::to_string(qs[1]) + ", positions, " +
                                    std::to_string(qs[3]) + "], got " +
                                    shapeStr(cache.k.shape()) + " and " +
                                    shapeStr(cache.v.shape()));
  cache.k = dynamic_update_slice(cache.k, h.k, cache.start, 2);
  cache.v = dynamic_update_slice(cache.v, h.v, cache.start, 2);
  auto bias = [&] { return cache.bias; };
  if (cache.overCache)
    return attend(h, cache.k, cache.v, bias);
  return attend(h, h.k, h.v, bias);
}

} // namespace weft::nn

//===- Attention.cpp - causal multi-head self-attention -------------------===//
//
// This file implements nn::MultiHeadAttention with primitive DSL ops: slices
// of the fused qkv projection, head split by reshape + permute, two batched
// matmuls around a composed softmax, and an additive causal mask.
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

Tensor MultiHeadAttention::operator()(const Tensor &x, Loc loc) const {
  ModuleCall call(*program_, loc);
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
  Tensor q = heads(0), k = heads(1), v = heads(2);

  Tensor scores = batch_matmul(q, k, /*transpose_a=*/false,
                               /*transpose_b=*/true);
  scores = scores * (1.0 / std::sqrt(double(D)));
  scores = scores + causal_mask(*program_, T, x.dtype());
  Tensor probs = softmax(scores, -1);
  Tensor ctx = batch_matmul(probs, v);
  Tensor merged = reshape(permute(ctx, {0, 2, 1, 3}), {B, T, n_embd});
  return c_proj(merged);
}

} // namespace weft::nn

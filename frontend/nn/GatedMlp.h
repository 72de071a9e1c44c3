//===- GatedMlp.h - gated feed-forward block (SwiGLU) -----------*- C++ -*-===//
//
// This file implements the declaration of nn::GatedMlp, LLaMA's feed-forward
// block: down_proj(act(gate_proj(x)) * up_proj(x)), with act = SiLU (SwiGLU)
// by default; torch [out, in] weights without bias. Under a ParallelPlan's
// tensor axis gate and up are column-parallel and down row-parallel.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_NN_GATEDMLP_H
#define WEFT_FRONTEND_NN_GATEDMLP_H

#include "frontend/nn/Activation.h"
#include "frontend/nn/Linear.h"
#include "frontend/nn/ParallelPlan.h"

namespace weft::nn {

/// x -> down_proj(act(gate_proj(x)) * up_proj(x)) over the last dimension.
class GatedMlp {
public:
  /// Creates gate_proj and up_proj (hidden -> intermediate) and down_proj
  /// (intermediate -> hidden) under scope `name`; `bias` adds a bias to each
  /// (Hugging Face mlp_bias).
  GatedMlp(Program &p, const std::string &name, int64_t hidden, int64_t intermediate,
           Activation act = Activation::Silu, Init init = Init::normal(0.02), bool bias = false,
           const ParallelPlan &plan = {}, Loc loc = Loc::current());

  /// Applies the block to x [..., hidden].
  Tensor operator()(const Tensor &x, Loc loc = Loc::current()) const;

  Linear gate_proj, up_proj, down_proj;
  Activation act;

private:
  Program *program_;
};

} // namespace weft::nn

#endif // WEFT_FRONTEND_NN_GATEDMLP_H

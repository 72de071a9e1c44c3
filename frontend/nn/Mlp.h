//===- Mlp.h - transformer feed-forward block -------------------*- C++ -*-===//
//
// This file implements nn::Mlp, GPT-2's feed-forward block: c_fc, an
// activation (selectable), c_proj; under a ParallelPlan's tensor axis c_fc
// is column-parallel and c_proj row-parallel.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_NN_MLP_H
#define WEFT_FRONTEND_NN_MLP_H

#include "frontend/nn/Activation.h"
#include "frontend/nn/Linear.h"
#include "frontend/nn/ParallelPlan.h"

namespace weft::nn {

/// x -> c_proj(act(c_fc(x))) over the last dimension.
class Mlp {
public:
  /// Creates c_fc (n_embd -> hidden) and c_proj (hidden -> n_embd) in
  /// `layout` under scope `name`; `plan.tensorAxis` makes c_fc
  /// column-parallel and c_proj row-parallel.
  Mlp(Program &p, const std::string &name, int64_t n_embd, int64_t hidden,
      Activation act = Activation::GeluTanh,
      WeightLayout layout = WeightLayout::InOut, Init init = Init::normal(0.02),
      const ParallelPlan &plan = {}, Loc loc = Loc::current());

  /// Applies the block to x [..., n_embd].
  Tensor operator()(const Tensor &x, Loc loc = Loc::current()) const;

  Linear c_fc, c_proj;
  Activation act;

private:
  Program *program_;
};

} // namespace weft::nn

#endif // WEFT_FRONTEND_NN_MLP_H

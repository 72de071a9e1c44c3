//===- Mlp.cpp - transformer feed-forward block ---------------------------===//
//
// This file implements nn::Mlp as two Linear layers around an activation.
//
//===----------------------------------------------------------------------===//

#include "frontend/nn/Mlp.h"
#include "frontend/nn/Module.h"

namespace weft::nn {

Mlp::Mlp(Program &p, const std::string &name, int64_t n_embd, int64_t hidden,
         Activation act, WeightLayout layout, Init init,
         const ParallelPlan &plan, Loc loc)
    : c_fc(p, joinName(name, "c_fc"), n_embd, hidden,
           projectionOptions(layout, init,
                             {ParallelStyle::Column, plan.tensorAxis}),
           loc),
      c_proj(p, joinName(name, "c_proj"), hidden, n_embd,
             projectionOptions(layout, init,
                               {ParallelStyle::Row, plan.tensorAxis}),
             loc),
      act(act), program_(&p) {}

Tensor Mlp::operator()(const Tensor &x, Loc loc) const {
  ModuleCall call(*program_, loc);
  return c_proj(activate(c_fc(x), act));
}

} // namespace weft::nn

//===- Mlp.cpp - transformer feed-forward block ---------------------------===//
//
// This file implements nn::Mlp as two Linear layers around an activation.
//
//===----------------------------------------------------------------------===//

#include "frontend/nn/Mlp.h"
#include "frontend/nn/Module.h"

namespace weft::nn {

namespace {
LinearOptions options(WeightLayout layout, Init init) {
  LinearOptions o;
  o.layout = layout;
  o.weightInit = init;
  return o;
}
} // namespace

Mlp::Mlp(Program &p, const std::string &name, int64_t n_embd, int64_t hidden,
         Activation act, WeightLayout layout, Init init, Loc loc)
    : c_fc(p, joinName(name, "c_fc"), n_embd, hidden, options(layout, init),
           loc),
      c_proj(p, joinName(name, "c_proj"), hidden, n_embd,
             options(layout, init), loc),
      act(act), program_(&p) {}

Tensor Mlp::operator()(const Tensor &x, Loc loc) const {
  ModuleCall call(*program_, loc);
  return c_proj(activate(c_fc(x), act));
}

} // namespace weft::nn

//===- GatedMlp.cpp - gated feed-forward block (SwiGLU) -------------------===//
//
// This file implements nn::GatedMlp as three Linear layers: the activation of
// the gate times the up projection, then the down projection.
//
//===----------------------------------------------------------------------===//

#include "frontend/nn/GatedMlp.h"
#include "frontend/nn/Module.h"

namespace weft::nn {

namespace {
LinearOptions options(Init init, bool bias, ParallelStyle style, const ParallelPlan &plan) {
  LinearOptions o = projectionOptions(WeightLayout::OutIn, init, {style, plan.tensorAxis});
  o.bias = bias;
  return o;
}
} // namespace

GatedMlp::GatedMlp(Program &p, const std::string &name, int64_t hidden, int64_t intermediate,
                   Activation act, Init init, bool bias, const ParallelPlan &plan, Loc loc)
    : gate_proj(p, joinName(name, "gate_proj"), hidden, intermediate,
                options(init, bias, ParallelStyle::Column, plan), loc),
      up_proj(p, joinName(name, "up_proj"), hidden, intermediate,
              options(init, bias, ParallelStyle::Column, plan), loc),
      down_proj(p, joinName(name, "down_proj"), intermediate, hidden,
                options(init, bias, ParallelStyle::Row, plan), loc),
      act(act), program_(&p) {}

Tensor GatedMlp::operator()(const Tensor &x, Loc loc) const {
  ModuleCall call(*program_, loc);
  return down_proj(activate(gate_proj(x), act) * up_proj(x));
}

} // namespace weft::nn

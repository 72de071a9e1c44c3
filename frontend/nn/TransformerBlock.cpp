//===- TransformerBlock.cpp - pre-LN decoder block ------------------------===//
//
// This file implements nn::TransformerBlock: two residual branches, each
// behind a LayerNorm, with the sequence-parallel hints of its plan.
//
//===----------------------------------------------------------------------===//

#include "frontend/nn/TransformerBlock.h"
#include "frontend/Builder.h"
#include "frontend/nn/Module.h"

namespace weft::nn {

TransformerBlock::TransformerBlock(Program &p, const std::string &name,
                                   const BlockConfig &c, Loc loc)
    : ln_1(p, joinName(name, "ln_1"), c.n_embd, c.eps, loc),
      attn(p, joinName(name, "attn"), c.n_embd, c.n_head, c.layout, c.init,
           c.parallel, loc),
      ln_2(p, joinName(name, "ln_2"), c.n_embd, c.eps, loc),
      mlp(p, joinName(name, "mlp"), c.n_embd,
          c.n_inner > 0 ? c.n_inner : 4 * c.n_embd, c.activation, c.layout,
          c.init, c.parallel, loc),
      program_(&p), sequence_(sequenceSplit(p, c.parallel)) {}

Tensor TransformerBlock::operator()(const Tensor &x, Loc loc) const {
  ModuleCall call(*program_, loc);
  // Sequence parallel: split along T around the LayerNorms and residual
  // adds; whole along T (all-gathered) where the sublayers read.
  auto seq = [&](const Tensor &t) {
    return sequence_.empty() ? t : shard(t, sequence_);
  };
  auto whole = [&](const Tensor &t) {
    if (sequence_.empty())
      return t;
    ShardSpec spec = sequence_;
    spec[1].axes.clear();
    return shard(t, spec);
  };
  Tensor r = seq(x);
  Tensor h = seq(r + attn(whole(seq(ln_1(r)))));
  return seq(h + mlp(whole(seq(ln_2(h)))));
}

Tensor TransformerBlock::operator()(const Tensor &x, KvCacheStep &cache, Loc loc) const {
  ModuleCall call(*program_, loc);
  if (!sequence_.empty())
    program_->state().fail(loc, "TransformerBlock '" + ln_1.path +
                                    "': decoding with a key/value cache takes no "
                                    "sequence-parallel plan; build it without one");
  Tensor h = x + attn(ln_1(x), cache);
  return h + mlp(ln_2(h));
}

} // namespace weft::nn

//===- OptimizerAttrs.h - names of the training-step attributes -*- C++ -*-===//
//
// This file implements the attribute names that weft-optimizer puts on a
// training step and that memory planning and the code generators read:
// optimizer-state arguments (`weft.state`) and the results that are the new
// values of parameters and state (`weft.update`), written in place.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_TRAINING_OPTIMIZERATTRS_H
#define WEFT_PASSES_TRAINING_OPTIMIZERATTRS_H

namespace weft {

/// On a function argument: `weft.state = "<kind>:<param>"`, optimizer state
/// (e.g. "adamw.m:h.0.attn.c_attn.weight") that persists between steps, like a
/// parameter, and starts at zero.
inline constexpr const char *kStateAttr = "weft.state";

/// On a function result: `weft.update = "<param or state name>"`, the new
/// value of that `weft.param` or `weft.state` argument. Code generators write
/// it into the argument's own storage (in place, no copy), so every other
/// reader of the old value must run before the op that produces it.
inline constexpr const char *kUpdateAttr = "weft.update";

} // namespace weft

#endif // WEFT_PASSES_TRAINING_OPTIMIZERATTRS_H

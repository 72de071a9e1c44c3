//===- Recompute.cpp - marking forward regions for recomputation ----------===//
//
// This file implements RecomputeScope: it sets the program state's current
// recompute group, which createVerified (Builder.cpp) writes on every op it
// builds as `weft.recompute`.
//
//===----------------------------------------------------------------------===//

#include "frontend/Recompute.h"

#include "frontend/Builder.h"

namespace weft {

RecomputeScope::RecomputeScope(Program &program, bool enabled) : state_(&program.state()) {
  if (!enabled) {
    state_ = nullptr;
    return;
  }
  previous_ = state_->recomputeGroup;
  group_ = state_->nextRecomputeGroup++;
  state_->recomputeGroup = group_;
}

RecomputeScope::~RecomputeScope() {
  if (state_)
    state_->recomputeGroup = previous_;
}

} // namespace weft

//===- Recompute.h - marking forward regions for recomputation --*- C++ -*-===//
//
// This file implements the declaration of RecomputeScope, the DSL's way to
// mark a region of the forward pass for gradient checkpointing: every op
// built while the scope lives carries `weft.recompute = <group>`, and a
// training step compiled with TrainOptions::recompute = "blocks" keeps only
// the group's inputs for the backward pass and recomputes the rest there
// (weft-recompute, passes/training/Recompute.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_RECOMPUTE_H
#define WEFT_FRONTEND_RECOMPUTE_H

#include "frontend/Program.h"

#include <cstdint>

namespace weft {

/// While alive, every op built in `program` is tagged with one recompute
/// group of its own, numbered from 0 in the order the program opens them.
/// Nested scopes tag their ops with the innermost group. A disabled scope
/// (`enabled` false) changes nothing, so a model can write
/// `RecomputeScope group(p, config.gradient_checkpointing);` around a block.
///
/// Example (one group per transformer block):
///   for (auto &block : blocks) {
///     RecomputeScope group(p);
///     x = block(x);
///   }
class RecomputeScope {
public:
  /// Opens a new group in `program` (when `enabled`).
  explicit RecomputeScope(Program &program, bool enabled = true);
  RecomputeScope(const RecomputeScope &) = delete;
  RecomputeScope &operator=(const RecomputeScope &) = delete;
  /// Restores the enclosing group (or none).
  ~RecomputeScope();

  /// This scope's group, or -1 when it is disabled.
  int64_t group() const { return group_; }

private:
  detail::ProgramState *state_;
  int64_t group_ = -1, previous_ = -1;
};

} // namespace weft

#endif // WEFT_FRONTEND_RECOMPUTE_H

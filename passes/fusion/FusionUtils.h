//===- FusionUtils.h - helpers shared by the fusion passes ------*- C++ -*-===//
//
// This file declares the small IR helpers that the pattern-matching fusion
// passes (weft-fuse-layernorm, weft-fuse-matmul-gelu,
// weft-fuse-batch-matmul-add) share: reading splat constants through
// broadcasts, matching commutative operands, single-use queries, erasing
// the ops a fusion left dead, and the driver of the contraction fusions.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_FUSION_FUSIONUTILS_H
#define WEFT_PASSES_FUSION_FUSIONUTILS_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace mlir {
class RewriterBase;
} // namespace mlir

namespace weft::fusion {

/// The value of `v` when it is a splat float constant (weft.constant with one
/// repeated float value, possibly behind weft.broadcast ops), converted to
/// double; std::nullopt otherwise.
std::optional<double> getSplatFloat(mlir::Value v);

/// If `op` has exactly two operands and one of them is `v`, the other one;
/// a null value otherwise (also when both operands are `v`).
mlir::Value otherOperand(mlir::Operation *op, mlir::Value v);

/// The only user of `v` when `v` has exactly one use, else nullptr.
mlir::Operation *singleUser(mlir::Value v);

/// The location of an op that replaces `ops`: all of their locations fused,
/// so a diagnostic or a step label names every source line it came from.
mlir::Location fusedLoc(llvm::ArrayRef<mlir::Operation *> ops, mlir::Builder &b);

/// Gives `fused` (an op that replaces `ops`) the recompute group the ops
/// share (`weft.recompute`, set by the DSL's RecomputeScope), so that
/// weft-recompute still sees the group after fusion. Ops without operands
/// (constants, iotas) do not count; when another op has no group or a
/// different one, `fused` gets none (it is then kept, not recomputed).
void inheritRecomputeGroup(mlir::Operation *fused, llvm::ArrayRef<mlir::Operation *> ops);

/// Appends the producers of `v` that may die with a fused pattern: its
/// defining op and, through weft.broadcast ops, their inputs' producers.
void appendProducerChain(mlir::Value v,
                         llvm::SmallVectorImpl<mlir::Operation *> &ops);

/// Erases the ops of `candidates` that have no uses left, repeating until no
/// more become dead (so users go before their producers), and removes each
/// erased op from `pending` (the ops a pass still means to visit). Ops with
/// side effects are never erased.
void eraseDeadOps(llvm::ArrayRef<mlir::Operation *> candidates,
                  mlir::RewriterBase &rewriter,
                  llvm::DenseSet<mlir::Operation *> &pending);

/// What a contraction fusion matched, as fuseFromEachRoot reads it: the
/// contraction the match starts from, the op whose first result the fused
/// value replaces (the contraction itself until an epilogue step is
/// absorbed), and every op the fused value absorbs.
template <typename ContractionOp>
struct ContractionMatch {
  explicit ContractionMatch(ContractionOp op)
      : matmul(op), root(op), ops({op.getOperation()}) {}
  ContractionOp matmul;
  mlir::Operation *root;
  llvm::SmallVector<mlir::Operation *> ops;
};

/// The driver shared by the contraction fusions: visits every `RootOp` of
/// `scope` in program order, skipping roots an earlier rewrite erased. For
/// each one `match(op)` returns an optional ContractionMatch (or a type
/// derived from it). `build(match, rewriter, loc)` creates the fused
/// value just before `root`, at `loc` (the fused location of `ops`); the
/// driver then replaces root's result with it and erases the absorbed ops
/// that became dead.
template <typename RootOp, typename MatchFn, typename BuildFn>
void fuseFromEachRoot(mlir::Operation *scope, MatchFn match, BuildFn build) {
  llvm::SmallVector<RootOp> candidates;
  scope->walk([&](RootOp op) { candidates.push_back(op); });
  llvm::DenseSet<mlir::Operation *> pending;
  for (RootOp op : candidates)
    pending.insert(op);
  mlir::IRRewriter rewriter(scope->getContext());
  for (RootOp op : candidates) {
    if (!pending.contains(op))
      continue;
    auto m = match(op);
    if (!m)
      continue;
    pending.erase(op);
    mlir::Location loc = fusedLoc(m->ops, rewriter);
    rewriter.setInsertionPoint(m->root);
    mlir::Operation *before = m->root->getPrevNode();
    mlir::Value fused = build(*m, rewriter, loc);
    for (mlir::Operation *built = m->root->getPrevNode(); built && built != before;
         built = built->getPrevNode())
      inheritRecomputeGroup(built, m->ops);
    rewriter.replaceAllUsesWith(m->root->getResult(0), fused);
    eraseDeadOps(m->ops, rewriter, pending);
  }
}

} // namespace weft::fusion

#endif // WEFT_PASSES_FUSION_FUSIONUTILS_H

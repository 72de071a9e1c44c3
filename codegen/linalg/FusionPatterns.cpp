//===- FusionPatterns.cpp - weft.fusion to one kernel of fused loops ------===//
//
// This file implements the lowering of weft.fusion (the fused kernels built
// by weft-fuse-elementwise) for weft-convert-to-linalg, in two steps:
//   1. Before the conversion, each weft.fusion body is inlined in place of the
//      op (block arguments become the operands, the yielded values replace
//      the results), so its inner weft ops are lowered by the ordinary
//      pattern families like any other op of the kernel.
//   2. After the conversion, the linalg.generic ops of those kernels are
//      fused producer into consumer (MLIR's elementwise op fusion) until the
//      kernel is as few loop nests as the iteration spaces allow: one for a
//      tree of elementwise ops and broadcasts; max, exp+sum and divide for a
//      softmax. A producer whose value is also needed elsewhere stays a
//      result of the fused loop nest (written once, not recomputed). Through
//      a broadcasting access (a per-row value read by every element) only a
//      single-use producer without transcendental math is pulled in, since
//      it is then recomputed once per element instead of once per row, and
//      only when none of its results would stay a result of the fused op (a
//      result indexed through the broadcast is written once per reader; an
//      in-place payload such as the mean's `sum / n`, which reads its own
//      init, would then be applied once per element of the row).
//
//===----------------------------------------------------------------------===//

#include "codegen/linalg/Patterns.h"
#include "ir/WeftOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace weft::codegen {
namespace {

/// Whether the generic's payload calls transcendental math (exp, tanh, ...).
bool hasTranscendental(linalg::GenericOp op) {
  bool found = false;
  op.getBody()->walk([&](Operation *inner) {
    found |= isa<math::MathDialect>(inner->getDialect());
  });
  return found;
}

/// Whether fusing `producer` into `consumer` would keep one of the
/// producer's results as a result of the fused op: a result with other
/// readers, or one whose payload reads its own init (an in-place update such
/// as the mean's `sum / n` on the sum's buffer).
bool keepsAResult(linalg::GenericOp producer, linalg::GenericOp consumer) {
  return !linalg::ElementwiseOpFusionResult::getPreservedProducerResults(producer, consumer)
              .empty();
}

/// Fuses the all-parallel linalg.generic producing an input of a
/// linalg.generic into it (MLIR's fuseElementwiseOps), keeping the
/// producer's results that other ops still read as extra results of the
/// fused loop nest instead of recomputing them:
/// - an input read element for element (a permutation map) is always fused
///   when the producer's other readers come after the consumer (they then
///   read the fused op's extra result);
/// - an input read through a broadcast (each producer element read by many
///   iterations) is fused only from a single-use producer without
///   transcendental math, which is then recomputed per iteration, and only
///   when no producer result stays a result of the fused op: that result
///   would be indexed through the broadcast, so every iteration reading the
///   same element would write it again, and a payload that reads its init
///   (the mean's in-place `sum / n`) would apply itself once per iteration
///   (the mean divided by n again for every element of the row).
struct FuseProducerKeepingResults : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp consumer,
                                PatternRewriter &rewriter) const override {
    for (OpOperand &operand : consumer->getOpOperands()) {
      auto producer = operand.get().getDefiningOp<linalg::GenericOp>();
      if (!producer || !linalg::areElementwiseOpsFusable(&operand))
        continue;
      bool elementForElement =
          consumer.getMatchingIndexingMap(&operand).isPermutation();
      bool othersAfter = llvm::all_of(producer->getUsers(), [&](Operation *u) {
        return u == consumer || (u->getBlock() == consumer->getBlock() &&
                                 consumer->isBeforeInBlock(u));
      });
      if (elementForElement ? !othersAfter
                            : !producer->hasOneUse() || hasTranscendental(producer) ||
                                  keepsAResult(producer, consumer))
        continue;
      FailureOr<linalg::ElementwiseOpFusionResult> fused =
          linalg::fuseElementwiseOps(rewriter, &operand);
      if (failed(fused))
        continue;
      // The fused op may still read the producer through another operand
      // (x * x); that operand is fused in a later step, not redirected.
      Operation *fusedOp = fused->fusedOp;
      for (auto [original, replacement] : fused->replacements)
        rewriter.replaceUsesWithIf(original, replacement, [&](OpOperand &use) {
          return use.getOwner() != fusedOp;
        });
      rewriter.eraseOp(consumer);
      if (producer->use_empty())
        rewriter.eraseOp(producer);
      return success();
    }
    return failure();
  }
};

} // namespace

bool inlineFusionBodies(Operation *root) {
  SmallVector<FusionOp> fusions;
  root->walk([&](FusionOp op) { fusions.push_back(op); });
  IRRewriter rewriter(root->getContext());
  for (FusionOp op : fusions) {
    Block &body = op.getBody().front();
    auto yield = cast<YieldOp>(body.getTerminator());
    // A yielded block argument is the matching operand itself.
    SmallVector<Value> results;
    for (Value v : yield.getValues()) {
      auto arg = dyn_cast<BlockArgument>(v);
      results.push_back(arg && arg.getOwner() == &body
                            ? op.getOperand(arg.getArgNumber())
                            : v);
    }
    rewriter.eraseOp(yield);
    rewriter.inlineBlockBefore(&body, op, op.getOperands());
    rewriter.replaceOp(op, results);
  }
  return !fusions.empty();
}

void fuseKernelLoops(Operation *root) {
  RewritePatternSet patterns(root->getContext());
  patterns.add<FuseProducerKeepingResults>(root->getContext());
  // Only the clean-ups of MLIR's set (splat constants and fills folded into
  // the payload, unused operands and results dropped): its own fusion
  // pattern recomputes a producer that has other readers, so it is off.
  linalg::populateElementwiseOpsFusionPatterns(
      patterns, [](OpOperand *) { return false; });
  // Not converging within the rewrite limit leaves valid, less fused IR.
  (void)applyPatternsAndFoldGreedily(root, std::move(patterns));
}

} // namespace weft::codegen

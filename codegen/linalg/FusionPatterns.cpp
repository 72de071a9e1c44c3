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
//      softmax. A producer whose value is also needed elsewhere is
//      recomputed in each loop nest when it is a few instructions without
//      transcendental math or division (x - max, label == column, a one-hot
//      select) and the kernel writes no output over an input, else it stays
//      a result of the fused loop nest (written once, a temporary the kernel
//      allocates; exp(x - max)). Through
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

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SmallBitVector.h"

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

/// The number of instructions in `op`'s payload besides reading the loop
/// counter.
int instructionsOf(linalg::GenericOp op) {
  int n = 0;
  for (Operation &inner : op.getBody()->without_terminator())
    n += !isa<linalg::IndexOp, arith::IndexCastOp>(inner);
  return n;
}

/// Whether `op` computes nothing: a broadcast, a copy, an iota.
bool movesDataOnly(linalg::GenericOp op) { return instructionsOf(op) == 0; }

/// Whether `producer` is cheaper to recompute in each loop nest that reads
/// it than to write once and read back: a payload of at most four
/// instructions (besides reading the loop counter) without transcendental
/// math or division (a subtraction of the row maximum, a compare against
/// the label), reading at most two of the kernel's operands element for
/// element. Such a value shared by two loop nests would otherwise be a
/// temporary of the whole iteration space that the kernel allocates on
/// every call (a cross-entropy over [512, 50257] logits: x - max is one, a
/// 103 MB f32 buffer of fresh pages on every step).
bool isCheapToRecompute(linalg::GenericOp producer) {
  if (producer.getNumReductionLoops() != 0 || hasTranscendental(producer))
    return false;
  if (llvm::any_of(producer.getBody()->without_terminator(), [](Operation &inner) {
        return isa<arith::DivFOp, arith::DivSIOp, arith::DivUIOp, arith::RemFOp, arith::RemSIOp,
                   arith::RemUIOp>(inner);
      }))
    return false;
  // Inputs read element for element: at most two, none computed by another
  // loop nest beyond moving data (recomputing from a computed value would
  // keep that value as a temporary instead).
  int fullInputs = 0;
  for (OpOperand *input : producer.getDpsInputOperands()) {
    AffineMap map = producer.getMatchingIndexingMap(input);
    if (!map.isPermutation() || map.getNumResults() == 0 ||
        input->get().getDefiningOp<arith::ConstantOp>())
      continue;
    if (auto def = input->get().getDefiningOp<linalg::GenericOp>(); def && !movesDataOnly(def))
      return false;
    ++fullInputs;
  }
  return instructionsOf(producer) <= 4 && fullInputs <= 2;
}

/// Whether `producer`, fused into `consumer` through `operand` (read
/// element for element), would still have to write its results: its
/// payload reads them, or the fused loop nest's other operands would not
/// span its loops (an iota reads nothing: a nest whose other operands are
/// per-row values keeps the iota's result to have the extent of its loops).
bool staysAResult(linalg::GenericOp producer, linalg::GenericOp consumer, OpOperand &operand) {
  for (OpOperand &init : producer.getDpsInitsMutable())
    if (producer.payloadUsesValueFromOperand(&init) ||
        !producer.getMatchingIndexingMap(&init).isIdentity())
      return true;
  llvm::SmallBitVector spanned(consumer.getNumLoops());
  auto mark = [&](AffineMap map) {
    for (AffineExpr e : map.getResults())
      e.walk([&](AffineExpr d) {
        if (auto dim = dyn_cast<AffineDimExpr>(d))
          spanned.set(dim.getPosition());
      });
  };
  for (OpOperand &other : consumer->getOpOperands())
    if (&other != &operand)
      mark(consumer.getMatchingIndexingMap(&other));
  AffineMap toProducer = consumer.getMatchingIndexingMap(&operand);
  for (OpOperand *input : producer.getDpsInputOperands())
    mark(producer.getMatchingIndexingMap(input).compose(toProducer));
  return !spanned.all();
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
    // In a kernel that may write over its inputs, a later nest recomputing
    // from an input could read what an earlier nest wrote there.
    auto fn = consumer->getParentOfType<func::FuncOp>();
    bool recomputes = !fn || !fn->hasAttr(kArgsMayAliasAttr);
    for (OpOperand &operand : consumer->getOpOperands()) {
      auto producer = operand.get().getDefiningOp<linalg::GenericOp>();
      bool copied = false;
      if (!producer || !linalg::areElementwiseOpsFusable(&operand))
        continue;
      bool elementForElement =
          consumer.getMatchingIndexingMap(&operand).isPermutation();
      // A cheap producer with other readers is recomputed here: this
      // consumer gets a private copy to fuse, the others keep the original.
      if (elementForElement && !producer->hasOneUse() && recomputes && isCheapToRecompute(producer) &&
          !staysAResult(producer, consumer, operand)) {
        OpBuilder::InsertionGuard atConsumer(rewriter); // where the fused op goes
        rewriter.setInsertionPoint(producer);
        Operation *copy = rewriter.clone(*producer.getOperation());
        unsigned result = cast<OpResult>(operand.get()).getResultNumber();
        rewriter.modifyOpInPlace(consumer, [&] { operand.set(copy->getResult(result)); });
        producer = cast<linalg::GenericOp>(copy);
        copied = true;
      }
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
      if (failed(fused)) {
        if (copied) // the consumer reads the copy now: a change
          return success();
        continue;
      }
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

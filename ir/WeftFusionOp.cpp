//===- WeftFusionOp.cpp - verifiers of weft.fusion and weft.yield ---------===//
//
// This file implements the verifiers of the fused-kernel op weft.fusion
// (declared in WeftFusedOps.td, created by weft-fuse-elementwise): its
// block arguments mirror the operands, its body holds only region-free weft
// ops without memory effects, and it ends in a weft.yield of the result
// types; and its canonicalization, which merges repeated operands and drops
// unread ones, and drops results that are unread, repeat another result or
// pass an operand through.
//
//===----------------------------------------------------------------------===//

#include "ir/AttrNames.h"
#include "ir/WeftOps.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace weft;

LogicalResult FusionOp::verify() {
  if (getNumResults() == 0)
    return emitOpError("has no results; a fused kernel must yield at least "
                       "one value (erase the op instead)");
  return success();
}

namespace {

/// Merges operands listed more than once (each reads the first one's block
/// argument) and drops operands whose block argument is unused, so that the
/// kernel reads each input once and nothing it does not need.
struct SimplifyFusionOperands : OpRewritePattern<FusionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(FusionOp op,
                                PatternRewriter &rewriter) const override {
    Block &body = op.getBody().front();
    llvm::DenseMap<Value, unsigned> firstUse;
    llvm::BitVector drop(op.getNumOperands());
    for (auto [i, v] : llvm::enumerate(op.getInputs())) {
      auto [it, inserted] = firstUse.try_emplace(v, (unsigned)i);
      if (!inserted)
        rewriter.replaceAllUsesWith(body.getArgument(i),
                                    body.getArgument(it->second));
    }
    for (unsigned i = 0; i < op.getNumOperands(); ++i)
      if (body.getArgument(i).use_empty())
        drop.set(i);
    if (drop.none())
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      body.eraseArguments(drop);
      op->eraseOperands(drop);
    });
    return success();
  }
};

/// Drops results nobody reads and results that repeat another: a value
/// yielded twice (CSE inside the body merged two computations) is written
/// once, and a yielded block argument is the operand itself. A kernel then
/// writes each value it produces once, and only what is read.
struct SimplifyFusionResults : OpRewritePattern<FusionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(FusionOp op,
                                PatternRewriter &rewriter) const override {
    Block &body = op.getBody().front();
    auto yield = cast<YieldOp>(body.getTerminator());
    llvm::DenseMap<Value, unsigned> firstYield;
    SmallVector<Value> kept;
    SmallVector<Type> keptTypes;
    SmallVector<int> newIndex(op.getNumResults(), -1);
    bool changed = false;
    for (auto [i, v] : llvm::enumerate(yield.getOperands())) {
      Value result = op.getResult(i);
      if (auto arg = dyn_cast<BlockArgument>(v); arg && arg.getOwner() == &body) {
        rewriter.replaceAllUsesWith(result, op.getOperand(arg.getArgNumber()));
        changed = true;
        continue;
      }
      if (result.use_empty()) {
        changed = true;
        continue;
      }
      auto [it, inserted] = firstYield.try_emplace(v, (unsigned)i);
      if (!inserted) {
        rewriter.replaceAllUsesWith(result, op.getResult(it->second));
        changed = true;
        continue;
      }
      newIndex[i] = (int)kept.size();
      kept.push_back(v);
      keptTypes.push_back(result.getType());
    }
    if (!changed)
      return failure();
    if (kept.empty()) {
      rewriter.eraseOp(op);
      return success();
    }
    auto fused = rewriter.create<FusionOp>(op.getLoc(), keptTypes, op.getInputs());
    rewriter.inlineRegionBefore(op.getBody(), fused.getBody(), fused.getBody().end());
    rewriter.setInsertionPoint(yield);
    rewriter.replaceOpWithNewOp<YieldOp>(yield, kept);
    for (auto [i, r] : llvm::enumerate(op.getResults()))
      if (newIndex[i] >= 0)
        rewriter.replaceAllUsesWith(r, fused.getResult(newIndex[i]));
    // Attributes of the old op (e.g. a memory plan's offsets) described the
    // old results: they are not carried over, but for its recompute group.
    for (StringRef name : {kRecomputeAttr, kRecomputedAttr})
      if (Attribute group = op->getAttr(name))
        fused->setAttr(name, group);
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void FusionOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                           MLIRContext *context) {
  patterns.add<SimplifyFusionOperands, SimplifyFusionResults>(context);
}

LogicalResult FusionOp::verifyRegions() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getNumOperands())
    return emitOpError("body has ")
           << body.getNumArguments() << " arguments for " << getNumOperands()
           << " operands; give the block one argument per operand";
  for (auto [i, arg, operand] :
       llvm::enumerate(body.getArguments(), getOperands()))
    if (arg.getType() != operand.getType())
      return emitOpError("block argument #")
             << i << " has type " << arg.getType() << " but operand #" << i
             << " has type " << operand.getType()
             << "; the block arguments must mirror the operands";
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (body.empty() || !yield)
    return emitOpError("body must end with weft.yield");
  if (yield.getNumOperands() != getNumResults())
    return yield.emitOpError("yields ")
           << yield.getNumOperands() << " values but the enclosing "
           << "weft.fusion has " << getNumResults()
           << " results; yield one value per result";
  for (auto [i, v, r] : llvm::enumerate(yield.getOperands(), getResults()))
    if (v.getType() != r.getType())
      return yield.emitOpError("operand #")
             << i << " has type " << v.getType() << " but result #" << i
             << " of the weft.fusion has type " << r.getType()
             << "; make the result types match the yielded values";
  for (Operation &op : body.without_terminator()) {
    if (!isa<WeftDialect>(op.getDialect()) || op.getNumRegions() != 0 ||
        !isMemoryEffectFree(&op))
      return op.emitOpError("cannot be inside a weft.fusion; its body holds "
                            "only weft ops without regions or side effects "
                            "(elementwise, broadcast, reduce, constants)");
  }
  return success();
}

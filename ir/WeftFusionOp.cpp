//===- WeftFusionOp.cpp - verifiers of weft.fusion and weft.yield ---------===//
//
// This file implements the verifiers of the fused-kernel op weft.fusion
// (declared in WeftFusedOps.td, created by weft-fuse-elementwise): its
// block arguments mirror the operands, its body holds only region-free weft
// ops without memory effects, and it ends in a weft.yield of the result
// types; and its canonicalization, which merges repeated operands and drops
// unread ones.
//
//===----------------------------------------------------------------------===//

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

} // namespace

void FusionOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                           MLIRContext *context) {
  patterns.add<SimplifyFusionOperands>(context);
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

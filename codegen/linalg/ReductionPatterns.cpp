//===- ReductionPatterns.cpp - weft.reduce → linalg -----------------------===//
//
// This file implements the lowering of weft.reduce: a linalg.fill of the
// neutral element (0 for sum and mean, -inf / +inf or the integer extremes
// for max / min) and one linalg.generic that keeps the input's dimension
// order, so reducing the last dimension of a row-major tensor is one pass
// over each row with the accumulator in a register. Mean divides the sums by
// the element count in place. f16/bf16 accumulate in f32 (a temporary) and
// round once at the end. The additions carry `reassoc` so LLVM may vectorize
// the reduction (the order of a float sum is unspecified, as in XLA).
//
//===----------------------------------------------------------------------===//

#include "codegen/linalg/Patterns.h"
#include "ir/WeftOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <algorithm>

using namespace mlir;

namespace weft::codegen {
namespace {

/// The value that leaves every element unchanged under `kind`.
Value neutralElement(OpBuilder &b, Location loc, ReduceKind kind, Type type) {
  if (kind == ReduceKind::Sum || kind == ReduceKind::Mean)
    return scalarConstant(b, loc, type, 0);
  bool isMax = kind == ReduceKind::Max;
  if (auto ft = dyn_cast<FloatType>(type))
    return b.create<arith::ConstantOp>(
        loc, b.getFloatAttr(ft, APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/isMax)));
  unsigned w = cast<IntegerType>(type).getWidth();
  APInt v = isMax ? APInt::getSignedMinValue(w) : APInt::getSignedMaxValue(w);
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(type, v));
}

/// acc ⊕ x for one reduction step.
Value combine(OpBuilder &b, Location loc, ReduceKind kind, Value acc, Value x) {
  bool isFloat = isa<FloatType>(acc.getType());
  auto fm = arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;
  switch (kind) {
  case ReduceKind::Sum:
  case ReduceKind::Mean:
    return isFloat ? b.create<arith::AddFOp>(loc, acc, x, fm).getResult()
                   : b.create<arith::AddIOp>(loc, acc, x).getResult();
  case ReduceKind::Max:
    return isFloat ? b.create<arith::MaximumFOp>(loc, acc, x, fm).getResult()
                   : b.create<arith::MaxSIOp>(loc, acc, x).getResult();
  case ReduceKind::Min:
    return isFloat ? b.create<arith::MinimumFOp>(loc, acc, x, fm).getResult()
                   : b.create<arith::MinSIOp>(loc, acc, x).getResult();
  }
  llvm_unreachable("unknown reduce kind");
}

struct ReduceLowering : OpRewritePattern<ReduceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReduceOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    auto resType = cast<RankedTensorType>(op.getType());
    Type storage = resType.getElementType();
    Type accType = computeElementType(storage);
    ReduceKind kind = op.getKind();
    int64_t rank = inType.getRank();

    llvm::SmallDenseSet<int64_t> reduced(op.getDims().begin(), op.getDims().end());
    SmallVector<AffineExpr> kept;
    SmallVector<utils::IteratorType> iterators;
    int64_t count = 1;
    for (int64_t d = 0; d < rank; ++d) {
      if (reduced.contains(d)) {
        iterators.push_back(utils::IteratorType::reduction);
        count *= inType.getDimSize(d);
      } else {
        iterators.push_back(utils::IteratorType::parallel);
        kept.push_back(rewriter.getAffineDimExpr(d));
      }
    }
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(rank, getContext()),
        AffineMap::get(rank, 0, kept, getContext())};

    auto accTensor = RankedTensorType::get(resType.getShape(), accType);
    Value neutral = neutralElement(rewriter, loc, kind, accType);
    Value init = rewriter
                     .create<linalg::FillOp>(loc, ValueRange{neutral},
                                             ValueRange{createEmpty(rewriter, loc, accTensor)})
                     .getResult(0);
    Value acc = rewriter
                    .create<linalg::GenericOp>(
                        loc, TypeRange{accTensor}, ValueRange{op.getInput()}, ValueRange{init},
                        maps, iterators,
                        [&](OpBuilder &b, Location l, ValueRange args) {
                          Value x = convertScalar(b, l, args[0], accType);
                          b.create<linalg::YieldOp>(l, combine(b, l, kind, args[1], x));
                        })
                    .getResult(0);

    bool isMean = kind == ReduceKind::Mean;
    if (!isMean && accType == storage) {
      rewriter.replaceOp(op, acc);
      return success();
    }
    // Finish: divide by the count (mean) and/or round to the storage type;
    // in place when the accumulator already has the storage type.
    auto finish = [&](OpBuilder &b, Location l, ValueRange args) -> Value {
      Value v = args[0];
      if (isMean) {
        bool isFloat = isa<FloatType>(accType);
        // An empty integer mean is 0 (its sum), not a division trap.
        int64_t divisor = isFloat ? count : std::max<int64_t>(count, 1);
        Value n = scalarConstant(b, l, accType, static_cast<double>(divisor));
        v = isFloat ? b.create<arith::DivFOp>(l, v, n).getResult()
                    : b.create<arith::DivSIOp>(l, v, n).getResult();
      }
      return convertScalar(b, l, v, storage);
    };
    Value result = accType == storage
                       ? buildElementwise(rewriter, loc, resType, {}, finish, acc)
                       : buildElementwise(rewriter, loc, resType, {acc}, finish);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateReductionPatterns(RewritePatternSet &patterns) {
  patterns.add<ReduceLowering>(patterns.getContext());
}

} // namespace weft::codegen

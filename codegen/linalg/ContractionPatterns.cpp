//===- ContractionPatterns.cpp - weft matmul/batch_matmul → linalg --------===//
//
// This file implements the lowering of weft.matmul and weft.batch_matmul:
// linalg.matmul / linalg.batch_matmul into a zero-filled destination when the
// operands are untransposed f32 of rank 2 / 3, otherwise one linalg.generic
// over (batch..., m, n, k) whose indexing maps encode the transposes and
// which accumulates in f32 (f16/bf16 round once at the end). The CPU code
// generator sends f32 contractions to BLAS; these kernels serve the other
// element types and keep weft-convert-to-linalg complete.
//
//===----------------------------------------------------------------------===//

#include "codegen/linalg/Patterns.h"
#include "ir/WeftOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;

namespace weft::codegen {
namespace {

template <typename OpTy>
struct ContractionLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto out = cast<RankedTensorType>(op.getType());
    Type storage = out.getElementType();
    Type accType = computeElementType(storage);
    bool transLhs = op.getTransposeLhs(), transRhs = op.getTransposeRhs();
    int64_t rank = out.getRank();

    auto accTensor = RankedTensorType::get(out.getShape(), accType);
    Value zero = scalarConstant(rewriter, loc, accType, 0);
    Value init = rewriter
                     .create<linalg::FillOp>(loc, ValueRange{zero},
                                             ValueRange{createEmpty(rewriter, loc, accTensor)})
                     .getResult(0);
    SmallVector<Value, 2> operands = {op.getLhs(), op.getRhs()};
    Value acc;
    if (!transLhs && !transRhs && accType == storage && rank == 2) {
      acc = rewriter.create<linalg::MatmulOp>(loc, operands, ValueRange{init}).getResult(0);
    } else if (!transLhs && !transRhs && accType == storage && rank == 3) {
      acc = rewriter.create<linalg::BatchMatmulOp>(loc, operands, ValueRange{init}).getResult(0);
    } else {
      // Iteration space (b_0, ..., b_{nb-1}, m, n, k).
      int64_t nb = rank - 2, loops = rank + 1;
      SmallVector<AffineExpr> batch;
      for (int64_t d = 0; d < nb; ++d)
        batch.push_back(getAffineDimExpr(d, ctx));
      AffineExpr m = getAffineDimExpr(nb, ctx), n = getAffineDimExpr(nb + 1, ctx),
                 k = getAffineDimExpr(nb + 2, ctx);
      auto mapOf = [&](AffineExpr a, AffineExpr b) {
        SmallVector<AffineExpr> e(batch);
        e.push_back(a);
        e.push_back(b);
        return AffineMap::get(loops, 0, e, ctx);
      };
      SmallVector<AffineMap> maps = {transLhs ? mapOf(k, m) : mapOf(m, k),
                                     transRhs ? mapOf(n, k) : mapOf(k, n), mapOf(m, n)};
      SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
      iterators.push_back(utils::IteratorType::reduction);
      auto fm = arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;
      acc = rewriter
                .create<linalg::GenericOp>(
                    loc, TypeRange{accTensor}, operands, ValueRange{init}, maps, iterators,
                    [&](OpBuilder &b, Location l, ValueRange args) {
                      Value x = convertScalar(b, l, args[0], accType);
                      Value y = convertScalar(b, l, args[1], accType);
                      Value p = b.create<arith::MulFOp>(l, x, y, fm);
                      b.create<linalg::YieldOp>(l, b.create<arith::AddFOp>(l, args[2], p, fm).getResult());
                    })
                .getResult(0);
    }
    if (accType != storage)
      acc = buildElementwise(rewriter, loc, out, {acc},
                             [&](OpBuilder &b, Location l, ValueRange args) {
                               return convertScalar(b, l, args[0], storage);
                             });
    rewriter.replaceOp(op, acc);
    return success();
  }
};

} // namespace

void populateContractionPatterns(RewritePatternSet &patterns) {
  patterns.add<ContractionLowering<MatmulOp>, ContractionLowering<BatchMatmulOp>>(
      patterns.getContext());
}

} // namespace weft::codegen

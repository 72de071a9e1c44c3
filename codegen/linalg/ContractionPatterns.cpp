//===- ContractionPatterns.cpp - weft matmul/batch_matmul → linalg --------===//
//
// This file implements the lowering of weft.matmul, weft.batch_matmul and
// the fused contractions: linalg.matmul / linalg.batch_matmul into a
// zero-filled destination when the operands are untransposed f32 of rank 2 /
// 3, otherwise one linalg.generic over (batch..., m, n, k) whose indexing
// maps encode the transposes and which accumulates in f32 (f16/bf16 round
// once at the end). weft.fused_matmul adds one elementwise generic for
// act(product + bias), weft.fused_batch_matmul one for alpha * product +
// beta * addend (the addend indexed by the trailing dimensions). The CPU code
// generator sends f32 contractions to BLAS (with its own epilogue kernels,
// codegen/common/EpilogueKernels.cpp); these kernels serve the other element types and
// keep weft-convert-to-linalg complete.
//
//===----------------------------------------------------------------------===//

#include "codegen/linalg/Patterns.h"
#include "ir/WeftOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;

namespace weft::codegen {
namespace {

/// op(lhs) x op(rhs) of result type `out`, accumulated in the compute type
/// of `out`'s element type (a tensor of that type, not yet rounded).
Value buildProduct(PatternRewriter &rewriter, Location loc, Value lhs, Value rhs,
                   bool transLhs, bool transRhs, RankedTensorType out) {
  MLIRContext *ctx = rewriter.getContext();
  Type storage = out.getElementType();
  Type accType = computeElementType(storage);
  int64_t rank = out.getRank();
  auto accTensor = RankedTensorType::get(out.getShape(), accType);
  Value zero = scalarConstant(rewriter, loc, accType, 0);
  Value init = rewriter
                   .create<linalg::FillOp>(loc, ValueRange{zero},
                                           ValueRange{createEmpty(rewriter, loc, accTensor)})
                   .getResult(0);
  SmallVector<Value, 2> operands = {lhs, rhs};
  if (!transLhs && !transRhs && accType == storage && rank == 2)
    return rewriter.create<linalg::MatmulOp>(loc, operands, ValueRange{init}).getResult(0);
  if (!transLhs && !transRhs && accType == storage && rank == 3)
    return rewriter.create<linalg::BatchMatmulOp>(loc, operands, ValueRange{init}).getResult(0);
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
  return rewriter
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

/// The map from the result's indices to those of an operand whose shape is
/// the trailing `rank` dimensions of the result's.
AffineMap suffixMap(int64_t resultRank, int64_t rank, MLIRContext *ctx) {
  SmallVector<AffineExpr> e;
  for (int64_t d = resultRank - rank; d < resultRank; ++d)
    e.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(resultRank, 0, e, ctx);
}

/// One elementwise pass over the accumulated product `acc` that reads
/// `extras` (operands shaped like a suffix of the result, null ones skipped),
/// applies `fn` to (product, extra elements in the order given, null for a
/// skipped one) in the compute type and stores the result type `out`.
Value buildEpilogue(PatternRewriter &rewriter, Location loc, Value acc, ArrayRef<Value> extras,
                    RankedTensorType out,
                    function_ref<Value(OpBuilder &, Location, Value, ArrayRef<Value>)> fn) {
  MLIRContext *ctx = rewriter.getContext();
  int64_t rank = out.getRank();
  Type accType = computeElementType(out.getElementType());
  SmallVector<Value, 3> inputs = {acc};
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  for (Value extra : extras)
    if (extra) {
      inputs.push_back(extra);
      maps.push_back(suffixMap(rank, cast<RankedTensorType>(extra.getType()).getRank(), ctx));
    }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  return rewriter
      .create<linalg::GenericOp>(
          loc, TypeRange{out}, inputs, ValueRange{createEmpty(rewriter, loc, out)}, maps,
          iterators,
          [&](OpBuilder &b, Location l, ValueRange args) {
            SmallVector<Value, 2> e;
            size_t next = 1;
            for (Value extra : extras)
              e.push_back(extra ? convertScalar(b, l, args[next++], accType) : Value());
            Value v = fn(b, l, args[0], e);
            b.create<linalg::YieldOp>(l, convertScalar(b, l, v, out.getElementType()));
          })
      .getResult(0);
}

template <typename OpTy>
struct ContractionLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = cast<RankedTensorType>(op.getType());
    Value acc = buildProduct(rewriter, loc, op.getLhs(), op.getRhs(), op.getTransposeLhs(),
                             op.getTransposeRhs(), out);
    if (acc.getType() != out)
      acc = buildElementwise(rewriter, loc, out, {acc},
                             [&](OpBuilder &b, Location l, ValueRange args) {
                               return convertScalar(b, l, args[0], out.getElementType());
                             });
    rewriter.replaceOp(op, acc);
    return success();
  }
};

/// weft.fused_matmul: the product, then act(product + bias) in one pass.
struct FusedMatmulLowering : OpRewritePattern<FusedMatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(FusedMatmulOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = cast<RankedTensorType>(op.getType());
    Value acc = buildProduct(rewriter, loc, op.getLhs(), op.getRhs(), op.getTransposeLhs(),
                             op.getTransposeRhs(), out);
    uint32_t activation = static_cast<uint32_t>(op.getActivation());
    Value result = buildEpilogue(
        rewriter, loc, acc, {op.getBias(), op.getGate()}, out,
        [&](OpBuilder &b, Location l, Value p, ArrayRef<Value> e) {
          Value v = e[0] ? b.create<arith::AddFOp>(l, p, e[0]).getResult() : p;
          v = buildEpilogueActivation(b, l, activation, v);
          return e[1] ? buildSiluGate(b, l, v, e[1]) : v;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// weft.fused_batch_matmul: the product, then alpha * product + beta * addend
/// in one pass (the addend repeated over the missing leading dimensions).
struct FusedBatchMatmulLowering : OpRewritePattern<FusedBatchMatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(FusedBatchMatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = cast<RankedTensorType>(op.getType());
    Value acc = buildProduct(rewriter, loc, op.getLhs(), op.getRhs(), op.getTransposeLhs(),
                             op.getTransposeRhs(), out);
    double alpha = op.getAlpha().convertToDouble(), beta = op.getBeta().convertToDouble();
    Value result = buildEpilogue(
        rewriter, loc, acc, {op.getAddend()}, out,
        [&](OpBuilder &b, Location l, Value p, ArrayRef<Value> e) -> Value {
          Value addend = e[0];
          Type t = p.getType();
          auto fm = arith::FastMathFlags::contract;
          Value v = b.create<arith::MulFOp>(l, scalarConstant(b, l, t, alpha), p, fm);
          if (!addend)
            return v;
          Value scaled = b.create<arith::MulFOp>(l, scalarConstant(b, l, t, beta), addend, fm);
          return b.create<arith::AddFOp>(l, v, scaled, fm);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateContractionPatterns(RewritePatternSet &patterns) {
  patterns.add<ContractionLowering<MatmulOp>, ContractionLowering<BatchMatmulOp>,
               FusedMatmulLowering, FusedBatchMatmulLowering>(patterns.getContext());
}

} // namespace weft::codegen

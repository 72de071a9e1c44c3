//===- DataMovementPatterns.cpp - weft data movement ops → linalg/tensor --===//
//
// This file implements the lowering of the weft ops that move elements
// without arithmetic: reshape (tensor.collapse_shape to 1-D, then
// tensor.expand_shape), transpose (linalg.transpose), broadcast (a
// linalg.generic whose input map drops new dimensions and pins replicated
// size-1 dimensions to 0), slice (tensor.extract_slice + linalg.copy), concat
// (tensor.insert_slice into one destination), gather (a linalg.generic that
// clamps each index into [0, V) and reads the table with tensor.extract),
// iota (linalg.index) and constant (arith.constant).
//
//===----------------------------------------------------------------------===//

#include "codegen/linalg/Patterns.h"
#include "ir/RandomBits.h"
#include "ir/WeftOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <numeric>

using namespace mlir;

namespace weft::codegen {
namespace {

RankedTensorType tensorTypeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// The reassociation that groups all `rank` dimensions into one ([] for rank 0).
SmallVector<ReassociationIndices> allInOne(int64_t rank) {
  if (rank == 0)
    return {};
  ReassociationIndices group(rank);
  std::iota(group.begin(), group.end(), 0);
  return {group};
}

struct ReshapeLowering : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto in = tensorTypeOf(op.getInput());
    auto out = cast<RankedTensorType>(op.getType());
    if (in.getShape() == out.getShape()) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    int64_t n = in.getNumElements();
    auto flatType = RankedTensorType::get({n}, in.getElementType());
    Value flat = op.getInput();
    if (in.getRank() > 1)
      flat = rewriter.create<tensor::CollapseShapeOp>(loc, flatType, flat, allInOne(in.getRank()));
    else if (in.getRank() == 0)
      flat = rewriter.create<tensor::ExpandShapeOp>(loc, flatType, flat, allInOne(0));
    Value result = flat;
    if (out.getRank() > 1)
      result = rewriter.create<tensor::ExpandShapeOp>(loc, out, flat, allInOne(out.getRank()));
    else if (out.getRank() == 0)
      result = rewriter.create<tensor::CollapseShapeOp>(loc, out, flat, allInOne(0));
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct TransposeLowering : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value init = createEmpty(rewriter, op.getLoc(), type);
    auto t = rewriter.create<linalg::TransposeOp>(op.getLoc(), op.getInput(), init,
                                                  op.getPermutation());
    rewriter.replaceOp(op, t->getResult(0));
    return success();
  }
};

struct BroadcastLowering : OpRewritePattern<BroadcastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastOp op, PatternRewriter &rewriter) const override {
    auto in = tensorTypeOf(op.getInput());
    auto out = cast<RankedTensorType>(op.getType());
    int64_t rank = out.getRank();
    SmallVector<AffineExpr> exprs;
    for (auto [i, d] : llvm::enumerate(op.getDims())) {
      bool replicated = in.getDimSize(i) == 1 && out.getDimSize(d) != 1;
      exprs.push_back(replicated ? rewriter.getAffineConstantExpr(0)
                                 : rewriter.getAffineDimExpr(d));
    }
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, exprs, getContext()),
                                   AffineMap::getMultiDimIdentityMap(rank, getContext())};
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    auto generic = rewriter.create<linalg::GenericOp>(
        op.getLoc(), TypeRange{out}, ValueRange{op.getInput()},
        ValueRange{createEmpty(rewriter, op.getLoc(), out)}, maps, iterators,
        [](OpBuilder &b, Location l, ValueRange args) { b.create<linalg::YieldOp>(l, args[0]); });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct SliceLowering : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (int64_t d = 0; d < out.getRank(); ++d) {
      offsets.push_back(rewriter.getIndexAttr(op.getStart()[d]));
      sizes.push_back(rewriter.getIndexAttr(out.getDimSize(d)));
      strides.push_back(rewriter.getIndexAttr(op.getStrides()[d]));
    }
    Value slice = rewriter.create<tensor::ExtractSliceOp>(loc, out, op.getInput(), offsets,
                                                          sizes, strides);
    auto copy = rewriter.create<linalg::CopyOp>(loc, ValueRange{slice},
                                                ValueRange{createEmpty(rewriter, loc, out)});
    rewriter.replaceOp(op, copy.getResult(0));
    return success();
  }
};

struct ConcatLowering : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto out = cast<RankedTensorType>(op.getType());
    int64_t dim = op.getDim();
    Value dest = createEmpty(rewriter, loc, out);
    int64_t offset = 0;
    for (Value input : op.getInputs()) {
      auto in = tensorTypeOf(input);
      if (in.getDimSize(dim) == 0)
        continue;
      SmallVector<OpFoldResult> offsets, sizes, strides;
      for (int64_t d = 0; d < out.getRank(); ++d) {
        offsets.push_back(rewriter.getIndexAttr(d == dim ? offset : 0));
        sizes.push_back(rewriter.getIndexAttr(in.getDimSize(d)));
        strides.push_back(rewriter.getIndexAttr(1));
      }
      dest = rewriter.create<tensor::InsertSliceOp>(loc, input, dest, offsets, sizes, strides);
      offset += in.getDimSize(dim);
    }
    rewriter.replaceOp(op, dest);
    return success();
  }
};

struct GatherLowering : OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GatherOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto table = tensorTypeOf(op.getTable());
    auto indices = tensorTypeOf(op.getIndices());
    auto out = cast<RankedTensorType>(op.getType());
    int64_t rows = table.getDimSize(0);
    if (rows == 0)
      return op.emitOpError("cannot gather from an empty table of shape [0, ...]; "
                            "give the table at least one row");
    int64_t rank = out.getRank(), indexRank = indices.getRank();
    SmallVector<AffineExpr> indexDims;
    for (int64_t d = 0; d < indexRank; ++d)
      indexDims.push_back(rewriter.getAffineDimExpr(d));
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, indexDims, getContext()),
                                   AffineMap::getMultiDimIdentityMap(rank, getContext())};
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    Value tableValue = op.getTable();
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{out}, ValueRange{op.getIndices()},
        ValueRange{createEmpty(rewriter, loc, out)}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value row = b.create<arith::IndexCastOp>(l, b.getIndexType(), args[0]);
          Value lo = b.create<arith::ConstantIndexOp>(l, 0);
          Value hi = b.create<arith::ConstantIndexOp>(l, rows - 1);
          row = b.create<arith::MaxSIOp>(l, row, lo);
          row = b.create<arith::MinSIOp>(l, row, hi);
          SmallVector<Value> coords = {row};
          for (int64_t d = indexRank; d < rank; ++d)
            coords.push_back(b.create<linalg::IndexOp>(l, d));
          Value v = b.create<tensor::ExtractOp>(l, tableValue, coords);
          b.create<linalg::YieldOp>(l, v);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct IotaLowering : OpRewritePattern<IotaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(IotaOp op, PatternRewriter &rewriter) const override {
    auto out = cast<RankedTensorType>(op.getType());
    int64_t dim = op.getDim();
    Value result = buildElementwise(
        rewriter, op.getLoc(), out, {}, [&](OpBuilder &b, Location l, ValueRange) {
          Value i = b.create<linalg::IndexOp>(l, dim);
          Value i64 = b.create<arith::IndexCastOp>(l, b.getI64Type(), i);
          return convertScalar(b, l, i64, out.getElementType());
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// weft.random_uniform → one linalg.generic computing ir/RandomBits.h's
/// generator from the row-major index (linalg.index of every dimension) and
/// the seed (read in the body): i64 wrap-around arithmetic, the top
/// 24 bits to f32, so every target gives the evaluator's numbers bitwise.
struct RandomUniformLowering : OpRewritePattern<RandomUniformOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RandomUniformOp op, PatternRewriter &rewriter) const override {
    auto out = cast<RankedTensorType>(op.getType());
    Location loc = op.getLoc();
    Type i64 = rewriter.getI64Type();
    auto k = [&](OpBuilder &b, Location l, uint64_t v) {
      return b.create<arith::ConstantOp>(l, b.getIntegerAttr(i64, int64_t(v))).getResult();
    };
    Value result = buildElementwise(
        rewriter, loc, out, {}, [&](OpBuilder &b, Location l, ValueRange) {
          // The seed is read inside the loop: the GPU mapping keeps every
          // kernel's loops free of reads computed outside them.
          Value seed = b.create<tensor::ExtractOp>(l, op.getSeed(), ValueRange{});
          Value key = b.create<arith::XOrIOp>(
              l, seed, k(b, l, uint64_t(op.getStream()) * random::kStreamMul));
          Value lin = k(b, l, 0);
          for (int64_t d = 0; d < out.getRank(); ++d) {
            Value i = b.create<arith::IndexCastOp>(l, i64, b.create<linalg::IndexOp>(l, d));
            lin = b.create<arith::AddIOp>(l, b.create<arith::MulIOp>(l, lin, k(b, l, out.getDimSize(d))), i);
          }
          Value one = b.create<arith::AddIOp>(l, lin, k(b, l, 1));
          Value z = b.create<arith::AddIOp>(l, key, b.create<arith::MulIOp>(l, one, k(b, l, random::kGolden)));
          auto mix = [&](Value v, unsigned shift, uint64_t mul) {
            Value x = b.create<arith::XOrIOp>(l, v, b.create<arith::ShRUIOp>(l, v, k(b, l, shift)));
            return mul ? b.create<arith::MulIOp>(l, x, k(b, l, mul)).getResult() : x;
          };
          z = mix(z, random::kShift1, random::kMix1);
          z = mix(z, random::kShift2, random::kMix2);
          z = mix(z, random::kShift3, 0);
          Value top = b.create<arith::ShRUIOp>(l, z, k(b, l, random::kKeepShift));
          Value f = b.create<arith::UIToFPOp>(l, b.getF32Type(), top);
          Value u = b.create<arith::MulFOp>(
              l, f, b.create<arith::ConstantOp>(l, b.getF32FloatAttr(random::kScale)));
          return convertScalar(b, l, u, out.getElementType());
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ConstantLowering : OpRewritePattern<ConstantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConstantOp op, PatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

} // namespace

void populateDataMovementPatterns(RewritePatternSet &patterns) {
  patterns.add<ReshapeLowering, TransposeLowering, BroadcastLowering, SliceLowering,
               ConcatLowering, GatherLowering, IotaLowering, RandomUniformLowering,
               ConstantLowering>(
      patterns.getContext());
}

} // namespace weft::codegen

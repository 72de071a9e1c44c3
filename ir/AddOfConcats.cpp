//===- AddOfConcats.cpp - canonicalization of weft.add over concats -------===//
//
// This file implements weft.add's canonicalization: the sum of two concats
// along the same dimension whose pieces never overlap with a non-zero on both
// sides is one concat of the non-zero pieces. The gradient of a tensor split
// by slices (attention's q, k and v out of one projection) is the sum of one
// zero-padded concat per slice; this turns the sum of three padded tensors
// into one concat of the three gradients (no zero padding written or read).
//
//===----------------------------------------------------------------------===//

#include "ir/WeftOps.h"

#include "mlir/IR/PatternMatch.h"

#include <algorithm>

using namespace mlir;
using namespace weft;

namespace {

/// A weft.constant of +0 (float) or 0 (integer) in every element.
bool isZeroSplat(Value v) {
  auto c = v.getDefiningOp<ConstantOp>();
  auto splat = c ? dyn_cast<SplatElementsAttr>(c.getValue()) : SplatElementsAttr();
  if (!splat)
    return false;
  Attribute e = splat.getSplatValue<Attribute>();
  if (auto f = dyn_cast<FloatAttr>(e))
    return f.getValue().isPosZero();
  auto i = dyn_cast<IntegerAttr>(e);
  return i && i.getValue().isZero();
}

/// One input of a concat: where it starts along the dimension, its size, and
/// whether it is all zeros.
struct Piece {
  int64_t start, size;
  Value value;
  bool zero;
};

SmallVector<Piece> piecesOf(ConcatOp concat) {
  SmallVector<Piece> pieces;
  int64_t at = 0, dim = concat.getDim();
  for (Value v : concat.getInputs()) {
    int64_t size = cast<RankedTensorType>(v.getType()).getDimSize(dim);
    pieces.push_back({at, size, v, isZeroSplat(v)});
    at += size;
  }
  return pieces;
}

/// The piece covering offset `at`.
const Piece &pieceAt(ArrayRef<Piece> pieces, int64_t at) {
  return *llvm::find_if(pieces, [&](const Piece &p) { return at < p.start + p.size; });
}

struct AddOfZeroPaddedConcats : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  /// 1. Both operands are concats along the same dimension.
  /// 2. Over the union of their piece boundaries, each interval is zero on
  ///    both sides (a zero constant of the interval's shape), or zero on one
  ///    side and exactly one whole piece on the other (that piece).
  /// 3. Neighbouring zero intervals merge; the result is one concat (or the
  ///    single remaining piece).
  LogicalResult matchAndRewrite(AddOp add, PatternRewriter &rewriter) const override {
    auto lhs = add.getLhs().getDefiningOp<ConcatOp>();
    auto rhs = add.getRhs().getDefiningOp<ConcatOp>();
    if (!lhs || !rhs || lhs.getDim() != rhs.getDim())
      return failure();
    int64_t dim = lhs.getDim();
    SmallVector<Piece> a = piecesOf(lhs), b = piecesOf(rhs);
    SmallVector<int64_t> bounds;
    for (const Piece &p : a)
      bounds.push_back(p.start);
    for (const Piece &p : b)
      bounds.push_back(p.start);
    auto type = cast<RankedTensorType>(add.getType());
    bounds.push_back(type.getDimSize(dim));
    llvm::sort(bounds);
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());

    struct Out {
      int64_t size;
      Value value; // null: zeros
    };
    SmallVector<Out> out;
    for (size_t i = 0; i + 1 < bounds.size(); ++i) {
      int64_t start = bounds[i], size = bounds[i + 1] - start;
      const Piece &pa = pieceAt(a, start), &pb = pieceAt(b, start);
      if (!pa.zero && !pb.zero)
        return failure(); // a real sum
      const Piece *real = !pa.zero ? &pa : !pb.zero ? &pb : nullptr;
      if (real && (real->start != start || real->size != size))
        return failure(); // would need a slice of the non-zero piece
      if (!real && !out.empty() && !out.back().value) {
        out.back().size += size;
        continue;
      }
      out.push_back({size, real ? real->value : Value()});
    }
    SmallVector<Value> inputs;
    for (const Out &o : out) {
      if (o.value) {
        inputs.push_back(o.value);
        continue;
      }
      SmallVector<int64_t> shape(type.getShape());
      shape[dim] = o.size;
      auto zeroType = RankedTensorType::get(shape, type.getElementType());
      inputs.push_back(rewriter.create<ConstantOp>(
          add.getLoc(), zeroType, cast<ElementsAttr>(rewriter.getZeroAttr(zeroType))));
    }
    if (inputs.size() == 1) {
      rewriter.replaceOp(add, inputs.front());
      return success();
    }
    rewriter.replaceOpWithNewOp<ConcatOp>(add, type, inputs, static_cast<uint64_t>(dim));
    return success();
  }
};

} // namespace

void AddOp::getCanonicalizationPatterns(RewritePatternSet &patterns, MLIRContext *context) {
  patterns.add<AddOfZeroPaddedConcats>(context);
}

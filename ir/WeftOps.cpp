//===- WeftOps.cpp - the weft dialect's operations ------------------------===//
//
// This file implements result-type inference, verifiers and folders of the
// weft operations. Errors name the op, every shape involved, and what to fix.
//
//===----------------------------------------------------------------------===//

#include "ir/WeftOps.h"
#include "ir/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"

#include <numeric>

using namespace mlir;
using namespace weft;

namespace {


/// Checks a list of dimension indices: in range, and strictly increasing when
/// `sorted` is set.
LogicalResult checkDims(std::optional<Location> loc, StringRef opName,
                        StringRef what, ArrayRef<int64_t> dims, int64_t rank) {
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0 || dims[i] >= rank)
      return emitOptionalError(loc, "'", opName, "' op ", what, " entry ",
                               dims[i], " is out of range for rank ", rank);
    if (i > 0 && dims[i] <= dims[i - 1])
      return emitOptionalError(loc, "'", opName, "' op ", what,
                               " must be strictly increasing");
  }
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult CompareOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,
    SmallVectorImpl<Type> &results) {
  CompareOp::Adaptor adaptor(operands, attrs, props, regions);
  auto lt = tensorType(adaptor.getLhs());
  if (lt != adaptor.getRhs().getType())
    return emitOptionalError(loc, "'weft.compare' op operand types differ: ",
                             lt, " vs ", adaptor.getRhs().getType());
  results.push_back(RankedTensorType::get(lt.getShape(), IntegerType::get(ctx, 1)));
  return success();
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  // x + 0 -> x
  if (auto rhs = dyn_cast_or_null<SplatElementsAttr>(adaptor.getRhs())) {
    Attribute v = rhs.getSplatValue<Attribute>();
    if ((isa<FloatAttr>(v) && cast<FloatAttr>(v).getValue().isPosZero()) ||
        (isa<IntegerAttr>(v) && cast<IntegerAttr>(v).getValue().isZero()))
      return getLhs();
  }
  return {};
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  // x * 1 -> x
  if (auto rhs = dyn_cast_or_null<SplatElementsAttr>(adaptor.getRhs())) {
    Attribute v = rhs.getSplatValue<Attribute>();
    if ((isa<FloatAttr>(v) && cast<FloatAttr>(v).getValue().isExactlyValue(1.0)) ||
        (isa<IntegerAttr>(v) && cast<IntegerAttr>(v).getValue().isOne()))
      return getLhs();
  }
  return {};
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // A splat float constant converted to another float type is a splat
  // constant of that type (rounded to nearest even), so it stays cheap to
  // recompute in every kernel that uses it.
  auto splat = dyn_cast_or_null<SplatElementsAttr>(adaptor.getInput());
  auto to = dyn_cast<FloatType>(getType().getElementType());
  if (!splat || !to || !isa<FloatType>(splat.getElementType()))
    return {};
  APFloat value = splat.getSplatValue<APFloat>();
  bool lossy = false;
  value.convert(to.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lossy);
  return SplatElementsAttr::get(cast<ShapedType>(getType()), value);
}

OpFoldResult StopGradientOp::fold(FoldAdaptor) { return getInput(); }

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,
    SmallVectorImpl<Type> &results) {
  return inferContractionResult(
      MatmulOp::Adaptor(operands, attrs, props, regions), "weft.matmul", loc,
      /*batched=*/false, results);
}

LogicalResult BatchMatmulOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,
    SmallVectorImpl<Type> &results) {
  return inferContractionResult(
      BatchMatmulOp::Adaptor(operands, attrs, props, regions),
      "weft.batch_matmul", loc, /*batched=*/true, results);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

LogicalResult ReduceOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,
    SmallVectorImpl<Type> &results) {
  ReduceOp::Adaptor a(operands, attrs, props, regions);
  auto t = tensorType(a.getInput());
  ArrayRef<int64_t> dims = a.getDims();
  if (failed(checkDims(loc, "weft.reduce", "dims", dims, t.getRank())))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < t.getRank(); ++d)
    if (!llvm::is_contained(dims, d))
      shape.push_back(t.getDimSize(d));
  results.push_back(RankedTensorType::get(shape, t.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType(), out = getType();
  if (in.getNumElements() != out.getNumElements())
    return emitOpError("cannot reshape ")
           << shapeOf(in) << " (" << in.getNumElements() << " elements) to "
           << shapeOf(out) << " (" << out.getNumElements()
           << " elements); the element counts must match";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    // reshape(reshape(x)) -> reshape(x)
    setOperand(producer.getInput());
    return getResult();
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(getType());
  return {};
}

LogicalResult TransposeOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,
    SmallVectorImpl<Type> &results) {
  TransposeOp::Adaptor a(operands, attrs, props, regions);
  auto t = tensorType(a.getInput());
  ArrayRef<int64_t> perm = a.getPermutation();
  if ((int64_t)perm.size() != t.getRank())
    return emitOptionalError(loc, "'weft.transpose' op permutation has ",
                             perm.size(), " entries but the input ",
                             shapeOf(t), " has rank ", t.getRank());
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= t.getRank() || seen[p])
      return emitOptionalError(loc, "'weft.transpose' op permutation [",
                               perm, "] is not a permutation of 0..",
                               t.getRank() - 1);
    seen[p] = true;
    shape.push_back(t.getDimSize(p));
  }
  results.push_back(RankedTensorType::get(shape, t.getElementType()));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  for (auto [i, p] : llvm::enumerate(getPermutation()))
    if ((int64_t)i != p)
      return {};
  return getInput();
}

LogicalResult BroadcastOp::verify() {
  auto in = getInput().getType(), out = getType();
  ArrayRef<int64_t> dims = getDims();
  if ((int64_t)dims.size() != in.getRank())
    return emitOpError("dims has ")
           << dims.size() << " entries but the input " << shapeOf(in)
           << " has rank " << in.getRank();
  if (failed(checkDims(getLoc(), "weft.broadcast", "dims", dims, out.getRank())))
    return failure();
  for (auto [i, d] : llvm::enumerate(dims)) {
    int64_t s = in.getDimSize(i);
    if (s != 1 && s != out.getDimSize(d))
      return emitOpError("cannot broadcast ")
             << shapeOf(in) << " to " << shapeOf(out) << ": input dimension "
             << i << " (size " << s << ") maps to result dimension " << d
             << " (size " << out.getDimSize(d) << ")";
  }
  return success();
}

OpFoldResult BroadcastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto splat = dyn_cast_or_null<SplatElementsAttr>(adaptor.getInput()))
    return SplatElementsAttr::get(getType(), splat.getSplatValue<Attribute>());
  return {};
}

LogicalResult SliceOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,
    SmallVectorImpl<Type> &results) {
  SliceOp::Adaptor a(operands, attrs, props, regions);
  auto t = tensorType(a.getInput());
  ArrayRef<int64_t> start = a.getStart(), limit = a.getLimit(),
                    strides = a.getStrides();
  int64_t rank = t.getRank();
  if ((int64_t)start.size() != rank || (int64_t)limit.size() != rank ||
      (int64_t)strides.size() != rank)
    return emitOptionalError(loc, "'weft.slice' op start, limit and strides "
                                  "need one entry per dimension of ",
                             shapeOf(t));
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (start[d] < 0 || start[d] > limit[d] || limit[d] > t.getDimSize(d) ||
        strides[d] < 1)
      return emitOptionalError(loc, "'weft.slice' op dimension ", d, " of ",
                               shapeOf(t), ": need 0 <= start (", start[d],
                               ") <= limit (", limit[d], ") <= size (",
                               t.getDimSize(d), ") and stride (", strides[d],
                               ") >= 1");
    shape.push_back((limit[d] - start[d] + strides[d] - 1) / strides[d]);
  }
  results.push_back(RankedTensorType::get(shape, t.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,
    SmallVectorImpl<Type> &results) {
  ConcatOp::Adaptor a(operands, attrs, props, regions);
  if (a.getInputs().empty())
    return emitOptionalError(loc, "'weft.concat' op needs at least one input");
  auto first = tensorType(a.getInputs().front());
  int64_t dim = a.getDim(), rank = first.getRank();
  if (dim < 0 || dim >= rank)
    return emitOptionalError(loc, "'weft.concat' op dim ", dim,
                             " is out of range for rank ", rank);
  SmallVector<int64_t> shape(first.getShape());
  shape[dim] = 0;
  for (Value v : a.getInputs()) {
    auto t = tensorType(v);
    bool ok = t.getRank() == rank && t.getElementType() == first.getElementType();
    for (int64_t d = 0; ok && d < rank; ++d)
      ok = d == dim || t.getDimSize(d) == first.getDimSize(d);
    if (!ok)
      return emitOptionalError(loc, "'weft.concat' op inputs ", shapeOf(first),
                               " and ", shapeOf(t),
                               " differ outside dimension ", dim,
                               " or in element type");
    shape[dim] += t.getDimSize(dim);
  }
  results.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult GatherOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, ValueRange operands,
    DictionaryAttr attrs, OpaqueProperties props, RegionRange regions,
    SmallVectorImpl<Type> &results) {
  GatherOp::Adaptor a(operands, attrs, props, regions);
  auto table = tensorType(a.getTable());
  auto idx = tensorType(a.getIndices());
  if (table.getRank() < 1)
    return emitOptionalError(loc, "'weft.gather' op table must have rank >= 1");
  SmallVector<int64_t> shape(idx.getShape());
  llvm::append_range(shape, table.getShape().drop_front());
  results.push_back(RankedTensorType::get(shape, table.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Producers
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult IotaOp::verify() {
  int64_t rank = getType().getRank();
  if (getDim() < 0 || getDim() >= rank)
    return emitOpError("dim ") << getDim() << " is out of range for "
                               << shapeOf(getType());
  return success();
}

LogicalResult RandomUniformOp::verify() {
  auto seed = cast<RankedTensorType>(getSeed().getType());
  if (seed.getRank() != 0 || !seed.getElementType().isInteger(64))
    return emitOpError("seed must be a rank-0 i64 tensor, got ") << seed;
  if (!isa<FloatType>(getType().getElementType()))
    return emitOpError("result must be a float tensor, got ") << getType();
  return success();
}

#define GET_OP_CLASSES
#include "ir/WeftOps.cpp.inc"

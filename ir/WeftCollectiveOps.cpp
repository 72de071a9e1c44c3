//===- WeftCollectiveOps.cpp - collectives over the device mesh -----------===//
//
// This file implements the verifiers and builders of the ops in
// WeftCollectiveOps.td. Every collective checks its `axes` against the mesh
// of the enclosing module (known, not repeated; a module without a mesh is
// an error) and its shapes against the group size G; builders compute the
// result type of the shape-changing collectives from the mesh.
//
//===----------------------------------------------------------------------===//

#include "ir/WeftCollectiveOps.h"
#include "ir/AttrNames.h"
#include "ir/ShapeRules.h"
#include "ir/Sharding.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace weft;

#define GET_OP_CLASSES
#include "ir/WeftCollectiveOps.cpp.inc"

namespace {

/// The axes as an attribute: ["dp", "tp"].
ArrayAttr axesAttr(Builder &b, ArrayRef<StringAttr> axes) {
  return b.getArrayAttr(SmallVector<Attribute>(axes.begin(), axes.end()));
}

/// The mesh of the module the builder inserts into (null if none).
MeshAttr meshAt(OpBuilder &b) {
  Block *block = b.getInsertionBlock();
  return block ? getMesh(block->getParentOp()) : MeshAttr();
}

/// G on `mesh`, or 1 when the mesh is missing or does not know an axis (the
/// verifier then reports it; builders still produce an op).
int64_t groupSizeOr1(MeshAttr mesh, ArrayRef<StringAttr> axes) {
  if (!mesh || llvm::any_of(axes, [&](StringAttr a) { return !mesh.axisIndex(a.getValue()); }))
    return 1;
  return mesh.groupSize(axes);
}

/// Checks the op's axes against the module's mesh and returns G.
FailureOr<int64_t> verifyGroup(Operation *op, ArrayAttr axes) {
  MeshAttr mesh = getMesh(op);
  if (!mesh)
    return op->emitOpError("needs a ")
           << kMeshAttr << " on the enclosing module to name its axes; add one, e.g. "
           << "module attributes {" << kMeshAttr << " = #weft.mesh<dp = 2, tp = 4>}";
  SmallVector<StringAttr> seen;
  for (StringAttr axis : axes.getAsRange<StringAttr>()) {
    if (!mesh.axisIndex(axis.getValue()))
      return op->emitOpError("axis '")
             << axis.getValue() << "' is not an axis of the mesh; the mesh has axes "
             << AxesStr{mesh.getAxisNames()};
    if (llvm::is_contained(seen, axis))
      return op->emitOpError("axis '") << axis.getValue() << "' is listed twice in " << axes;
    seen.push_back(axis);
  }
  return mesh.groupSize(seen);
}

/// Checks that a dimension attribute is in range for `type`.
LogicalResult verifyDim(Operation *op, StringRef what, int64_t dim, RankedTensorType type) {
  if (dim >= 0 && dim < type.getRank())
    return success();
  return op->emitOpError() << what << " " << dim << " is out of range for the operand "
                           << shapeOf(type) << " of rank " << type.getRank();
}

/// all_reduce and reduce_scatter combine with sum, max or min.
LogicalResult verifyKind(Operation *op, ReduceKind kind) {
  if (kind != ReduceKind::Mean)
    return success();
  return op->emitOpError("kind ")
         << stringifyReduceKind(kind)
         << " is not a collective reduction; use sum (and scale by 1/G) or max or min";
}

/// `type` with dimension `dim` multiplied by `mul` and divided by `div`.
RankedTensorType resized(RankedTensorType type, int64_t dim, int64_t mul, int64_t div) {
  if (dim < 0 || dim >= type.getRank())
    return type;
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] = shape[dim] * mul / div;
  return RankedTensorType::get(shape, type.getElementType());
}

/// The result must have the type the rule gives.
LogicalResult verifyResultType(Operation *op, RankedTensorType expected, const Twine &rule) {
  auto actual = cast<RankedTensorType>(op->getResult(0).getType());
  if (actual == expected)
    return success();
  return op->emitOpError("result type ")
         << actual << " does not match " << expected << " (" << rule << ")";
}

} // namespace

//===----------------------------------------------------------------------===//
// all_reduce
//===----------------------------------------------------------------------===//

void AllReduceOp::build(OpBuilder &b, OperationState &state, ReduceKind kind, Value input,
                        ArrayRef<StringAttr> axes) {
  build(b, state, kind, input, axesAttr(b, axes));
}

LogicalResult AllReduceOp::verify() {
  if (failed(verifyKind(*this, getKind())))
    return failure();
  return verifyGroup(*this, getAxes());
}

//===----------------------------------------------------------------------===//
// all_gather
//===----------------------------------------------------------------------===//

void AllGatherOp::build(OpBuilder &b, OperationState &state, Value input,
                        ArrayRef<StringAttr> axes, int64_t dim) {
  build(b, state, meshAt(b), input, axes, dim);
}

void AllGatherOp::build(OpBuilder &b, OperationState &state, MeshAttr mesh, Value input,
                        ArrayRef<StringAttr> axes, int64_t dim) {
  int64_t g = groupSizeOr1(mesh, axes);
  build(b, state, resized(tensorType(input), dim, g, 1), input, axesAttr(b, axes),
        b.getI64IntegerAttr(dim));
}

LogicalResult AllGatherOp::verify() {
  FailureOr<int64_t> g = verifyGroup(*this, getAxes());
  auto in = tensorType(getInput());
  int64_t dim = getDim();
  if (failed(g) || failed(verifyDim(*this, "dim", dim, in)))
    return failure();
  return verifyResultType(*this, resized(in, dim, *g, 1),
                          "dimension " + Twine(dim) + " gathered from " + Twine(*g) +
                              " devices");
}

//===----------------------------------------------------------------------===//
// reduce_scatter
//===----------------------------------------------------------------------===//

void ReduceScatterOp::build(OpBuilder &b, OperationState &state, ReduceKind kind,
                            Value input, ArrayRef<StringAttr> axes, int64_t dim) {
  build(b, state, meshAt(b), kind, input, axes, dim);
}

void ReduceScatterOp::build(OpBuilder &b, OperationState &state, MeshAttr mesh,
                            ReduceKind kind, Value input, ArrayRef<StringAttr> axes,
                            int64_t dim) {
  int64_t g = groupSizeOr1(mesh, axes);
  build(b, state, resized(tensorType(input), dim, 1, g), ReduceKindAttr::get(b.getContext(), kind),
        input, axesAttr(b, axes), b.getI64IntegerAttr(dim));
}

LogicalResult ReduceScatterOp::verify() {
  if (failed(verifyKind(*this, getKind())))
    return failure();
  FailureOr<int64_t> g = verifyGroup(*this, getAxes());
  auto in = tensorType(getInput());
  int64_t dim = getDim();
  if (failed(g) || failed(verifyDim(*this, "dim", dim, in)))
    return failure();
  if (in.getDimSize(dim) % *g != 0)
    return emitOpError("dimension ")
           << dim << " of the operand " << shapeOf(in) << " has size " << in.getDimSize(dim)
           << ", which does not divide into " << *g << " blocks over " << getAxes();
  return verifyResultType(*this, resized(in, dim, 1, *g),
                          "dimension " + Twine(dim) + " scattered over " + Twine(*g) +
                              " devices");
}

//===----------------------------------------------------------------------===//
// all_to_all
//===----------------------------------------------------------------------===//

void AllToAllOp::build(OpBuilder &b, OperationState &state, Value input,
                       ArrayRef<StringAttr> axes, int64_t splitDim, int64_t concatDim) {
  build(b, state, meshAt(b), input, axes, splitDim, concatDim);
}

void AllToAllOp::build(OpBuilder &b, OperationState &state, MeshAttr mesh, Value input,
                       ArrayRef<StringAttr> axes, int64_t splitDim, int64_t concatDim) {
  int64_t g = groupSizeOr1(mesh, axes);
  RankedTensorType type = resized(resized(tensorType(input), splitDim, 1, g), concatDim, g, 1);
  build(b, state, type, input, axesAttr(b, axes), b.getI64IntegerAttr(splitDim),
        b.getI64IntegerAttr(concatDim));
}

LogicalResult AllToAllOp::verify() {
  FailureOr<int64_t> g = verifyGroup(*this, getAxes());
  auto in = tensorType(getInput());
  int64_t split = getSplitDim(), concat = getConcatDim();
  if (failed(g) || failed(verifyDim(*this, "split_dim", split, in)) ||
      failed(verifyDim(*this, "concat_dim", concat, in)))
    return failure();
  if (in.getDimSize(split) % *g != 0)
    return emitOpError("split_dim ")
           << split << " of the operand " << shapeOf(in) << " has size " << in.getDimSize(split)
           << ", which does not divide into " << *g << " blocks over " << getAxes();
  return verifyResultType(*this, resized(resized(in, split, 1, *g), concat, *g, 1),
                          "dimension " + Twine(split) + " split and dimension " +
                              Twine(concat) + " concatenated over " + Twine(*g) + " devices");
}

//===----------------------------------------------------------------------===//
// collective_permute
//===----------------------------------------------------------------------===//

void CollectivePermuteOp::build(OpBuilder &b, OperationState &state, Value input,
                                ArrayRef<StringAttr> axes,
                                ArrayRef<std::pair<int64_t, int64_t>> pairs) {
  SmallVector<Attribute> list;
  for (auto [source, target] : pairs)
    list.push_back(b.getArrayAttr({b.getI64IntegerAttr(source), b.getI64IntegerAttr(target)}));
  build(b, state, input, axesAttr(b, axes), b.getArrayAttr(list));
}

SmallVector<std::pair<int64_t, int64_t>> CollectivePermuteOp::getSourceTargetPairs() {
  SmallVector<std::pair<int64_t, int64_t>> pairs;
  for (auto pair : getPairs().getAsRange<ArrayAttr>())
    pairs.emplace_back(cast<IntegerAttr>(pair[0]).getInt(), cast<IntegerAttr>(pair[1]).getInt());
  return pairs;
}

LogicalResult CollectivePermuteOp::verify() {
  FailureOr<int64_t> g = verifyGroup(*this, getAxes());
  if (failed(g))
    return failure();
  SmallVector<bool> isSource(*g, false), isTarget(*g, false);
  for (Attribute entry : getPairs()) {
    auto pair = dyn_cast<ArrayAttr>(entry);
    auto isIndex = [](Attribute a) {
      auto i = dyn_cast<IntegerAttr>(a);
      return i && i.getType().isSignlessInteger(64);
    };
    if (!pair || pair.size() != 2 || !isIndex(pair[0]) || !isIndex(pair[1]))
      return emitOpError("pair ") << entry << " is not [source, target] (two i64 indices)";
    int64_t source = cast<IntegerAttr>(pair[0]).getInt();
    int64_t target = cast<IntegerAttr>(pair[1]).getInt();
    for (int64_t index : {source, target})
      if (index < 0 || index >= *g)
        return emitOpError("pair ") << entry << " names index " << index
                                    << ", outside the group of " << *g << " devices over "
                                    << getAxes();
    if (isSource[source])
      return emitOpError("index ") << source << " is the source of two pairs; each device sends once";
    if (isTarget[target])
      return emitOpError("index ") << target
                                   << " is the target of two pairs; each device receives once";
    isSource[source] = isTarget[target] = true;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// axis_index
//===----------------------------------------------------------------------===//

void AxisIndexOp::build(OpBuilder &b, OperationState &state, ArrayRef<StringAttr> axes) {
  build(b, state, axesAttr(b, axes));
}

LogicalResult AxisIndexOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location>,
                                            ValueRange, DictionaryAttr, OpaqueProperties,
                                            RegionRange, SmallVectorImpl<Type> &results) {
  results.push_back(RankedTensorType::get({}, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult AxisIndexOp::verify() { return verifyGroup(*this, getAxes()); }

//===----------------------------------------------------------------------===//
// sharding_constraint
//===----------------------------------------------------------------------===//

LogicalResult ShardingConstraintOp::verify() {
  MeshAttr mesh = getMesh(*this);
  if (!mesh)
    return emitOpError("needs a ")
           << kMeshAttr << " on the enclosing module for its sharding; add one, e.g. "
           << "module attributes {" << kMeshAttr << " = #weft.mesh<dp = 2, tp = 4>}";
  return verifySharding(getSharding(), mesh, tensorType(getInput()),
                        [&] { return emitOpError(); });
}

//===- CollectiveSteps.cpp - the mesh and collectives in the Executable ---===//
//
// This file implements CollectiveSteps.h. The runtime's collectives work on
// contiguous blocks of the flat buffers (runtime/executable.proto,
// Collective): all_gather, reduce_scatter and all_to_all concatenate or
// split along the leading dimension, which weft-spmd-partition arranges (it
// transposes the dimension to the front when a larger one precedes it).
//
//===----------------------------------------------------------------------===//

#include "codegen/common/CollectiveSteps.h"

#include "codegen/common/Partition.h"
#include "ir/AttrNames.h"
#include "ir/Sharding.h"
#include "ir/WeftCollectiveOps.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace weft::codegen {

namespace {

/// Indices into the mesh of `axes`; fails at `loc` for an unknown one.
LogicalResult axisIndices(MeshAttr mesh, ArrayRef<StringAttr> axes, Location loc,
                          SmallVectorImpl<uint32_t> &out) {
  for (StringAttr a : axes) {
    std::optional<unsigned> i = mesh ? mesh.axisIndex(a.getValue()) : std::nullopt;
    if (!i)
      return emitError(loc) << "mesh axis '" << a.getValue() << "' is not an axis of the module's mesh";
    out.push_back(*i);
  }
  return success();
}

/// True when every dimension before `dim` of `type` has size 1 (the blocks
/// along `dim` are contiguous in the flat buffer).
bool leading(RankedTensorType type, int64_t dim) {
  for (int64_t d = 0; d < dim; ++d)
    if (type.getDimSize(d) != 1)
      return false;
  return true;
}

proto::ReduceOp reduction(ReduceKind kind) {
  switch (kind) {
  case ReduceKind::Sum:
    return proto::REDUCE_SUM;
  case ReduceKind::Max:
    return proto::REDUCE_MAX;
  case ReduceKind::Min:
    return proto::REDUCE_MIN;
  default:
    return proto::REDUCE_OP_INVALID;
  }
}

} // namespace

void recordMesh(ModuleOp module, proto::Executable &exe) {
  auto mesh = module->getAttrOfType<MeshAttr>(kMeshAttr);
  if (!mesh)
    return;
  for (auto [name, size] : llvm::zip(mesh.getAxisNames(), mesh.getAxisSizes())) {
    proto::MeshAxis *axis = exe.mutable_mesh()->add_axes();
    axis->set_name(name.str());
    axis->set_size(size);
  }
}

LogicalResult recordSharding(DictionaryAttr attrs, ModuleOp module, Location loc, proto::Buffer &buffer) {
  auto sharding = attrs ? attrs.getAs<ShardingAttr>(kShardingAttr) : ShardingAttr();
  auto global = attrs ? attrs.getAs<DenseI64ArrayAttr>(kGlobalShapeAttr) : DenseI64ArrayAttr();
  if (!sharding || !global)
    return success();
  auto mesh = module->getAttrOfType<MeshAttr>(kMeshAttr);
  proto::BufferSharding *out = buffer.mutable_sharding();
  for (int64_t d : global.asArrayRef())
    out->add_global_shape(d);
  for (DimShardingAttr dim : sharding.getDims()) {
    proto::DimSplit *split = out->add_dims();
    SmallVector<uint32_t> axes;
    if (failed(axisIndices(mesh, dim.getAxes(), loc, axes)))
      return failure();
    for (uint32_t a : axes)
      split->add_axes(a);
    split->set_blocks(dim.getBlocks());
  }
  return success();
}

bool isCollective(Operation *op) {
  return isa<AllReduceOp, AllGatherOp, ReduceScatterOp, AllToAllOp, CollectivePermuteOp>(op);
}

LogicalResult addCollectiveStep(Operation *op, ModuleOp module, uint32_t input, uint32_t output,
                                const std::string &label, proto::Executable &exe) {
  auto mesh = module->getAttrOfType<MeshAttr>(kMeshAttr);
  auto in = cast<RankedTensorType>(op->getOperand(0).getType());
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  proto::Step *step = exe.add_steps();
  step->set_label(label);
  proto::Collective *c = step->mutable_collective();
  c->set_input(input);
  c->set_output(output);
  std::optional<proto::DType> dtype = bufferDType(in.getElementType());
  if (!dtype)
    return op->emitOpError("has an element type the runtime's collectives do not take: ")
           << in.getElementType();
  c->set_dtype(*dtype);
  SmallVector<StringAttr> axes = llvm::to_vector(
      cast<ArrayAttr>(op->getAttr("axes")).getAsRange<StringAttr>());
  SmallVector<uint32_t> indices;
  if (failed(axisIndices(mesh, axes, op->getLoc(), indices)))
    return failure();
  for (uint32_t a : indices)
    c->add_axes(a);
  auto notLeading = [&](int64_t dim) {
    return op->emitOpError("splits or joins dimension ")
           << dim << " after a dimension larger than 1; the runtime's collectives take contiguous "
                     "blocks (weft-spmd-partition moves the dimension to the front)";
  };
  if (auto r = dyn_cast<AllReduceOp>(op)) {
    c->set_kind(proto::ALL_REDUCE);
    c->set_reduction(reduction(r.getKind()));
    c->set_count(uint64_t(in.getNumElements()));
  } else if (auto g = dyn_cast<AllGatherOp>(op)) {
    if (!leading(in, g.getDim()))
      return notLeading(g.getDim());
    c->set_kind(proto::ALL_GATHER);
    c->set_count(uint64_t(in.getNumElements()));
  } else if (auto rs = dyn_cast<ReduceScatterOp>(op)) {
    if (!leading(in, rs.getDim()))
      return notLeading(rs.getDim());
    c->set_kind(proto::REDUCE_SCATTER);
    c->set_reduction(reduction(rs.getKind()));
    c->set_count(uint64_t(out.getNumElements()));
  } else if (auto a = dyn_cast<AllToAllOp>(op)) {
    if (a.getSplitDim() != a.getConcatDim() || !leading(in, a.getSplitDim()))
      return op->emitOpError("exchanges blocks between different dimensions; the runtime's "
                             "all_to_all takes split_dim == concat_dim after dimensions of size 1");
    c->set_kind(proto::ALL_TO_ALL);
    c->set_count(uint64_t(out.getNumElements() / a.getGroupSize(mesh)));
  } else if (auto p = dyn_cast<CollectivePermuteOp>(op)) {
    c->set_kind(proto::PERMUTE);
    c->set_count(uint64_t(in.getNumElements()));
    for (auto [source, target] : p.getSourceTargetPairs()) {
      proto::SourceTarget *pair = c->add_pairs();
      pair->set_source(uint32_t(source));
      pair->set_target(uint32_t(target));
    }
  }
  return success();
}

LogicalResult meshAxesOf(Operation *axisIndex, ModuleOp module, proto::Buffer &buffer) {
  auto mesh = module->getAttrOfType<MeshAttr>(kMeshAttr);
  SmallVector<uint32_t> indices;
  auto op = cast<AxisIndexOp>(axisIndex);
  if (failed(axisIndices(mesh, op.getAxisNames(), op.getLoc(), indices)))
    return failure();
  for (uint32_t a : indices)
    buffer.add_mesh_axes(a);
  return success();
}

} // namespace weft::codegen

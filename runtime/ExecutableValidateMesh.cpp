//===- ExecutableValidateMesh.cpp - checks of the mesh and collectives ----===//
//
// This file implements rule 9 of Executable::validate (see
// runtime/ExecutableValidate.cpp) for format 4: the device mesh, MESH_INDEX
// buffers and collective steps, plus checkWritable, which every step that
// writes a buffer shares. Errors name the source, the buffer or step, and the
// numbers that disagree.
//
//===----------------------------------------------------------------------===//

#include "runtime/HostTensor.h"
#include "runtime/ShardLayout.h"
#include "runtime/comm/ShardedBuffer.h"
#include "runtime/ValidateSupport.h"
#include "runtime/comm/CollectiveStep.h"
#include "runtime/comm/CollectiveSupport.h"
#include "runtime/comm/MeshShape.h"

#include <vector>

namespace weft::rt::validate {

namespace {

/// Checks that `axes` are distinct indices into `mesh`; `what` names the list.
Status checkAxes(const google::protobuf::RepeatedField<uint32_t> &axes, const MeshShape &mesh,
                 const std::string &what, const Reporter &r) {
  std::vector<bool> seen(mesh.axes().size(), false);
  for (uint32_t a : axes) {
    if (a >= mesh.axes().size())
      return r.fail(what + " names mesh axis " + std::to_string(a) + ", but the mesh (" +
                    mesh.toString() + ") has " + std::to_string(mesh.axes().size()) + " axes");
    if (seen[a])
      return r.fail(what + " names mesh axis " + std::to_string(a) + " '" + mesh.axes()[a].name +
                    "' twice");
    seen[a] = true;
  }
  return Status::ok();
}

/// The number of elements of the (input, output) of collective `c` in a group of n.
std::pair<unsigned __int128, unsigned __int128> expectedElements(const proto::Collective &c,
                                                                  int64_t n) {
  const unsigned __int128 count = c.count(), all = count * static_cast<uint64_t>(n);
  switch (c.kind()) {
  case proto::ALL_GATHER:
    return {count, all};
  case proto::REDUCE_SCATTER:
    return {all, count};
  case proto::ALL_TO_ALL:
    return {all, all};
  default: // ALL_REDUCE, PERMUTE
    return {count, count};
  }
}

std::string u128(unsigned __int128 v) {
  if (v > UINT64_MAX)
    return "more than 2^64";
  return std::to_string(static_cast<uint64_t>(v));
}

} // namespace

Status checkWritable(const proto::Executable &exe, uint32_t id, const std::string &what,
                     const Reporter &r) {
  const proto::Buffer &b = exe.buffers(static_cast<int>(id));
  const proto::Buffer &root = b.has_alias_of() ? exe.buffers(static_cast<int>(b.alias_of())) : b;
  if (ownsStorage(root) && !b.has_updates())
    return r.fail(what + " is " + bufferRef(exe, id) + ", the storage of " +
                  proto::BufferKind_Name(root.kind()) + " '" + root.name() +
                  "'; only an update output (`updates`) may write a parameter or state");
  if (root.kind() == proto::CONSTANT || root.kind() == proto::MESH_INDEX)
    return r.fail(what + " is " + bufferRef(exe, id) + ", a " +
                  proto::BufferKind_Name(root.kind()) +
                  " written once at load; no step may write it");
  return Status::ok();
}

/// A buffer split over the mesh: a parameter, state, input or output whose
/// shape is the piece of its global shape that the split gives every rank.
static Status checkSharding(const proto::Buffer &b, const std::string &ref, const MeshShape &mesh,
                     const Reporter &r) {
  const proto::BufferSharding &s = b.sharding();
  if (b.kind() != proto::PARAMETER && b.kind() != proto::STATE && b.kind() != proto::INPUT &&
      b.kind() != proto::OUTPUT)
    return r.fail(ref + " is a " + proto::BufferKind_Name(b.kind()) +
                  " with a sharding; only parameters, state, inputs and outputs are split");
  if (s.global_shape_size() != b.shape_size() || s.dims_size() != b.shape_size())
    return r.fail(ref + " has a sharding of " + std::to_string(s.global_shape_size()) +
                  " global dimensions and " + std::to_string(s.dims_size()) +
                  " splits for a buffer of rank " + std::to_string(b.shape_size()));
  for (int d = 0; d < s.dims_size(); ++d) {
    const proto::DimSplit &split = s.dims(d);
    WEFT_RETURN_IF_ERROR(checkAxes(split.axes(), mesh, ref + ": dimension " + std::to_string(d), r));
    if (s.global_shape(d) < 0 || split.blocks() < 1 || s.global_shape(d) % split.blocks() != 0)
      return r.fail(ref + ": dimension " + std::to_string(d) + " of global size " +
                    std::to_string(s.global_shape(d)) + " cannot be split in " +
                    std::to_string(split.blocks()) + " blocks");
  }
  // Every rank's piece has the same shape: rank 0's.
  std::vector<int64_t> global = globalShapeOf(s);
  std::vector<int64_t> local = localShape(global, piecesOf(s, mesh, 0));
  if (local != std::vector<int64_t>(b.shape().begin(), b.shape().end()))
    return r.fail(ref + " has shape " + shapeString({b.shape().begin(), b.shape().end()}) +
                  " but its piece of the global shape " + shapeString(global) + " is " +
                  shapeString(local));
  return Status::ok();
}

Status checkMesh(const proto::Executable &exe, const Reporter &r) {
  StatusOr<MeshShape> mesh = MeshShape::fromProto(exe.mesh());
  if (!mesh.isOk())
    return r.fail(mesh.status().message());
  for (int i = 0; i < exe.buffers_size(); ++i) {
    const proto::Buffer &b = exe.buffers(i);
    std::string ref = bufferRef(exe, static_cast<uint64_t>(i));
    if (b.has_sharding())
      WEFT_RETURN_IF_ERROR(checkSharding(b, ref, *mesh, r));
    if (b.kind() != proto::MESH_INDEX) {
      if (b.mesh_axes_size() > 0)
        return r.fail(ref + " is a " + proto::BufferKind_Name(b.kind()) +
                      " with mesh_axes; only a MESH_INDEX buffer has them");
      continue;
    }
    if (b.dtype() != proto::I64 || b.shape_size() != 0)
      return r.fail(ref + " is a MESH_INDEX of " + dtypeName(b.dtype()) +
                    shapeString({b.shape().begin(), b.shape().end()}) +
                    "; a mesh index is an i64 scalar (shape [])");
    if (b.has_alias_of())
      return r.fail(ref + " is a MESH_INDEX with alias_of; it has storage of its own");
    WEFT_RETURN_IF_ERROR(checkAxes(b.mesh_axes(), *mesh, ref + ": mesh_axes", r));
  }
  return Status::ok();
}

Status checkCollective(const proto::Executable &exe, int s, const Reporter &r) {
  const proto::Collective &c = exe.steps(s).collective();
  StatusOr<MeshShape> mesh = MeshShape::fromProto(exe.mesh()); // checked by checkMesh
  if (!mesh.isOk())
    return r.fail(mesh.status().message());
  const std::string kind = collectiveKindName(c.kind());
  const std::string ref = stepRef(exe, s) + ": " + kind;
  if (!proto::CollectiveKind_IsValid(c.kind()) || c.kind() == proto::COLLECTIVE_KIND_INVALID)
    return r.fail(stepRef(exe, s) + " is a collective of no valid kind (" +
                  std::to_string(int(c.kind())) + ")");
  if (c.axes_size() == 0)
    return r.fail(ref + " names no mesh axes; a collective runs over at least one axis");
  WEFT_RETURN_IF_ERROR(checkAxes(c.axes(), *mesh, ref + ": axes", r));
  const size_t elemSize = dtypeSize(c.dtype());
  if (elemSize == 0)
    return r.fail(ref + " has no valid dtype (" + std::to_string(int(c.dtype())) + ")");
  const bool reduces = c.kind() == proto::ALL_REDUCE || c.kind() == proto::REDUCE_SCATTER;
  if (reduces && (!proto::ReduceOp_IsValid(c.reduction()) ||
                  c.reduction() == proto::REDUCE_OP_INVALID))
    return r.fail(ref + " has no valid reduction (" + std::to_string(int(c.reduction())) +
                  "; expected REDUCE_SUM, REDUCE_MAX or REDUCE_MIN)");
  for (uint32_t id : {c.input(), c.output()})
    if (id >= static_cast<uint32_t>(exe.buffers_size()))
      return r.fail(ref + " names buffer " + std::to_string(id) + ", out of range (" +
                    std::to_string(exe.buffers_size()) + " buffers)");
  if (c.input() == c.output() && c.kind() != proto::ALL_REDUCE)
    return r.fail(ref + " has the same buffer " + std::to_string(c.input()) +
                  " as input and output; only all_reduce runs in place");
  const std::vector<int> axes(c.axes().begin(), c.axes().end());
  const int64_t n = mesh->groupSize(axes);
  const auto [inElements, outElements] = expectedElements(c, n);
  struct Operand {
    const char *name;
    uint32_t id;
    unsigned __int128 elements;
  } operands[] = {{"input", c.input(), inElements}, {"output", c.output(), outElements}};
  for (const Operand &op : operands) {
    const proto::Buffer &b = exe.buffers(static_cast<int>(op.id));
    if (b.dtype() != c.dtype())
      return r.fail(ref + ": " + op.name + " " + bufferRef(exe, op.id) + " is " +
                    dtypeName(b.dtype()) + "; the collective moves " + dtypeName(c.dtype()));
    if (op.elements * elemSize != b.byte_size())
      return r.fail(ref + ": " + op.name + " " + bufferRef(exe, op.id) + " has " +
                    std::to_string(b.byte_size()) + " bytes, but count " +
                    std::to_string(c.count()) + " in a group of " + std::to_string(n) +
                    " needs " + u128(op.elements) + " " + dtypeName(c.dtype()) + " elements (" +
                    u128(op.elements * elemSize) + " bytes)");
  }
  WEFT_RETURN_IF_ERROR(checkWritable(exe, c.output(), ref + " output", r));
  if (c.kind() != proto::PERMUTE) {
    if (c.pairs_size() > 0)
      return r.fail(ref + " has source-target pairs; only a permute has them");
    return Status::ok();
  }
  StatusOr<PermuteRole> role = permuteRole(permutePairs(c), static_cast<int>(n), 0, ref);
  if (!role.isOk())
    return r.fail(role.status().message());
  return Status::ok();
}

} // namespace weft::rt::validate

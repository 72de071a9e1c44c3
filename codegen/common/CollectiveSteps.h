//===- CollectiveSteps.h - the mesh and collectives in the Executable -*- C++ -*-===//
//
// This file declares how the code generators carry a partitioned program's
// distribution into the Executable (format 4): the module's mesh, how each
// argument and result is split (Buffer.sharding, from weft.sharding and
// weft.global_shape), the collective ops as Collective steps and
// weft.axis_index as a MESH_INDEX buffer the runtime writes at load.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_COMMON_COLLECTIVESTEPS_H
#define WEFT_CODEGEN_COMMON_COLLECTIVESTEPS_H

#include "runtime/executable.pb.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Operation.h"

namespace weft::codegen {

/// Copies the module's weft.mesh (if any) into exe.mesh.
void recordMesh(mlir::ModuleOp module, proto::Executable &exe);

/// Sets `buffer.sharding` from a function argument's or result's attributes
/// (`attrs`: weft.sharding and weft.global_shape) when it has them; fails at
/// `loc` when they name axes the mesh lacks.
mlir::LogicalResult recordSharding(mlir::DictionaryAttr attrs, mlir::ModuleOp module,
                                   mlir::Location loc, proto::Buffer &buffer);

/// True for the ops that become Collective steps (all_reduce, all_gather,
/// reduce_scatter, all_to_all, collective_permute).
bool isCollective(mlir::Operation *op);

/// Appends the Collective step of `op` reading buffer `input` and writing
/// buffer `output`; fails (at the op) for a collective whose blocks are not
/// contiguous (a split or gathered dimension after one larger than 1).
mlir::LogicalResult addCollectiveStep(mlir::Operation *op, mlir::ModuleOp module, uint32_t input,
                                      uint32_t output, const std::string &label,
                                      proto::Executable &exe);

/// The mesh-axis indices of weft.axis_index's axes, for Buffer.mesh_axes.
mlir::LogicalResult meshAxesOf(mlir::Operation *axisIndex, mlir::ModuleOp module,
                               proto::Buffer &buffer);

} // namespace weft::codegen

#endif // WEFT_CODEGEN_COMMON_COLLECTIVESTEPS_H

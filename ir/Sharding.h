//===- Sharding.h - mesh and sharding helpers -------------------*- C++ -*-===//
//
// This file declares the helpers over #weft.mesh and #weft.sharding
// (ir/WeftShardingAttrs.td) that the verifiers, the sharding passes and the
// SPMD evaluator share: checking a sharding against a mesh and a tensor type,
// the number of pieces of a dimension, local (per-device) sizes with padding,
// and finding the mesh of the module around an op.
//
// Ranks are numbered row-major over the mesh axes (the last axis fastest).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_SHARDING_H
#define WEFT_IR_SHARDING_H

#include "ir/WeftDialect.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir {
class Operation;
} // namespace mlir

namespace weft {

/// Checks `s` against `mesh` and the global tensor type `type`: the ranks
/// match, every axis (of every dimension and of `partial`) is an axis of the
/// mesh, no dimension is split more ways than it has elements, and a
/// dimension with blocks > 1 divides into blocks * pieces. Errors name the
/// dimension, its size and the axes, e.g. "dimension 1 of size 3 cannot be
/// split 4 ways over {tp}". The structural rules (each axis used once,
/// blocks >= 1) are ShardingAttr::verify's.
mlir::LogicalResult
verifySharding(ShardingAttr s, MeshAttr mesh, mlir::RankedTensorType type,
               llvm::function_ref<mlir::InFlightDiagnostic()> emitError);

/// The number of pieces a dimension is split into: the product of its axes'
/// sizes on `mesh` (1 if not split). Every axis must be known to the mesh.
int64_t shardCount(DimShardingAttr dim, MeshAttr mesh);

/// The size of a dimension of global size `globalSize` on one device:
/// ceil(N / (blocks * k)) * blocks for k = shardCount (padded when k does not
/// divide N; e.g. 50257 over 8 gives 6283).
int64_t localDimSize(int64_t globalSize, DimShardingAttr dim, MeshAttr mesh);

/// True if the pieces of this dimension are padded (k does not divide N).
bool isPadded(int64_t globalSize, DimShardingAttr dim, MeshAttr mesh);

/// The per-device type of a tensor of type `global` laid out as `s`
/// (same element type, localDimSize for every dimension; `partial` does not
/// change the type). The sharding must have the type's rank.
mlir::RankedTensorType localType(mlir::RankedTensorType global, ShardingAttr s,
                                 MeshAttr mesh);

/// The `weft.mesh` attribute of the nearest builtin.module enclosing `op` (or
/// of `op` itself if it is a module); null if that module has none or there
/// is no module.
MeshAttr getMesh(mlir::Operation *op);

/// Streams a list of axis names as "{dp, tp}" (for diagnostics).
struct AxesStr {
  llvm::ArrayRef<mlir::StringAttr> axes;
};
template <typename OS>
OS &operator<<(OS &os, AxesStr a) {
  os << "{";
  llvm::interleaveComma(a.axes, os, [&](mlir::StringAttr s) { os << s.getValue(); });
  os << "}";
  return os;
}

} // namespace weft

#endif // WEFT_IR_SHARDING_H

//===- Sharding.cpp - mesh and sharding helpers ---------------------------===//
//
// This file implements the helpers of ir/Sharding.h: checking a sharding
// against a mesh and a tensor type, per-device (local) sizes and types, and
// finding the mesh of the module around an op. The attributes themselves are
// implemented in ir/WeftShardingAttrs.cpp.
//
//===----------------------------------------------------------------------===//

#include "ir/Sharding.h"
#include "ir/AttrNames.h"

#include "mlir/IR/BuiltinOps.h"

using namespace mlir;

namespace weft {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

LogicalResult verifySharding(ShardingAttr s, MeshAttr mesh, RankedTensorType type,
                             function_ref<InFlightDiagnostic()> emitError) {
  if (s.getRank() != type.getRank())
    return emitError() << "sharding " << s << " has " << s.getRank()
                       << " dimensions but the tensor " << type << " has rank "
                       << type.getRank();
  auto checkKnown = [&](StringAttr axis, const Twine &where) -> LogicalResult {
    if (mesh.axisIndex(axis.getValue()))
      return success();
    return emitError() << where << " uses the unknown mesh axis '" << axis.getValue()
                       << "'; the mesh has axes " << AxesStr{mesh.getAxisNames()};
  };
  for (auto [d, dim] : llvm::enumerate(s.getDims())) {
    for (StringAttr a : dim.getAxes())
      if (failed(checkKnown(a, "dimension " + Twine(d))))
        return failure();
    int64_t n = type.getDimSize(d);
    int64_t k = shardCount(dim, mesh);
    int64_t blocks = dim.getBlocks();
    if (blocks > 1 && n % (blocks * k) != 0)
      return emitError() << "dimension " << d << " of size " << n << " in " << blocks
                         << " blocks cannot be split " << k << " ways over "
                         << AxesStr{dim.getAxes()} << ": " << blocks << " x " << k
                         << " must divide " << n;
    if (k > n)
      return emitError() << "dimension " << d << " of size " << n
                         << " cannot be split " << k << " ways over "
                         << AxesStr{dim.getAxes()};
  }
  for (StringAttr a : s.getPartial())
    if (failed(checkKnown(a, "partial")))
      return failure();
  return success();
}

int64_t shardCount(DimShardingAttr dim, MeshAttr mesh) {
  return mesh.groupSize(dim.getAxes());
}

int64_t localDimSize(int64_t globalSize, DimShardingAttr dim, MeshAttr mesh) {
  int64_t parts = shardCount(dim, mesh) * dim.getBlocks();
  return (globalSize + parts - 1) / parts * dim.getBlocks();
}

bool isPadded(int64_t globalSize, DimShardingAttr dim, MeshAttr mesh) {
  return globalSize % (shardCount(dim, mesh) * dim.getBlocks()) != 0;
}

RankedTensorType localType(RankedTensorType global, ShardingAttr s, MeshAttr mesh) {
  assert(s.getRank() == global.getRank() && "localType: rank mismatch");
  SmallVector<int64_t> shape;
  for (auto [n, dim] : llvm::zip(global.getShape(), s.getDims()))
    shape.push_back(localDimSize(n, dim, mesh));
  return RankedTensorType::get(shape, global.getElementType());
}

MeshAttr getMesh(Operation *op) {
  if (!op)
    return {};
  auto module = dyn_cast<ModuleOp>(op);
  if (!module)
    module = op->getParentOfType<ModuleOp>();
  if (!module)
    return {};
  return module->getAttrOfType<MeshAttr>(kMeshAttr);
}

} // namespace weft

//===- ShardingState.cpp - the shardings the parallel passes read and write ===//
//
// This file implements the accessors of ShardingState.h.
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/ShardingState.h"

#include "ir/AttrNames.h"
#include "passes/PassUtils.h"

#include "mlir/IR/BuiltinOps.h"

using namespace mlir;

namespace weft::sharding {

ShardingAttr recordedSharding(Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    return func ? func.getArgAttrOfType<ShardingAttr>(arg.getArgNumber(), kShardingAttr)
                : ShardingAttr();
  }
  Operation *op = v.getDefiningOp();
  auto all = op->getAttrOfType<ArrayAttr>(kShardingsAttr);
  unsigned i = cast<OpResult>(v).getResultNumber();
  if (!all || i >= all.size())
    return {};
  return dyn_cast<ShardingAttr>(all[i]);
}

ShardingAttr resultSharding(func::FuncOp func, unsigned i) {
  return func.getResultAttrOfType<ShardingAttr>(i, kShardingAttr);
}

BlockArgument argumentNamed(func::FuncOp func, StringRef name) {
  for (BlockArgument arg : func.getArguments())
    for (StringRef tag : {kParamAttr, kStateAttr})
      if (auto s = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), tag); s && s.getValue() == name)
        return arg;
  return {};
}

MeshAttr meshOrError(ModuleOp module, StringRef pass) {
  auto mesh = module->getAttrOfType<MeshAttr>(kMeshAttr);
  if (!mesh)
    module.emitError() << pass << ": the module has no " << kMeshAttr
                       << " attribute; give it the device mesh, e.g. " << kMeshAttr
                       << " = #weft.mesh<dp = 2, tp = 2>";
  return mesh;
}

LogicalResult onFunctionWithMesh(ModuleOp module, StringRef pass, StringRef function,
                                 function_ref<LogicalResult(func::FuncOp, MeshAttr)> body) {
  func::FuncOp func = lookupFunctionOrError(module, pass, function, "name the function with function=NAME");
  MeshAttr mesh = func ? meshOrError(module, pass) : MeshAttr();
  return success(func && mesh && succeeded(body(func, mesh)));
}

} // namespace weft::sharding

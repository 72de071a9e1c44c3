//===- ShardingState.h - the shardings the parallel passes read and write -*- C++ -*-===//
//
// This file declares where weft-propagate-sharding records its result and
// where weft-spmd-partition and the printers read it: `weft.sharding` on
// function arguments and results, `weft.shardings` (one per result) on ops,
// and the mesh of the module (`weft.mesh`), with errors at the place that
// lacks them.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PARALLEL_SHARDINGSTATE_H
#define WEFT_PASSES_PARALLEL_SHARDINGSTATE_H

#include "ir/Sharding.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace weft::sharding {

/// The recorded sharding of `v` (a block argument of `func` or an op
/// result); null when none is recorded.
ShardingAttr recordedSharding(mlir::Value v);

/// The sharding recorded on result `i` of `func`; null when none.
ShardingAttr resultSharding(mlir::func::FuncOp func, unsigned i);

/// The argument of `func` tagged weft.param or weft.state = `name`; null when none.
mlir::BlockArgument argumentNamed(mlir::func::FuncOp func, llvm::StringRef name);

/// The module's mesh; emits "<pass>: the module has no weft.mesh ..." at the
/// module and returns null when it has none.
MeshAttr meshOrError(mlir::ModuleOp module, llvm::StringRef pass);

/// What both parallel passes do first: finds @`function` (with the pass's
/// error when missing) and the module's mesh, then runs `body` on them.
mlir::LogicalResult onFunctionWithMesh(mlir::ModuleOp module, llvm::StringRef pass,
                                       llvm::StringRef function,
                                       llvm::function_ref<mlir::LogicalResult(mlir::func::FuncOp, MeshAttr)> body);

} // namespace weft::sharding

#endif // WEFT_PASSES_PARALLEL_SHARDINGSTATE_H

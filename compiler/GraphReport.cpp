//===- GraphReport.cpp - what the graph phase did, in numbers -------------===//
//
// This file implements runGraphPhase and computeGraphStats (GraphReport.h).
//
//===----------------------------------------------------------------------===//

#include "compiler/GraphReport.h"

#include "ir/WeftOps.h"
#include "passes/analysis/CostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace weft {

GraphStats computeGraphStats(mlir::ModuleOp module) {
  GraphStats stats;
  module.walk([&](mlir::func::FuncOp fn) {
    for (mlir::Operation &op : fn.getBody().getOps()) {
      if (!op.getDialect() || op.getDialect()->getNamespace() != "weft" ||
          mlir::isa<ReshapeOp, ConstantOp>(op))
        continue;
      OpCost c = estimateCost(&op);
      stats.flops += c.flops;
      stats.bytes += c.bytes;
      bool gemm = mlir::isa<MatmulOp, BatchMatmulOp, FusedMatmulOp,
                            FusedBatchMatmulOp>(op);
      stats.gemms += gemm;
      stats.kernels += 1;
    }
  });
  return stats;
}

} // namespace weft

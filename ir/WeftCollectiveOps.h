//===- WeftCollectiveOps.h - collectives over the device mesh ---*- C++ -*-===//
//
// This file declares the weft collective ops (all_reduce, all_gather,
// reduce_scatter, all_to_all, collective_permute, axis_index) and
// sharding_constraint, generated from WeftCollectiveOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_WEFTCOLLECTIVEOPS_H
#define WEFT_IR_WEFTCOLLECTIVEOPS_H

#include "ir/WeftOps.h"

#define GET_OP_CLASSES
#include "ir/WeftCollectiveOps.h.inc"

namespace weft {

/// True for the ops that exchange data between devices or depend on the
/// device (all_reduce, all_gather, reduce_scatter, all_to_all,
/// collective_permute, axis_index); not for sharding_constraint.
inline bool isCollective(mlir::Operation *op) {
  return mlir::isa<AllReduceOp, AllGatherOp, ReduceScatterOp, AllToAllOp, CollectivePermuteOp,
                   AxisIndexOp>(op);
}

} // namespace weft

#endif // WEFT_IR_WEFTCOLLECTIVEOPS_H

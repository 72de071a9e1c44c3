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

#endif // WEFT_IR_WEFTCOLLECTIVEOPS_H

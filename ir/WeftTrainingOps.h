//===- WeftTrainingOps.h - ops produced by the training passes --*- C++ -*-===//
//
// This file declares the weft ops created by the training passes
// (generated from WeftTrainingOps.td), e.g. weft.scatter_add.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_WEFTTRAININGOPS_H
#define WEFT_IR_WEFTTRAININGOPS_H

#include "ir/WeftOps.h"

#define GET_OP_CLASSES
#include "ir/WeftTrainingOps.h.inc"

#endif // WEFT_IR_WEFTTRAININGOPS_H

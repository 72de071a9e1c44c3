//===- WeftStateOps.h - ops that update persistent state --------*- C++ -*-===//
//
// This file declares the weft ops that update persistent state in place
// (generated from WeftStateOps.td): weft.dynamic_update_slice.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_WEFTSTATEOPS_H
#define WEFT_IR_WEFTSTATEOPS_H

#include "ir/WeftOps.h"

#define GET_OP_CLASSES
#include "ir/WeftStateOps.h.inc"

#endif // WEFT_IR_WEFTSTATEOPS_H

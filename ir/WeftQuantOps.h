//===- WeftQuantOps.h - products with quantized weights ---------*- C++ -*-===//
//
// This file declares the weft ops that read quantized weights (generated
// from WeftQuantOps.td): weft.matmul_q8.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_WEFTQUANTOPS_H
#define WEFT_IR_WEFTQUANTOPS_H

#include "ir/WeftOps.h"

#define GET_OP_CLASSES
#include "ir/WeftQuantOps.h.inc"

#endif // WEFT_IR_WEFTQUANTOPS_H

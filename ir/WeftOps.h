//===- WeftOps.h - the weft dialect's operations ----------------*- C++ -*-===//
//
// This file declares the weft operations (generated from WeftOps.td).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_WEFTOPS_H
#define WEFT_IR_WEFTOPS_H

#include "ir/TensorSizeLimits.h"
#include "ir/WeftDialect.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "ir/WeftOps.h.inc"

#define GET_OP_CLASSES
#include "ir/WeftFusedOps.h.inc"

#endif // WEFT_IR_WEFTOPS_H

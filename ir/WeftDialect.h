//===- WeftDialect.h - the weft dialect -------------------------*- C++ -*-===//
//
// This file declares the weft dialect class and its enum attributes
// (generated from WeftDialect.td).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_WEFTDIALECT_H
#define WEFT_IR_WEFTDIALECT_H

#include "mlir/IR/Dialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "ir/WeftDialect.h.inc"
#include "ir/WeftEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "ir/WeftAttrs.h.inc"

#endif // WEFT_IR_WEFTDIALECT_H

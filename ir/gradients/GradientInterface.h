//===- GradientInterface.h - an op's vector-Jacobian product ----*- C++ -*-===//
//
// This file declares weft::GradientOpInterface (generated from
// GradientInterface.td): the per-op reverse-mode derivative used by the
// weft-autodiff pass.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_GRADIENTS_GRADIENTINTERFACE_H
#define WEFT_IR_GRADIENTS_GRADIENTINTERFACE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "ir/gradients/GradientInterface.h.inc"

#endif // WEFT_IR_GRADIENTS_GRADIENTINTERFACE_H

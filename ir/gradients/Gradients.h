//===- Gradients.h - registration of the weft gradient models ---*- C++ -*-===//
//
// This file declares the registration of the GradientOpInterface models of
// the weft ops (ir/gradients/Gradients*.cpp). Tools and libraries that run
// weft-autodiff register them once in their DialectRegistry; the pass also
// registers them as a dependent-dialect extension.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_GRADIENTS_GRADIENTS_H
#define WEFT_IR_GRADIENTS_GRADIENTS_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace weft {

/// Adds an extension to `registry` that attaches a GradientOpInterface model
/// (the op's vector-Jacobian product in weft ops) to every op of
/// ir/WeftOps.td, to weft.scatter_add and to the collectives of
/// ir/WeftCollectiveOps.td when the weft dialect is loaded.
void registerGradientInterfaces(mlir::DialectRegistry &registry);

} // namespace weft

#endif // WEFT_IR_GRADIENTS_GRADIENTS_H

//===- Gradients.cpp - the gradient interface and its registration --------===//
//
// This file implements GradientOpInterface (generated code) and
// registerGradientInterfaces, a DialectRegistry extension that attaches the
// per-family models of GradientsElementwise.cpp, GradientsContraction.cpp,
// GradientsMovement.cpp and GradientsCollective.cpp (in ir/gradients/) to the
// weft ops once the weft dialect is loaded.
//
//===----------------------------------------------------------------------===//

#include "ir/gradients/Gradients.h"
#include "ir/gradients/GradientUtils.h"
#include "ir/WeftDialect.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include "ir/gradients/GradientInterface.cpp.inc"

namespace weft {

void registerGradientInterfaces(mlir::DialectRegistry &registry) {
  registry.addExtension(+[](mlir::MLIRContext *ctx, WeftDialect *) {
    grad::attachElementwiseGradients(ctx);
    grad::attachContractionGradients(ctx);
    grad::attachMovementGradients(ctx);
    grad::attachCollectiveGradients(ctx);
  });
}

} // namespace weft

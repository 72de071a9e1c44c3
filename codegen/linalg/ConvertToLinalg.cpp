//===- ConvertToLinalg.cpp - the weft-convert-to-linalg pass --------------===//
//
// This file implements weft-convert-to-linalg: it lowers every weft op of a
// function to linalg, tensor, arith and math on tensors with the pattern
// families of codegen/linalg/ (elementwise, reductions, data movement,
// contractions). A weft op left over is an error at that op.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/linalg/Patterns.h"
#include "ir/WeftOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace weft::codegen {

#define GEN_PASS_DEF_CONVERTWEFTTOLINALGPASS
#include "codegen/Passes.h.inc"

namespace {

struct ConvertWeftToLinalg : impl::ConvertWeftToLinalgPassBase<ConvertWeftToLinalg> {
  /// 1. Mark the weft dialect illegal; everything else stays as it is.
  /// 2. Apply the four pattern families (each op has exactly one pattern).
  /// 3. A weft op no pattern could lower fails the pass with a diagnostic at
  ///    the op ("failed to legalize operation 'weft.…'").
  void runOnOperation() override {
    mlir::MLIRContext *ctx = &getContext();
    mlir::ConversionTarget target(*ctx);
    target.addIllegalDialect<WeftDialect>();
    target.markUnknownOpDynamicallyLegal([](mlir::Operation *) { return true; });

    // A weft.fusion (one kernel) is lowered through its inlined body, whose
    // loops are then fused (linalg/FusionPatterns.cpp).
    bool fusedKernel = inlineFusionBodies(getOperation());
    mlir::RewritePatternSet patterns(ctx);
    populateElementwisePatterns(patterns);
    populateReductionPatterns(patterns);
    populateDataMovementPatterns(patterns);
    populateContractionPatterns(patterns);
    if (mlir::failed(mlir::applyPartialConversion(getOperation(), target, std::move(patterns))))
      return signalPassFailure();
    if (fusedKernel)
      fuseKernelLoops(getOperation());
  }
};

} // namespace
} // namespace weft::codegen

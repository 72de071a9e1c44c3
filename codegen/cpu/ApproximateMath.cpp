//===- ApproximateMath.cpp - the weft-cpu-approximate-math pass -----------===//
//
// This file implements weft-cpu-approximate-math: f32 transcendental math
// ops (exp, log, tanh, erf, ...) are replaced by MLIR's polynomial
// approximations made of arith ops and math.fma. LLVM has no vector
// instruction for them and would otherwise call libm per element, which
// keeps the loop scalar; the polynomials vectorize.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace weft::codegen {

#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "codegen/Passes.h.inc"

namespace {

struct ApproximateMath : impl::ApproximateMathPassBase<ApproximateMath> {
  /// Applies the approximation patterns (f32 and vectors of f32 only) until
  /// none matches.
  void runOnOperation() override {
    mlir::RewritePatternSet patterns(&getContext());
    mlir::populateMathPolynomialApproximationPatterns(patterns);
    if (mlir::failed(mlir::applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace weft::codegen

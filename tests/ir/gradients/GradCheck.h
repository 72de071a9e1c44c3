//===- GradCheck.h - finite-difference checks of weft-autodiff --*- C++ -*-===//
//
// This file declares the gradient checker shared by the autodiff tests: it
// builds a function @main(params...) whose loss is sum(f(params) * W) for a
// random constant W (so that every output element matters), runs
// weft-autodiff, evaluates the gradients with the double-precision reference
// evaluator and compares them with central finite differences of the
// original function, also evaluated in double:
//
//   fd = (L(x + h e_i) - L(x - h e_i)) / (2 h),  h = 1e-6 by default,
//   |ad - fd| <= tol * max(floor, |fd|),         tol = 1e-6, floor = 1 by
//   default.
//
// In double precision the central difference is accurate to about
// h^2 |L'''| + 1e-16 |L| / h ~ 1e-10, far inside the tolerance; what the
// tolerance absorbs is the f32 rounding of constants in the gradients (e.g.
// 1/N of a mean, ~6e-8 relative).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_AUTODIFF_GRADCHECK_H
#define WEFT_TESTS_AUTODIFF_GRADCHECK_H

#include "ir/evaluator/ReferenceEvaluator.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <functional>
#include <random>
#include <string>
#include <vector>

namespace weft::test {

/// A parameter of a checked function: its type and the range its random
/// values are drawn from.
struct GradParam {
  mlir::RankedTensorType type;
  double lo = -1.0, hi = 1.0;
};

/// Step and tolerance of the finite-difference comparison.
struct GradTolerance {
  double step = 1e-6;
  double rel = 1e-6;
  /// Below this magnitude the comparison is absolute (rel * floor).
  double floor = 1.0;
  /// At most this many elements of each parameter are checked (a random
  /// sample when the parameter is larger).
  int maxElements = 48;
};

/// Builds ops at one location; handed to the function bodies of the checks.
struct BodyBuilder {
  mlir::OpBuilder &b;
  mlir::Location loc;
  std::mt19937_64 &rng;

  /// A constant of `type` (f32, f16, bf16, i1, i32 or i64) with random
  /// values in [lo, hi) drawn from the checker's generator.
  mlir::Value randomConstant(mlir::RankedTensorType type, double lo = -1.0,
                             double hi = 1.0);
  /// A constant tensor with the given values.
  mlir::Value constant(mlir::RankedTensorType type,
                       const std::vector<double> &values);
};

/// The function body: params in, the tensor the loss is formed from out.
using GradBody =
    std::function<mlir::Value(BodyBuilder &, llvm::ArrayRef<mlir::Value>)>;

/// Owns a context with the weft and func dialects and the gradient models.
class GradChecker {
public:
  GradChecker();

  mlir::MLIRContext &context() { return ctx; }
  /// A tensor type of the given shape and element type (f32 by default).
  mlir::RankedTensorType type(llvm::ArrayRef<int64_t> shape,
                              mlir::Type element = nullptr);
  mlir::Type f16();
  mlir::Type bf16();
  mlir::Type i64();

  /// Builds the forward function (loss = sum(body(params) * W)), names the
  /// params p0, p1, ... and returns its module.
  mlir::OwningOpRef<mlir::ModuleOp>
  buildForward(llvm::ArrayRef<GradParam> params, const GradBody &body,
               uint64_t seed);

  /// Checks every parameter's gradient of `body` against central finite
  /// differences (GoogleTest expectations; `what` names the case in
  /// failures). Random values come from `seed`.
  void check(const std::string &what, llvm::ArrayRef<GradParam> params,
             const GradBody &body, uint64_t seed, GradTolerance tol = {});

private:
  mlir::MLIRContext ctx;
};

/// Runs weft-autodiff on `module` (loss output "loss"); returns false and
/// fills `diagnostics` when the pass fails.
bool runAutodiff(mlir::ModuleOp module, std::string &diagnostics,
                 const std::string &lossName = "loss");

/// Checks the gradient outputs of an already differentiated `grads` module
/// (results: forward outputs, then "grad:<name>") against central
/// differences of output `lossIndex` of `forward`, at `args`, for the
/// arguments listed in `paramArgs` (argument index + output name).
void compareWithFiniteDifferences(
    const std::string &what, mlir::ModuleOp forward, mlir::ModuleOp grads,
    const std::vector<RefTensor> &args,
    const std::vector<std::pair<unsigned, std::string>> &paramArgs,
    unsigned lossIndex, GradTolerance tol, uint64_t seed);

/// A shape of `rank` random sizes in [lo, hi].
std::vector<int64_t> randomShape(std::mt19937_64 &rng, int rank, int lo = 1,
                                 int hi = 4);

} // namespace weft::test

#endif // WEFT_TESTS_AUTODIFF_GRADCHECK_H

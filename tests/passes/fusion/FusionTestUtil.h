//===- FusionTestUtil.h - helpers for the fusion pass tests -----*- C++ -*-===//
//
// This file implements the check shared by the fusion tests: parse a module
// of unfused weft IR, evaluate its function with the reference evaluator on
// reproducible random inputs, run one fusion pass, check that the pass
// created the expected number of fused ops, and evaluate the fused function
// on the same inputs: every result must agree to a relative tolerance of
// 1e-9 (both sides are computed in double; only the order of rounding and
// the algebraic form of the statistics differ).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_FUSION_FUSIONTESTUTIL_H
#define WEFT_TESTS_FUSION_FUSIONTESTUTIL_H

#include "ir/evaluator/ReferenceEvaluator.h"
#include "ir/WeftDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace weft::test {

/// Relative tolerance of the fused-vs-unfused comparison:
/// |fused - unfused| <= kFusionTolerance * max(1, |unfused|).
inline constexpr double kFusionTolerance = 1e-9;

/// One fusion check: a function (the module's first), the pass to run, the
/// fused op it must create and how many times, and an op that must be gone.
struct FusionCase {
  std::string source;
  std::function<std::unique_ptr<mlir::Pass>()> makePass;
  std::string fusedOp;
  int expectedFused = 1;
  /// An op name that no longer appears after the pass ("" to skip).
  std::string goneOp;
};

/// Counts the ops named `name` in `module`.
inline int countOps(mlir::ModuleOp module, llvm::StringRef name) {
  int n = 0;
  module.walk([&](mlir::Operation *op) {
    if (op->getName().getStringRef() == name)
      ++n;
  });
  return n;
}

/// Fixture: a context with weft + func registered.
class FusionTest : public ::testing::Test {
protected:
  FusionTest() {
    mlir::DialectRegistry registry;
    registry.insert<weft::WeftDialect, mlir::func::FuncDialect>();
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
  }

  /// Runs the check described in the file comment for `c`, with random
  /// inputs drawn from `seed`.
  void checkFusion(const FusionCase &c, uint64_t seed = 7) {
    std::string diagnostics;
    mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
      diagnostics += d.str() + "\n";
      return mlir::success();
    });
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceString<mlir::ModuleOp>(c.source, &ctx, "fusion.mlir");
    ASSERT_TRUE(module) << "cannot parse:\n" << c.source << "\n" << diagnostics;
    auto funcs = module->getOps<mlir::func::FuncOp>();
    ASSERT_FALSE(funcs.empty()) << "no func.func in:\n" << c.source;
    mlir::func::FuncOp f = *funcs.begin();

    std::vector<RefTensor> args;
    for (auto [i, t] : llvm::enumerate(f.getArgumentTypes()))
      args.push_back(randomTensor(mlir::cast<mlir::RankedTensorType>(t),
                                  seed * 1000 + i));
    std::vector<RefTensor> before = evaluate(f, args);

    mlir::PassManager pm(&ctx, mlir::ModuleOp::getOperationName());
    pm.addNestedPass<mlir::func::FuncOp>(c.makePass());
    ASSERT_TRUE(mlir::succeeded(pm.run(*module))) << diagnostics;
    ASSERT_TRUE(mlir::succeeded(mlir::verify(*module))) << diagnostics;
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    EXPECT_EQ(countOps(*module, c.fusedOp), c.expectedFused)
        << "fused IR:\n" << text;
    if (!c.goneOp.empty())
      EXPECT_EQ(countOps(*module, c.goneOp), 0) << "fused IR:\n" << text;

    std::vector<RefTensor> after = evaluate(f, args);
    ASSERT_EQ(before.size(), after.size());
    for (size_t r = 0; r < before.size(); ++r) {
      ASSERT_EQ(before[r].shape, after[r].shape) << "result #" << r;
      double worst = 0.0;
      for (size_t i = 0; i < before[r].data.size(); ++i) {
        double a = before[r].data[i], b = after[r].data[i];
        ASSERT_TRUE(std::isfinite(a) && std::isfinite(b))
            << "result #" << r << " element " << i << ": " << a << " vs " << b;
        worst = std::max(worst, std::fabs(a - b) / std::max(1.0, std::fabs(a)));
      }
      EXPECT_LE(worst, kFusionTolerance)
          << "result #" << r << " differs after fusion; fused IR:\n" << text;
    }
  }

  mlir::MLIRContext ctx;
};

} // namespace weft::test

#endif // WEFT_TESTS_FUSION_FUSIONTESTUTIL_H

//===- AutodiffPassTest.cpp - options and errors of weft-autodiff ---------===//
//
// This file tests weft-autodiff's `loss` option (differentiating an output
// of another name while keeping the other outputs), that no cotangent flows
// through weft.stop_gradient, and that its errors come back as diagnostics
// at the op's location rather than crashes.
//
//===----------------------------------------------------------------------===//

#include "tests/ir/gradients/GradCheck.h"

#include "ir/WeftOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace weft;
using namespace weft::test;

namespace {

const char *kTwoLosses = R"mlir(
func.func @main(%w: tensor<3xf32> {weft.param = "w"})
    -> (tensor<f32> {weft.output = "loss"}, tensor<f32> {weft.output = "aux"}) {
  %0 = weft.reduce sum %w dims = [0] : tensor<3xf32>
  %1 = weft.mul %w, %w : tensor<3xf32>
  %2 = weft.reduce sum %1 dims = [0] : tensor<3xf32>
  return %0, %2 : tensor<f32>, tensor<f32>
}
)mlir";

TEST(AutodiffPass, LossOptionPicksTheOutput) {
  GradChecker gc;
  OwningOpRef<ModuleOp> m =
      parseSourceString<ModuleOp>(kTwoLosses, &gc.context());
  ASSERT_TRUE(m);
  std::string diagnostics;
  ASSERT_TRUE(runAutodiff(*m, diagnostics, "aux")) << diagnostics;
  auto main = m->lookupSymbol<func::FuncOp>("main");
  ASSERT_EQ(main.getNumResults(), 3u);
  // d(sum w^2)/dw = 2w, not the gradient of "loss" (ones).
  std::vector<RefTensor> r = evaluate(main, {RefTensor{{3}, {1.0, -2.0, 0.5}}});
  EXPECT_EQ(r[2].data, (std::vector<double>{2.0, -4.0, 1.0}));
  EXPECT_EQ(r[0].data[0], -0.5);
  EXPECT_EQ(r[1].data[0], 5.25);
}

TEST(AutodiffPass, StopGradientPassesNoCotangent) {
  // loss = sum(w * stop_gradient(w)): the gradient is stop_gradient(w) = w
  // (the stopped factor is a constant), not 2w.
  GradChecker gc;
  OwningOpRef<ModuleOp> m = parseSourceString<ModuleOp>(R"mlir(
func.func @main(%w: tensor<3xf32> {weft.param = "w"}) -> (tensor<f32> {weft.output = "loss"}) {
  %s = weft.stop_gradient %w : tensor<3xf32>
  %0 = weft.mul %w, %s : tensor<3xf32>
  %1 = weft.reduce sum %0 dims = [0] : tensor<3xf32>
  return %1 : tensor<f32>
}
)mlir",
                                                        &gc.context());
  ASSERT_TRUE(m);
  std::string diagnostics;
  ASSERT_TRUE(runAutodiff(*m, diagnostics, "loss")) << diagnostics;
  auto main = m->lookupSymbol<func::FuncOp>("main");
  ASSERT_EQ(main.getNumResults(), 2u);
  std::vector<RefTensor> r = evaluate(main, {RefTensor{{3}, {1.0, -2.0, 0.5}}});
  EXPECT_EQ(r[0].data[0], 5.25);
  EXPECT_EQ(r[1].data, (std::vector<double>{1.0, -2.0, 0.5}));
}

TEST(AutodiffPass, MissingLossIsADiagnostic) {
  GradChecker gc;
  OwningOpRef<ModuleOp> m =
      parseSourceString<ModuleOp>(kTwoLosses, &gc.context());
  ASSERT_TRUE(m);
  std::string diagnostics;
  EXPECT_FALSE(runAutodiff(*m, diagnostics, "total"));
  EXPECT_NE(diagnostics.find("has no output named 'total' (outputs: 'loss', "
                             "'aux')"),
            std::string::npos)
      << diagnostics;
}

} // namespace

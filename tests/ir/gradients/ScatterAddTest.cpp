//===- ScatterAddTest.cpp - weft.scatter_add's verifier and evaluator -----===//
//
// This file tests weft.scatter_add, the op weft-autodiff builds for the table
// gradient of weft.gather: its verifier's shape rule, its reference
// evaluation (rows named several times sum, rows never named stay zero, or
// keep the init's values) and the evaluator's error for an index out of
// range.
//
//===----------------------------------------------------------------------===//

#include "tests/ir/gradients/GradCheck.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace weft;
using namespace weft::test;

namespace {

const char *kScatter = R"mlir(
func.func @main(%u: tensor<3x2xf32>, %i: tensor<3xi64>) -> tensor<4x2xf32> {
  %0 = weft.scatter_add %u[%i] : tensor<3x2xf32>, tensor<3xi64> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}
)mlir";

/// Parses `text`, which must fail to verify; returns the diagnostics.
std::string verifierErrors(GradChecker &gc, const char *text) {
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&gc.context(), [&](Diagnostic &d) {
    diagnostics += d.str();
    return success();
  });
  OwningOpRef<ModuleOp> m = parseSourceString<ModuleOp>(text, &gc.context());
  EXPECT_FALSE(m);
  return diagnostics;
}

TEST(ScatterAdd, SumsRepeatedRowsAndZeroesTheRest) {
  GradChecker gc;
  OwningOpRef<ModuleOp> m =
      parseSourceString<ModuleOp>(kScatter, &gc.context());
  ASSERT_TRUE(m);
  RefTensor updates{{3, 2}, {1, 2, 10, 20, 100, 200}};
  RefTensor indices{{3}, {2, 0, 2}};
  std::vector<RefTensor> r =
      evaluate(m->lookupSymbol<func::FuncOp>("main"), {updates, indices});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].shape, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(r[0].data, (std::vector<double>{10, 20, 0, 0, 101, 202, 0, 0}));
}

TEST(ScatterAdd, AddsRowsIntoItsInit) {
  GradChecker gc;
  OwningOpRef<ModuleOp> m = parseSourceString<ModuleOp>(R"mlir(
func.func @main(%u: tensor<3x2xf32>, %i: tensor<3xi64>, %t: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %0 = weft.scatter_add %u[%i] into %t : tensor<3x2xf32>, tensor<3xi64> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}
)mlir",
                                                        &gc.context());
  ASSERT_TRUE(m);
  RefTensor updates{{3, 2}, {1, 2, 10, 20, 100, 200}};
  RefTensor indices{{3}, {2, 0, 2}};
  RefTensor table{{4, 2}, {0.5, -1, 3, 4, 5, 6, -7, 8}};
  std::vector<RefTensor> r =
      evaluate(m->lookupSymbol<func::FuncOp>("main"), {updates, indices, table});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].data, (std::vector<double>{10.5, 19, 3, 4, 106, 208, -7, 8}));
}

TEST(ScatterAdd, VerifierChecksTheInitType) {
  GradChecker gc;
  std::string diagnostics = verifierErrors(gc, R"mlir(
func.func @main(%u: tensor<3x2xf32>, %i: tensor<3xi64>, %t: tensor<5x2xf32>) -> tensor<4x2xf32> {
  %0 = "weft.scatter_add"(%u, %i, %t) : (tensor<3x2xf32>, tensor<3xi64>, tensor<5x2xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}
)mlir");
  EXPECT_NE(diagnostics.find("init has the result's type"), std::string::npos) << diagnostics;
}

TEST(ScatterAdd, IndexOutOfRangeIsReported) {
  GradChecker gc;
  OwningOpRef<ModuleOp> m =
      parseSourceString<ModuleOp>(kScatter, &gc.context());
  ASSERT_TRUE(m);
  RefTensor updates{{3, 2}, {1, 2, 3, 4, 5, 6}};
  RefTensor indices{{3}, {0, 4, 1}};
  try {
    evaluate(m->lookupSymbol<func::FuncOp>("main"), {updates, indices});
    FAIL() << "expected an EvaluationError";
  } catch (const EvaluationError &e) {
    EXPECT_NE(std::string(e.what()).find("'weft.scatter_add' op index 4 out "
                                         "of range [0, 4) at position 1"),
              std::string::npos)
        << e.what();
  }
}

TEST(ScatterAdd, VerifierChecksTheUpdateShape) {
  GradChecker gc;
  std::string diagnostics = verifierErrors(gc, R"mlir(
func.func @main(%u: tensor<3x5xf32>, %i: tensor<3xi64>) -> tensor<4x2xf32> {
  %0 = weft.scatter_add %u[%i] : tensor<3x5xf32>, tensor<3xi64> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}
)mlir");
  EXPECT_NE(diagnostics.find("updates have shape [3, 5] but indices [3] and "
                             "result [4, 2] need [3, 2]"),
            std::string::npos)
      << diagnostics;
}

} // namespace

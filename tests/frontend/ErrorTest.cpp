//===- ErrorTest.cpp - DSL error messages ---------------------------------===//
//
// This file implements tests that every shape, dtype and usage error of the
// DSL throws a DslError naming the op, the shapes involved and this file's
// exact line, and that a failed op leaves the program usable.
//
//===----------------------------------------------------------------------===//

#include "FrontendTestUtil.h"

#include "frontend/DslError.h"
#include "frontend/Ops.h"
#include "frontend/Program.h"
#include "frontend/nn/Attention.h"
#include "frontend/nn/Linear.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <gtest/gtest.h>

#include <functional>

using namespace weft;

namespace {

using test::errorOf;

/// The prefix every error raised at `line` of this file starts with.
std::string at(int line) {
  return std::string(__FILE__) + ":" + std::to_string(line) + ": error: ";
}

bool startsWith(const std::string &s, const std::string &prefix) {
  return s.rfind(prefix, 0) == 0;
}

TEST(FrontendErrors, MatmulShapeMismatchNamesOpShapesAndLine) {
  Program p;
  Tensor a = p.input("a", {8, 768});
  Tensor b = p.input("b", {512, 768});
  const int line = __LINE__ + 1;
  std::string msg = errorOf([&] { matmul(a, b); });
  EXPECT_TRUE(startsWith(msg, at(line))) << msg;
  EXPECT_NE(msg.find("ErrorTest.cpp"), std::string::npos) << msg;
  EXPECT_NE(msg.find("weft.matmul"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[8, 768]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[512, 768]"), std::string::npos) << msg;
  // With the transposed rhs the same operands are fine: [8, 512].
  EXPECT_EQ(matmul(a, b, false, true).shape(), (Shape{8, 512}));
}

TEST(FrontendErrors, BroadcastFailureNamesBothShapes) {
  Program p;
  Tensor a = p.input("a", {4, 3});
  Tensor b = p.input("b", {4, 5});
  const int line = __LINE__ + 1;
  std::string msg = errorOf([&] { a + b; });
  EXPECT_TRUE(startsWith(msg, at(line))) << msg;
  EXPECT_NE(msg.find("weft.add"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[4, 3]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[4, 5]"), std::string::npos) << msg;

  Tensor c = p.input("c", {3});
  const int line2 = __LINE__ + 1;
  msg = errorOf([&] { broadcast_to(c, {4, 5}); });
  EXPECT_TRUE(startsWith(msg, at(line2))) << msg;
  EXPECT_NE(msg.find("weft.broadcast"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[3]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[4, 5]"), std::string::npos) << msg;
}

TEST(FrontendErrors, ReshapeElementCountMismatch) {
  Program p;
  Tensor x = p.input("x", {2, 3});
  const int line = __LINE__ + 1;
  std::string msg = errorOf([&] { reshape(x, {4, 2}); });
  EXPECT_TRUE(startsWith(msg, at(line))) << msg;
  EXPECT_NE(msg.find("weft.reshape"), std::string::npos) << msg;
  EXPECT_NE(msg.find("6 elements"), std::string::npos) << msg;
  EXPECT_NE(msg.find("8 elements"), std::string::npos) << msg;
  const int line2 = __LINE__ + 1;
  msg = errorOf([&] { reshape(x, {4, -1}); });
  EXPECT_TRUE(startsWith(msg, at(line2))) << msg;
  EXPECT_NE(msg.find("cannot infer"), std::string::npos) << msg;
  EXPECT_EQ(reshape(x, {-1, 2}).shape(), (Shape{3, 2}));
}

TEST(FrontendErrors, TransposeBadPermutation) {
  Program p;
  Tensor x = p.input("x", {2, 3, 4});
  const int line = __LINE__ + 1;
  std::string msg = errorOf([&] { permute(x, {0, 0, 1}); });
  EXPECT_TRUE(startsWith(msg, at(line))) << msg;
  EXPECT_NE(msg.find("weft.transpose"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a permutation"), std::string::npos) << msg;
  const int line2 = __LINE__ + 1;
  msg = errorOf([&] { transpose(x, {1, 0}); });
  EXPECT_TRUE(startsWith(msg, at(line2))) << msg;
  EXPECT_NE(msg.find("[2, 3, 4]"), std::string::npos) << msg;
  EXPECT_EQ(permute(x, {2, 0, 1}).shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(transpose(x, 0, -1).shape(), (Shape{4, 3, 2}));
}

TEST(FrontendErrors, ConcatMismatch) {
  Program p;
  Tensor a = p.input("a", {2, 4});
  Tensor b = p.input("b", {3, 5});
  const int line = __LINE__ + 1;
  std::string msg = errorOf([&] { concat({a, b}, 0); });
  EXPECT_TRUE(startsWith(msg, at(line))) << msg;
  EXPECT_NE(msg.find("weft.concat"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[2, 4]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[3, 5]"), std::string::npos) << msg;
  Tensor c = p.input("c", {3, 4});
  EXPECT_EQ(concat({a, c}, -2).shape(), (Shape{5, 4}));
}

TEST(FrontendErrors, GatherWithFloatIndices) {
  Program p;
  Tensor table = p.param("table", {10, 4});
  Tensor idx = p.input("idx", {6});
  const int line = __LINE__ + 1;
  std::string msg = errorOf([&] { gather(table, idx); });
  EXPECT_TRUE(startsWith(msg, at(line))) << msg;
  EXPECT_NE(msg.find("weft.gather"), std::string::npos) << msg;
  EXPECT_NE(msg.find("f32"), std::string::npos) << msg;
  EXPECT_NE(msg.find("i32 or i64"), std::string::npos) << msg;
  EXPECT_EQ(gather(table, cast(idx, DType::I64)).shape(), (Shape{6, 4}));
}

TEST(FrontendErrors, DuplicateParamName) {
  Program p;
  {
    Scope s = p.scope("h.0");
    p.param("weight", {4});
  }
  Scope s = p.scope("h");
  Scope s0 = p.scope("0");
  const int line = __LINE__ + 1;
  std::string msg = errorOf([&] { p.param("weight", {4}); });
  EXPECT_TRUE(startsWith(msg, at(line))) << msg;
  EXPECT_NE(msg.find("'h.0.weight'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("defined twice"), std::string::npos) << msg;
  EXPECT_EQ(p.params().size(), 1u);
}

TEST(FrontendErrors, DTypeMismatchAndNonFloatMath) {
  Program p;
  Tensor f = p.input("f", {4});
  Tensor i = p.input("i", {4}, DType::I64);
  const int line = __LINE__ + 1;
  std::string msg = errorOf([&] { f * i; });
  EXPECT_TRUE(startsWith(msg, at(line))) << msg;
  EXPECT_NE(msg.find("element types differ: f32 [4] vs i64 [4]"),
            std::string::npos) << msg;
  const int line2 = __LINE__ + 1;
  msg = errorOf([&] { exp(i); });
  EXPECT_TRUE(startsWith(msg, at(line2))) << msg;
  EXPECT_NE(msg.find("weft.exp"), std::string::npos) << msg;
}

TEST(FrontendErrors, ErrorsInsideModulesPointAtTheModelLine) {
  Program p;
  nn::Linear fc(p, "fc", 16, 8);
  Tensor x = p.input("x", {4, 10});
  const int line = __LINE__ + 1;
  std::string msg = errorOf([&] { fc(x); });
  EXPECT_TRUE(startsWith(msg, at(line))) << msg;
  EXPECT_NE(msg.find("Linear 'fc' expects inputs [..., 16], got [4, 10]"),
            std::string::npos) << msg;
  EXPECT_NE(msg.find("Linear.cpp"), std::string::npos) << msg;

  const int line2 = __LINE__ + 1;
  msg = errorOf([&] { nn::MultiHeadAttention attn(p, "attn", 10, 3); });
  EXPECT_TRUE(startsWith(msg, at(line2))) << msg;
  EXPECT_NE(msg.find("divisible"), std::string::npos) << msg;
}

TEST(FrontendErrors, FailedOpLeavesProgramUsable) {
  Program p;
  Tensor a = p.input("a", {2, 3});
  Tensor b = p.input("b", {4, 3});
  errorOf([&] { matmul(a, b); });
  errorOf([&] { reshape(a, {7}); });
  p.output("y", matmul(a, b, false, true));
  mlir::ModuleOp m = p.module();
  auto f = *m.getOps<mlir::func::FuncOp>().begin();
  // Only the successful matmul is in the body (plus the return).
  EXPECT_EQ(f.getBody().front().getOperations().size(), 2u);
}

TEST(FrontendErrors, FinalizeRules) {
  Program empty;
  std::string msg = errorOf([&] { empty.module(); });
  EXPECT_NE(msg.find("no outputs"), std::string::npos) << msg;

  Program p;
  Tensor x = p.input("x", {2});
  p.output("y", x + x);
  mlir::ModuleOp m1 = p.module();
  EXPECT_EQ(m1.getOperation(), p.module().getOperation()); // idempotent
  const int line = __LINE__ + 1;
  msg = errorOf([&] { x * x; });
  EXPECT_TRUE(startsWith(msg, at(line))) << msg;
  EXPECT_NE(msg.find("finalized"), std::string::npos) << msg;
  msg = errorOf([&] { p.param("w", {2}); });
  EXPECT_NE(msg.find("finalized"), std::string::npos) << msg;
  msg = errorOf([&] { p.output("z", x); });
  EXPECT_NE(msg.find("finalized"), std::string::npos) << msg;
}

TEST(FrontendErrors, UsageErrors) {
  Program p, q;
  Tensor a = p.input("a", {2});
  Tensor b = q.input("b", {2});
  std::string msg = errorOf([&] { a + b; });
  EXPECT_NE(msg.find("two different Programs"), std::string::npos) << msg;
  msg = errorOf([&] { p.input("a", {3}); });
  EXPECT_NE(msg.find("input 'a' is defined twice"), std::string::npos) << msg;
  msg = errorOf([&] { p.param("w", {3, 0}); });
  EXPECT_NE(msg.find("[3, 0]"), std::string::npos) << msg;
  msg = errorOf([&] { reduce_sum(a, {1}); });
  EXPECT_NE(msg.find("out of range for rank 1"), std::string::npos) << msg;
  msg = errorOf([&] { constant(p, {2, 2}, {1, 2, 3}); });
  EXPECT_NE(msg.find("3 values for shape [2, 2]"), std::string::npos) << msg;
  msg = errorOf([&] { add(Tensor(), a); });
  EXPECT_NE(msg.find("empty Tensor"), std::string::npos) << msg;
}

} // namespace

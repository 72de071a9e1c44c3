//===- ReferenceEvaluatorErrorsTest.cpp - evaluator error reporting -------===//
//
// This file implements the tests of the reference evaluator's errors: wrong
// argument count, shape or size, an out-of-range gather index or cache-write
// offset (reported at the op's file:line:col), integer division by zero, an op with no evaluator,
// a function without a body, and bad randomTensor ranges. Each error must be
// an EvaluationError whose message names the cause and the place.
//
//===----------------------------------------------------------------------===//

#include "tests/ir/evaluator/EvaluatorTestUtil.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace weft;
using weft::test::tensor;
using weft::test::contains;

namespace {

using Evaluator = weft::test::Evaluator;

const char *kAdd = R"(
func.func @add(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = weft.add %x, %y : tensor<2x3xf32>
  return %r : tensor<2x3xf32>
})";

TEST_F(Evaluator, ErrorWrongArgumentCount) {
  std::string msg = errorOf(kAdd, {tensor({2, 3}, std::vector<double>(6, 1.0))});
  EXPECT_TRUE(contains(msg, "function '@add' takes 2 arguments but 1 were given"));
  EXPECT_TRUE(contains(msg, "test.mlir:2:1"));
}

TEST_F(Evaluator, ErrorWrongArgumentShape) {
  std::string msg = errorOf(kAdd, {tensor({2, 3}, std::vector<double>(6, 1.0)),
                                   tensor({3, 2}, std::vector<double>(6, 1.0))});
  EXPECT_TRUE(contains(msg, "argument #1 has shape [3, 2] but the function expects [2, 3]"));
}

TEST_F(Evaluator, ErrorArgumentDataDoesNotFillShape) {
  std::string msg = errorOf(kAdd, {tensor({2, 3}, std::vector<double>(6, 1.0)),
                                   tensor({2, 3}, std::vector<double>(5, 1.0))});
  EXPECT_TRUE(contains(msg, "argument #1 holds 5 values but its shape [2, 3] needs 6"));
}

TEST_F(Evaluator, ErrorCacheWriteOffsetOutOfRangeNamesLocation) {
  const char *src = R"(
func.func @write(%c: tensor<2x5xf32>, %u: tensor<2x2xf32>, %p: tensor<i64>) -> tensor<2x5xf32> {
  %w = weft.dynamic_update_slice %c[%p], %u dim = 1 : tensor<2x5xf32>, tensor<2x2xf32>, tensor<i64>
  return %w : tensor<2x5xf32>
})";
  std::vector<double> cache(10, 0.5), block(4, 1.0);
  std::string msg = errorOf(src, {tensor({2, 5}, cache), tensor({2, 2}, block), tensor({}, {4})});
  EXPECT_TRUE(contains(msg, "test.mlir:3:8: 'weft.dynamic_update_slice' op start 4 does not leave "
                            "room for 2 of 5 positions along dim 1"));
  msg = errorOf(src, {tensor({2, 5}, cache), tensor({2, 2}, block), tensor({}, {-1})});
  EXPECT_TRUE(contains(msg, "start -1 does not leave room"));
}

TEST_F(Evaluator, ErrorGatherIndexOutOfRangeNamesLocation) {
  const char *src = R"(
func.func @embed(%t: tensor<4x2xf32>, %i: tensor<3xi64>) -> tensor<3x2xf32> {
  %e = weft.gather %t[%i] : tensor<4x2xf32>, tensor<3xi64>
  return %e : tensor<3x2xf32>
})";
  std::vector<double> table(8, 0.5);
  std::string msg = errorOf(src, {tensor({4, 2}, table), tensor({3}, {0, 7, 1})});
  EXPECT_TRUE(contains(msg, "test.mlir:3:8: 'weft.gather' op index 7 out of range [0, 4)"));
  EXPECT_TRUE(contains(msg, "at position 1"));

  msg = errorOf(src, {tensor({4, 2}, table), tensor({3}, {0, 1, -1})});
  EXPECT_TRUE(contains(msg, "'weft.gather' op index -1 out of range [0, 4)"));
}

TEST_F(Evaluator, ErrorIntegerDivisionByZero) {
  std::string msg = errorOf(R"(
func.func @f(%x: tensor<2xi32>, %y: tensor<2xi32>) -> tensor<2xi32> {
  %r = weft.div %x, %y : tensor<2xi32>
  return %r : tensor<2xi32>
})",
                            {tensor({2}, {1, 2}), tensor({2}, {1, 0})});
  EXPECT_TRUE(contains(msg, "test.mlir:3:8: 'weft.div' op integer division by zero at element 1"));
}

TEST_F(Evaluator, ErrorUnknownOpIsNamed) {
  // func.call is registered but has no evaluator: it must be reported, not skipped.
  std::string msg = errorOf(R"(
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %r = func.call @g(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %r : tensor<2xf32>
}
func.func @g(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
})",
                            {tensor({2}, {1, 2})});
  EXPECT_TRUE(contains(msg, "test.mlir:3:8: 'func.call' op has no reference evaluator"));
}

TEST_F(Evaluator, ErrorNoBody) {
  std::string msg = errorOf(R"(
func.func private @decl(%x: tensor<2xf32>) -> tensor<2xf32>
)",
                            {tensor({2}, {1, 2})});
  EXPECT_TRUE(contains(msg, "function '@decl' has no body"));
}

TEST_F(Evaluator, ErrorRandomTensorBadRange) {
  auto type = mlir::RankedTensorType::get({4}, mlir::Float32Type::get(&ctx));
  EXPECT_THROW(randomTensor(type, 1, 1.0, 1.0), EvaluationError);
  EXPECT_THROW(randomTensor(type, 1, 2.0, 1.0), EvaluationError);
}

} // namespace

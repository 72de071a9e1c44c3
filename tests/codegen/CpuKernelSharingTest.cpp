//===- CpuKernelSharingTest.cpp - shared kernels read every argument ------===//
//
// This file tests that ops sharing one generated kernel (same name,
// attributes and types) each compute with their own operands, whatever the
// first of them looked like. Regression: the kernel built for `mul %x, %x`
// read its first argument twice, and `mul %x, %y` later in the program reused
// it and computed x * x (GPT-2's LayerNorm: `mul %d, %d` for the variance,
// then `mul %d, %rstd` computed d * d, and the logits collapsed to ~1e-7).
//
//===----------------------------------------------------------------------===//

#include "tests/codegen/CodegenTestUtil.h"

namespace weft::test {
namespace {

// The square comes first, so its kernel is the one both muls share.
const char *kSquareThenProduct = R"(
func.func @main(%x: tensor<4x33xf32> {weft.input = "x"}, %y: tensor<4x33xf32> {weft.input = "y"})
    -> (tensor<4x33xf32>, tensor<4x33xf32>) {
  %sq = weft.mul %x, %x : tensor<4x33xf32>
  %p = weft.mul %x, %y : tensor<4x33xf32>
  return %sq, %p : tensor<4x33xf32>, tensor<4x33xf32>
}
)";

// Three operands: select reads its false operand twice in the first call.
const char *kSelectRepeatedOperand = R"(
func.func @main(%c: tensor<17xi1>, %a: tensor<17xf32>, %b: tensor<17xf32>)
    -> (tensor<17xf32>, tensor<17xf32>) {
  %s0 = weft.select %c, %b, %b : tensor<17xi1>, tensor<17xf32>
  %s1 = weft.select %c, %a, %b : tensor<17xi1>, tensor<17xf32>
  return %s0, %s1 : tensor<17xf32>, tensor<17xf32>
}
)";

TEST_F(CodegenTest, SharedKernelOfRepeatedOperandReadsBothArguments) {
  auto module = parse(kSquareThenProduct);
  ASSERT_TRUE(module);
  std::string diagnostics;
  auto exe = compile(*module, {}, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;
  EXPECT_EQ(exe->kernels_size(), 1) << "both muls share one kernel";
  for (uint64_t seed : {1u, 2u})
    check(kSquareThenProduct, seed, {{0, 0}});
}

TEST_F(CodegenTest, SharedSelectKernelReadsEachOperand) {
  for (uint64_t seed : {3u, 4u})
    check(kSelectRepeatedOperand, seed, {{0, 0}});
}

} // namespace
} // namespace weft::test

//===- CpuElementwiseTest.cpp - elementwise weft ops on the CPU -----------===//
//
// This file tests every elementwise weft op (unary and binary math,
// activations, compare, select, cast) compiled for the CPU and run by the
// runtime against the double-precision reference evaluator, on several
// shapes (including 1, 7, 33 and one big enough for OpenMP) with fresh
// random inputs per shape.
//
// Tolerances (|got - want| <= atol + rtol |want|, rtol at least two
// roundings of the output type, i.e. 1.2e-7 for f32):
//   - ops that round once in f32 (add, sub, mul, div, neg, abs, relu, max,
//     min, sqrt, select, compare, cast): nothing more;
//   - exp, log, tanh, erf run as MLIR polynomial approximations and the
//     activations chain several roundings: rtol 5e-7 (~4 ulp; measured
//     worst 2.5 ulp) plus atol 1e-6 for results near zero, where gelu's
//     x * (1 + erf(..)) cancels (measured worst 4.2e-7 for gelu_tanh(-6));
//   - rsqrt (1/sqrt, two roundings) and powf (libm, ~1 ulp): rtol 5e-7;
//   - f16/bf16 results: rtol is their own rounding (2^-10, 2^-7).
//
//===----------------------------------------------------------------------===//

#include "tests/codegen/CodegenTestUtil.h"
#include "tests/common/OpPrograms.h"

namespace weft::test {
namespace {

const std::vector<std::vector<int64_t>> kShapes = {
    {1}, {7}, {33}, {3, 5}, {7, 33}, {2, 3, 17}, {1, 1, 1}, {64, 1031}};

const Tolerance kExact{0, 0};
const Tolerance kApprox{1e-6, 5e-7};
const Tolerance kTwoRoundings{0, 5e-7};

using test::binaryProgram;
using test::unaryProgram;

TEST_F(CodegenTest, UnaryFloatOpsMatchReference) {
  std::vector<std::string> ops = {"neg",  "abs",     "exp",  "tanh",      "relu",     "sigmoid",
                                  "gelu", "gelu_tanh", "fast_gelu", "log", "sqrt",   "rsqrt"};
  std::vector<Tolerance> tols = {kExact, kExact,  kApprox, kApprox, kExact, kApprox,
                                 kApprox, kApprox, kApprox, kApprox, kExact, kTwoRoundings};
  std::vector<Range> ranges(9, Range{-6, 6});
  ranges.resize(12, Range{0.01, 20}); // log, sqrt, rsqrt need positive inputs
  ranges[2] = Range{-30, 30};         // exp over a wide range
  for (size_t s = 0; s < kShapes.size(); ++s)
    check(unaryProgram(ops, tensorType(kShapes[s], "f32")), s, tols, ranges);
}

TEST_F(CodegenTest, UnaryNarrowFloatOpsMatchReference) {
  std::vector<std::string> ops = {"neg", "exp", "tanh", "gelu", "gelu_tanh", "sqrt"};
  std::vector<Range> ranges = {{-4, 4}, {-4, 4}, {-4, 4}, {-4, 4}, {-4, 4}, {0.01, 20}};
  for (const char *et : {"f16", "bf16"})
    for (size_t s = 0; s < 4; ++s)
      check(unaryProgram(ops, tensorType(kShapes[s + 3], et)), s, {kApprox}, ranges);
}

TEST_F(CodegenTest, UnaryIntegerOpsMatchReference) {
  for (const char *et : {"i32", "i64"})
    for (size_t s = 0; s < kShapes.size(); ++s)
      check(unaryProgram({"neg", "abs", "relu"}, tensorType(kShapes[s], et)), s, {kExact},
            {{-1000, 1000}, {-1000, 1000}, {-1000, 1000}});
}

TEST_F(CodegenTest, BinaryFloatOpsMatchReference) {
  std::vector<std::string> ops = {"add", "sub", "mul", "div", "max", "min", "pow"};
  std::vector<Tolerance> tols(6, kExact);
  tols.push_back(kTwoRoundings);
  // y in [0.5, 2): no division by ~0; x > 0 keeps pow real.
  for (size_t s = 0; s < kShapes.size(); ++s)
    check(binaryProgram(ops, tensorType(kShapes[s], "f32")), s, tols, {{0.05, 4}, {0.5, 2}});
  for (const char *et : {"f16", "bf16"})
    check(binaryProgram(ops, tensorType({7, 33}, et)), 99, {kTwoRoundings}, {{0.05, 4}, {0.5, 2}});
}

TEST_F(CodegenTest, BinaryIntegerOpsMatchReference) {
  std::vector<std::string> ops = {"add", "sub", "mul", "div", "max", "min"};
  for (const char *et : {"i32", "i64"})
    for (size_t s = 0; s < kShapes.size(); ++s) {
      // x may be negative; y in [1, 50) never divides by zero.
      check(binaryProgram(ops, tensorType(kShapes[s], et)), s, {kExact}, {{-5000, 5000}, {1, 50}});
    }
}

TEST_F(CodegenTest, CompareMatchesReferenceInEveryDirection) {
  for (const char *et : {"f32", "i64", "bf16"}) {
    std::string t = tensorType({7, 33}, et), m = tensorType({7, 33}, "i1");
    std::string src = "func.func @main(%x: " + t + ", %y: " + t + ") -> (" + m + ", " + m +
                      ", " + m + ", " + m + ", " + m + ", " + m + ") {\n";
    std::string rets;
    for (const char *d : {"eq", "ne", "lt", "le", "gt", "ge"}) {
      src += "  %" + std::string(d) + " = weft.compare " + d + ", %x, %y : " + t + "\n";
      rets += (rets.empty() ? "%" : ", %") + std::string(d);
    }
    src += "  return " + rets + " : " + m + ", " + m + ", " + m + ", " + m + ", " + m + ", " +
           m + "\n}\n";
    // Small integer ranges make equal pairs common.
    check(src, 7, {kExact}, {{-3, 3}, {-3, 3}});
  }
}

TEST_F(CodegenTest, SelectMatchesReference) {
  for (size_t s = 0; s < kShapes.size(); ++s)
    for (const char *et : {"f32", "i64", "i1", "bf16"}) {
      std::string t = tensorType(kShapes[s], et), c = tensorType(kShapes[s], "i1");
      check("func.func @main(%c: " + c + ", %x: " + t + ", %y: " + t + ") -> " + t + " {\n" +
                "  %r = weft.select %c, %x, %y : " + c + ", " + t + "\n  return %r : " + t +
                "\n}\n",
            s, {kExact}, {{0, 2}, {-9, 9}, {-9, 9}});
    }
}

TEST_F(CodegenTest, CastMatchesReferenceBetweenAllTypes) {
  const char *types[] = {"f32", "f16", "bf16", "i32", "i64", "i1"};
  for (const char *from : types)
    for (const char *to : types) {
      if (std::string(from) == to)
        continue;
      std::string a = tensorType({5, 33}, from), b = tensorType({5, 33}, to);
      check("func.func @main(%x: " + a + ") -> " + b + " {\n  %r = weft.cast %x : " + a +
                " -> " + b + "\n  return %r : " + b + "\n}\n",
            3, {kExact}, {{-300, 300}});
    }
}

} // namespace
} // namespace weft::test

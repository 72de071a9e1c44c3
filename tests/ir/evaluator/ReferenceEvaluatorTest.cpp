//===- ReferenceEvaluatorTest.cpp - elementwise ops, casts, producers -----===//
//
// This file implements the tests of the reference evaluator's elementwise ops
// (unary math, the GELU variants, binary arithmetic, compare, select), weft.cast
// rounding and truncation, and the producers (constant, iota). Expected values
// are computed in the tests with <cmath> or written out from known results.
//
//===----------------------------------------------------------------------===//

#include "tests/ir/evaluator/EvaluatorTestUtil.h"

#include <cmath>
#include <functional>
#include <limits>
#include <numbers>

using namespace weft;
using weft::test::tensor;

namespace {

using Evaluator = weft::test::Evaluator;

/// A one-op function: %r = weft.<op> %x : tensor<NxT>.
std::string unaryFunc(const std::string &op, int64_t n, const std::string &type) {
  std::string t = "tensor<" + std::to_string(n) + "x" + type + ">";
  return "func.func @f(%x: " + t + ") -> " + t + " {\n  %r = weft." + op +
         " %x : " + t + "\n  return %r : " + t + "\n}\n";
}

/// A one-op function: %r = weft.<op> %x, %y : tensor<NxT>.
std::string binaryFunc(const std::string &op, int64_t n, const std::string &type) {
  std::string t = "tensor<" + std::to_string(n) + "x" + type + ">";
  return "func.func @f(%x: " + t + ", %y: " + t + ") -> " + t +
         " {\n  %r = weft." + op + " %x, %y : " + t + "\n  return %r : " + t +
         "\n}\n";
}

TEST_F(Evaluator, UnaryMathMatchesCmath) {
  std::vector<double> xs = {-2.5, -1.0, -0.25, 0.0, 0.5, 3.0};
  std::vector<double> pos = {0.25, 0.5, 1.0, 2.0, 4.0, 9.0};
  struct Case {
    std::string op;
    std::function<double(double)> f;
    bool positiveOnly;
  };
  std::vector<Case> cases = {
      {"neg", [](double x) { return -x; }, false},
      {"abs", [](double x) { return std::fabs(x); }, false},
      {"exp", [](double x) { return std::exp(x); }, false},
      {"tanh", [](double x) { return std::tanh(x); }, false},
      {"relu", [](double x) { return x > 0 ? x : 0.0; }, false},
      {"sigmoid", [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, false},
      {"log", [](double x) { return std::log(x); }, true},
      {"sqrt", [](double x) { return std::sqrt(x); }, true},
      {"rsqrt", [](double x) { return 1.0 / std::sqrt(x); }, true},
  };
  for (const Case &c : cases) {
    const std::vector<double> &in = c.positiveOnly ? pos : xs;
    auto r = run(unaryFunc(c.op, 6, "f32"), {tensor({6}, in)});
    ASSERT_EQ(r.size(), 1u) << c.op;
    ASSERT_EQ(r[0].shape, std::vector<int64_t>{6}) << c.op;
    for (size_t i = 0; i < in.size(); ++i)
      EXPECT_NEAR(r[0].data[i], c.f(in[i]), 1e-15) << c.op << " at " << in[i];
  }
}

TEST_F(Evaluator, LogOfNegativeIsNaN) {
  auto r = run(unaryFunc("log", 1, "f32"), {tensor({1}, {-1.0})});
  EXPECT_TRUE(std::isnan(r[0].data[0]));
}

TEST_F(Evaluator, GeluVariantsMatchKnownValues) {
  auto gelu = run(unaryFunc("gelu", 3, "f32"), {tensor({3}, {1.0, -1.0, 0.0})});
  EXPECT_NEAR(gelu[0].data[0], 0.8413447460685429, 1e-15);
  EXPECT_NEAR(gelu[0].data[1], -0.15865525393145707, 1e-15);
  EXPECT_EQ(gelu[0].data[2], 0.0);

  auto tanhGelu = run(unaryFunc("gelu_tanh", 2, "f32"), {tensor({2}, {1.0, 2.0})});
  EXPECT_NEAR(tanhGelu[0].data[0], 0.8411919906082768, 1e-15);
  double c = std::sqrt(2.0 / std::numbers::pi);
  EXPECT_NEAR(tanhGelu[0].data[1],
              0.5 * 2.0 * (1.0 + std::tanh(c * (2.0 + 0.044715 * 8.0))), 1e-15);

  auto fast = run(unaryFunc("fast_gelu", 2, "f32"), {tensor({2}, {1.0, -1.0})});
  EXPECT_NEAR(fast[0].data[0], 0.8457957659328212, 1e-15);
  EXPECT_NEAR(fast[0].data[1], -0.1542042340671787, 1e-15);
}

TEST_F(Evaluator, BinaryArithmetic) {
  std::vector<double> x = {1.5, -2.0, 3.0, 0.5}, y = {0.5, 4.0, -1.5, 2.0};
  struct Case {
    std::string op;
    std::function<double(double, double)> f;
  };
  std::vector<Case> cases = {
      {"add", [](double a, double b) { return a + b; }},
      {"sub", [](double a, double b) { return a - b; }},
      {"mul", [](double a, double b) { return a * b; }},
      {"div", [](double a, double b) { return a / b; }},
      {"max", [](double a, double b) { return a > b ? a : b; }},
      {"min", [](double a, double b) { return a < b ? a : b; }},
  };
  for (const Case &c : cases) {
    auto r = run(binaryFunc(c.op, 4, "f32"), {tensor({4}, x), tensor({4}, y)});
    for (size_t i = 0; i < x.size(); ++i)
      EXPECT_EQ(r[0].data[i], c.f(x[i], y[i])) << c.op << " at " << i;
  }
  auto p = run(binaryFunc("pow", 3, "f32"),
               {tensor({3}, {2.0, 9.0, 1.5}), tensor({3}, {10.0, 0.5, 2.0})});
  EXPECT_EQ(p[0].data, (std::vector<double>{1024.0, 3.0, 2.25}));
}

TEST_F(Evaluator, IntegerDivisionTruncatesTowardZero) {
  auto r = run(binaryFunc("div", 5, "i32"),
               {tensor({5}, {-7, 7, -7, 7, 6}), tensor({5}, {2, -2, -2, 2, 3})});
  EXPECT_EQ(r[0].data, (std::vector<double>{-3, -3, 3, 3, 2}));
}

TEST_F(Evaluator, Int32ArithmeticWraps) {
  auto r = run(binaryFunc("add", 2, "i32"),
               {tensor({2}, {2147483647.0, -2147483648.0}), tensor({2}, {1.0, -1.0})});
  EXPECT_EQ(r[0].data, (std::vector<double>{-2147483648.0, 2147483647.0}));
}

TEST_F(Evaluator, CompareEachDirection) {
  std::vector<std::pair<std::string, std::vector<double>>> cases = {
      {"eq", {0, 1, 0}}, {"ne", {1, 0, 1}}, {"lt", {1, 0, 0}},
      {"le", {1, 1, 0}}, {"gt", {0, 0, 1}}, {"ge", {0, 1, 1}}};
  for (const auto &[dir, expected] : cases) {
    for (std::string type : {"f32", "i64"}) {
      std::string t = "tensor<3x" + type + ">";
      std::string src = "func.func @f(%x: " + t + ", %y: " + t +
                        ") -> tensor<3xi1> {\n  %r = weft.compare " + dir +
                        ", %x, %y : " + t + "\n  return %r : tensor<3xi1>\n}\n";
      auto r = run(src, {tensor({3}, {1, 2, 3}), tensor({3}, {2, 2, 2})});
      EXPECT_EQ(r[0].data, expected) << dir << " on " << type;
    }
  }
}

TEST_F(Evaluator, SelectPicksByCondition) {
  auto r = run(R"(
func.func @f(%c: tensor<2x2xi1>, %a: tensor<2x2xf32>, %b: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %r = weft.select %c, %a, %b : tensor<2x2xi1>, tensor<2x2xf32>
  return %r : tensor<2x2xf32>
})",
               {tensor({2, 2}, {1, 0, 0, 1}), tensor({2, 2}, {1, 2, 3, 4}),
                tensor({2, 2}, {-1, -2, -3, -4})});
  EXPECT_EQ(r[0].data, (std::vector<double>{1, -2, -3, 4}));
}

/// A function casting tensor<NxFROM> to tensor<NxTO>.
std::string castFunc(int64_t n, const std::string &from, const std::string &to) {
  std::string a = "tensor<" + std::to_string(n) + "x" + from + ">";
  std::string b = "tensor<" + std::to_string(n) + "x" + to + ">";
  return "func.func @f(%x: " + a + ") -> " + b + " {\n  %r = weft.cast %x : " +
         a + " -> " + b + "\n  return %r : " + b + "\n}\n";
}

TEST_F(Evaluator, CastToBf16RoundsToNearestEven) {
  // bf16 has 8 significant bits: the spacing just above 1 is 2^-7.
  auto r = run(castFunc(5, "f32", "bf16"),
               {tensor({5}, {1.00390625, 1.01171875, 1.0048828125, -3.0, 1e39})});
  EXPECT_EQ(r[0].data[0], 1.0);       // halfway, rounds to even mantissa
  EXPECT_EQ(r[0].data[1], 1.015625);  // halfway, rounds up to even
  EXPECT_EQ(r[0].data[2], 1.0078125); // above halfway
  EXPECT_EQ(r[0].data[3], -3.0);
  EXPECT_EQ(r[0].data[4], std::numeric_limits<double>::infinity()); // overflow
}

TEST_F(Evaluator, CastToF16AndF32Round) {
  // f16 has 11 significant bits: the spacing just above 1 is 2^-10.
  auto h = run(castFunc(4, "f32", "f16"),
               {tensor({4}, {1.0 + 0x1.0p-11, 1.0 + 3 * 0x1.0p-11, 65520.0, 4e-8})});
  EXPECT_EQ(h[0].data[0], 1.0);
  EXPECT_EQ(h[0].data[1], 1.0 + 0x1.0p-9);
  EXPECT_EQ(h[0].data[2], std::numeric_limits<double>::infinity());
  EXPECT_EQ(h[0].data[3], 0x1.0p-24); // the smallest subnormal, 5.96e-8

  auto f = run(castFunc(1, "bf16", "f32"), {tensor({1}, {0.1})});
  EXPECT_EQ(f[0].data[0], (double)0.1f);
}

TEST_F(Evaluator, CastToIntegersTruncatesAndToI1Tests) {
  auto i = run(castFunc(6, "f32", "i32"),
               {tensor({6}, {2.7, -2.7, -0.5, 7.0, 3e10, -3e10})});
  EXPECT_EQ(i[0].data, (std::vector<double>{2, -2, 0, 7, 2147483647.0, -2147483648.0}));

  auto b = run(castFunc(4, "f32", "i1"), {tensor({4}, {0.0, 0.25, -3.0, 0.0})});
  EXPECT_EQ(b[0].data, (std::vector<double>{0, 1, 1, 0}));

  auto f = run(castFunc(2, "i1", "f32"), {tensor({2}, {1, 0})});
  EXPECT_EQ(f[0].data, (std::vector<double>{1, 0}));

  auto w = run(castFunc(2, "i64", "i32"), {tensor({2}, {4294967297.0, -4294967297.0})});
  EXPECT_EQ(w[0].data, (std::vector<double>{1, -1}));
}

TEST_F(Evaluator, ConstantsSplatDenseIntBoolAndBf16) {
  auto r = run(R"(
func.func @f() -> (tensor<2x2xf32>, tensor<3xi64>, tensor<2xi1>, tensor<2xbf16>, tensor<2xf32>) {
  %a = weft.constant dense<1.0e-05> : tensor<2x2xf32>
  %b = weft.constant dense<[-3, 0, 50256]> : tensor<3xi64>
  %c = weft.constant dense<[true, false]> : tensor<2xi1>
  %d = weft.constant dense<[1.5, -0.125]> : tensor<2xbf16>
  %e = weft.constant dense<[0.1, 2.0]> : tensor<2xf32>
  return %a, %b, %c, %d, %e : tensor<2x2xf32>, tensor<3xi64>, tensor<2xi1>, tensor<2xbf16>, tensor<2xf32>
})",
               {});
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(r[0].data, std::vector<double>(4, (double)1.0e-05f));
  EXPECT_EQ(r[1].data, (std::vector<double>{-3, 0, 50256}));
  EXPECT_EQ(r[2].data, (std::vector<double>{1, 0}));
  EXPECT_EQ(r[3].data, (std::vector<double>{1.5, -0.125}));
  EXPECT_EQ(r[4].data, (std::vector<double>{(double)0.1f, 2.0}));
}

TEST_F(Evaluator, IotaAlongEachDimension) {
  auto r = run(R"(
func.func @f() -> (tensor<2x3xi64>, tensor<2x3xf32>) {
  %a = weft.iota dim = 1 : tensor<2x3xi64>
  %b = weft.iota dim = 0 : tensor<2x3xf32>
  return %a, %b : tensor<2x3xi64>, tensor<2x3xf32>
})",
               {});
  EXPECT_EQ(r[0].data, (std::vector<double>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(r[1].data, (std::vector<double>{0, 0, 0, 1, 1, 1}));
}

} // namespace

//===- CpuReductionContractionTest.cpp - reduce and matmuls on the CPU ----===//
//
// This file tests weft.reduce (sum, mean, max, min over leading, trailing,
// inner and all dimensions), weft.matmul and weft.batch_matmul (every
// transpose combination; f32 through BLAS, f16/bf16 as Gemm steps of their
// dtype: oneDNN or widened BLAS) compiled for the CPU against the
// double-precision reference.
//
// Tolerances, for inputs in [-1, 1): partial sums of n random-signed terms
// are ~sqrt(n) in size and an f32 sum (in an order the vectorizer chooses)
// accumulates ~sqrt(n) of their roundings, about n 2^-24 in all; we allow
// atol = 8 n 2^-24, which still fails for a wrong or missing term (>= ~1e-3
// here). Mean divides that by n. Max and min are exact. A matmul's dot products of length K are sums of
// K products in [-1, 1] and get the same bound with n = K. f16/bf16 round
// the f32 accumulation once: rtol is their rounding, atol scales with it.
//
//===----------------------------------------------------------------------===//

#include "tests/codegen/CodegenTestUtil.h"

namespace weft::test {
namespace {

Tolerance sumTolerance(int64_t n, double unit = std::ldexp(1.0, -24)) {
  return {8.0 * static_cast<double>(n) * unit, 1e-6};
}

std::string reduceProgram(const std::string &kind, const std::vector<int64_t> &shape,
                          const std::vector<int64_t> &dims, const std::string &et) {
  std::vector<int64_t> out;
  for (size_t d = 0; d < shape.size(); ++d)
    if (std::find(dims.begin(), dims.end(), static_cast<int64_t>(d)) == dims.end())
      out.push_back(shape[d]);
  std::string dimList;
  for (int64_t d : dims)
    dimList += (dimList.empty() ? "" : ", ") + std::to_string(d);
  std::string in = tensorType(shape, et), res = tensorType(out, et);
  return "func.func @main(%x: " + in + ") -> " + res + " {\n  %r = weft.reduce " + kind +
         " %x dims = [" + dimList + "] : " + in + "\n  return %r : " + res + "\n}\n";
}

struct ReduceCase {
  std::vector<int64_t> shape;
  std::vector<int64_t> dims;
};

const std::vector<ReduceCase> kReduceCases = {
    {{7}, {0}},          {{1, 1}, {1}},          {{33, 7}, {1}},      {{33, 7}, {0}},
    {{2, 3, 17}, {0, 2}}, {{2, 3, 17}, {1}},      {{5, 4, 3}, {0, 1, 2}}, {{128, 768}, {1}},
    {{12, 128, 129}, {2}}, {{300, 130}, {0}}};

int64_t reducedCount(const ReduceCase &c) {
  int64_t n = 1;
  for (int64_t d : c.dims)
    n *= c.shape[d];
  return n;
}

TEST_F(CodegenTest, ReduceFloatMatchesReference) {
  for (size_t i = 0; i < kReduceCases.size(); ++i) {
    const ReduceCase &c = kReduceCases[i];
    int64_t n = reducedCount(c);
    Tolerance sum = sumTolerance(n);
    Tolerance mean{sum.atol / static_cast<double>(n), 1e-6};
    check(reduceProgram("sum", c.shape, c.dims, "f32"), i, {sum});
    check(reduceProgram("mean", c.shape, c.dims, "f32"), i, {mean});
    check(reduceProgram("max", c.shape, c.dims, "f32"), i, {{0, 0}});
    check(reduceProgram("min", c.shape, c.dims, "f32"), i, {{0, 0}});
  }
}

TEST_F(CodegenTest, ReduceNarrowAndIntegerMatchesReference) {
  for (size_t i = 0; i < 7; ++i) {
    const ReduceCase &c = kReduceCases[i];
    int64_t n = reducedCount(c);
    for (const char *et : {"f16", "bf16"}) {
      check(reduceProgram("sum", c.shape, c.dims, et), i, {sumTolerance(n)});
      check(reduceProgram("max", c.shape, c.dims, et), i, {{0, 0}});
    }
    for (const char *et : {"i32", "i64"})
      for (const char *kind : {"sum", "mean", "max", "min"})
        check(reduceProgram(kind, c.shape, c.dims, et), i, {{0, 0}}, {{-1000, 1000}});
  }
}

/// A @main with one weft.matmul (rank 2) or weft.batch_matmul (rank > 2).
std::string matmulProgram(const std::vector<int64_t> &batch, int64_t m, int64_t n, int64_t k,
                          bool ta, bool tb, const std::string &et) {
  std::vector<int64_t> a(batch), b(batch), c(batch);
  a.push_back(ta ? k : m);
  a.push_back(ta ? m : k);
  b.push_back(tb ? n : k);
  b.push_back(tb ? k : n);
  c.push_back(m);
  c.push_back(n);
  std::string op = batch.empty() ? "weft.matmul" : "weft.batch_matmul";
  std::string attrs;
  if (ta || tb)
    attrs = std::string(" {") + (ta ? "transpose_lhs" : "") + (ta && tb ? ", " : "") +
            (tb ? "transpose_rhs" : "") + "}";
  std::string at = tensorType(a, et), bt = tensorType(b, et), ct = tensorType(c, et);
  return "func.func @main(%a: " + at + ", %b: " + bt + ") -> " + ct + " {\n  %c = " + op +
         " %a, %b" + attrs + " : " + at + ", " + bt + "\n  return %c : " + ct + "\n}\n";
}

TEST_F(CodegenTest, MatmulMatchesReferenceWithEveryTranspose) {
  // One row (m = 1) runs as a GEMV (a decode step's projections and LM head).
  const int64_t sizes[][3] = {{1, 1, 1}, {7, 33, 5}, {33, 7, 64}, {64, 96, 130}, {1, 300, 77}};
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (size_t s = 0; s < 5; ++s) {
        auto [m, n, k] = sizes[s];
        check(matmulProgram({}, m, n, k, ta, tb, "f32"), s, {sumTolerance(k)});
        check(matmulProgram({3}, m, n, k, ta, tb, "f32"), s, {sumTolerance(k)});
      }
  check(matmulProgram({2, 3}, 7, 5, 33, false, true, "f32"), 1, {sumTolerance(33)});
}

// bf16 and f16 contractions are Gemm steps of their dtype on the CPU too
// (runtime/cpu/NarrowGemm.h: oneDNN for bf16, f16 widened to f32 BLAS).
TEST_F(CodegenTest, NarrowMatmulsAreGemmStepsAndMatchReference) {
  for (const char *et : {"f16", "bf16"}) {
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        check(matmulProgram({}, 7, 33, 5, ta, tb, et), 2, {sumTolerance(5)});
        check(matmulProgram({2, 2}, 3, 4, 17, ta, tb, et), 3, {sumTolerance(17)});
      }
    mlir::OwningOpRef<mlir::ModuleOp> module = parse(matmulProgram({3}, 16, 24, 40, false, true, et));
    ASSERT_TRUE(module);
    std::optional<proto::Executable> exe = compile(*module, {});
    ASSERT_TRUE(exe.has_value());
    int gemms = 0;
    for (const proto::Step &step : exe->steps())
      if (step.has_gemm()) {
        ++gemms;
        EXPECT_EQ(step.gemm().dtype(), std::string(et) == "bf16" ? proto::BF16 : proto::F16);
      }
    EXPECT_EQ(gemms, 1) << et << " batch_matmul: one Gemm step";
  }
}

TEST_F(CodegenTest, EmptyContractionGivesZeros) {
  // K = 0 cannot go to BLAS; the generated kernel writes zeros.
  check(matmulProgram({}, 3, 4, 0, false, false, "f32"), 0, {{0, 0}});
}

} // namespace
} // namespace weft::test

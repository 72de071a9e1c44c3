//===- CpuFusedOpsTest.cpp - fused and training ops on the CPU ------------===//
//
// This file tests the ops the fusion and training passes create —
// weft.layer_norm, weft.rms_norm, weft.fused_matmul, weft.fused_batch_matmul
// and weft.scatter_add — compiled for the CPU and run by the runtime against
// the double-precision reference evaluator on fresh random inputs, on shapes
// that take both the sequential and the OpenMP paths, with and without their
// optional operands, in f32 (BLAS GEMM steps plus epilogue kernels for the
// contractions) and in f16/bf16 (generated contraction kernels).
//
// Tolerances (|got - want| <= atol + rtol |want|):
//   - normalizations in f32: the statistics are f32 sums over C <= 1031
//     values in [-1, 1) (relative error ~ C * 2^-24 in the worst case,
//     ~sqrt(C) * 2^-24 typically), and rstd amplifies absolute errors of the
//     centered values by up to ~1.7 (the inverse std of uniform data): atol
//     and rtol 2e-5 cover them with margin; f16/bf16 results are compared at
//     their own rounding (plus two roundings of an O(1) value as atol);
//   - f32 contractions: K-long f32 dot products of values in [-1, 1):
//     |error| <= K * 2^-24 * sum |a||b| ~ 1e-5 for K = 96, so atol 2e-5;
//     the activations add their polynomial error (rtol 1e-6);
//   - f16/bf16 contractions accumulate in f32 and round once: rtol is the
//     type's rounding, atol two roundings of the largest partial sum (~K/4);
//   - scatter_add: f32 sums of up to ~15 values in [-1, 1) per element
//     (40 indices into 7 rows), each addition rounding a partial sum of up
//     to ~4: atol 4e-6 (~15 * 4 * 2^-24); ~33 values (300 into 9 rows),
//     partial sums up to ~6: atol 2e-5 (~33 * 6 * 2^-24 = 1.2e-5).
//
//===----------------------------------------------------------------------===//

#include "tests/codegen/CodegenTestUtil.h"

namespace weft::test {
namespace {

/// Tolerance for a normalization result in element type `et`.
Tolerance normTolerance(const std::string &et) {
  if (et == "f16")
    return {4 * std::ldexp(1.0, -11), std::ldexp(1.0, -10)};
  if (et == "bf16")
    return {4 * std::ldexp(1.0, -8), std::ldexp(1.0, -7)};
  return {2e-5, 2e-5};
}

TEST_F(CodegenTest, LayerNormMatchesReference) {
  // {shape}, element type; 64x1031 is big enough to fork OpenMP threads.
  const std::vector<std::pair<std::vector<int64_t>, std::string>> cases = {
      {{1, 1}, "f32"}, {{7, 33}, "f32"}, {{2, 3, 64}, "f32"}, {{64, 1031}, "f32"},
      {{5}, "f32"},    {{4, 48}, "bf16"}, {{3, 5, 40}, "f16"}};
  uint64_t seed = 1;
  for (const auto &[shape, et] : cases) {
    std::string x = tensorType(shape, et);
    std::vector<int64_t> statShape(shape.begin(), shape.end() - 1);
    std::string st = tensorType(statShape, et), c = tensorType({shape.back()}, et);
    Tolerance tol = normTolerance(et);
    // With gamma and beta, with gamma only, and without either.
    for (int affine = 0; affine < 3; ++affine) {
      std::string args = "%x: " + x, operands = "%x", types = x;
      if (affine >= 1) {
        args += ", %g: " + c;
        operands += ", %g";
        types += ", " + c;
      }
      if (affine == 2) {
        args += ", %b: " + c;
        operands += ", %b";
        types += ", " + c;
      }
      std::string src = "func.func @main(" + args + ") -> (" + x + ", " + st + ", " + st +
                        ") {\n  %y, %m, %r = weft.layer_norm " + operands +
                        " epsilon = 1.000000e-05 : " + types + "\n  return %y, %m, %r : " + x +
                        ", " + st + ", " + st + "\n}\n";
      check(src, seed++, {tol});
    }
  }
}

TEST_F(CodegenTest, LayerNormOfShiftedRowsKeepsItsVariance) {
  // Rows far from zero (x in [1000, 1001)): a one-pass E[x^2] - mean^2
  // variance would lose every digit; the two-pass row loop keeps them.
  check(R"(
func.func @main(%x: tensor<8x256xf32>) -> (tensor<8x256xf32>, tensor<8xf32>, tensor<8xf32>) {
  %y, %m, %r = weft.layer_norm %x epsilon = 0.000000e+00 : tensor<8x256xf32>
  return %y, %m, %r : tensor<8x256xf32>, tensor<8xf32>, tensor<8xf32>
}
)",
        3, {{2e-3, 2e-4}, {0, 1e-6}, {0, 1e-3}}, {{1000, 1001}});
}

TEST_F(CodegenTest, RmsNormMatchesReference) {
  const std::vector<std::pair<std::vector<int64_t>, std::string>> cases = {
      {{1, 1}, "f32"}, {{7, 33}, "f32"}, {{64, 1031}, "f32"}, {{2, 4, 24}, "bf16"}};
  uint64_t seed = 20;
  for (const auto &[shape, et] : cases) {
    std::string x = tensorType(shape, et);
    std::vector<int64_t> statShape(shape.begin(), shape.end() - 1);
    std::string st = tensorType(statShape, et), c = tensorType({shape.back()}, et);
    for (bool gamma : {false, true}) {
      std::string src = "func.func @main(%x: " + x + (gamma ? ", %g: " + c : "") + ") -> (" +
                        x + ", " + st + ") {\n  %y, %r = weft.rms_norm %x" +
                        (gamma ? ", %g" : "") + " epsilon = 1.000000e-06 : " + x +
                        (gamma ? ", " + c : "") + "\n  return %y, %r : " + x + ", " + st +
                        "\n}\n";
      check(src, seed++, {normTolerance(et)});
    }
  }
}

TEST_F(CodegenTest, FusedMatmulMatchesReference) {
  const int64_t m = 37, k = 96, n = 45;
  uint64_t seed = 40;
  for (const char *et : {"f32", "bf16"}) {
    bool f32 = std::string(et) == "f32";
    Tolerance tol = f32 ? Tolerance{2e-5, 1e-6} : Tolerance{24 * std::ldexp(1.0, -8), 0};
    for (const char *act : {"none", "gelu", "gelu_tanh", "fast_gelu"})
      for (bool bias : {false, true})
        for (int trans = 0; trans < 4; ++trans) {
          bool tl = trans & 1, tr = trans & 2;
          std::string a = tensorType(tl ? std::vector<int64_t>{k, m} : std::vector<int64_t>{m, k}, et);
          std::string b = tensorType(tr ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n}, et);
          std::string bt = tensorType({n}, et), out = tensorType({m, n}, et);
          std::string attrs;
          if (tl || tr)
            attrs = std::string(" {") + (tl ? "transpose_lhs" : "") + (tl && tr ? ", " : "") +
                    (tr ? "transpose_rhs" : "") + "}";
          std::string src = "func.func @main(%a: " + a + ", %b: " + b +
                            (bias ? ", %c: " + bt : "") + ") -> " + out +
                            " {\n  %r = weft.fused_matmul %a, %b" + (bias ? ", %c" : "") +
                            " activation = " + act + attrs + " : " + a + ", " + b +
                            (bias ? ", " + bt : "") + "\n  return %r : " + out + "\n}\n";
          check(src, seed++, {tol});
        }
  }
}

TEST_F(CodegenTest, FusedMatmulOnBlasIsOneGemmAndOneEpilogue) {
  auto module = parse(R"(
func.func @main(%a: tensor<8x16xf32>, %w: tensor<16x32xf32> {weft.param = "w"},
                %c: tensor<32xf32> {weft.param = "c"}) -> tensor<8x32xf32> {
  %r = weft.fused_matmul %a, %w, %c activation = gelu_tanh : tensor<8x16xf32>, tensor<16x32xf32>, tensor<32xf32>
  return %r : tensor<8x32xf32>
}
)");
  ASSERT_TRUE(module);
  std::string diagnostics;
  auto exe = compile(*module, {}, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;
  ASSERT_EQ(exe->steps_size(), 2);
  ASSERT_TRUE(exe->steps(0).has_gemm());
  EXPECT_EQ(exe->steps(0).gemm().beta(), 0.0f);
  ASSERT_TRUE(exe->steps(1).has_kernel_call());
  const proto::KernelCall &epilogue = exe->steps(1).kernel_call();
  ASSERT_EQ(epilogue.args_size(), 2) << "bias, then the GEMM output updated in place";
  EXPECT_EQ(epilogue.args(1), exe->steps(0).gemm().c());
  // The only arena buffers are the input and the output: no temporary.
  int arenaBuffers = 0;
  for (const proto::Buffer &b : exe->buffers())
    arenaBuffers += b.kind() != proto::PARAMETER;
  EXPECT_EQ(arenaBuffers, 2);
}

TEST_F(CodegenTest, FusedBatchMatmulMatchesReference) {
  const int64_t b0 = 2, b1 = 3, m = 17, k = 24, n = 19;
  uint64_t seed = 80;
  for (const char *et : {"f32", "f16"}) {
    bool f32 = std::string(et) == "f32";
    Tolerance tol = f32 ? Tolerance{2e-5, 0} : Tolerance{8 * std::ldexp(1.0, -11), 0};
    // Addend: none, the full shape, [m, n] shared by every batch, [b1, m, n].
    for (int addend = 0; addend < 4; ++addend)
      for (int trans = 0; trans < 4; ++trans) {
        bool tl = trans & 1, tr = trans & 2;
        std::string a = tensorType(tl ? std::vector<int64_t>{b0, b1, k, m}
                                      : std::vector<int64_t>{b0, b1, m, k}, et);
        std::string b = tensorType(tr ? std::vector<int64_t>{b0, b1, n, k}
                                      : std::vector<int64_t>{b0, b1, k, n}, et);
        std::string out = tensorType({b0, b1, m, n}, et);
        std::vector<std::vector<int64_t>> addendShapes = {
            {}, {b0, b1, m, n}, {m, n}, {b1, m, n}};
        std::string at = addend ? tensorType(addendShapes[addend], et) : "";
        std::string attrs;
        if (tl || tr)
          attrs = std::string(" {") + (tl ? "transpose_lhs" : "") + (tl && tr ? ", " : "") +
                  (tr ? "transpose_rhs" : "") + "}";
        std::string coeffs = addend ? " alpha = 1.250000e-01 beta = " +
                                          std::string(addend == 2 ? "1.000000e+00" : "-7.500000e-01")
                                    : " alpha = 1.250000e-01 beta = 0.000000e+00";
        std::string src = "func.func @main(%a: " + a + ", %b: " + b +
                          (addend ? ", %c: " + at : "") + ") -> " + out +
                          " {\n  %r = weft.fused_batch_matmul %a, %b" +
                          (addend ? ", %c" : "") + coeffs + attrs + " : " + a + ", " + b +
                          (addend ? ", " + at : "") + "\n  return %r : " + out + "\n}\n";
        check(src, seed++, {tol});
      }
  }
}

TEST_F(CodegenTest, FusedBatchMatmulWithAddendFillsThenGemmsWithBetaOne) {
  auto module = parse(R"(
func.func @main(%q: tensor<4x8x16xf32>, %k: tensor<4x8x16xf32>, %mask: tensor<8x8xf32>)
    -> tensor<4x8x8xf32> {
  %s = weft.fused_batch_matmul %q, %k, %mask alpha = 2.500000e-01 beta = 1.000000e+00 {transpose_rhs} : tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<8x8xf32>
  return %s : tensor<4x8x8xf32>
}
)");
  ASSERT_TRUE(module);
  std::string diagnostics;
  auto exe = compile(*module, {}, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;
  ASSERT_EQ(exe->steps_size(), 2);
  ASSERT_TRUE(exe->steps(0).has_kernel_call());
  ASSERT_TRUE(exe->steps(1).has_gemm());
  const proto::Gemm &g = exe->steps(1).gemm();
  EXPECT_EQ(g.alpha(), 0.25f);
  EXPECT_EQ(g.beta(), 1.0f);
  EXPECT_EQ(g.batch(), 4u);
  EXPECT_EQ(exe->steps(0).kernel_call().args(1), g.c());
}

TEST_F(CodegenTest, ScatterAddMatchesReference) {
  uint64_t seed = 120;
  for (const char *it : {"i64", "i32"}) {
    // 40 indices into 7 rows: most rows are named several times.
    check("func.func @main(%u: tensor<40x33xf32>, %i: " + tensorType({40}, it) +
              ") -> tensor<7x33xf32> {\n  %r = weft.scatter_add %u[%i] : tensor<40x33xf32>, " +
              tensorType({40}, it) + " -> tensor<7x33xf32>\n  return %r : tensor<7x33xf32>\n}\n",
          seed++, {{4e-6, 1e-6}}, {{-1, 1}, {0, 7}});
    // Indices of rank 2, rows of rank 2, rows never named stay zero.
    check("func.func @main(%u: tensor<2x3x4x5xf32>, %i: " + tensorType({2, 3}, it) +
              ") -> tensor<50x4x5xf32> {\n  %r = weft.scatter_add %u[%i] : "
              "tensor<2x3x4x5xf32>, " +
              tensorType({2, 3}, it) + " -> tensor<50x4x5xf32>\n  return %r : "
              "tensor<50x4x5xf32>\n}\n",
          seed++, {{4e-6, 1e-6}}, {{-1, 1}, {0, 50}});
  }
  // A big table: the zero fill runs on OpenMP threads.
  check("func.func @main(%u: tensor<128x64xf32>, %i: tensor<128xi64>) -> tensor<1000x64xf32> {\n"
        "  %r = weft.scatter_add %u[%i] : tensor<128x64xf32>, tensor<128xi64> -> "
        "tensor<1000x64xf32>\n  return %r : tensor<1000x64xf32>\n}\n",
        seed++, {{4e-6, 1e-6}}, {{-1, 1}, {0, 1000}});
  // Rows of 150 columns: blocks of 64, 64 and 22 columns; and one column per
  // parallel iteration (the CUDA back end's layout) with the same sums. Then
  // rows added into an init (weft-scatter-add-into's form) on both layouts:
  // the init's rows no index names come back unchanged. The init is a
  // function input here, so it keeps its own buffer (CpuMemoryPlanTest
  // writes into a dying init's storage).
  for (int64_t block : {64, 1}) {
    codegen::CpuCodegenOptions options;
    options.scatterColumnBlock = block;
    check("func.func @main(%u: tensor<300x150xf32>, %i: tensor<300xi64>) -> tensor<9x150xf32> {\n"
          "  %r = weft.scatter_add %u[%i] : tensor<300x150xf32>, tensor<300xi64> -> "
          "tensor<9x150xf32>\n  return %r : tensor<9x150xf32>\n}\n",
          seed++, {{2e-5, 1e-6}}, {{-1, 1}, {0, 9}}, options);
    check("func.func @main(%u: tensor<60x70xf32>, %i: tensor<60xi64>, %t: tensor<12x70xf32>) -> "
          "tensor<12x70xf32> {\n  %r = weft.scatter_add %u[%i] into %t : tensor<60x70xf32>, "
          "tensor<60xi64> -> tensor<12x70xf32>\n  return %r : tensor<12x70xf32>\n}\n",
          seed++, {{4e-6, 1e-6}}, {{-1, 1}, {0, 12}, {-1, 1}}, options);
  }
  // bf16 rows.
  check("func.func @main(%u: tensor<16x8xbf16>, %i: tensor<16xi64>) -> tensor<4x8xbf16> {\n"
        "  %r = weft.scatter_add %u[%i] : tensor<16x8xbf16>, tensor<16xi64> -> "
        "tensor<4x8xbf16>\n  return %r : tensor<4x8xbf16>\n}\n",
        seed++, {{8 * std::ldexp(1.0, -8), std::ldexp(1.0, -7)}}, {{-1, 1}, {0, 4}});
}

} // namespace
} // namespace weft::test

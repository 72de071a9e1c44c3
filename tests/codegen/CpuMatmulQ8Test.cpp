//===- CpuMatmulQ8Test.cpp - weft.matmul_q8 compiled against the reference ===//
//
// This file implements tests of weft.matmul_q8 on the CPU: the compiled
// program (a Gemm step with an int8 b, runtime/cpu/Gemv.h for M <= 8,
// dequantize + sgemm above) against the double-precision reference evaluator
// (dequantize, then multiply) on fresh random f32 activations in [-1, 1),
// int8 weights in [-127, 127] and scales in [0.001, 0.02), for both weight
// layouts, M from 1 to 8 and beyond, and odd sizes; and the CUDA partition's
// refusal. The same with quantize_lhs (int8 activations: GemmInt8.h's VNNI
// kernels for M <= 8, the f32 expansion + sgemm above) and with LLM.int8()'s
// outlier_threshold (0.97 on activations in [-1, 1): some columns outliers,
// more as M grows), against the evaluator's own quantization of the rows.
// Tolerance: |got - want| <= 1e-5 + 1e-5 |want| (each output sums at most
// 300 f32 products of size <= 2.5: f32 rounding gives ~1e-6 here; the row
// quantization is specified in f32 and both sides round alike).
// Also the lookup of a quantized embedding table (weft-quantize-weights
// under an int8 LM head): the int8 rows and their scales gathered, cast and
// multiplied, as separate ops and as one weft.fusion with an int8 operand;
// exact but for the one f32 rounding of the product (rtol 1e-6).
//
//===----------------------------------------------------------------------===//

#include "CodegenTestUtil.h"
#include "tests/common/OpPrograms.h"

using namespace weft;
using namespace weft::test;

namespace {

/// The diagnostics of parsing `src`, which must fail.
std::string parseErrors(mlir::MLIRContext &ctx, const std::string &src) {
  std::string messages;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    messages += d.str() + "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::parseSourceString<mlir::ModuleOp>(src, &ctx);
  EXPECT_FALSE(module);
  return messages;
}

TEST_F(CodegenTest, MatmulQ8MatchesReference) {
  const std::vector<Range> ranges = {{-1.0, 1.0}, {-127.0, 128.0}, {0.001, 0.02}};
  uint64_t seed = 1;
  for (bool transposed : {false, true})
    for (int64_t m : {1, 2, 3, 5, 8, 9, 33})
      for (auto [k, n] : {std::pair<int64_t, int64_t>{17, 5}, {300, 129}, {64, 1000}}) {
        SCOPED_TRACE("m=" + std::to_string(m) + " k=" + std::to_string(k) + " n=" +
                     std::to_string(n) + (transposed ? " [n, k]" : " [k, n]"));
        check(q8Program(m, k, n, transposed), seed++, {{1e-5, 1e-5}}, ranges);
      }
}

TEST_F(CodegenTest, MatmulQ8WithInt8ActivationsMatchesReference) {
  const std::vector<Range> ranges = {{-1.0, 1.0}, {-127.0, 128.0}, {0.001, 0.02}};
  uint64_t seed = 100;
  for (std::string attrs : {"quantize_lhs", "quantize_lhs, outlier_threshold = 0.97 : f32"})
    for (bool transposed : {false, true})
      for (int64_t m : {1, 3, 8, 9, 33})
        for (auto [k, n] : {std::pair<int64_t, int64_t>{17, 5}, {300, 129}, {64, 1000}}) {
          SCOPED_TRACE(attrs + " m=" + std::to_string(m) + " k=" + std::to_string(k) + " n=" +
                       std::to_string(n) + (transposed ? " [n, k]" : " [k, n]"));
          check(q8Program(m, k, n, transposed, attrs), seed++, {{1e-5, 1e-5}}, ranges);
        }
}

TEST_F(CodegenTest, MatmulQ8RejectsThresholdWithoutQuantizedLhs) {
  std::string src = "func.func @main(%x: tensor<2x4xf32>, %w: tensor<4x3xi8>, %s: tensor<3xf32>) -> "
                    "tensor<2x3xf32> {\n  %y = weft.matmul_q8 %x, %w, %s {outlier_threshold = 6.0 : f32} : "
                    "tensor<2x4xf32>, tensor<4x3xi8>, tensor<3xf32>\n  return %y : tensor<2x3xf32>\n}\n";
  std::string messages = parseErrors(ctx, src);
  EXPECT_NE(messages.find("has an outlier_threshold but not quantize_lhs"), std::string::npos) << messages;
}

TEST_F(CodegenTest, MatmulQ8RejectsMismatchedScales) {
  std::string src = "func.func @main(%x: tensor<2x4xf32>, %w: tensor<4x3xi8>, %s: tensor<4xf32>) -> "
                    "tensor<2x3xf32> {\n  %y = weft.matmul_q8 %x, %w, %s : tensor<2x4xf32>, "
                    "tensor<4x3xi8>, tensor<4xf32>\n  return %y : tensor<2x3xf32>\n}\n";
  std::string messages = parseErrors(ctx, src);
  EXPECT_NE(messages.find("scales must be [N] = [3] (one per output channel), got a tensor of rank 1 "
                          "and size 4"),
            std::string::npos)
      << messages;
}

/// The lookup weft-quantize-weights makes of a tied table held in int8
/// (table [v, d] i8, scales [v] f32, ids [m]), unfused or with the cast,
/// broadcast and multiply in one weft.fusion that reads the int8 rows.
std::string dequantizingGather(int64_t v, int64_t d, int64_t m, bool fused) {
  std::string q = tensorType({v, d}, "i8"), s = tensorType({v}, "f32"), ids = tensorType({m}, "i64");
  std::string rows = tensorType({m, d}, "i8"), scales = tensorType({m}, "f32"), y = tensorType({m, d}, "f32");
  std::string head = "func.func @main(%q: " + q + ", %s: " + s + ", %ids: " + ids + ") -> " + y + " {\n" +
                     "  %r = weft.gather %q[%ids] : " + q + ", " + ids + "\n" +
                     "  %c = weft.gather %s[%ids] : " + s + ", " + ids + "\n";
  std::string math = "  %f = weft.cast %R : " + rows + " -> " + y + "\n" +
                     "  %b = weft.broadcast %C dims = [0] : " + scales + " -> " + y + "\n" +
                     "  %y = weft.mul %f, %b : " + y + "\n";
  auto with = [&](std::string text, const std::string &r, const std::string &c) {
    text.replace(text.find("%R"), 2, r);
    text.replace(text.find("%C"), 2, c);
    return text;
  };
  if (!fused)
    return head + with(math, "%r", "%c") + "  return %y : " + y + "\n}\n";
  return head + "  %y = weft.fusion %r, %c : (" + rows + ", " + scales + ") -> " + y + " {\n  ^bb0(%a: " +
         rows + ", %e: " + scales + "):\n" + with(math, "%a", "%e") + "  weft.yield %y : " + y +
         "\n  }\n  return %y : " + y + "\n}\n";
}

TEST_F(CodegenTest, Int8TableLookupDequantizesTheGatheredRows) {
  uint64_t seed = 300;
  for (bool fused : {false, true})
    for (auto [v, d, m] : {std::tuple<int64_t, int64_t, int64_t>{7, 5, 1}, {50, 96, 9}, {1000, 33, 64}}) {
      SCOPED_TRACE(std::string(fused ? "fused" : "unfused") + " v=" + std::to_string(v) + " d=" +
                   std::to_string(d) + " m=" + std::to_string(m));
      const std::vector<Range> ranges = {{-127.0, 128.0}, {0.001, 0.02}, {0.0, double(v)}};
      check(dequantizingGather(v, d, m, fused), seed++, {{0.0, 1e-6}}, ranges);
    }
}

} // namespace

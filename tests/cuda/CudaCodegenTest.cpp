//===- CudaCodegenTest.cpp - every weft op compiled for CUDA --------------===//
//
// This file tests the CUDA code generator where no GPU is needed (CI):
// every op of the weft dialect (elementwise, compare/select/cast, matmuls,
// reductions, data movement, the fused normalization and matmul ops,
// scatter_add, dynamic_update_slice, also in place into a state) and the
// 2-layer GPT-2 forward compile to a "cuda" Executable
// whose cubin is an ELF for EM_CUDA (190) and sm_90, defines every function
// the Executable launches, and whose every kernel-call step launches at
// least one kernel unless its buffers are empty. Without a GPU, creating an
// Executor for it fails UNAVAILABLE with the reason.
//
// With WEFT_CUDA_CASES_OUT=DIR each case is also written as a bundle (the
// Executable, random inputs, the reference evaluator's outputs and the
// tolerances; for GPT-2 also the CPU back end's outputs) that
// WeftCudaRuntimeTests runs on a GPU machine (WEFT_CUDA_CASES=DIR), and
// bench_add.wexe, a 2^26-element f32 add for the bandwidth benchmark. When a
// GPU is present here, each case also runs here.
//
// GPU tolerances (|got - want| <= atol + rtol |want|): ops that round once
// in f32 (add, mul, select, cast, data movement, max/min reductions) two
// roundings; libdevice functions (exp, log, tanh, erf, sqrt, rsqrt, pow and
// the activations built on them) rtol 4e-6 plus atol 1e-6 near zero; sums
// of n terms as in the CPU tests (n * 2^-24 relative to the sum of
// magnitudes ~ n/2 for inputs in [-1, 1)); bf16 results their own rounding;
// cuBLASLt's GELU epilogue (gelu_tanh; its tanh is not libdevice's) the
// GEMM's sum tolerance with rtol 1e-4 (max |err| 5.1e-6 measured on an H100).
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CudaCodegen.h"
#include "compiler/Compile.h"
#include "frontend/Program.h"
#include "models/Gpt2.h"
#include "runtime/Executor.h"
#include "tests/codegen/CodegenTestUtil.h"
#include "tests/common/OpPrograms.h"
#include "tests/cuda/CaseBundle.h"
#include "tests/cuda/CubinElf.h"
#include "tests/cuda/CudaTestSupport.h"
#include "models/catalog/ParamInit.h"

#include <cstdlib>
#include <filesystem>

namespace weft::test {
namespace {

const Tolerance kExact{0, 0};
const Tolerance kLibdevice{1e-6, 4e-6};

/// Sum of n terms in [-1, 1): absolute error up to n * 2^-24 * n/2 (loose).
Tolerance sumTolerance(int64_t n) {
  return {double(n) * double(n) * std::ldexp(1.0, -25) + 1e-6, 2 * std::ldexp(1.0, -24)};
}

class CudaCodegenTest : public CodegenTest {
protected:
  /// Compiles `module` for cuda; nullopt (and the diagnostics) on failure.
  std::optional<proto::Executable> compileCuda(mlir::ModuleOp module, std::string *diagnostics) {
    std::string messages;
    mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
      messages += d.str() + "\n";
      return mlir::success();
    });
    mlir::FailureOr<proto::Executable> exe = codegen::compileForCuda(module, {});
    *diagnostics = messages;
    if (mlir::failed(exe))
      return std::nullopt;
    return std::move(*exe);
  }

  /// Parses, compiles, checks the Executable, writes the bundle and, with
  /// a GPU, runs it.
  void checkCase(const std::string &name, const std::string &src, uint64_t seed,
                 const std::vector<Tolerance> &tols, const std::vector<Range> &ranges = {});
};

void CudaCodegenTest::checkCase(const std::string &name, const std::string &src, uint64_t seed,
                                const std::vector<Tolerance> &tols,
                                const std::vector<Range> &ranges) {
  SCOPED_TRACE(name + ":\n" + src);
  mlir::OwningOpRef<mlir::ModuleOp> module = parse(src);
  ASSERT_TRUE(module);
  auto main = module->lookupSymbol<mlir::func::FuncOp>("main");
  ASSERT_TRUE(main);
  std::vector<RefTensor> args = randomArguments(main, seed, ranges);
  CaseData data;
  for (auto [i, type] : llvm::enumerate(main.getArgumentTypes()))
    data.inputs.push_back({"arg" + std::to_string(i),
                           toHost(args[i], mlir::cast<mlir::RankedTensorType>(type))});
  std::vector<RefTensor> want = evaluate(main, args);
  for (auto [o, type] : llvm::enumerate(main.getResultTypes())) {
    auto tt = mlir::cast<mlir::RankedTensorType>(type);
    data.want.push_back(toHost(want[o], tt));
    Tolerance t = tols.size() == 1 ? tols[0] : tols.at(o);
    data.tolerances.push_back({t.atol, std::max(t.rtol, 2 * unitRoundoff(tt.getElementType()))});
  }
  std::string diagnostics;
  std::optional<proto::Executable> exe = compileCuda(*module, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;
  expectValidCudaExecutable(*exe);
  checkBundleWhereGpu(name, rt::Executable(*exe), data);
}

using test::binaryProgram;
using test::unaryProgram;

TEST_F(CudaCodegenTest, UnaryOps) {
  std::vector<std::string> ops = {"neg",  "abs",       "exp",       "tanh", "relu", "sigmoid",
                                  "gelu", "gelu_tanh", "fast_gelu", "log",  "sqrt", "rsqrt"};
  std::vector<Tolerance> tols = {kExact,     kExact,     kLibdevice, kLibdevice,
                                 kExact,     kLibdevice, kLibdevice, kLibdevice,
                                 kLibdevice, kLibdevice, kLibdevice, kLibdevice};
  std::vector<Range> ranges(9, Range{-6, 6});
  ranges.resize(12, Range{0.01, 20});
  ranges[2] = Range{-30, 30};
  checkCase("unary_f32", unaryProgram(ops, "tensor<16x1031xf32>"), 1, tols, ranges);
  checkCase("unary_f32_small", unaryProgram(ops, "tensor<7xf32>"), 2, tols, ranges);
}

TEST_F(CudaCodegenTest, BinaryOps) {
  std::vector<std::string> ops = {"add", "sub", "mul", "div", "max", "min", "pow"};
  std::vector<Tolerance> tols(6, kExact);
  tols.push_back(kLibdevice);
  checkCase("binary_f32", binaryProgram(ops, "tensor<33x257xf32>"), 3, tols,
            {{0.1, 4}, {-2, 2}});
  checkCase("binary_i64", binaryProgram({"add", "sub", "mul", "max", "min"}, "tensor<5x7xi64>"),
            4, {kExact}, {{-100, 100}, {-100, 100}});
}

TEST_F(CudaCodegenTest, NarrowFloatOps) {
  checkCase("unary_bf16", unaryProgram({"neg", "exp", "tanh", "gelu", "sqrt"}, "tensor<7x33xbf16>"),
            5, {kLibdevice}, {{-4, 4}, {-4, 4}, {-4, 4}, {-4, 4}, {0.01, 20}});
  checkCase("binary_f16", binaryProgram({"add", "mul", "max"}, "tensor<7x33xf16>"), 6, {kExact});
}

TEST_F(CudaCodegenTest, CompareSelectCast) {
  checkCase("compare_select",
            "func.func @main(%x: tensor<9x130xf32>, %y: tensor<9x130xf32>) -> "
            "(tensor<9x130xf32>, tensor<9x130xi1>) {\n"
            "  %c = weft.compare lt, %x, %y : tensor<9x130xf32>\n"
            "  %s = weft.select %c, %x, %y : tensor<9x130xi1>, tensor<9x130xf32>\n"
            "  return %s, %c : tensor<9x130xf32>, tensor<9x130xi1>\n}\n",
            7, {kExact});
  checkCase("cast",
            "func.func @main(%x: tensor<9x130xf32>) -> (tensor<9x130xbf16>, tensor<9x130xf16>, "
            "tensor<9x130xi32>, tensor<9x130xf32>) {\n"
            "  %b = weft.cast %x : tensor<9x130xf32> -> tensor<9x130xbf16>\n"
            "  %h = weft.cast %x : tensor<9x130xf32> -> tensor<9x130xf16>\n"
            "  %i = weft.cast %x : tensor<9x130xf32> -> tensor<9x130xi32>\n"
            "  %w = weft.cast %b : tensor<9x130xbf16> -> tensor<9x130xf32>\n"
            "  return %b, %h, %i, %w : tensor<9x130xbf16>, tensor<9x130xf16>, tensor<9x130xi32>, "
            "tensor<9x130xf32>\n}\n",
            8, {kExact}, {{-50, 50}});
}

TEST_F(CudaCodegenTest, RandomUniformAndDropout) {
  // The counter-based generator in i64 integer ops: bitwise the evaluator's
  // numbers, then dropout's select (p = 0.25) on them.
  checkCase("random_dropout",
            "func.func @main(%seed: tensor<i64>, %x: tensor<9x130xf32>) -> "
            "(tensor<9x130xf32>, tensor<9x130xf32>) {\n"
            "  %u = weft.random_uniform %seed stream = 7 : tensor<i64> -> tensor<9x130xf32>\n"
            "  %p = weft.constant dense<2.500000e-01> : tensor<9x130xf32>\n"
            "  %z = weft.constant dense<0.000000e+00> : tensor<9x130xf32>\n"
            "  %c = weft.compare lt, %u, %p : tensor<9x130xf32>\n"
            "  %d = weft.select %c, %z, %x : tensor<9x130xi1>, tensor<9x130xf32>\n"
            "  return %u, %d : tensor<9x130xf32>, tensor<9x130xf32>\n}\n",
            9, {kExact}, {{0, 100000}, {-2, 2}});
}

std::string matmulProgram(const std::string &op, const std::vector<int64_t> &batch, int64_t m,
                          int64_t n, int64_t k, bool ta, bool tb, const std::string &et) {
  std::vector<int64_t> a = batch, b = batch, c = batch;
  a.push_back(ta ? k : m);
  a.push_back(ta ? m : k);
  b.push_back(tb ? n : k);
  b.push_back(tb ? k : n);
  c.push_back(m);
  c.push_back(n);
  std::string at = tensorType(a, et), bt = tensorType(b, et), ct = tensorType(c, et);
  std::string attrs;
  if (ta || tb)
    attrs = std::string(" {") + (ta ? "transpose_lhs" : "") + (ta && tb ? ", " : "") +
            (tb ? "transpose_rhs" : "") + "}";
  return "func.func @main(%a: " + at + ", %b: " + bt + ") -> " + ct + " {\n  %r = weft." + op +
         " %a, %b" + attrs + " : " + at + ", " + bt + "\n  return %r : " + ct + "\n}\n";
}

TEST_F(CudaCodegenTest, MatmulsAsCublasLtGemms) {
  int s = 10;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      std::string suffix = std::string(ta ? "t" : "n") + (tb ? "t" : "n");
      checkCase("matmul_" + suffix, matmulProgram("matmul", {}, 37, 65, 129, ta, tb, "f32"), s++,
                {sumTolerance(129)});
      checkCase("batch_matmul_" + suffix,
                matmulProgram("batch_matmul", {2, 3}, 7, 33, 17, ta, tb, "f32"), s++,
                {sumTolerance(17)});
    }
}

/// The dtype of the Gemm step of `exe` (which must have exactly one).
std::optional<proto::DType> onlyGemmDType(const proto::Executable &exe) {
  std::optional<proto::DType> dtype;
  for (const proto::Step &s : exe.steps())
    if (s.has_gemm()) {
      if (dtype)
        return std::nullopt;
      dtype = s.gemm().dtype();
    }
  return dtype;
}

// bf16 and f16 contractions are cuBLASLt GEMMs of their own dtype (f32
// accumulation), not kernels: the result is rounded once to the narrow type,
// which checkCase's rtol (twice the type's unit roundoff) covers on top of
// the f32 sum tolerance.
TEST_F(CudaCodegenTest, NarrowMatmulsAsCublasLtGemms) {
  struct Case {
    std::string name, op, type;
    std::vector<int64_t> batch;
    bool ta, tb;
    proto::DType dtype;
  } cases[] = {{"matmul_bf16", "matmul", "bf16", {}, false, true, proto::BF16},
               {"matmul_f16", "matmul", "f16", {}, true, false, proto::F16},
               {"batch_matmul_bf16", "batch_matmul", "bf16", {2, 3}, false, false, proto::BF16}};
  uint64_t seed = 20;
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    std::string src = matmulProgram(c.op, c.batch, 7, 33, 17, c.ta, c.tb, c.type);
    checkCase(c.name, src, seed++, {sumTolerance(17)});
    mlir::OwningOpRef<mlir::ModuleOp> module = parse(src);
    ASSERT_TRUE(module);
    mlir::FailureOr<proto::Executable> exe = codegen::compileForCuda(*module, {});
    ASSERT_TRUE(mlir::succeeded(exe));
    EXPECT_EQ(onlyGemmDType(*exe), std::optional<proto::DType>(c.dtype));
    EXPECT_EQ(exe->kernels_size(), 0) << "no kernel computes the product";
  }
  // A bf16 fused_matmul keeps its bias and gelu_tanh in cuBLASLt's epilogue,
  // with the bf16 bias (the op's element type).
  std::string fused =
      "func.func @main(%a: tensor<16x32xbf16>, %w: tensor<64x32xbf16>, %bias: tensor<64xbf16>) "
      "-> tensor<16x64xbf16> {\n"
      "  %r = weft.fused_matmul %a, %w, %bias activation = gelu_tanh {transpose_rhs} : "
      "tensor<16x32xbf16>, tensor<64x32xbf16>, tensor<64xbf16>\n"
      "  return %r : tensor<16x64xbf16>\n}\n";
  checkCase("fused_matmul_bias_gelu_bf16", fused, seed++, {{sumTolerance(32).atol, 1e-4}});
  mlir::OwningOpRef<mlir::ModuleOp> module = parse(fused);
  ASSERT_TRUE(module);
  mlir::FailureOr<proto::Executable> exe = codegen::compileForCuda(*module, {});
  ASSERT_TRUE(mlir::succeeded(exe));
  ASSERT_EQ(exe->steps_size(), 1);
  const proto::Gemm &g = exe->steps(0).gemm();
  EXPECT_EQ(g.dtype(), proto::BF16);
  EXPECT_EQ(g.epilogue(), proto::GEMM_EPILOGUE_GELU_TANH_BIAS);
  EXPECT_EQ(exe->buffers(static_cast<int>(g.bias())).dtype(), proto::BF16);
  // The CPU runs narrow GEMMs too (oneDNN), but not cuBLASLt's epilogues:
  // a cuda Executable's bf16 Gemm with one is refused on the CPU.
  proto::Executable onCpu = *exe;
  onCpu.set_target("cpu");
  rt::Status refused = rt::Executable(onCpu).validate();
  EXPECT_FALSE(refused.isOk());
  EXPECT_NE(refused.message().find("epilogue"), std::string::npos) << refused.toString();
  onCpu.mutable_steps(0)->mutable_gemm()->set_epilogue(proto::GEMM_EPILOGUE_NONE);
  EXPECT_TRUE(rt::Executable(onCpu).validate().isOk());
}

/// A [16x32] x [64x32]^T fused_matmul with a [64] bias and `activation`.
std::string fusedMatmulProgram(const std::string &activation) {
  return "func.func @main(%a: tensor<16x32xf32>, %w: tensor<64x32xf32>, %bias: tensor<64xf32>) "
         "-> tensor<16x64xf32> {\n"
         "  %r = weft.fused_matmul %a, %w, %bias activation = " +
         activation +
         " {transpose_rhs} : tensor<16x32xf32>, tensor<64x32xf32>, tensor<64xf32>\n"
         "  return %r : tensor<16x64xf32>\n}\n";
}

TEST_F(CudaCodegenTest, FusedMatmuls) {
  // gelu_tanh + bias and bias alone run as cuBLASLt epilogues (checked in
  // FusedMatmulEpiloguesInCublasLt); exact gelu keeps its own kernel.
  checkCase("fused_matmul_bias_gelu", fusedMatmulProgram("gelu_tanh"), 21,
            {{sumTolerance(32).atol, 1e-4}});
  checkCase("fused_matmul_bias", fusedMatmulProgram("none"), 23, {sumTolerance(32)});
  checkCase("fused_matmul_bias_gelu_exact", fusedMatmulProgram("gelu"), 24,
            {{sumTolerance(32).atol, 4e-6}});
  // SwiGLU's gate has no cuBLASLt epilogue: the GEMM, then one kernel.
  checkCase("fused_matmul_gate",
            "func.func @main(%a: tensor<16x32xf32>, %w: tensor<64x32xf32>, %g: tensor<16x64xf32>) "
            "-> tensor<16x64xf32> {\n"
            "  %r = weft.fused_matmul %a, %w gate %g {transpose_rhs} : tensor<16x32xf32>, tensor<64x32xf32> "
            "gate tensor<16x64xf32>\n"
            "  return %r : tensor<16x64xf32>\n}\n",
            25, {{sumTolerance(32).atol, 4e-6}});
  checkCase("fused_batch_matmul_addend",
            "func.func @main(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %mask: "
            "tensor<8x8xf32>) -> tensor<2x8x8xf32> {\n"
            "  %r = weft.fused_batch_matmul %q, %k, %mask alpha = 0.25 beta = 1.0 "
            "{transpose_rhs} : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<8x8xf32>\n"
            "  return %r : tensor<2x8x8xf32>\n}\n",
            22, {sumTolerance(16)});
}

TEST_F(CudaCodegenTest, FusedMatmulEpiloguesInCublasLt) {
  struct Expect {
    std::string activation;
    proto::GemmEpilogue epilogue;
    int steps; // the Gemm, plus the epilogue kernel when cuBLASLt has none
  } expects[] = {{"gelu_tanh", proto::GEMM_EPILOGUE_GELU_TANH_BIAS, 1},
                 {"none", proto::GEMM_EPILOGUE_BIAS, 1},
                 {"gelu", proto::GEMM_EPILOGUE_NONE, 2},
                 {"fast_gelu", proto::GEMM_EPILOGUE_NONE, 2}};
  for (const Expect &e : expects) {
    SCOPED_TRACE(e.activation);
    for (bool epilogues : {true, false}) {
      mlir::OwningOpRef<mlir::ModuleOp> module = parse(fusedMatmulProgram(e.activation));
      ASSERT_TRUE(module);
      codegen::CudaCodegenOptions options;
      options.gemmEpilogues = epilogues;
      mlir::FailureOr<proto::Executable> exe = codegen::compileForCuda(*module, options);
      ASSERT_TRUE(mlir::succeeded(exe));
      expectValidCudaExecutable(*exe);
      ASSERT_GE(exe->steps_size(), 1);
      ASSERT_TRUE(exe->steps(0).has_gemm());
      const proto::Gemm &g = exe->steps(0).gemm();
      bool folded = epilogues && e.epilogue != proto::GEMM_EPILOGUE_NONE;
      EXPECT_EQ(g.epilogue(), folded ? e.epilogue : proto::GEMM_EPILOGUE_NONE);
      EXPECT_EQ(exe->steps_size(), folded ? 1 : 2);
      EXPECT_EQ(exe->kernels_size(), folded ? 0 : 1) << "the unused epilogue kernel is removed";
      if (folded) {
        EXPECT_EQ(exe->buffers(static_cast<int>(g.bias())).name(), "arg2");
        EXPECT_EQ(exe->buffers(static_cast<int>(g.bias())).byte_size(), 64u * 4);
      }
    }
  }
  // The runtime rejects an epilogue on the CPU and a bias of the wrong size.
  mlir::OwningOpRef<mlir::ModuleOp> module = parse(fusedMatmulProgram("none"));
  mlir::FailureOr<proto::Executable> exe = codegen::compileForCuda(*module, {});
  ASSERT_TRUE(mlir::succeeded(exe));
  proto::Executable cpu = *exe;
  cpu.set_target("cpu");
  rt::Status onCpu = rt::Executable(cpu).validate();
  EXPECT_NE(onCpu.message().find("gemm epilogue GEMM_EPILOGUE_BIAS needs target 'cuda'"),
            std::string::npos)
      << onCpu.toString();
  proto::Executable wrongBias = *exe;
  wrongBias.mutable_steps(0)->mutable_gemm()->set_bias(wrongBias.steps(0).gemm().a());
  rt::Status badBias = rt::Executable(wrongBias).validate();
  EXPECT_NE(badBias.message().find("expected f32 [64]"), std::string::npos) << badBias.toString();
  proto::Executable overlap = *exe;
  const proto::Gemm &g = overlap.steps(0).gemm();
  overlap.mutable_buffers(static_cast<int>(g.bias()))
      ->set_arena_offset(overlap.buffers(static_cast<int>(g.c())).arena_offset());
  rt::Status overlapping = rt::Executable(overlap).validate();
  EXPECT_NE(overlapping.message().find("overlaps the arena bytes of the output"),
            std::string::npos)
      << overlapping.toString();
}

std::string reduceProgram(const std::string &kind, const std::vector<int64_t> &shape,
                          const std::vector<int64_t> &dims, const std::vector<int64_t> &out) {
  std::string in = tensorType(shape, "f32"), res = tensorType(out, "f32"), d;
  for (size_t i = 0; i < dims.size(); ++i)
    d += (i ? ", " : "") + std::to_string(dims[i]);
  return "func.func @main(%x: " + in + ") -> " + res + " {\n  %r = weft.reduce " + kind +
         " %x dims = [" + d + "] : " + in + "\n  return %r : " + res + "\n}\n";
}

TEST_F(CudaCodegenTest, Reductions) {
  int s = 30;
  struct Shape {
    std::vector<int64_t> in, dims, out;
    int64_t n;
  };
  for (const Shape &c : {Shape{{64, 1031}, {1}, {64}, 1031}, Shape{{64, 1031}, {0}, {1031}, 64},
                         Shape{{3, 5, 7}, {0, 2}, {5}, 21}, Shape{{300}, {0}, {}, 300}}) {
    std::string tag = std::to_string(c.in.size()) + "d" + std::to_string(c.n);
    checkCase("reduce_sum_" + tag, reduceProgram("sum", c.in, c.dims, c.out), s++,
              {sumTolerance(c.n)});
    checkCase("reduce_mean_" + tag, reduceProgram("mean", c.in, c.dims, c.out), s++,
              {{sumTolerance(c.n).atol / double(c.n), 1e-6}});
    checkCase("reduce_max_" + tag, reduceProgram("max", c.in, c.dims, c.out), s++, {kExact});
    checkCase("reduce_min_" + tag, reduceProgram("min", c.in, c.dims, c.out), s++, {kExact});
  }
}

TEST_F(CudaCodegenTest, DataMovement) {
  checkCase("transpose_reshape",
            "func.func @main(%x: tensor<128x12x64xf32>) -> (tensor<12x128x64xf32>, "
            "tensor<128x768xf32>) {\n"
            "  %t = weft.transpose %x permutation = [1, 0, 2] : tensor<128x12x64xf32>\n"
            "  %r = weft.reshape %x : tensor<128x12x64xf32> -> tensor<128x768xf32>\n"
            "  return %t, %r : tensor<12x128x64xf32>, tensor<128x768xf32>\n}\n",
            40, {kExact});
  checkCase("broadcast_slice_concat",
            "func.func @main(%b: tensor<768xf32>, %x: tensor<9x33xf32>) -> (tensor<128x768xf32>, "
            "tensor<3x11xf32>, tensor<9x66xf32>) {\n"
            "  %r = weft.broadcast %b dims = [1] : tensor<768xf32> -> tensor<128x768xf32>\n"
            "  %s = weft.slice %x start = [1, 2] limit = [9, 33] strides = [3, 3] : "
            "tensor<9x33xf32>\n"
            "  %c = weft.concat %x, %x dim = 1 : tensor<9x33xf32>, tensor<9x33xf32>\n"
            "  return %r, %s, %c : tensor<128x768xf32>, tensor<3x11xf32>, tensor<9x66xf32>\n}\n",
            41, {kExact});
  checkCase("gather_iota_constant",
            "func.func @main(%t: tensor<50x96xf32>, %i: tensor<128xi64>) -> (tensor<128x96xf32>, "
            "tensor<4x128xi64>, tensor<2xf32>) {\n"
            "  %g = weft.gather %t[%i] : tensor<50x96xf32>, tensor<128xi64>\n"
            "  %o = weft.iota dim = 1 : tensor<4x128xi64>\n"
            "  %c = weft.constant dense<[1.5, -2.0]> : tensor<2xf32>\n"
            "  return %g, %o, %c : tensor<128x96xf32>, tensor<4x128xi64>, tensor<2xf32>\n}\n",
            42, {kExact}, {{-1, 1}, {0, 50}});
  // A bf16 table's rows widened after the gather (weft-mixed-precision's
  // store-parameters on an embedding table held in bf16).
  checkCase("gather_bf16_table_widened",
            "func.func @main(%t: tensor<50x96xbf16>, %i: tensor<7xi64>) -> tensor<7x96xf32> {\n"
            "  %g = weft.gather %t[%i] : tensor<50x96xbf16>, tensor<7xi64>\n"
            "  %w = weft.cast %g : tensor<7x96xbf16> -> tensor<7x96xf32>\n"
            "  return %w : tensor<7x96xf32>\n}\n",
            43, {kExact}, {{-1, 1}, {0, 50}});
}

TEST_F(CudaCodegenTest, NormalizationsAndScatter) {
  checkCase("layer_norm",
            "func.func @main(%x: tensor<2x37x768xf32>, %g: tensor<768xf32>, %b: tensor<768xf32>) "
            "-> (tensor<2x37x768xf32>, tensor<2x37xf32>, tensor<2x37xf32>) {\n"
            "  %y, %m, %r = weft.layer_norm %x, %g, %b epsilon = 1.0e-05 : tensor<2x37x768xf32>, "
            "tensor<768xf32>, tensor<768xf32>\n"
            "  return %y, %m, %r : tensor<2x37x768xf32>, tensor<2x37xf32>, tensor<2x37xf32>\n}\n",
            50, {{1e-5, 1e-5}});
  checkCase("rms_norm",
            "func.func @main(%x: tensor<37x768xf32>, %g: tensor<768xf32>) -> (tensor<37x768xf32>, "
            "tensor<37xf32>) {\n"
            "  %y, %r = weft.rms_norm %x, %g epsilon = 1.0e-06 : tensor<37x768xf32>, "
            "tensor<768xf32>\n"
            "  return %y, %r : tensor<37x768xf32>, tensor<37xf32>\n}\n",
            51, {{1e-5, 1e-5}});
  checkCase("scatter_add",
            "func.func @main(%u: tensor<128x96xf32>, %i: tensor<128xi64>) -> tensor<50x96xf32> {\n"
            "  %g = weft.scatter_add %u[%i] : tensor<128x96xf32>, tensor<128xi64> -> "
            "tensor<50x96xf32>\n"
            "  return %g : tensor<50x96xf32>\n}\n",
            52, {sumTolerance(8)}, {{-1, 1}, {0, 50}});
  // Rows added into a table that dies there (a tied embedding's gradient,
  // weft-scatter-add-into): the result takes the exp's storage. Tolerance:
  // libdevice's exp (rtol 4e-6 of values up to e: 1.1e-5) plus the sum of
  // the rows (sumTolerance(9): 3.4e-6).
  checkCase("scatter_add_into",
            "func.func @main(%u: tensor<128x96xf32>, %i: tensor<128xi64>, %a: tensor<50x96xf32>) "
            "-> tensor<50x96xf32> {\n"
            "  %t = weft.exp %a : tensor<50x96xf32>\n"
            "  %g = weft.scatter_add %u[%i] into %t : tensor<128x96xf32>, tensor<128xi64> -> "
            "tensor<50x96xf32>\n"
            "  return %g : tensor<50x96xf32>\n}\n",
            54, {{2e-5, 4e-6}}, {{-1, 1}, {0, 50}, {-1, 1}});
  checkCase("dynamic_update_slice",
            "func.func @main(%c: tensor<2x3x16x8xf32>, %u: tensor<2x3x2x8xf32>, %p: tensor<i64>) "
            "-> tensor<2x3x16x8xf32> {\n"
            "  %y = weft.dynamic_update_slice %c[%p], %u dim = 2 : tensor<2x3x16x8xf32>, "
            "tensor<2x3x2x8xf32>, tensor<i64>\n"
            "  return %y : tensor<2x3x16x8xf32>\n}\n",
            53, {kExact}, {{-1, 1}, {-1, 1}, {0, 15}});
}

TEST_F(CudaCodegenTest, CacheWriteIntoStateCompilesInPlace) {
  // A key/value cache write returned as the state's update: one kernel that
  // writes the state's own storage (no copy step), launched like any other.
  mlir::OwningOpRef<mlir::ModuleOp> module = parse(
      "func.func @main(%c: tensor<2x3x16x8xf32> {weft.state = \"cache\"}, "
      "%u: tensor<2x3x1x8xf32> {weft.input = \"k\"}, %p: tensor<i64> {weft.input = \"pos\"}) "
      "-> (tensor<2x3x16x8xf32> {weft.update = \"cache\"}) {\n"
      "  %y = weft.dynamic_update_slice %c[%p], %u dim = 2 : tensor<2x3x16x8xf32>, "
      "tensor<2x3x1x8xf32>, tensor<i64>\n"
      "  return %y : tensor<2x3x16x8xf32>\n}\n");
  ASSERT_TRUE(module);
  std::string diagnostics;
  std::optional<proto::Executable> exe = compileCuda(*module, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;
  expectValidCudaExecutable(*exe);
  ASSERT_EQ(exe->steps_size(), 1);
  const proto::KernelCall &call = exe->steps(0).kernel_call();
  EXPECT_EQ(exe->buffers(int(call.args(call.args_size() - 1))).alias_of(), call.args(0));
}

TEST_F(CudaCodegenTest, SoftmaxProgram) {
  std::string t = "tensor<48x300xf32>", r = "tensor<48xf32>";
  checkCase("softmax",
            "func.func @main(%x: " + t + ") -> " + t + " {\n"
            "  %m = weft.reduce max %x dims = [1] : " + t + "\n"
            "  %mb = weft.broadcast %m dims = [0] : " + r + " -> " + t + "\n"
            "  %d = weft.sub %x, %mb : " + t + "\n"
            "  %e = weft.exp %d : " + t + "\n"
            "  %s = weft.reduce sum %e dims = [1] : " + t + "\n"
            "  %sb = weft.broadcast %s dims = [0] : " + r + " -> " + t + "\n"
            "  %y = weft.div %e, %sb : " + t + "\n"
            "  return %y : " + t + "\n}\n",
            60, {{1e-7, 1e-5}}, {{-8, 8}});
}

/// The one launch of the kernel whose function name contains `op`.
const proto::CudaLaunch *launchOf(const proto::Executable &exe, const std::string &op) {
  for (const proto::Kernel &k : exe.kernels())
    if (k.cuda_launches_size() == 1 && k.cuda_launches(0).function().find(op) != std::string::npos)
      return &k.cuda_launches(0);
  return nullptr;
}

/// Row reductions become one warp- or block-per-row launch
/// (codegen/cuda/RowReductionKernels.cpp): a block of 192 threads per
/// 768-element row, one warp per row of <= 128 (four rows per block).
TEST_F(CudaCodegenTest, RowReductionsLaunchOneBlockOrWarpPerRow) {
  std::string diagnostics;
  mlir::OwningOpRef<mlir::ModuleOp> ln = parse(
      "func.func @main(%x: tensor<128x768xf32>, %g: tensor<768xf32>, %b: tensor<768xf32>) "
      "-> tensor<128x768xf32> {\n"
      "  %y, %m, %r = weft.layer_norm %x, %g, %b epsilon = 1.0e-05 : tensor<128x768xf32>, "
      "tensor<768xf32>, tensor<768xf32>\n"
      "  return %y : tensor<128x768xf32>\n}\n");
  ASSERT_TRUE(ln);
  std::optional<proto::Executable> exe = compileCuda(*ln, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;
  expectValidCudaExecutable(*exe);
  const proto::CudaLaunch *l = launchOf(*exe, "layer_norm");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->grid_x(), 128u);
  EXPECT_EQ(l->block_x(), 192u);

  mlir::OwningOpRef<mlir::ModuleOp> sm = parse(softmaxFusionProgram({1, 12, 130, 128}));
  ASSERT_TRUE(sm);
  exe = compileCuda(*sm, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;
  expectValidCudaExecutable(*exe);
  l = launchOf(*exe, "fusion");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->grid_x(), (12u * 130u + 3) / 4);
  EXPECT_EQ(l->block_x(), 128u);
}

TEST_F(CudaCodegenTest, RowReductionKernelShapes) {
  // Block per row with a partial last register (300 = 3 x 96 + 12), bf16.
  checkCase("layer_norm_bf16",
            "func.func @main(%x: tensor<5x300xbf16>, %g: tensor<300xbf16>, %b: tensor<300xbf16>) "
            "-> (tensor<5x300xbf16>, tensor<5xbf16>, tensor<5xbf16>) {\n"
            "  %y, %m, %r = weft.layer_norm %x, %g, %b epsilon = 1.0e-05 : tensor<5x300xbf16>, "
            "tensor<300xbf16>, tensor<300xbf16>\n"
            "  return %y, %m, %r : tensor<5x300xbf16>, tensor<5xbf16>, tensor<5xbf16>\n}\n",
            70, {{1e-2, 1e-2}});
  // Warp per row, rows not a multiple of four, no affine part, shifted input.
  checkCase("layer_norm_warp_rows",
            "func.func @main(%x: tensor<3x3x100xf32>) -> (tensor<3x3x100xf32>, tensor<3x3xf32>, "
            "tensor<3x3xf32>) {\n"
            "  %y, %m, %r = weft.layer_norm %x epsilon = 1.0e-05 : tensor<3x3x100xf32>\n"
            "  return %y, %m, %r : tensor<3x3x100xf32>, tensor<3x3xf32>, tensor<3x3xf32>\n}\n",
            71, {{2e-5, 2e-5}}, {{3, 5}});
  // 1024 threads, five registers each, the last partial (5000 = 4 x 1024 + 904).
  checkCase("rms_norm_long_rows",
            "func.func @main(%x: tensor<3x5000xf32>, %g: tensor<5000xf32>) -> (tensor<3x5000xf32>, "
            "tensor<3xf32>) {\n"
            "  %y, %r = weft.rms_norm %x, %g epsilon = 1.0e-06 : tensor<3x5000xf32>, "
            "tensor<5000xf32>\n"
            "  return %y, %r : tensor<3x5000xf32>, tensor<3xf32>\n}\n",
            72, {{1e-5, 1e-5}});
  checkCase("softmax_fusion", softmaxFusionProgram({48, 300}),
            73, {{1e-7, 1e-5}}, {{-8, 8}});
  // Warp per row; a per-column operand, a splat constant, a mean, and a
  // per-row result (max of the centered, scaled row).
  std::string u = "tensor<2x3x50xf32>", s = "tensor<2x3xf32>", c = "tensor<50xf32>";
  checkCase("row_fusion_mixed",
            "func.func @main(%x: " + u + ", %w: " + c + ") -> (" + u + ", " + s + ") {\n"
            "  %y, %z = weft.fusion %x, %w : (" + u + ", " + c + ") -> (" + u + ", " + s + ") {\n"
            "  ^bb0(%a: " + u + ", %v: " + c + "):\n"
            "    %k = weft.constant dense<0.5> : " + u + "\n"
            "    %vb = weft.broadcast %v dims = [2] : " + c + " -> " + u + "\n"
            "    %p = weft.mul %a, %vb : " + u + "\n"
            "    %m = weft.reduce mean %p dims = [2] : " + u + "\n"
            "    %mb = weft.broadcast %m dims = [0, 1] : " + s + " -> " + u + "\n"
            "    %d = weft.sub %p, %mb : " + u + "\n"
            "    %h = weft.mul %d, %k : " + u + "\n"
            "    %mx = weft.reduce max %h dims = [2] : " + u + "\n"
            "    weft.yield %h, %mx : " + u + ", " + s + "\n"
            "  }\n  return %y, %z : " + u + ", " + s + "\n}\n",
            74, {sumTolerance(50)});
}

TEST_F(CudaCodegenTest, BandwidthBenchProgramCompiles) {
  std::string t = "tensor<67108864xf32>";
  mlir::OwningOpRef<mlir::ModuleOp> module =
      parse("func.func @main(%a: " + t + ", %b: " + t + ") -> " + t +
            " {\n  %r = weft.add %a, %b : " + t + "\n  return %r : " + t + "\n}\n");
  ASSERT_TRUE(module);
  std::string diagnostics;
  std::optional<proto::Executable> exe = compileCuda(*module, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;
  expectValidCudaExecutable(*exe);
  ASSERT_EQ(exe->kernels_size(), 1);
  ASSERT_EQ(exe->kernels(0).cuda_launches_size(), 1);
  // Four f32 (16 bytes) per thread and iteration: vector loads and stores;
  // 2^26 / 4 / 256 = 65536 blocks of work, in one device-sized wave of
  // blocks that loop (grid-stride).
  EXPECT_EQ(exe->kernels(0).cuda_launches(0).grid_x(),
            std::min(67108864u / 4 / 256, codegen::CudaCodegenOptions().maxGridBlocks));
  EXPECT_EQ(exe->kernels(0).cuda_launches(0).block_x(), 256u);
  if (std::string dir = casesOut(); !dir.empty())
    ASSERT_TRUE(rt::Executable(*exe).save(dir + "/bench_add.wexe").isOk());
}

/// The row-reduction kernels the GPU bench times against the copy ceiling:
/// LayerNorm forward over 32768 rows of 768 and a softmax fusion over
/// 12 x 1024 rows of 1024 (f32).
TEST_F(CudaCodegenTest, RowReductionBenchProgramsCompile) {
  std::string x = "tensor<32768x768xf32>", c = "tensor<768xf32>", st = "tensor<32768xf32>";
  std::vector<std::pair<std::string, std::string>> programs = {
      {"bench_layer_norm",
       "func.func @main(%x: " + x + ", %g: " + c + ", %b: " + c + ") -> (" + x + ", " + st +
           ", " + st + ") {\n"
           "  %y, %m, %r = weft.layer_norm %x, %g, %b epsilon = 1.0e-05 : " + x + ", " + c +
           ", " + c + "\n  return %y, %m, %r : " + x + ", " + st + ", " + st + "\n}\n"},
      {"bench_softmax", softmaxFusionProgram({1, 12, 1024, 1024})}};
  for (const auto &[name, src] : programs) {
    SCOPED_TRACE(name);
    mlir::OwningOpRef<mlir::ModuleOp> module = parse(src);
    ASSERT_TRUE(module);
    std::string diagnostics;
    std::optional<proto::Executable> exe = compileCuda(*module, &diagnostics);
    ASSERT_TRUE(exe) << diagnostics;
    expectValidCudaExecutable(*exe);
    ASSERT_EQ(exe->kernels_size(), 1);
    ASSERT_EQ(exe->kernels(0).cuda_launches_size(), 1);
    // One block per row: 192 threads for 768 elements, 256 for 1024.
    bool ln = name == "bench_layer_norm";
    EXPECT_EQ(exe->kernels(0).cuda_launches(0).grid_x(), ln ? 32768u : 12288u);
    EXPECT_EQ(exe->kernels(0).cuda_launches(0).block_x(), ln ? 192u : 256u);
    if (std::string dir = casesOut(); !dir.empty())
      ASSERT_TRUE(rt::Executable(*exe).save(dir + "/" + name + ".wexe").isOk());
  }
}

/// GPT-2's MLP up-projection on 1024 tokens (x [1024x768] x w [768x3072] +
/// bias, gelu_tanh), compiled with the cuBLASLt epilogue
/// (bench_fc_gelu_epilogue.wexe: one Gemm step) and without it
/// (bench_fc_gelu_kernel.wexe: the Gemm, then the epilogue kernel).
TEST_F(CudaCodegenTest, GemmEpilogueBenchProgramsCompile) {
  std::string src =
      "func.func @main(%x: tensor<1024x768xf32>, %w: tensor<768x3072xf32>, %b: "
      "tensor<3072xf32>) -> tensor<1024x3072xf32> {\n"
      "  %r = weft.fused_matmul %x, %w, %b activation = gelu_tanh : tensor<1024x768xf32>, "
      "tensor<768x3072xf32>, tensor<3072xf32>\n  return %r : tensor<1024x3072xf32>\n}\n";
  for (bool epilogues : {true, false}) {
    mlir::OwningOpRef<mlir::ModuleOp> module = parse(src);
    ASSERT_TRUE(module);
    codegen::CudaCodegenOptions options;
    options.gemmEpilogues = epilogues;
    mlir::FailureOr<proto::Executable> exe = codegen::compileForCuda(*module, options);
    ASSERT_TRUE(mlir::succeeded(exe));
    expectValidCudaExecutable(*exe);
    EXPECT_EQ(exe->steps_size(), epilogues ? 1 : 2);
    if (std::string dir = casesOut(); !dir.empty())
      ASSERT_TRUE(rt::Executable(*exe)
                      .save(dir + (epilogues ? "/bench_fc_gelu_epilogue.wexe"
                                             : "/bench_fc_gelu_kernel.wexe"))
                      .isOk());
  }
}

TEST_F(CudaCodegenTest, UnknownPhaseAndBadBlockSizeAreErrors) {
  mlir::OwningOpRef<mlir::ModuleOp> module = parse(unaryProgram({"neg"}, "tensor<4xf32>"));
  ASSERT_TRUE(module);
  std::string messages;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    messages += d.str() + "\n";
    return mlir::success();
  });
  codegen::CudaCodegenOptions options;
  options.stopAfter = "ptx";
  EXPECT_TRUE(mlir::failed(codegen::compileForCuda(*module, options)));
  EXPECT_NE(messages.find("unknown cuda code generation phase 'ptx'"), std::string::npos)
      << messages;
  messages.clear();
  options.stopAfter = "";
  options.blockSize = 100;
  EXPECT_TRUE(mlir::failed(codegen::compileForCuda(*module, options)));
  EXPECT_NE(messages.find("block size 100 is not a multiple of 32"), std::string::npos)
      << messages;
  messages.clear();
  options.blockSize = 256;
  options.toolkitPath = "/nonexistent/cuda";
  EXPECT_TRUE(mlir::failed(codegen::compileForCuda(*module, options)));
  EXPECT_NE(messages.find("no ptxas at '/nonexistent/cuda/bin/ptxas'"), std::string::npos)
      << messages;
}

/// GPT-2, 2 layers, through weft::compile with --target cuda (graph passes,
/// fusion, memory plan) and, for the expected values, the CPU back end and
/// the reference evaluator on the same parameters and tokens.
TEST(CudaE2E, Gpt2TwoLayersCompilesForCuda) {
  models::Gpt2Config config = twoLayerGpt2Config();
  Program program = models::buildGpt2Forward(config, /*batch=*/2, /*seq=*/16);
  mlir::ModuleOp module = program.module();
  CompileOptions options;
  options.useCache = false;
  options.target = "cuda";
  CompileResult cuda = compile(module, options);
  ASSERT_TRUE(cuda.executable.has_value());
  expectValidCudaExecutable(cuda.executable->proto());
  options.target = "cpu";
  CompileResult cpu = compile(module, options);
  ASSERT_TRUE(cpu.executable.has_value());

  auto func = *module.getOps<mlir::func::FuncOp>().begin();
  auto cpuEx = rt::Executor::create(*cpu.executable);
  ASSERT_TRUE(cpuEx.isOk()) << cpuEx.status().toString();
  CaseData data;
  std::vector<RefTensor> args;
  size_t nextParam = 0;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto type = mlir::cast<mlir::RankedTensorType>(func.getArgument(i).getType());
    if (auto name = func.getArgAttrOfType<mlir::StringAttr>(i, "weft.param")) {
      const ParamSpec &spec = program.params().at(nextParam++);
      rt::HostTensor value = initialValue(spec, 1234);
      ASSERT_TRUE((*cpuEx)->setParameter(spec.name, value).isOk());
      data.params.push_back({spec.name, value});
      args.push_back(RefTensor{value.shape, fromHost(value)});
      continue;
    }
    auto name = func.getArgAttrOfType<mlir::StringAttr>(i, "weft.input");
    ASSERT_TRUE(name);
    RefTensor ref = randomTensor(type, 77 + i, 0, double(config.vocab_size));
    rt::HostTensor host = toHost(ref, type);
    ASSERT_TRUE((*cpuEx)->setInput(name.str(), host).isOk());
    data.inputs.push_back({name.str(), host});
    args.push_back(RefTensor{host.shape, fromHost(host)});
  }
  ASSERT_TRUE((*cpuEx)->run().isOk());
  std::vector<RefTensor> want = evaluate(func, args);
  for (size_t o = 0; o < want.size(); ++o) {
    auto type = mlir::cast<mlir::RankedTensorType>(func.getResultTypes()[o]);
    data.want.push_back(toHost(want[o], type));
    data.tolerances.push_back({2e-4, 2e-4}); // as the CPU end-to-end test
    auto got = (*cpuEx)->output(o);
    ASSERT_TRUE(got.isOk());
    data.cpu.push_back(*got);
  }
  data.cpuTolerance = {2e-4, 2e-4};
  checkBundleWhereGpu("gpt2_2layer", *cuda.executable, data);
}

} // namespace
} // namespace weft::test

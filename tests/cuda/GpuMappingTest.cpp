//===- GpuMappingTest.cpp - grid-stride launches and vector widths --------===//
//
// This file tests the generic GPU mapping of the CUDA code generator
// (codegen/cuda/GpuMapping.cpp) where no GPU is needed: a parallel launch is
// a grid-stride loop (gpu.grid_dim and an scf.for in its gpu.func) launched
// with min(ceil(N / B), maxGridBlocks) blocks, so a large elementwise op gets
// the capped grid and still assembles to an sm_90 cubin while a small one
// gets ceil(N / B); elementwise vector accesses are 16 bytes of the
// narrowest element type (vector<4xf32>, vector<8xbf16>, vector<8xf16>,
// vector<2xi64>; a wider type beside a narrower one takes as many elements:
// vector<8xf32> beside bf16), and an innermost trip count that is not a
// multiple of that width is not vectorized; a grid cap outside
// [1, 2^31 - 1] is an error. Reductions with little parallel work (a column
// sum, a full sum, a sum over the batch next to an elementwise result) and
// scatter_add run on many threads (weft-split-reductions, a thread per
// scatter column), and each launch passes only the buffers it uses. The
// numerics of the loop (one trip per thread, and many with a cap of 2
// blocks) and of the split reductions are checked on a GPU through the case
// bundles written with WEFT_CUDA_CASES_OUT (on the CPU by
// CpuSplitReductionsTest).
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/CudaCodegen.h"
#include "tests/codegen/CodegenTestUtil.h"
#include "tests/common/OpPrograms.h"
#include "tests/cuda/CaseBundle.h"
#include "tests/cuda/CudaTestSupport.h"

#include "llvm/Support/raw_ostream.h"

namespace weft::test {
namespace {

/// What one compile for cuda gave.
struct CudaCompile {
  std::optional<proto::Executable> exe; ///< nullopt: it failed
  std::string ir;                       ///< the module after compiling (stopAfter = "gpu")
  std::string diagnostics;
};

class CudaGpuMappingTest : public CodegenTest {
protected:
  /// Parses `src` and compiles it for cuda with `options`.
  CudaCompile compileCuda(const std::string &src, const codegen::CudaCodegenOptions &options) {
    CudaCompile out;
    mlir::OwningOpRef<mlir::ModuleOp> module = parse(src);
    if (!module)
      return out;
    mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
      out.diagnostics += d.str() + "\n";
      return mlir::success();
    });
    mlir::FailureOr<proto::Executable> exe = codegen::compileForCuda(*module, options);
    if (mlir::succeeded(exe))
      out.exe = std::move(*exe);
    llvm::raw_string_ostream os(out.ir);
    module->print(os);
    return out;
  }

  /// The gpu.module of `src` (stopAfter = "gpu") with `options`.
  CudaCompile gpuPhase(const std::string &src, codegen::CudaCodegenOptions options = {}) {
    options.stopAfter = "gpu";
    return compileCuda(src, options);
  }
};

/// The only launch of the only kernel of `exe` (null when there is not
/// exactly one).
const proto::CudaLaunch *onlyLaunch(const proto::Executable &exe) {
  if (exe.kernels_size() != 1 || exe.kernels(0).cuda_launches_size() != 1)
    return nullptr;
  return &exe.kernels(0).cuda_launches(0);
}

/// Lines of `ir` that contain both `a` and `b`.
int linesWith(const std::string &ir, const std::string &a, const std::string &b) {
  int n = 0;
  size_t start = 0;
  while (start < ir.size()) {
    size_t end = ir.find('\n', start);
    if (end == std::string::npos)
      end = ir.size();
    std::string line = ir.substr(start, end - start);
    n += line.find(a) != std::string::npos && line.find(b) != std::string::npos;
    start = end + 1;
  }
  return n;
}

TEST_F(CudaGpuMappingTest, DefaultGridCapIsOneWaveOfAnH100) {
  codegen::CudaCodegenOptions options;
  EXPECT_EQ(options.blockSize, 256u);
  EXPECT_EQ(options.maxGridBlocks, 132u * 8u);
}

/// 2^21 f32: 2^19 vector iterations need 2048 blocks of 256 threads, more than
/// the default cap (1056): the grid is capped and the kernel loops.
TEST_F(CudaGpuMappingTest, LargeElementwiseGetsCappedGridAndGridStrideLoop) {
  std::string src = binaryProgram({"add"}, "tensor<2048x1024xf32>");
  CudaCompile gpu = gpuPhase(src);
  ASSERT_TRUE(gpu.exe) << gpu.diagnostics;
  const proto::CudaLaunch *l = onlyLaunch(*gpu.exe);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->grid_x(), 1056u);
  EXPECT_EQ(l->block_x(), 256u);
  EXPECT_NE(gpu.ir.find("gpu.grid_dim  x"), std::string::npos) << gpu.ir;
  EXPECT_EQ(linesWith(gpu.ir, "scf.for", "to %c524288 step"), 1) << gpu.ir;
  EXPECT_EQ(linesWith(gpu.ir, "vector.load", "vector<4xf32>"), 2) << gpu.ir;
  EXPECT_EQ(linesWith(gpu.ir, "vector.store", "vector<4xf32>"), 1) << gpu.ir;

  // A smaller cap only changes the grid.
  codegen::CudaCodegenOptions capped;
  capped.maxGridBlocks = 7;
  CudaCompile seven = gpuPhase(src, capped);
  ASSERT_TRUE(seven.exe) << seven.diagnostics;
  ASSERT_TRUE(onlyLaunch(*seven.exe));
  EXPECT_EQ(onlyLaunch(*seven.exe)->grid_x(), 7u);

  // The whole way to a cubin.
  CudaCompile full = compileCuda(src, {});
  ASSERT_TRUE(full.exe) << full.diagnostics;
  ASSERT_TRUE(onlyLaunch(*full.exe));
  EXPECT_EQ(onlyLaunch(*full.exe)->grid_x(), 1056u);
  expectValidCudaExecutable(*full.exe);
  EXPECT_NE(full.exe->compiler_fingerprint().find("; max grid 1056"), std::string::npos)
      << full.exe->compiler_fingerprint();
}

TEST_F(CudaGpuMappingTest, SmallLaunchesGetCeilOfIterationsOverBlock) {
  // 16 x 1031 f32 (1031 is odd: one element per iteration): ceil(16496 / 256).
  CudaCompile odd = gpuPhase(unaryProgram({"neg"}, "tensor<16x1031xf32>"));
  ASSERT_TRUE(odd.exe) << odd.diagnostics;
  ASSERT_TRUE(onlyLaunch(*odd.exe));
  EXPECT_EQ(onlyLaunch(*odd.exe)->grid_x(), 65u);
  EXPECT_EQ(onlyLaunch(*odd.exe)->block_x(), 256u);
  // The loop is there even when the grid covers every iteration once.
  EXPECT_EQ(linesWith(odd.ir, "scf.for", "to %c16496 step"), 1) << odd.ir;
  EXPECT_NE(odd.ir.find("gpu.grid_dim  x"), std::string::npos) << odd.ir;
  // 300 x 1024 f32, 4 per iteration: 76800 iterations, 300 blocks.
  CudaCompile even = gpuPhase(unaryProgram({"neg"}, "tensor<300x1024xf32>"));
  ASSERT_TRUE(even.exe) << even.diagnostics;
  ASSERT_TRUE(onlyLaunch(*even.exe));
  EXPECT_EQ(onlyLaunch(*even.exe)->grid_x(), 300u);
  // 40 f32 elements, 10 iterations of 4: one block of one warp.
  CudaCompile tiny = gpuPhase(unaryProgram({"neg"}, "tensor<5x8xf32>"));
  ASSERT_TRUE(tiny.exe) << tiny.diagnostics;
  ASSERT_TRUE(onlyLaunch(*tiny.exe));
  EXPECT_EQ(onlyLaunch(*tiny.exe)->grid_x(), 1u);
  EXPECT_EQ(onlyLaunch(*tiny.exe)->block_x(), 32u);
}

TEST_F(CudaGpuMappingTest, VectorAccessesAreSixteenBytesOfTheNarrowestType) {
  struct Case {
    std::string type, vector;
    uint32_t grid;
  };
  // 64 x 256 elements: 16384 / W iterations of 256-thread blocks.
  for (const Case &c : {Case{"bf16", "vector<8xbf16>", 8}, Case{"f16", "vector<8xf16>", 8},
                        Case{"f32", "vector<4xf32>", 16}, Case{"i32", "vector<4xi32>", 16},
                        Case{"i64", "vector<2xi64>", 32}}) {
    SCOPED_TRACE(c.type);
    CudaCompile gpu = gpuPhase(binaryProgram({"add"}, "tensor<64x256x" + c.type + ">"));
    ASSERT_TRUE(gpu.exe) << gpu.diagnostics;
    EXPECT_EQ(linesWith(gpu.ir, "vector.load", c.vector), 2) << gpu.ir;
    EXPECT_EQ(linesWith(gpu.ir, "vector.store", c.vector), 1) << gpu.ir;
    ASSERT_TRUE(onlyLaunch(*gpu.exe));
    EXPECT_EQ(onlyLaunch(*gpu.exe)->grid_x(), c.grid);
  }
  // bf16 -> f32: 8 elements per iteration, 16 bytes of bf16, 32 of f32.
  CudaCompile cast = gpuPhase(
      "func.func @main(%x: tensor<4x64xbf16>) -> tensor<4x64xf32> {\n"
      "  %y = weft.cast %x : tensor<4x64xbf16> -> tensor<4x64xf32>\n"
      "  return %y : tensor<4x64xf32>\n}\n");
  ASSERT_TRUE(cast.exe) << cast.diagnostics;
  EXPECT_EQ(linesWith(cast.ir, "vector.load", "vector<8xbf16>"), 1) << cast.ir;
  EXPECT_EQ(linesWith(cast.ir, "vector.store", "vector<8xf32>"), 1) << cast.ir;
}

TEST_F(CudaGpuMappingTest, InnermostTripNotAMultipleOfTheWidthIsNotVectorized) {
  // 12 is a multiple of 4 but not of 8 (bf16's width); 6 not of 4 (f32's).
  for (std::string type : {"tensor<4x12xbf16>", "tensor<5x6xf32>"}) {
    SCOPED_TRACE(type);
    CudaCompile gpu = gpuPhase(binaryProgram({"mul"}, type));
    ASSERT_TRUE(gpu.exe) << gpu.diagnostics;
    EXPECT_EQ(gpu.ir.find("vector."), std::string::npos) << gpu.ir;
    EXPECT_EQ(linesWith(gpu.ir, "memref.store", "memref<"), 1) << gpu.ir;
  }
  // The same 12 in f32 is: three vectors of 4 per row.
  CudaCompile f32 = gpuPhase(binaryProgram({"mul"}, "tensor<4x12xf32>"));
  ASSERT_TRUE(f32.exe) << f32.diagnostics;
  EXPECT_EQ(linesWith(f32.ir, "vector.store", "vector<4xf32>"), 1) << f32.ir;
}

TEST_F(CudaGpuMappingTest, GridCapOutOfRangeIsAnError) {
  for (unsigned cap : {0u, 2147483648u}) {
    codegen::CudaCodegenOptions options;
    options.maxGridBlocks = cap;
    CudaCompile c = compileCuda(unaryProgram({"neg"}, "tensor<4xf32>"), options);
    EXPECT_FALSE(c.exe);
    EXPECT_NE(c.diagnostics.find("cuda grid cap " + std::to_string(cap) +
                                 " (maxGridBlocks) is not between 1 and 2147483647"),
              std::string::npos)
        << c.diagnostics;
    EXPECT_NE(c.diagnostics.find("pick e.g. 1056"), std::string::npos) << c.diagnostics;
  }
}

/// Programs whose launches are capped at 2 blocks, so each thread runs the
/// grid-stride loop many times (f32 add with 4 per iteration, bf16 multiply
/// with 8, an odd f32 shape with 1): valid here; written as bundles with
/// WEFT_CUDA_CASES_OUT=DIR, for WeftCudaRuntimeTests to compare with the
/// reference on a GPU (and run at once where there is one).
TEST_F(CudaGpuMappingTest, CappedGridCaseBundles) {
  struct Case {
    std::string name, src;
  };
  const Case cases[] = {
      {"grid_stride_add_f32", binaryProgram({"add"}, "tensor<33x1024xf32>")},
      {"grid_stride_mul_bf16", binaryProgram({"mul"}, "tensor<17x520xbf16>")},
      {"grid_stride_sub_odd", binaryProgram({"sub"}, "tensor<31x999xf32>")}};
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    mlir::OwningOpRef<mlir::ModuleOp> module = parse(c.src);
    ASSERT_TRUE(module);
    auto main = module->lookupSymbol<mlir::func::FuncOp>("main");
    std::vector<RefTensor> args;
    CaseData data;
    for (auto [i, type] : llvm::enumerate(main.getArgumentTypes())) {
      auto tt = mlir::cast<mlir::RankedTensorType>(type);
      args.push_back(randomTensor(tt, 9000 + i, -1.0, 1.0));
      data.inputs.push_back({"arg" + std::to_string(i), toHost(args.back(), tt)});
    }
    std::vector<RefTensor> want = evaluate(main, args);
    auto out = mlir::cast<mlir::RankedTensorType>(main.getResultTypes()[0]);
    data.want.push_back(toHost(want[0], out));
    // One rounding of the result type (the reference rounds once too).
    data.tolerances.push_back({0, 2 * unitRoundoff(out.getElementType())});
    codegen::CudaCodegenOptions options;
    options.maxGridBlocks = 2;
    CudaCompile compiled = compileCuda(c.src, options);
    ASSERT_TRUE(compiled.exe) << compiled.diagnostics;
    ASSERT_TRUE(onlyLaunch(*compiled.exe));
    EXPECT_EQ(onlyLaunch(*compiled.exe)->grid_x(), 2u);
    expectValidCudaExecutable(*compiled.exe);
    checkBundleWhereGpu(c.name, rt::Executable(*compiled.exe), data);
  }
}

/// Threads of a launch.
uint64_t threads(const proto::CudaLaunch &l) {
  return uint64_t(l.grid_x()) * l.grid_y() * l.grid_z() * l.block_x() * l.block_y() *
         l.block_z();
}

/// The most threads among the launches of `exe`'s only kernel that pass
/// kernel argument `arg` (its only call's argument `arg`).
uint64_t threadsReading(const proto::Executable &exe, uint32_t arg) {
  uint64_t most = 0;
  for (const proto::CudaLaunch &l : exe.kernels(0).cuda_launches())
    if (l.args().empty() || std::find(l.args().begin(), l.args().end(), arg) != l.args().end())
      most = std::max(most, threads(l));
  return most;
}

/// Bytes of the buffers a launch of `exe`'s only kernel passes (from its
/// only call), at most over the launches with at most `maxThreads` threads.
uint64_t mostBytesOnFewThreads(const proto::Executable &exe, uint64_t maxThreads) {
  const proto::KernelCall *call = nullptr;
  for (const proto::Step &s : exe.steps())
    if (s.has_kernel_call())
      call = &s.kernel_call();
  uint64_t most = 0;
  for (const proto::CudaLaunch &l : exe.kernels(0).cuda_launches()) {
    if (threads(l) > maxThreads)
      continue;
    uint64_t bytes = 0;
    for (int i = 0; i < (l.args().empty() ? call->args_size() : l.args_size()); ++i) {
      uint32_t a = l.args().empty() ? static_cast<uint32_t>(i) : l.args(i);
      bytes += exe.buffers(static_cast<int>(call->args(static_cast<int>(a)))).byte_size();
    }
    most = std::max(most, bytes);
  }
  return most;
}

const char *kColumnSum = R"(
func.func @main(%x: tensor<8192x768xf32>) -> tensor<768xf32> {
  %r = weft.reduce sum %x dims = [0] : tensor<8192x768xf32>
  return %r : tensor<768xf32>
}
)";
const char *kFullSum = R"(
func.func @main(%x: tensor<512x768xf32>) -> tensor<f32> {
  %r = weft.reduce sum %x dims = [0, 1] : tensor<512x768xf32>
  return %r : tensor<f32>
}
)";
const char *kBatchSum = R"(
func.func @main(%x: tensor<8x256x96xf32>) -> (tensor<8x256x96xf32>, tensor<256x96xf32>) {
  %r:2 = weft.fusion %x : (tensor<8x256x96xf32>) -> (tensor<8x256x96xf32>, tensor<256x96xf32>) {
  ^bb0(%a: tensor<8x256x96xf32>):
    %d = weft.add %a, %a : tensor<8x256x96xf32>
    %s = weft.reduce sum %d dims = [0] : tensor<8x256x96xf32>
    weft.yield %d, %s : tensor<8x256x96xf32>, tensor<256x96xf32>
  }
  return %r#0, %r#1 : tensor<8x256x96xf32>, tensor<256x96xf32>
}
)";
const char *kScatter = R"(
func.func @main(%u: tensor<4096x768xf32>, %i: tensor<4096xi64>) -> tensor<1000x768xf32> {
  %r = weft.scatter_add %u[%i] : tensor<4096x768xf32>, tensor<4096xi64> -> tensor<1000x768xf32>
  return %r : tensor<1000x768xf32>
}
)";

/// Without weft-split-reductions a column sum runs on one thread (a
/// sequential row loop around the columns) and a full sum too; with it the
/// launch that reads x has at least 2^16 threads (2^14 for the full sum)
/// and what is left for few threads reads little.
TEST_F(CudaGpuMappingTest, ReductionsWithLittleParallelWorkGetManyThreads) {
  for (const char *src : {kColumnSum, kFullSum}) {
    SCOPED_TRACE(src);
    CudaCompile split = compileCuda(src, {});
    ASSERT_TRUE(split.exe) << split.diagnostics;
    expectValidCudaExecutable(*split.exe);
    EXPECT_GE(threadsReading(*split.exe, 0), src == kColumnSum ? 65536u : 16384u);
    // The partials left for one thread: at most 1 KiB of f32.
    EXPECT_LE(mostBytesOnFewThreads(*split.exe, 1), 1024u);
    codegen::CudaCodegenOptions off;
    off.splitReductions = false;
    CudaCompile whole = compileCuda(src, off);
    ASSERT_TRUE(whole.exe) << whole.diagnostics;
    EXPECT_EQ(threadsReading(*whole.exe, 0), 1u);
  }
  // The batch sum keeps its elementwise result and is interchanged: the
  // launch that reads x has a thread per (row, column).
  CudaCompile batch = compileCuda(kBatchSum, {});
  ASSERT_TRUE(batch.exe) << batch.diagnostics;
  EXPECT_GE(threadsReading(*batch.exe, 0), 256u * 96u / 4u);
  // scatter_add: a thread per column (768), each adding the rows in order.
  CudaCompile scatter = compileCuda(kScatter, {});
  ASSERT_TRUE(scatter.exe) << scatter.diagnostics;
  EXPECT_GE(threadsReading(*scatter.exe, 0), 768u);
}

/// A launch passes only the buffers its gpu.func uses, as indices into the
/// call's arguments: the gpu.func has exactly that many parameters.
TEST_F(CudaGpuMappingTest, LaunchesPassOnlyTheBuffersTheyUse) {
  CudaCompile compiled = compileCuda(kColumnSum, {});
  ASSERT_TRUE(compiled.exe) << compiled.diagnostics;
  const proto::Kernel &k = compiled.exe->kernels(0);
  ASSERT_GE(k.cuda_launches_size(), 2);
  bool someSubset = false;
  for (const proto::CudaLaunch &l : k.cuda_launches()) {
    ASSERT_GT(l.args_size(), 0) << l.function();
    someSubset = someSubset || static_cast<uint32_t>(l.args_size()) < k.num_args();
    for (int i = 1; i < l.args_size(); ++i)
      EXPECT_LT(l.args(i - 1), l.args(i)) << l.function() << ": arguments in order";
  }
  EXPECT_TRUE(someSubset) << "every launch passes every argument";
  CudaCompile gpu = gpuPhase(kColumnSum);
  for (const proto::CudaLaunch &l : k.cuda_launches()) {
    size_t at = gpu.ir.find("gpu.func @" + l.function() + "(");
    ASSERT_NE(at, std::string::npos) << l.function();
    std::string header = gpu.ir.substr(at, gpu.ir.find(')', at) - at);
    EXPECT_EQ(static_cast<int>(std::count(header.begin(), header.end(), '%')), l.args_size())
        << header;
  }
}

/// The split reductions, the interchanged batch sum and the per-column
/// scatter as bundles for a GPU (their CPU numerics: CpuSplitReductionsTest,
/// CpuFusedOpsTest).
TEST_F(CudaGpuMappingTest, SplitReductionCaseBundles) {
  struct Case {
    std::string name, src;
    std::vector<Range> ranges;
    double atol;
  };
  // Sums of n terms in [-1, 1): atol 8 n 2^-24 (CpuReductionContractionTest).
  const Case cases[] = {{"split_column_sum", kColumnSum, {}, 8.0 * 8192 * std::ldexp(1.0, -24)},
                        {"split_full_sum", kFullSum, {}, 8.0 * 512 * 768 * std::ldexp(1.0, -24)},
                        {"interchanged_batch_sum", kBatchSum, {}, 8.0 * 8 * std::ldexp(1.0, -24)},
                        {"scatter_per_column", kScatter, {{-1, 1}, {0, 1000}}, 2e-5}};
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    mlir::OwningOpRef<mlir::ModuleOp> module = parse(c.src);
    ASSERT_TRUE(module);
    auto main = module->lookupSymbol<mlir::func::FuncOp>("main");
    std::vector<RefTensor> args = randomArguments(main, 77, c.ranges);
    CaseData data;
    for (auto [i, type] : llvm::enumerate(main.getArgumentTypes()))
      data.inputs.push_back(
          {"arg" + std::to_string(i), toHost(args[i], mlir::cast<mlir::RankedTensorType>(type))});
    std::vector<RefTensor> want = evaluate(main, args);
    for (auto [i, type] : llvm::enumerate(main.getResultTypes())) {
      data.want.push_back(toHost(want[i], mlir::cast<mlir::RankedTensorType>(type)));
      data.tolerances.push_back({c.atol, 1e-6});
    }
    CudaCompile compiled = compileCuda(c.src, {});
    ASSERT_TRUE(compiled.exe) << compiled.diagnostics;
    expectValidCudaExecutable(*compiled.exe);
    checkBundleWhereGpu(c.name, rt::Executable(*compiled.exe), data);
  }
}

} // namespace
} // namespace weft::test

//===- CpuExecutableTest.cpp - the shape of CPU Executables ---------------===//
//
// This file tests what compileForCpu puts into an Executable besides
// numbers: the kernel library is an ELF shared object exporting every kernel
// the steps launch, identical ops share a kernel, f32 contractions become
// GEMM steps, reshapes alias, arena buffers are aligned and disjoint, labels
// carry source locations; the stop-after phases leave the expected IR; the
// sequential build computes the same results, and so do kernels compiled
// in parallel pieces; bad input gives diagnostics.
//
//===----------------------------------------------------------------------===//

#include "tests/codegen/CodegenTestUtil.h"
#include "tests/common/OpPrograms.h"

#include "runtime/CpuFeatures.h"
#include "runtime/Executor.h"
#include "runtime/KernelLibrary.h"

#include "mlir/IR/Operation.h"
#include "mlir/Pass/PassManager.h"

#include <cstring>
#include <elf.h>

namespace weft::test {
namespace {

const char *kBlock = R"(
func.func @main(%x: tensor<8x16xf32> {weft.input = "x"}, %w: tensor<32x16xf32> {weft.param = "w"},
                %b: tensor<32xf32> {weft.param = "b"})
    -> (tensor<8x32xf32> {weft.output = "y"}, tensor<4x2x32xf32> {weft.output = "y3"}) {
  %h = weft.matmul %x, %w {transpose_rhs} : tensor<8x16xf32>, tensor<32x16xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<32xf32> -> tensor<8x32xf32>
  %h1 = weft.add %h, %bb : tensor<8x32xf32>
  %h2 = weft.gelu_tanh %h1 : tensor<8x32xf32>
  %h3 = weft.add %h2, %bb : tensor<8x32xf32>
  %y3 = weft.reshape %h3 : tensor<8x32xf32> -> tensor<4x2x32xf32>
  %s = weft.batch_matmul %y3, %y3 {transpose_rhs} : tensor<4x2x32xf32>, tensor<4x2x32xf32>
  %m = weft.reduce max %s dims = [2] : tensor<4x2x2xf32>
  return %h3, %y3 : tensor<8x32xf32>, tensor<4x2x32xf32>
}
)";

TEST_F(CodegenTest, ExecutableListsEveryKernelItLaunches) {
  auto module = parse(kBlock);
  ASSERT_TRUE(module);
  std::string diagnostics;
  auto exe = compile(*module, {}, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;

  // The library is an x86-64 ELF shared object.
  const std::string &lib = exe->kernel_library();
  ASSERT_GE(lib.size(), sizeof(Elf64_Ehdr));
  Elf64_Ehdr header;
  std::memcpy(&header, lib.data(), sizeof(header));
  EXPECT_EQ(std::memcmp(header.e_ident, ELFMAG, SELFMAG), 0);
  EXPECT_EQ(header.e_ident[EI_CLASS], ELFCLASS64);
  EXPECT_EQ(header.e_type, ET_DYN);
  EXPECT_EQ(header.e_machine, EM_X86_64);

  // Steps: 2 GEMMs, and kernels broadcast, add, gelu_tanh, add (shared), max.
  int gemms = 0, calls = 0;
  std::set<uint32_t> launched;
  for (const proto::Step &step : exe->steps()) {
    EXPECT_NE(step.label().find("test.mlir:"), std::string::npos) << step.label();
    if (step.has_gemm()) {
      ++gemms;
      EXPECT_TRUE(step.gemm().trans_b());
      EXPECT_FALSE(step.gemm().trans_a());
      continue;
    }
    ++calls;
    ASSERT_LT(step.kernel_call().kernel(), static_cast<uint32_t>(exe->kernels_size()));
    launched.insert(step.kernel_call().kernel());
  }
  EXPECT_EQ(gemms, 2);
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(exe->kernels_size(), 4) << "the two identical adds share one kernel";
  EXPECT_EQ(launched.size(), static_cast<size_t>(exe->kernels_size()));
  const proto::Gemm &bmm = exe->steps(exe->steps_size() - 2).gemm();
  EXPECT_EQ(bmm.batch(), 4u);
  EXPECT_EQ(bmm.m(), 2u);
  EXPECT_EQ(bmm.n(), 2u);
  EXPECT_EQ(bmm.k(), 32u);

  // Every kernel symbol resolves in the loaded library.
  auto loaded = rt::KernelLibrary::load(lib, "test");
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  for (const proto::Kernel &k : exe->kernels()) {
    auto fn = (*loaded)->lookup(k.symbol());
    EXPECT_TRUE(fn.isOk()) << k.symbol();
  }

  // Buffers: the reshape output aliases y's storage; arena buffers are
  // 64-byte aligned and disjoint; the output names come from the tags.
  ASSERT_EQ(exe->outputs_size(), 2);
  const proto::Buffer &y = exe->buffers(exe->outputs(0));
  const proto::Buffer &y3 = exe->buffers(exe->outputs(1));
  EXPECT_EQ(y.name(), "y");
  EXPECT_EQ(y3.name(), "y3");
  ASSERT_TRUE(y3.has_alias_of());
  EXPECT_EQ(y3.alias_of(), y.id());
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const proto::Buffer &b : exe->buffers()) {
    if (b.kind() == proto::PARAMETER || b.has_alias_of())
      continue;
    EXPECT_EQ(b.arena_offset() % 64, 0u) << b.name();
    ranges.push_back({b.arena_offset(), b.arena_offset() + b.byte_size()});
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    EXPECT_LE(ranges[i - 1].second, ranges[i].first);
  EXPECT_LE(ranges.back().second, exe->arena_size());
  EXPECT_NE(exe->compiler_fingerprint().find("cpu "), std::string::npos);
  EXPECT_TRUE(rt::Executable(*exe).validate().isOk());
}

TEST_F(CodegenTest, KernelsRecordTheCpuFeaturesTheyNeed) {
  auto module = parse(kBlock);
  ASSERT_TRUE(module);
  std::string diagnostics;
  std::optional<proto::Executable> exe = compile(*module, {}, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;
  // Every x86-64 CPU this project builds on has SSE4.2 and AVX2 (the
  // development machines have AVX-512); each recorded feature is the host's.
  std::vector<std::string> features(exe->cpu_features().begin(), exe->cpu_features().end());
  EXPECT_NE(std::find(features.begin(), features.end(), "sse4.2"), features.end());
  const std::vector<std::string> &hostFlags = rt::hostCpuinfoFlags();
  for (const std::string &f : features)
    EXPECT_NE(std::find(hostFlags.begin(), hostFlags.end(), rt::cpuinfoFlag(f)), hostFlags.end())
        << f;
  EXPECT_TRUE(rt::Executor::create(rt::Executable(*exe)).isOk());

  // A feature weft does not know (a corrupt file) is refused at load; so is
  // one this processor lacks, instead of faulting in the first kernel (the
  // pure check is in tests/runtime/CpuFeaturesTest.cpp; here the loader's
  // use of it, with a lacking feature where this processor has one).
  proto::Executable forged = *exe;
  forged.add_cpu_features("avx9000");
  auto unknown = rt::Executor::create(rt::Executable(forged, "forged.wexe"));
  ASSERT_FALSE(unknown.isOk());
  EXPECT_EQ(unknown.status().code(), rt::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("'forged.wexe' asks for CPU feature 'avx9000'"),
            std::string::npos)
      << unknown.status().message();
  const std::vector<std::string> &flags = rt::hostCpuinfoFlags();
  for (const std::string &f : rt::checkableCpuFeatures()) {
    if (std::find(flags.begin(), flags.end(), rt::cpuinfoFlag(f)) != flags.end())
      continue;
    proto::Executable tampered = *exe;
    tampered.add_cpu_features(f);
    auto refused = rt::Executor::create(rt::Executable(tampered, "tampered.wexe"));
    ASSERT_FALSE(refused.isOk()) << f;
    EXPECT_EQ(refused.status().code(), rt::StatusCode::kFailedPrecondition);
    EXPECT_NE(refused.status().message().find("compiled for a CPU with " + f), std::string::npos)
        << refused.status().message();
    break;
  }
}

TEST_F(CodegenTest, SequentialBuildMatchesReference) {
  codegen::CpuCodegenOptions options;
  options.parallel = false;
  options.optLevel = 1;
  check(kBlock, 12, {{1e-5, 1e-5}}, {}, options);
}

// With threads, 24 kernels compile as parallel pieces linked into one .so;
// without, as one module: both export every kernel and compute -x exactly.
TEST_F(CodegenTest, KernelsCompiledInPiecesMatchOneModule) {
  std::string src = manyKernelsProgram(24);
  std::vector<rt::HostTensor> inputs;
  for (int i = 1; i <= 24; ++i) {
    rt::HostTensor t(proto::F32, {i, 8});
    for (int64_t e = 0; e < t.numElements(); ++e)
      t.data<float>()[e] = 0.25f * float(e % 13) - 1.5f + float(i);
    inputs.push_back(std::move(t));
  }
  for (bool threads : {true, false}) {
    SCOPED_TRACE(threads ? "pieces" : "one module");
    if (!threads)
      ctx.disableMultithreading();
    mlir::OwningOpRef<mlir::ModuleOp> module = parse(src);
    ASSERT_TRUE(module);
    std::string diagnostics;
    std::optional<proto::Executable> exe = compile(*module, {}, &diagnostics);
    ctx.enableMultithreading();
    ASSERT_TRUE(exe) << diagnostics;
    ASSERT_EQ(exe->kernels_size(), 24);
    auto ex = rt::Executor::create(rt::Executable(*exe));
    ASSERT_TRUE(ex.isOk()) << ex.status().toString();
    for (int i = 0; i < 24; ++i)
      ASSERT_TRUE((*ex)->setInput("arg" + std::to_string(i), inputs[i]).isOk());
    ASSERT_TRUE((*ex)->run().isOk());
    for (int i = 0; i < 24; ++i) {
      auto out = (*ex)->output(static_cast<size_t>(i));
      ASSERT_TRUE(out.isOk());
      for (int64_t e = 0; e < out->numElements(); ++e)
        ASSERT_EQ(out->data<float>()[e], -inputs[i].data<float>()[e]) << "output " << i;
    }
  }
}

TEST_F(CodegenTest, StopAfterLeavesEachPhase) {
  struct Phase {
    const char *name, *present, *absent;
  } phases[] = {{"linalg", "linalg.generic", "weft.add"},
                {"bufferized", "memref<8x32xf32>", "tensor.empty"},
                {"llvm", "llvm.func", "linalg."}};
  for (const Phase &p : phases) {
    auto module = parse(kBlock);
    ASSERT_TRUE(module);
    codegen::CpuCodegenOptions options;
    options.stopAfter = p.name;
    int configured = 0;
    options.configurePassManager = [&](mlir::PassManager &) { ++configured; };
    std::string diagnostics;
    auto exe = compile(*module, options, &diagnostics);
    ASSERT_TRUE(exe) << diagnostics;
    EXPECT_TRUE(exe->kernel_library().empty());
    EXPECT_EQ(configured, 1);
    std::string ir;
    llvm::raw_string_ostream os(ir);
    module->print(os);
    EXPECT_NE(ir.find(p.present), std::string::npos) << p.name << ":\n" << ir;
    EXPECT_EQ(ir.find(p.absent), std::string::npos) << p.name << ":\n" << ir;
  }
}

TEST_F(CodegenTest, BadInputGivesDiagnostics) {
  struct Case {
    const char *src, *expected;
    std::string stopAfter;
  } cases[] = {
      {"func.func @other() { return }", "no func.func @main", ""},
      {"func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
       "  %r = func.call @f(%x) : (tensor<4xf32>) -> tensor<4xf32>\n"
       "  return %r : tensor<4xf32>\n}\n"
       "func.func private @f(tensor<4xf32>) -> tensor<4xf32>",
       "'func.call' op cannot be compiled for the CPU", ""},
      {"func.func @main(%x: tensor<4xf32> {weft.param = \"p\", weft.input = \"q\"}) { return }",
       "tagged with more than one of weft.param, weft.input and weft.state", ""},
      {"func.func @main(%x: tensor<4xf32>) { return }", "unknown code generation phase 'asm'",
       "asm"}};
  for (const Case &c : cases) {
    auto module = parse(c.src);
    ASSERT_TRUE(module);
    codegen::CpuCodegenOptions options;
    options.stopAfter = c.stopAfter;
    std::string diagnostics;
    EXPECT_FALSE(compile(*module, options, &diagnostics));
    EXPECT_NE(diagnostics.find(c.expected), std::string::npos) << diagnostics;
  }
}

} // namespace
} // namespace weft::test

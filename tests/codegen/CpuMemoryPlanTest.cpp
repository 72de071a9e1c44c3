//===- CpuMemoryPlanTest.cpp - CPU Executables laid out by a memory plan --===//
//
// This file tests the CPU code generator on functions that carry a memory
// plan (weft-schedule + weft-plan-memory): buffers sit at the planned
// offsets and the arena has the planned size (smaller than without reuse);
// in-place Elementwise kernels, multi-result kernels, GEMM epilogues and
// reshape outputs still compute the reference's numbers; a stale plan, and a
// plan that would let a step overwrite what it reads, are compile errors;
// a kernel that every call runs in place learns which arguments share
// storage (KernelEntry::sharedArgs: the CPU then gives them one pointer and
// marks all noalias), one run in place by some calls only does not.
//
//===----------------------------------------------------------------------===//

#include "tests/codegen/CodegenTestUtil.h"

#include "codegen/common/Partition.h"
#include "codegen/cpu/CpuCodegen.h"
#include "passes/memory/MemoryPlan.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"

namespace weft::test {
namespace {

// A block with everything whose storage the plan decides: an input, a GEMM
// with an in-place epilogue, a three-result layer_norm (two results unused),
// a batched GEMM with a pre-filled addend, in-place elementwise chains, a
// reshape returned as an output, and a returned input (copied).
const char *kBlock = R"(
func.func @main(%x: tensor<64x96xf32> {weft.input = "x"}, %w: tensor<96x96xf32> {weft.param = "w"},
                %b: tensor<96xf32> {weft.param = "b"}, %g: tensor<96xf32> {weft.param = "g"},
                %mask: tensor<16x16xf32> {weft.input = "mask"})
    -> (tensor<2x32x96xf32> {weft.output = "y"}, tensor<4x16x16xf32> {weft.output = "s"},
        tensor<16x16xf32> {weft.output = "mask_out"}) {
  %h = weft.fused_matmul %x, %w, %b activation = gelu : tensor<64x96xf32>, tensor<96x96xf32>, tensor<96xf32>
  %n, %mean, %rstd = weft.layer_norm %h, %g epsilon = 1.000000e-05 : tensor<64x96xf32>, tensor<96xf32>
  %e = weft.exp %n : tensor<64x96xf32>
  %t = weft.tanh %e : tensor<64x96xf32>
  %u = weft.add %t, %x : tensor<64x96xf32>
  %q = weft.reshape %u : tensor<64x96xf32> -> tensor<4x16x96xf32>
  %s = weft.fused_batch_matmul %q, %q, %mask alpha = 1.250000e-01 beta = 1.000000e+00 {transpose_rhs} : tensor<4x16x96xf32>, tensor<4x16x96xf32>, tensor<16x16xf32>
  %y0 = weft.neg %u : tensor<64x96xf32>
  %y = weft.reshape %y0 : tensor<64x96xf32> -> tensor<2x32x96xf32>
  return %y, %s, %mask : tensor<2x32x96xf32>, tensor<4x16x16xf32>, tensor<16x16xf32>
}
)";

class CpuMemoryPlanTest : public CodegenTest {
protected:
  /// Runs weft-schedule and weft-plan-memory (alignment 64) on `module`.
  void plan(mlir::ModuleOp module) {
    mlir::PassManager pm(&ctx);
    pm.addNestedPass<mlir::func::FuncOp>(createSchedulePass());
    PlanMemoryPassOptions options;
    options.alignment = 64;
    pm.addNestedPass<mlir::func::FuncOp>(createPlanMemoryPass(options));
    ASSERT_TRUE(mlir::succeeded(pm.run(module)));
  }

  /// Plans `module` (plan()) and compiles it; fails the test with the
  /// diagnostics when it does not compile.
  std::optional<proto::Executable> planAndCompile(mlir::ModuleOp module) {
    plan(module);
    std::string diagnostics;
    auto exe = compile(module, {}, &diagnostics);
    EXPECT_TRUE(exe) << diagnostics;
    return exe;
  }

  static std::string print(mlir::ModuleOp module) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module.print(os);
    return text;
  }
};

TEST_F(CpuMemoryPlanTest, BuffersSitAtPlannedOffsets) {
  auto module = parse(kBlock);
  ASSERT_TRUE(module);
  auto unplanned = compile(*module, {});
  ASSERT_TRUE(unplanned);
  plan(*module);
  auto main = module->lookupSymbol<mlir::func::FuncOp>("main");
  std::optional<MemoryPlan> memoryPlan = readMemoryPlan(main);
  ASSERT_TRUE(memoryPlan);
  std::string diagnostics;
  auto exe = compile(*module, {}, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;

  // The returned input is copied into an OUTPUT buffer after the planned bytes.
  const proto::Buffer &maskOut = exe->buffers(static_cast<int>(exe->outputs(2)));
  EXPECT_EQ(maskOut.arena_offset(), static_cast<uint64_t>(memoryPlan->arenaSize));
  EXPECT_EQ(exe->arena_size(), memoryPlan->arenaSize + maskOut.byte_size());
  EXPECT_EQ(exe->arena_alignment(), 64u);
  EXPECT_LT(exe->arena_size(), unplanned->arena_size())
      << "the plan reuses memory the bump layout does not";

  // Every planned buffer is where the plan put its value: the input x, and
  // the kernel and GEMM outputs in step order (their last arguments / c).
  auto arg = main.getArgument(0);
  EXPECT_EQ(exe->buffers(0).kind(), proto::INPUT);
  EXPECT_EQ(exe->buffers(0).arena_offset(),
            static_cast<uint64_t>(memoryPlan->assignments.lookup(arg).offset));
  std::set<uint64_t> planned;
  for (auto &[value, a] : memoryPlan->assignments)
    planned.insert(static_cast<uint64_t>(a.offset));
  for (const proto::Buffer &b : exe->buffers())
    if (b.kind() != proto::PARAMETER && !b.has_alias_of() && b.id() != maskOut.id())
      EXPECT_TRUE(planned.count(b.arena_offset())) << b.name() << " @ " << b.arena_offset();
  // Some elementwise op runs in place: its output shares its input's bytes.
  bool inPlace = false;
  for (const proto::Step &step : exe->steps()) {
    if (!step.has_kernel_call() || step.kernel_call().args_size() != 2)
      continue;
    const auto &call = step.kernel_call();
    const proto::Buffer &in = exe->buffers(static_cast<int>(call.args(0)));
    const proto::Buffer &out = exe->buffers(static_cast<int>(call.args(1)));
    inPlace |= in.kind() != proto::PARAMETER && !in.has_alias_of() && !out.has_alias_of() &&
               in.arena_offset() == out.arena_offset() && in.id() != out.id();
  }
  EXPECT_TRUE(inPlace);
}

TEST_F(CpuMemoryPlanTest, PlannedProgramMatchesReference) {
  auto module = parse(kBlock);
  ASSERT_TRUE(module);
  plan(*module);
  std::string planned = print(*module);
  ASSERT_NE(planned.find("weft.arena_size"), std::string::npos);
  // gelu and tanh: polynomial approximations; K = 96 contractions.
  for (uint64_t seed : {1u, 2u})
    check(planned, seed, {{1e-4, 1e-4}});
}

TEST_F(CpuMemoryPlanTest, InPlaceElementwiseChainMatchesReference) {
  // Each op's result takes its dying operand's bytes, the input's included;
  // 64x1031 runs on OpenMP threads and through the vectorized loops.
  auto module = parse(R"(
func.func @main(%x: tensor<64x1031xf32> {weft.input = "x"}, %y: tensor<64x1031xf32> {weft.input = "y"})
    -> tensor<64x1031xf32> {
  %0 = weft.exp %x : tensor<64x1031xf32>
  %1 = weft.mul %0, %y : tensor<64x1031xf32>
  %2 = weft.tanh %1 : tensor<64x1031xf32>
  %3 = weft.sub %2, %2 : tensor<64x1031xf32>
  %4 = weft.add %3, %2 : tensor<64x1031xf32>
  return %4 : tensor<64x1031xf32>
}
)");
  ASSERT_TRUE(module);
  auto exe = planAndCompile(*module);
  ASSERT_TRUE(exe);
  EXPECT_EQ(exe->arena_size(), 2u * 64 * 1031 * 4)
      << "two buffers: x's in-place chain, and y's bytes reused by the sub";
  check(print(*module), 5, {{1e-6, 5e-7}});
}

TEST_F(CpuMemoryPlanTest, KernelsRunInPlaceByEveryCallShareTheirPointers) {
  // exp, mul and tanh each write over a dying operand; the sub reads one
  // value twice and writes over it. The last exp of the second chain reads
  // a value still used after it (not in place) while the first exp's calls
  // are in place: that kernel is left as it was.
  auto module = parse(R"(
func.func @main(%x: tensor<64x1031xf32> {weft.input = "x"}, %y: tensor<64x1031xf32> {weft.input = "y"},
                %z: tensor<8x16xf32> {weft.input = "z"}) -> (tensor<64x1031xf32>, tensor<8x16xf32>) {
  %0 = weft.exp %x : tensor<64x1031xf32>
  %1 = weft.mul %0, %y : tensor<64x1031xf32>
  %2 = weft.tanh %1 : tensor<64x1031xf32>
  %3 = weft.sub %2, %2 : tensor<64x1031xf32>
  %4 = weft.exp %z : tensor<8x16xf32>
  %5 = weft.exp %4 : tensor<8x16xf32>
  %6 = weft.add %5, %4 : tensor<8x16xf32>
  return %3, %6 : tensor<64x1031xf32>, tensor<8x16xf32>
}
)");
  ASSERT_TRUE(module);
  plan(*module);
  mlir::DialectRegistry registry; // the kernels' dialects, as compileForCpu loads them
  codegen::registerCpuCodegenDialects(registry);
  ctx.appendDialectRegistry(registry);
  ctx.loadAllAvailableDialects();
  mlir::FailureOr<codegen::KernelPartition> p = codegen::partitionIntoKernels(*module);
  ASSERT_TRUE(mlir::succeeded(p));
  ASSERT_TRUE(mlir::succeeded(codegen::assignArenaOffsets(*p, 64)));
  auto sharedOf = [&](const std::string &function) -> std::vector<unsigned> {
    for (const codegen::KernelEntry &e : p->entries)
      if (e.function.find(function) != std::string::npos && e.numArgs >= 2)
        return e.sharedArgs;
    ADD_FAILURE() << "no kernel " << function;
    return {};
  };
  EXPECT_EQ(sharedOf("_mul"), (std::vector<unsigned>{0, 1, 0})) << "the product over its first operand";
  EXPECT_EQ(sharedOf("_tanh"), (std::vector<unsigned>{0, 0}));
  EXPECT_EQ(sharedOf("_sub"), (std::vector<unsigned>{0, 0, 0})) << "one value read twice and written over";
  // The 64x1031 exp runs in place, the two 8x16 ones share a kernel of
  // their own: in place, then not.
  unsigned exps = 0;
  for (const codegen::KernelEntry &e : p->entries)
    if (e.function.find("_exp") != std::string::npos) {
      ++exps;
      EXPECT_TRUE(e.sharedArgs.empty() || e.sharedArgs == (std::vector<unsigned>{0, 0})) << e.function;
    }
  EXPECT_EQ(exps, 2u);
  bool mixed = false;
  for (const codegen::KernelEntry &e : p->entries)
    mixed |= e.function.find("_exp") != std::string::npos && e.sharedArgs.empty();
  EXPECT_TRUE(mixed) << "the 8x16 exp is in place in one call only";
  check(print(*module), 11, {{1e-6, 5e-7}});
}

TEST_F(CpuMemoryPlanTest, ScatterAddIntoADyingInitMatchesReference) {
  // The exp's result dies at the scatter_add that adds rows into it: the
  // plan gives the sum the exp's bytes (one buffer, no copy), the kernel
  // reads each element of the init before writing it, and the sums match
  // the reference (f32 sums of a few rows in [-1, 1) onto values up to e:
  // 4e-6 relative, as the other scatter_add tests).
  auto module = parse(R"(
func.func @main(%u: tensor<24x40xf32> {weft.input = "u"}, %i: tensor<24xi64> {weft.input = "i"},
                %a: tensor<9x40xf32> {weft.input = "a"}) -> tensor<9x40xf32> {
  %t = weft.exp %a : tensor<9x40xf32>
  %r = weft.scatter_add %u[%i] into %t : tensor<24x40xf32>, tensor<24xi64> -> tensor<9x40xf32>
  %y = weft.tanh %r : tensor<9x40xf32>
  return %y : tensor<9x40xf32>
}
)");
  ASSERT_TRUE(module);
  auto exe = planAndCompile(*module);
  ASSERT_TRUE(exe);
  ASSERT_EQ(exe->steps_size(), 3);
  const proto::KernelCall &exp = exe->steps(0).kernel_call();
  const proto::KernelCall &scatter = exe->steps(1).kernel_call();
  ASSERT_EQ(scatter.args_size(), 4);
  EXPECT_EQ(scatter.args(2), exp.args(1)); // reads the table the exp wrote ...
  const proto::Buffer &init = exe->buffers(static_cast<int>(scatter.args(2)));
  const proto::Buffer &out = exe->buffers(static_cast<int>(scatter.args(3)));
  EXPECT_EQ(init.arena_offset(), out.arena_offset()); // ... and writes over it
  EXPECT_EQ(init.byte_size(), out.byte_size());
  check(print(*module), 131, {{4e-6, 1e-6}}, {{-1, 1}, {0, 9}, {-1, 1}});
}

TEST_F(CpuMemoryPlanTest, PlannedIdenticalOpsShareOneKernel) {
  // The two exps differ only in their operands and in the offsets the plan
  // records on them (weft.offset): one kernel serves both, as it does
  // without a plan. (Keyed on every attribute, each planned op compiled a
  // kernel of its own: GPT-2 124M's training step 294 kernels instead of 77.)
  auto module = parse(R"(
func.func @main(%x: tensor<8x16xf32> {weft.input = "x"}) -> tensor<8x16xf32> {
  %0 = weft.exp %x : tensor<8x16xf32>
  %1 = weft.exp %0 : tensor<8x16xf32>
  %2 = weft.tanh %0 : tensor<8x16xf32>
  %3 = weft.exp %2 : tensor<8x16xf32>
  %4 = weft.add %1, %3 : tensor<8x16xf32>
  return %4 : tensor<8x16xf32>
}
)");
  ASSERT_TRUE(module);
  auto exe = planAndCompile(*module);
  ASSERT_TRUE(exe);
  ASSERT_NE(print(*module).find("weft.offset"), std::string::npos);
  EXPECT_EQ(exe->steps_size(), 5);
  EXPECT_EQ(exe->kernels_size(), 3) << "exp, tanh, add";
  // exp, tanh: polynomial approximations within 1e-6 relative.
  check(print(*module), 7, {{1e-6, 2e-6}});
}

TEST_F(CpuMemoryPlanTest, StalePlanIsAnError) {
  // The function has a plan, but the tanh was added after planning.
  auto module = parse(R"(
func.func @main(%x: tensor<16xf32> {weft.input = "x", weft.offset = 0 : i64}) -> tensor<16xf32>
    attributes {weft.arena_alignment = 64 : i64, weft.arena_persistent_size = 0 : i64,
                weft.arena_size = 128 : i64} {
  %0 = weft.exp %x {weft.offset = 64 : i64} : tensor<16xf32>
  %1 = weft.tanh %0 : tensor<16xf32>
  return %1 : tensor<16xf32>
}
)");
  ASSERT_TRUE(module);
  std::string diagnostics;
  EXPECT_FALSE(compile(*module, {}, &diagnostics));
  EXPECT_NE(diagnostics.find("has no weft.offset"), std::string::npos) << diagnostics;
  EXPECT_NE(diagnostics.find("weft-plan-memory"), std::string::npos) << diagnostics;
}

TEST_F(CpuMemoryPlanTest, PlanThatOverwritesAnOperandIsAnError) {
  // A GEMM writing over its A, and an exp writing half-way over its input.
  for (const char *src : {R"(
func.func @main(%x: tensor<8x8xf32> {weft.input = "x", weft.offset = 0 : i64},
                %w: tensor<8x8xf32> {weft.param = "w"}) -> tensor<8x8xf32>
    attributes {weft.arena_alignment = 64 : i64, weft.arena_persistent_size = 0 : i64,
                weft.arena_size = 256 : i64} {
  %0 = weft.matmul %x, %w {weft.offset = 0 : i64} : tensor<8x8xf32>, tensor<8x8xf32>
  return %0 : tensor<8x8xf32>
}
)",
                          R"(
func.func @main(%x: tensor<64xf32> {weft.input = "x", weft.offset = 0 : i64}) -> tensor<64xf32>
    attributes {weft.arena_alignment = 64 : i64, weft.arena_persistent_size = 0 : i64,
                weft.arena_size = 384 : i64} {
  %0 = weft.exp %x {weft.offset = 128 : i64} : tensor<64xf32>
  return %0 : tensor<64xf32>
}
)"}) {
    auto module = parse(src);
    ASSERT_TRUE(module);
    std::string diagnostics;
    EXPECT_FALSE(compile(*module, {}, &diagnostics));
    EXPECT_NE(diagnostics.find("internal error: the arena layout puts buffer"), std::string::npos)
        << diagnostics;
  }
}

} // namespace
} // namespace weft::test

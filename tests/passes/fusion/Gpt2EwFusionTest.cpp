//===- Gpt2EwFusionTest.cpp - weft-fuse-elementwise on GPT-2 --------------===//
//
// This file implements the tests of weft-fuse-elementwise on the DSL's GPT-2
// forward: on a tiny configuration the fused function evaluates (reference
// evaluator, double) to the unfused one; on GPT-2 small (124M, batch 1, 128
// tokens) the pass must lower the number of kernels and the bytes moved
// (cost model: every kernel reads its operands and writes its results once;
// a weft.fusion moves only its operands and results), and the test prints
// both counts, before and after, for the performance record.
//
//===----------------------------------------------------------------------===//

#include "ir/evaluator/ReferenceEvaluator.h"
#include "ir/WeftOps.h"
#include "models/Gpt2.h"
#include "passes/analysis/CostModel.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

using namespace mlir;

namespace weft {
namespace {

/// Kernels and traffic of a graph, GEMMs (library calls) counted apart.
struct Counts {
  int64_t kernels = 0, gemms = 0, bytes = 0, fusions = 0;
};

Counts countKernels(func::FuncOp fn) {
  ProgramCost cost = summarizeCost(fn);
  Counts c;
  c.kernels = cost.kernels - cost.gemms;
  c.gemms = cost.gemms;
  c.bytes = cost.total.bytes;
  c.fusions = cost.byKind["weft.fusion"].count;
  return c;
}

/// The graph pipeline's passes before weft-fuse-elementwise.
bool runOtherFusions(ModuleOp module) {
  PassManager pm(module.getContext());
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createCanonicalizerPass());
  fn.addPass(createCSEPass());
  fn.addPass(createFuseLayerNormPass());
  fn.addPass(createFuseMatmulGeluPass());
  fn.addPass(createFuseBatchMatmulAddPass());
  fn.addPass(createCSEPass());
  fn.addPass(createCanonicalizerPass());
  return succeeded(pm.run(module));
}

/// weft-fuse-elementwise and the clean-up after it, as in the pipeline.
bool runElementwiseFusion(ModuleOp module) {
  PassManager pm(module.getContext());
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createFuseElementwisePass());
  fn.addPass(createCSEPass());
  fn.addPass(createCanonicalizerPass());
  return succeeded(pm.run(module));
}

TEST(Gpt2EwFusion, TinyModelEvaluatesTheSameFused) {
  models::Gpt2Config config{
      .n_layer = 2, .n_head = 2, .n_embd = 16, .vocab_size = 37, .n_positions = 16};
  Program program = models::buildGpt2Forward(config, /*batch=*/2, /*seq=*/7);
  ModuleOp module = program.module();
  auto fn = cast<func::FuncOp>(module.lookupSymbol("main"));
  std::vector<RefTensor> args;
  for (auto [i, t] : llvm::enumerate(fn.getArgumentTypes())) {
    auto type = cast<RankedTensorType>(t);
    bool tokens = isa<IntegerType>(type.getElementType());
    args.push_back(randomTensor(type, 500 + i, tokens ? 0.0 : -0.5,
                                tokens ? config.vocab_size : 0.5));
  }
  ASSERT_TRUE(runOtherFusions(module));
  std::vector<RefTensor> before = evaluate(fn, args);
  ASSERT_TRUE(runElementwiseFusion(module));
  ASSERT_TRUE(succeeded(verify(module)));
  EXPECT_GT(countKernels(fn).fusions, 0);
  std::vector<RefTensor> after = evaluate(fn, args);
  ASSERT_EQ(before.size(), after.size());
  for (size_t r = 0; r < before.size(); ++r) {
    ASSERT_EQ(before[r].shape, after[r].shape);
    for (size_t i = 0; i < before[r].data.size(); ++i)
      ASSERT_LE(std::fabs(before[r].data[i] - after[r].data[i]),
                1e-12 * std::max(1.0, std::fabs(before[r].data[i])))
          << "output " << r << " element " << i;
  }
}

TEST(Gpt2EwFusion, SmallForwardHasFewerKernelsAndBytes) {
  Program program =
      models::buildGpt2Forward(models::Gpt2Config::small(), /*batch=*/1, /*seq=*/128);
  ModuleOp module = program.module();
  auto fn = cast<func::FuncOp>(module.lookupSymbol("main"));
  ASSERT_TRUE(runOtherFusions(module));
  Counts before = countKernels(fn);
  ASSERT_TRUE(runElementwiseFusion(module));
  ASSERT_TRUE(succeeded(verify(module)));
  Counts after = countKernels(fn);
  std::printf("gpt2 small 1x128, after the other fusion passes:\n"
              "  before weft-fuse-elementwise: %lld generated kernels + %lld GEMMs, "
              "%lld bytes moved\n"
              "  after:                        %lld generated kernels (%lld weft.fusion) "
              "+ %lld GEMMs, %lld bytes moved\n",
              (long long)before.kernels, (long long)before.gemms, (long long)before.bytes,
              (long long)after.kernels, (long long)after.fusions, (long long)after.gemms,
              (long long)after.bytes);
  EXPECT_EQ(after.gemms, before.gemms);
  // Each layer's softmax (7 ops) must become one kernel: at least 6 fewer
  // kernels per layer.
  EXPECT_LE(after.kernels + 6 * 12, before.kernels);
  EXPECT_LT(after.bytes, before.bytes);
}

} // namespace
} // namespace weft

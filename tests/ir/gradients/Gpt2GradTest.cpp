//===- Gpt2GradTest.cpp - the whole gradient of a small GPT-2 -------------===//
//
// This file tests weft-autodiff on a 2-layer GPT-2 written with the DSL
// (embeddings, pre-LN blocks with causal attention and a gelu_tanh MLP, the
// final LayerNorm, the LM head tied to wte) and a cross-entropy loss: a
// sample of elements of every parameter tensor is compared with central
// finite differences in the double-precision reference evaluator.
//
//===----------------------------------------------------------------------===//

#include "tests/ir/gradients/GradCheck.h"
#include "tests/common/Gpt2TestModels.h"

#include "frontend/Ops.h"
#include "frontend/Program.h"

#include "ir/AttrNames.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace weft;
using namespace weft::test;

namespace {

TEST(Gpt2Grad, SampledParametersMatchFiniteDifferences) {
  GradChecker gc;
  const int64_t B = 2, T = 4, C = 8, H = 2, V = 11;
  Program p(gc.context());
  buildGpt2Loss(p, B, T, C, H, V, /*layers=*/2);
  OwningOpRef<ModuleOp> forward(p.module().clone());
  OwningOpRef<ModuleOp> grads = forward->clone();
  std::string diagnostics;
  ASSERT_TRUE(runAutodiff(*grads, diagnostics)) << diagnostics;

  auto main = forward->lookupSymbol<func::FuncOp>("main");
  ASSERT_TRUE(main);
  std::vector<RefTensor> args;
  std::vector<std::pair<unsigned, std::string>> params;
  for (unsigned i = 0; i < main.getNumArguments(); ++i) {
    auto type = cast<RankedTensorType>(main.getArgument(i).getType());
    if (auto name =
            main.getArgAttrOfType<StringAttr>(i, kParamAttr)) {
      params.emplace_back(i, name.str());
      // LayerNorm scales near 1, everything else with a spread large
      // enough that attention and the MLP are far from linear.
      bool scale =
          name.getValue().contains("ln") && name.getValue().ends_with("weight");
      args.push_back(scale ? randomTensor(type, 100 + i, 0.5, 1.5)
                           : randomTensor(type, 100 + i, -0.5, 0.5));
    } else {
      args.push_back(randomTensor(type, 100 + i, 0, (double)V));
    }
  }
  // wte, wpe, ln_f.{weight,bias} and 12 tensors per block.
  ASSERT_EQ(params.size(), 4u + 2u * 12u);

  GradTolerance tol;
  tol.maxElements = 4;
  tol.floor = 1e-2; // absolute 1e-8 for small gradients
  compareWithFiniteDifferences("gpt2", *forward, *grads, args, params,
                               /*lossIndex=*/0, tol, /*seed=*/3);
}

} // namespace

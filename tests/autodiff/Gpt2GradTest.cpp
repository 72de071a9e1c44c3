//===- Gpt2GradTest.cpp - the whole gradient of a small GPT-2 -------------===//
//
// This file tests weft-autodiff on a 2-layer GPT-2 written with the DSL
// (embeddings, pre-LN blocks with causal attention and a gelu_tanh MLP, the
// final LayerNorm, the LM head tied to wte) and a cross-entropy loss: a
// sample of elements of every parameter tensor is compared with central
// finite differences in the double-precision reference evaluator.
//
//===----------------------------------------------------------------------===//

#include "tests/autodiff/GradCheck.h"

#include "frontend/Ops.h"
#include "frontend/Program.h"
#include "frontend/nn/Embedding.h"
#include "frontend/nn/LayerNorm.h"
#include "frontend/nn/TransformerBlock.h"

#include "ir/WeftDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace weft;
using namespace weft::test;

namespace {

/// GPT-2 as in models/Gpt2.cpp with a mean cross-entropy loss over the
/// next-token labels [B*T].
void buildGpt2Loss(Program &p, int64_t B, int64_t T, int64_t C, int64_t H,
                   int64_t V, int layers) {
  Tensor tokens = p.input("tokens", {B, T}, DType::I64);
  Tensor labels = p.input("labels", {B * T}, DType::I64);
  nn::Embedding wte(p, "wte", V, C);
  nn::Embedding wpe(p, "wpe", T, C);
  Tensor x = wte(tokens) + wpe(iota(p, {T}, 0, DType::I64));
  nn::BlockConfig block;
  block.n_embd = C;
  block.n_head = H;
  block.activation = nn::Activation::GeluTanh;
  block.layout = nn::WeightLayout::InOut;
  for (int i = 0; i < layers; ++i) {
    nn::TransformerBlock layer(p, "h." + std::to_string(i), block);
    x = layer(x);
  }
  nn::LayerNorm ln_f(p, "ln_f", C);
  x = ln_f(x);
  Tensor logits = matmul(reshape(x, {B * T, C}), wte.weight,
                         /*transpose_a=*/false, /*transpose_b=*/true);
  p.output("loss", cross_entropy(logits, labels));
}

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
            main.getArgAttrOfType<StringAttr>(i, WeftDialect::kParamAttr)) {
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

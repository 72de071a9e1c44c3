//===- Gpt2E2ETest.cpp - GPT-2 and MLP compiled vs evaluated --------------===//
//
// This file implements the end-to-end numerics tests: whole models built with
// the DSL, compiled for the CPU, run by the runtime, and compared with the
// double-precision reference evaluator on fresh random weights and inputs.
//
// Tolerance: the compiled program computes in f32 (GEMMs in OpenBLAS with
// K-long f32 accumulations, exp/erf/tanh in vectorised approximations). f32
// has a unit roundoff of 6e-8; through 2 transformer layers (LayerNorm,
// softmax, K up to 4*64 = 256) errors stay well below 1e-4 relative to values
// of order 1, so we allow |got - want| <= 2e-4 + 2e-4 * |want|: loose enough
// for f32 rounding, far tighter than any wrong index, mask or scale would give
// (those produce O(0.1) differences).
//
//===----------------------------------------------------------------------===//

#include "tests/e2e/E2ETestUtil.h"

#include "models/Gpt2.h"
#include "models/Mlp.h"
#include "compiler/TrainStep.h"
#include "frontend/Ops.h"
#include "tests/common/Gpt2TestModels.h"

namespace weft {
namespace {

TEST(E2E, Gpt2TwoLayersCompiledMatchesReference) {
  models::Gpt2Config config = test::twoLayerGpt2Config();
  Program program = models::buildGpt2Forward(config, /*batch=*/2, /*seq=*/16);
  test::compareCompiledWithReference(program, /*seed=*/1234, 2e-4, 2e-4,
                                     /*tokenRange=*/config.vocab_size);
}

TEST(E2E, MlpCompiledMatchesReference) {
  Program program = models::buildMlp(/*batch=*/5, {33, 64, 17});
  test::compareCompiledWithReference(program, /*seed=*/99, 1e-5, 1e-5);
}


/// The composites a training loss is made of, compiled with every fusion on,
/// against the reference evaluator: softmax, log_softmax and cross-entropy.
TEST(E2E, LossCompositesCompiledMatchReference) {
  for (int64_t vocab : {7, 97, 300}) {
    Program program;
    Tensor logits = program.input("logits", {6, vocab});
    Tensor labels = program.input("labels", {6}, DType::I64);
    program.output("softmax", softmax(logits));
    program.output("log_softmax", log_softmax(logits));
    program.output("loss", cross_entropy(logits, labels));
    test::compareCompiledWithReference(program, /*seed=*/vocab, 1e-6, 1e-5,
                                       /*tokenRange=*/vocab);
  }
}


/// One layer, 16 wide, vocab 11: the shape the training CLI tests use.
models::Gpt2Config narrowGpt2Config() {
  return {.n_layer = 1, .n_head = 2, .n_embd = 16, .vocab_size = 11, .n_positions = 8};
}

/// A narrow one-layer GPT-2 training loss (the shape the CLI tests use),
/// compiled with every fusion on, against the reference evaluator.
TEST(E2E, Gpt2TrainLossCompiledMatchesReference) {
  models::Gpt2Config config = narrowGpt2Config();
  Program program = models::buildGpt2TrainLoss(config, /*batch=*/2, /*seq=*/8);
  test::compareCompiledWithReference(program, /*seed=*/5, 1e-5, 1e-5,
                                     /*tokenRange=*/config.vocab_size);
}


/// The loss a compiled GPT-2 training step reports (forward, backward and
/// update in one function, every fusion on) against the reference evaluator
/// of the forward loss: the backward's uses of forward intermediates must not
/// change how the forward is fused.
TEST(E2E, Gpt2TrainStepLossMatchesReference) {
  models::Gpt2Config config = narrowGpt2Config();
  Program program = models::buildGpt2TrainLoss(config, /*batch=*/2, /*seq=*/8);
  mlir::ModuleOp module = program.module();
  CompileOptions options;
  options.useCache = false;
  TrainOptions train;
  train.optimizer = "sgd";
  train.clipNorm = 0;
  train.weightDecay = 0;
  CompileResult compiled = compileTrainStep(module, train, options);
  auto executor = rt::Executor::create(*compiled.executable);
  ASSERT_TRUE(executor.isOk()) << executor.status().toString();

  auto func = *module.getOps<mlir::func::FuncOp>().begin();
  std::vector<RefTensor> args;
  size_t nextParam = 0;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    if (func.getArgAttrOfType<mlir::StringAttr>(i, "weft.param")) {
      const ParamSpec &spec = program.params().at(nextParam++);
      rt::HostTensor value = initialValue(spec, 3);
      ASSERT_TRUE((*executor)->setParameter(spec.name, value).isOk());
      args.push_back(test::toRef(value));
      continue;
    }
    auto name = func.getArgAttrOfType<mlir::StringAttr>(i, "weft.input");
    rt::HostTensor ids(weft::proto::I64, {2, 8});
    for (int64_t e = 0; e < 16; ++e)
      ids.data<int64_t>()[e] = (e * 7 + i) % config.vocab_size;
    ASSERT_TRUE((*executor)->setInput(name.getValue().str(), ids).isOk());
    args.push_back(test::toRef(ids));
  }
  rt::HostTensor scalar(weft::proto::F32, {});
  scalar.data<float>()[0] = 0.0f; // lr 0: the loss is all we look at
  ASSERT_TRUE((*executor)->setInput("lr", scalar).isOk());
  rt::Status ran = (*executor)->run();
  ASSERT_TRUE(ran.isOk()) << ran.toString();
  auto loss = (*executor)->output("loss");
  ASSERT_TRUE(loss.isOk()) << loss.status().toString();
  RefTensor want = evaluate(func, args)[0];
  test::expectClose(*loss, want, 1e-5, 1e-5, "train-step loss");
}

} // namespace
} // namespace weft

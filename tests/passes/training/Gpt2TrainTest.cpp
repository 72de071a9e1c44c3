//===- Gpt2TrainTest.cpp - a tiny GPT-2 learns a fixed batch --------------===//
//
// This file implements the end-to-end training test: a 2-layer GPT-2 (the
// blocks of models/Gpt2.cpp with a cross-entropy loss on next-token labels)
// compiles into one AdamW training step with clipping; its first loss equals
// the reference evaluator's, and over 20 steps on one fixed batch the loss
// falls well below its start (ln V for near-uniform predictions).
//
//===----------------------------------------------------------------------===//

#include "TrainTestUtil.h"
#include "tests/common/Gpt2TestModels.h"


using namespace weft;
using namespace weft::train::test;

namespace {

TEST(TrainGpt2, LossFallsOverTwentyStepsOnAFixedBatch) {
  const int64_t B = 2, T = 8, C = 16, H = 2, V = 32;
  Program p;
  weft::test::buildGpt2Loss(p, B, T, C, H, V, /*layers=*/2);
  mlir::ModuleOp forward = p.module();
  TrainOptions o; // AdamW, betas (0.9, 0.95), weight decay 0.1, clip 1.0
  CompileResult r = compileTrainStep(forward, o, testCompileOptions());
  ASSERT_TRUE(r.executable.has_value());

  Named args = randomArguments(forward, 61, /*tokenRange=*/V);
  // GPT-2-like initial weights: N(0, 0.02)-sized values, LayerNorm gains 1.
  for (auto &[name, value] : args) {
    if (name == "tokens" || name == "labels")
      continue;
    bool gain = name.find("ln_") != std::string::npos && name.find("weight") != std::string::npos;
    for (double &x : value.data)
      x = gain ? 1.0 : double(float(0.04 * x));
  }
  Named ref = referenceGradients(forward, args);
  auto e = bindAll(*r.executable, forward, args);
  ASSERT_TRUE(e);
  std::vector<double> losses;
  for (int t = 1; t <= 20; ++t) {
    setSchedule(*e, learningRate(t, /*maxLr=*/1e-2, /*warmup=*/3, /*totalSteps=*/20), t);
    for (const char *in : {"tokens", "labels"})
      ASSERT_TRUE(e->setInput(in, toHost(args.at(in), weft::proto::I64)).isOk());
    rt::Status ran = e->run();
    ASSERT_TRUE(ran.isOk()) << ran.toString();
    auto loss = e->output("loss");
    ASSERT_TRUE(loss.isOk());
    losses.push_back(loss->data<float>()[0]);
    auto norm = e->output("grad_norm");
    ASSERT_TRUE(norm.isOk());
    EXPECT_TRUE(std::isfinite(norm->data<float>()[0])) << "step " << t;
  }
  std::string curve;
  for (double l : losses)
    curve += std::to_string(l) + " ";
  // Step 1 runs the forward pass on the initial weights. The compiled
  // kernels use polynomial exp/tanh (about 1e-6 relative) and f32 sums, so the
  // loss agrees with the double-precision evaluator to 3e-3.
  EXPECT_NEAR(losses.front(), ref.at("loss").data[0], 3e-3) << curve;
  EXPECT_NEAR(losses.front(), std::log(double(V)), 0.1) << curve;
  EXPECT_LT(losses.back(), losses.front() - 1.0) << curve;
  int rises = 0;
  for (size_t i = 1; i < losses.size(); ++i)
    rises += losses[i] > losses[i - 1];
  EXPECT_LE(rises, 2) << curve;
}

} // namespace

//===- AdamWStepTest.cpp - AdamW and gradient clipping in the step --------===//
//
// This file implements tests of AdamW training steps against a plain
// double-precision host implementation of PyTorch's AdamW fed with the
// reference evaluator's gradients: three steps with weight decay on the
// matrices only (the default) and on everything (decay-all), the moments in
// STATE; and global-norm clipping: the grad_norm output equals the
// evaluator's norm and the update is scaled by clip / (norm + 1e-6) when the
// norm exceeds the clip, and not at all when it does not.
//
// Tolerances: after each step the host continues from the compiled
// parameters and moments, so only one step's f32 rounding is compared. An
// AdamW step moves each weight by about lr (m / sqrt(v) is O(1)), so
// |got - want| <= 1e-3 lr + 1e-5 |want| for parameters, and 1e-4 relative
// (plus 1e-7) for the moments.
//
//===----------------------------------------------------------------------===//

#include "TrainTestUtil.h"

using namespace weft;
using namespace weft::train::test;

namespace {

/// PyTorch's AdamW on one tensor, in double.
void hostAdamW(RefTensor &p, RefTensor &m, RefTensor &v, const RefTensor &g, double lr, int t,
               const TrainOptions &o, bool decay) {
  double bc1 = 1 - std::pow(o.beta1, t), bc2 = 1 - std::pow(o.beta2, t);
  for (size_t i = 0; i < p.data.size(); ++i) {
    if (decay)
      p.data[i] *= 1 - lr * o.weightDecay;
    m.data[i] = o.beta1 * m.data[i] + (1 - o.beta1) * g.data[i];
    v.data[i] = o.beta2 * v.data[i] + (1 - o.beta2) * g.data[i] * g.data[i];
    double denom = std::sqrt(v.data[i]) / std::sqrt(bc2) + o.eps;
    p.data[i] -= lr / bc1 * m.data[i] / denom;
  }
}

void checkAdamW(const TrainOptions &o, uint64_t seed) {
  Program p;
  buildMlpLoss(p, /*batch=*/5, {4, 6, 3});
  mlir::ModuleOp forward = p.module();
  CompileResult r = compileTrainStep(forward, o, testCompileOptions());
  ASSERT_TRUE(r.executable.has_value());
  Named args = randomArguments(forward, seed);
  auto e = bindAll(*r.executable, forward, args);
  ASSERT_TRUE(e);
  std::vector<std::string> names = paramNames(forward);
  ASSERT_EQ(e->stateNames().size(), 2 * names.size());

  Named host = args, m, v;
  for (const std::string &n : names) {
    m[n] = RefTensor{args.at(n).shape, std::vector<double>(args.at(n).data.size(), 0.0)};
    v[n] = m[n];
  }
  for (int t = 1; t <= 3; ++t) {
    double lr = learningRate(t, /*maxLr=*/0.01, /*warmup=*/2, /*totalSteps=*/10);
    Named ref = referenceGradients(forward, host);
    setSchedule(*e, lr, t);
    for (const char *in : {"x", "t"})
      ASSERT_TRUE(e->setInput(in, toHost(args.at(in))).isOk());
    rt::Status ran = e->run();
    ASSERT_TRUE(ran.isOk()) << ran.toString();
    for (const std::string &n : names) {
      bool decay = o.decayAll || host.at(n).shape.size() >= 2;
      hostAdamW(host.at(n), m[n], v[n], ref.at("grad:" + n), lr, t, o, decay);
      auto gotP = e->parameter(n);
      auto gotM = e->state("adamw.m:" + n), gotV = e->state("adamw.v:" + n);
      ASSERT_TRUE(gotP.isOk() && gotM.isOk() && gotV.isOk());
      std::string at = n + " at step " + std::to_string(t);
      EXPECT_LE(expectClose(toRef(*gotP), host.at(n), 1e-3 * lr, 1e-5, at), 1.0) << at;
      EXPECT_LE(expectClose(toRef(*gotM), m[n], 1e-7, 1e-4, "m of " + at), 1.0) << at;
      EXPECT_LE(expectClose(toRef(*gotV), v[n], 1e-9, 1e-4, "v of " + at), 1.0) << at;
      host.at(n) = toRef(*gotP);
      m[n] = toRef(*gotM);
      v[n] = toRef(*gotV);
    }
  }
}

// Weight decay 0.1 on the matrices only (the default): with lr ~ 5e-3 the
// decay moves a weight by ~5e-4 |w|, far above the tolerance, so decaying the
// biases too (or not decaying the matrices) fails.
TEST(TrainAdamW, ThreeStepsMatchHostAdamW) {
  TrainOptions o;
  o.clipNorm = 0;
  checkAdamW(o, 41);
}

TEST(TrainAdamW, ThreeStepsWithDecayOnEveryParameter) {
  TrainOptions o;
  o.clipNorm = 0;
  o.decayAll = true;
  o.weightDecay = 0.5;
  o.beta2 = 0.999;
  checkAdamW(o, 43);
}

/// Clipping with SGD and lr = 1: new = old - scale * gradient.
void checkClipping(double clip, bool expectEngaged) {
  Program p;
  buildMlpLoss(p, /*batch=*/6, {5, 7, 3});
  mlir::ModuleOp forward = p.module();
  TrainOptions o;
  o.optimizer = "sgd";
  o.weightDecay = 0;
  o.clipNorm = clip;
  CompileResult r = compileTrainStep(forward, o, testCompileOptions());
  ASSERT_TRUE(r.executable.has_value());
  Named args = randomArguments(forward, 51);
  Named ref = referenceGradients(forward, args);
  double sumSq = 0;
  for (const auto &[name, value] : ref)
    if (name.rfind("grad:", 0) == 0)
      for (double g : value.data)
        sumSq += g * g;
  double norm = std::sqrt(sumSq);
  EXPECT_EQ(norm > clip, expectEngaged) << "norm " << norm << ", clip " << clip;
  double scale = std::min(1.0, clip / (norm + 1e-6));

  auto e = bindAll(*r.executable, forward, args);
  ASSERT_TRUE(e);
  setSchedule(*e, 1.0, 1);
  ASSERT_TRUE(e->run().isOk());
  auto gotNorm = e->output("grad_norm");
  ASSERT_TRUE(gotNorm.isOk()) << gotNorm.status().toString();
  EXPECT_NEAR(gotNorm->data<float>()[0], norm, 1e-5 * norm);
  for (const std::string &name : paramNames(forward)) {
    RefTensor want = args.at(name);
    for (size_t i = 0; i < want.data.size(); ++i)
      want.data[i] -= scale * ref.at("grad:" + name).data[i];
    auto got = e->parameter(name);
    ASSERT_TRUE(got.isOk());
    EXPECT_LE(expectClose(toRef(*got), want, 1e-5, 1e-4, name), 1.0) << name;
  }
}

TEST(TrainClip, GradNormIsReportedAndUpdateScaledWhenAboveClip) { checkClipping(0.05, true); }

TEST(TrainClip, UpdateUnscaledWhenNormBelowClip) { checkClipping(100.0, false); }

} // namespace

//===- LossScalingTest.cpp - f16 dynamic loss scaling ---------------------===//
//
// This file implements the f16 loss-scaling tests on a small MLP training
// step (SGD): with an enormous first scale (2^40) the f16 gradients overflow,
// so the step is skipped (parameters bit-identical, the scale halved each
// time) until the scale is small enough, after which training proceeds and
// the loss falls; and after growth-interval finite steps the scale doubles.
//
//===----------------------------------------------------------------------===//

#include "tests/passes/training/TrainTestUtil.h"

#include <algorithm>
#include <cstdio>

using namespace weft;
using namespace weft::train::test;

namespace {

float scalarOf(const rt::StatusOr<rt::HostTensor> &t) {
  EXPECT_TRUE(t.isOk());
  return t.isOk() ? t->data<float>()[0] : NAN;
}

/// The raw bytes of every parameter, to compare for bit-identity.
std::vector<std::vector<char>> snapshot(rt::Executor &e, const std::vector<std::string> &names) {
  std::vector<std::vector<char>> out;
  for (const std::string &n : names) {
    auto t = e.parameter(n);
    EXPECT_TRUE(t.isOk());
    const char *b = reinterpret_cast<const char *>(t->data<float>());
    out.emplace_back(b, b + t->numElements() * sizeof(float));
  }
  return out;
}

struct Fixture {
  Program p;
  mlir::ModuleOp forward;
  Named args;
  std::unique_ptr<rt::Executor> e;
  std::vector<std::string> params;

  Fixture(double initLog2, int64_t growth) {
    buildMlpLoss(p, /*batch=*/4, {4, 8, 3});
    forward = p.module();
    TrainOptions o;
    o.optimizer = "sgd";
    o.weightDecay = 0;
    o.clipNorm = 0;
    o.precision = "f16";
    o.initLossScaleLog2 = initLog2;
    o.lossScaleGrowthInterval = growth;
    CompileResult r = compileTrainStep(forward, o, testCompileOptions());
    EXPECT_TRUE(r.executable.has_value());
    args = randomArguments(forward, 17);
    if (r.executable)
      e = bindAll(*r.executable, forward, args);
    params = paramNames(forward);
  }

  /// One step with lr 0.1; returns {loss, the scale this step used}.
  std::pair<float, float> step() {
    setSchedule(*e, 0.1, 1);
    rt::Status s = e->run();
    EXPECT_TRUE(s.isOk()) << s.toString();
    return {scalarOf(e->output("loss")), scalarOf(e->output("loss_scale"))};
  }
};

TEST(LossScaling, OverflowSkipsTheStepHalvesTheScaleAndRecovers) {
  Fixture f(/*initLog2=*/40, /*growth=*/2000);
  ASSERT_TRUE(f.e);
  // The state names the step exposes.
  std::vector<std::string> states = f.e->stateNames();
  EXPECT_NE(std::find(states.begin(), states.end(), "amp.loss_scale_log2"), states.end());
  EXPECT_NE(std::find(states.begin(), states.end(), "amp.good_steps"), states.end());

  auto before = snapshot(*f.e, f.params);
  auto [loss1, scale1] = f.step();
  EXPECT_EQ(scale1, std::ldexp(1.0f, 40));
  // 2^40 * (gradients ~1e-2) is far beyond f16's 65504: skipped.
  EXPECT_EQ(snapshot(*f.e, f.params), before) << "an overflowing step must not update";
  EXPECT_EQ(scalarOf(f.e->state("amp.loss_scale_log2")), -1.0f);
  EXPECT_EQ(scalarOf(f.e->state("amp.good_steps")), 0.0f);
  auto [loss2, scale2] = f.step();
  EXPECT_EQ(scale2, scale1 / 2) << "the scale halves after a skipped step";
  EXPECT_EQ(loss2, loss1) << "a skipped step leaves the loss unchanged";

  // Keep stepping: the scale halves until the gradients fit f16, then the
  // parameters move.
  int firstUpdate = 0;
  float scaleAtUpdate = 0;
  for (int t = 3; t <= 45 && !firstUpdate; ++t) {
    auto prev = snapshot(*f.e, f.params);
    auto [loss, scale] = f.step();
    EXPECT_EQ(scale, std::ldexp(1.0f, 40 - (t - 1))) << "step " << t;
    if (snapshot(*f.e, f.params) != prev) {
      firstUpdate = t;
      scaleAtUpdate = scale;
    }
  }
  ASSERT_GT(firstUpdate, 0) << "never recovered";
  std::printf("[mixedprec] first update at step %d with loss scale 2^%d\n", firstUpdate,
              int(std::log2(scaleAtUpdate)));
  // Gradients of this MLP are O(0.1-1): f16 holds them times <= 2^15 safely.
  EXPECT_LE(scaleAtUpdate, std::ldexp(1.0f, 20));
  EXPECT_GE(scaleAtUpdate, std::ldexp(1.0f, 8));
  // From now on the steps are finite: the scale stays, the loss falls.
  float start = scalarOf(f.e->output("loss"));
  float last = start;
  for (int t = 0; t < 20; ++t) {
    auto [loss, scale] = f.step();
    EXPECT_EQ(scale, scaleAtUpdate) << "a finite step keeps the scale (growth interval 2000)";
    last = loss;
  }
  EXPECT_EQ(scalarOf(f.e->state("amp.good_steps")), 21.0f);
  EXPECT_LT(last, 0.8f * start) << "loss " << start << " -> " << last;
}

TEST(LossScaling, ScaleDoublesAfterGrowthIntervalFiniteSteps) {
  Fixture f(/*initLog2=*/4, /*growth=*/3);
  ASSERT_TRUE(f.e);
  std::vector<float> scales;
  for (int t = 0; t < 7; ++t)
    scales.push_back(f.step().second);
  // 2^4 for three finite steps, then 2^5 for three, then 2^6.
  std::vector<float> want = {16, 16, 16, 32, 32, 32, 64};
  EXPECT_EQ(scales, want);
  EXPECT_EQ(scalarOf(f.e->state("amp.loss_scale_log2")), 2.0f);
  EXPECT_EQ(scalarOf(f.e->state("amp.good_steps")), 1.0f);
}

TEST(LossScaling, UnknownPrecisionIsACompileError) {
  Program p;
  buildMlpLoss(p, 2, {3, 2});
  TrainOptions o;
  o.precision = "fp8";
  try {
    buildTrainStep(p.module(), o);
    FAIL() << "expected a CompileError";
  } catch (const CompileError &e) {
    EXPECT_NE(std::string(e.what()).find("unknown precision 'fp8'"), std::string::npos)
        << e.what();
  }
}

} // namespace

//===- SgdStepTest.cpp - SGD training steps, parameters updated in place --===//
//
// This file implements tests of SGD training steps compiled into one
// Executable: with lr = 1 one step gives exactly weights - gradient (the
// gradient from the reference evaluator); two runs of the executor apply two
// updates (parameters persist on the device); momentum keeps its buffer in
// STATE between steps; and every update output shares its parameter's
// storage (alias_of = updates, no copy step, no arena bytes).
//
// Tolerances: the compiled step computes in f32, the evaluator in double.
// Gradients of this MLP are O(0.1-1); f32 accumulation over a few dozen terms
// gives errors near 1e-7 relative, so |got - want| <= 1e-5 + 1e-4 |want|.
//
//===----------------------------------------------------------------------===//

#include "TrainTestUtil.h"

using namespace weft;
using namespace weft::train::test;

namespace {

constexpr double kAtol = 1e-5, kRtol = 1e-4;

TrainOptions plainSgd() {
  TrainOptions t;
  t.optimizer = "sgd";
  t.weightDecay = 0;
  t.clipNorm = 0;
  return t;
}

TEST(TrainSgd, OneStepWithLrOneIsWeightsMinusGradient) {
  Program p;
  buildMlpLoss(p, /*batch=*/6, {5, 7, 3});
  mlir::ModuleOp forward = p.module();
  CompileResult r = compileTrainStep(forward, plainSgd(), testCompileOptions());
  ASSERT_TRUE(r.executable.has_value());
  Named args = randomArguments(forward, 11);
  Named ref = referenceGradients(forward, args);
  auto e = bindAll(*r.executable, forward, args);
  ASSERT_TRUE(e);
  setSchedule(*e, /*lr=*/1.0, /*step=*/1);
  rt::Status ran = e->run();
  ASSERT_TRUE(ran.isOk()) << ran.toString();

  auto loss = e->output("loss");
  ASSERT_TRUE(loss.isOk()) << loss.status().toString();
  expectClose(toRef(*loss), ref.at("loss"), kAtol, kRtol, "loss");
  std::vector<std::string> names = paramNames(forward);
  ASSERT_EQ(names.size(), 4u); // fc0.weight, fc0.bias, fc1.weight, fc1.bias
  for (const std::string &name : names) {
    RefTensor want = args.at(name);
    const RefTensor &g = ref.at("grad:" + name);
    for (size_t i = 0; i < want.data.size(); ++i)
      want.data[i] -= g.data[i];
    auto got = e->parameter(name);
    ASSERT_TRUE(got.isOk()) << got.status().toString();
    double worst = expectClose(toRef(*got), want, kAtol, kRtol, name);
    EXPECT_LE(worst, 1.0) << name;
    // The update output reads the same bytes as the parameter.
    auto out = e->output("update:" + name);
    ASSERT_TRUE(out.isOk()) << out.status().toString();
    EXPECT_EQ(out->bytes, got->bytes) << name;
  }
  // No gradient outputs are left by default; no grad_norm without clipping.
  for (const std::string &name : e->outputNames())
    EXPECT_NE(name.rfind("grad", 0), 0u) << name;
}

/// Two steps through one executor; `fuse` selects the fused graph (each
/// update one weft.fusion kernel) or plain weft ops (the update a weft.sub).
void checkPersistence(bool fuse) {
  Program p;
  buildMlpLoss(p, /*batch=*/4, {3, 6, 2});
  mlir::ModuleOp forward = p.module();
  CompileOptions options = testCompileOptions();
  options.fuse = fuse;
  CompileResult r = compileTrainStep(forward, plainSgd(), options);
  ASSERT_TRUE(r.executable.has_value());

  // The Executable: each update output aliases its PARAMETER and is written
  // by the op computing it (no copy step), outside the arena.
  const proto::Executable &exe = r.executable->proto();
  int updates = 0;
  for (const proto::Buffer &b : exe.buffers()) {
    if (!b.has_updates())
      continue;
    ++updates;
    EXPECT_EQ(b.kind(), proto::OUTPUT);
    ASSERT_TRUE(b.has_alias_of()) << b.name();
    EXPECT_EQ(b.alias_of(), b.updates()) << b.name();
    const proto::Buffer &target = exe.buffers(static_cast<int>(b.updates()));
    EXPECT_EQ(target.kind(), proto::PARAMETER);
    EXPECT_EQ(b.name(), "update:" + target.name());
    bool written = false;
    for (const proto::Step &s : exe.steps()) {
      EXPECT_EQ(s.label().find("copy into"), std::string::npos) << s.label();
      if (s.has_kernel_call())
        for (uint32_t a : s.kernel_call().args())
          written |= a == b.id();
    }
    EXPECT_TRUE(written) << b.name() << " is written by no step";
  }
  EXPECT_EQ(updates, 4);

  Named args = randomArguments(forward, 21);
  auto e = bindAll(*r.executable, forward, args);
  ASSERT_TRUE(e);
  const double lr = 0.25;
  Named host = args;
  for (int step = 1; step <= 2; ++step) {
    Named ref = referenceGradients(forward, host);
    setSchedule(*e, lr, step);
    // Inputs may share arena bytes with temporaries: bind them every step.
    for (const char *in : {"x", "t"})
      ASSERT_TRUE(e->setInput(in, toHost(args.at(in))).isOk());
    rt::Status ran = e->run();
    ASSERT_TRUE(ran.isOk()) << ran.toString();
    auto loss = e->output("loss");
    ASSERT_TRUE(loss.isOk());
    expectClose(toRef(*loss), ref.at("loss"), kAtol, kRtol, "loss of step " + std::to_string(step));
    for (const std::string &name : paramNames(forward)) {
      RefTensor &w = host.at(name);
      for (size_t i = 0; i < w.data.size(); ++i)
        w.data[i] -= lr * ref.at("grad:" + name).data[i];
      auto got = e->parameter(name);
      ASSERT_TRUE(got.isOk());
      EXPECT_LE(expectClose(toRef(*got), w, kAtol, kRtol, name), 1.0)
          << name << " after step " << step;
    }
    // Continue from the compiled weights so that f32 rounding does not drift.
    for (const std::string &name : paramNames(forward))
      host.at(name) = toRef(*e->parameter(name));
  }
}

TEST(TrainSgd, ParametersPersistAndAreUpdatedInPlace) { checkPersistence(/*fuse=*/true); }

TEST(TrainSgd, ParametersPersistAndAreUpdatedInPlaceUnfused) { checkPersistence(/*fuse=*/false); }

TEST(TrainSgd, MomentumBufferIsStateBetweenSteps) {
  Program p;
  buildMlpLoss(p, /*batch=*/4, {3, 5, 2});
  mlir::ModuleOp forward = p.module();
  TrainOptions t = plainSgd();
  t.momentum = 0.9;
  CompileResult r = compileTrainStep(forward, t, testCompileOptions());
  ASSERT_TRUE(r.executable.has_value());
  Named args = randomArguments(forward, 31);
  auto e = bindAll(*r.executable, forward, args);
  ASSERT_TRUE(e);
  std::vector<std::string> names = paramNames(forward);
  std::vector<std::string> expectedStates;
  for (const std::string &n : names)
    expectedStates.push_back("sgd.momentum:" + n);
  EXPECT_EQ(e->stateNames(), expectedStates);

  const double lr = 0.1;
  Named host = args, buf;
  for (const std::string &n : names)
    buf[n] = RefTensor{args.at(n).shape, std::vector<double>(args.at(n).data.size(), 0.0)};
  for (int step = 1; step <= 3; ++step) {
    Named ref = referenceGradients(forward, host);
    setSchedule(*e, lr, step);
    for (const char *in : {"x", "t"})
      ASSERT_TRUE(e->setInput(in, toHost(args.at(in))).isOk());
    ASSERT_TRUE(e->run().isOk());
    for (const std::string &n : names) {
      for (size_t i = 0; i < buf[n].data.size(); ++i) {
        buf[n].data[i] = 0.9 * buf[n].data[i] + ref.at("grad:" + n).data[i];
        host.at(n).data[i] -= lr * buf[n].data[i];
      }
      auto w = e->parameter(n);
      auto m = e->state("sgd.momentum:" + n);
      ASSERT_TRUE(w.isOk() && m.isOk());
      EXPECT_LE(expectClose(toRef(*w), host.at(n), kAtol, kRtol, n), 1.0) << "step " << step;
      EXPECT_LE(expectClose(toRef(*m), buf[n], kAtol, kRtol, "momentum " + n), 1.0)
          << "step " << step;
      host.at(n) = toRef(*w);
      buf[n] = toRef(*m);
    }
  }
}

} // namespace

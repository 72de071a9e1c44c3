//===- TrainErrorsTest.cpp - schedule, validation and error paths ---------===//
//
// This file implements tests of what surrounds the training step: the
// warmup + cosine learning-rate schedule; the runtime's validation refusing a
// compiled step whose update alias was damaged; weft-optimizer's errors (no
// gradients, unknown optimizer, run twice); and the code generator's check
// that no op reads a parameter's old value after its in-place update.
//
//===----------------------------------------------------------------------===//

#include "TrainTestUtil.h"

#include "ir/WeftDialect.h"

#include "mlir/Parser/Parser.h"

#include <stdexcept>

using namespace weft;
using namespace weft::train::test;

namespace {

TEST(TrainSchedule, WarmupThenCosineDecay) {
  const double maxLr = 6e-4;
  EXPECT_DOUBLE_EQ(learningRate(1, maxLr, 4, 104), maxLr / 4);
  EXPECT_DOUBLE_EQ(learningRate(2, maxLr, 4, 104), maxLr / 2);
  EXPECT_DOUBLE_EQ(learningRate(4, maxLr, 4, 104), maxLr);
  // Halfway through the decay: the middle of max and min (min = 0.1 max).
  EXPECT_NEAR(learningRate(54, maxLr, 4, 104), 0.55 * maxLr, 1e-15);
  EXPECT_DOUBLE_EQ(learningRate(104, maxLr, 4, 104), 0.1 * maxLr);
  EXPECT_DOUBLE_EQ(learningRate(500, maxLr, 4, 104), 0.1 * maxLr);
  EXPECT_DOUBLE_EQ(learningRate(1, maxLr, 0, 10, 0.0), maxLr);
  for (int t = 5; t < 104; ++t)
    EXPECT_LT(learningRate(t + 1, maxLr, 4, 104), learningRate(t, maxLr, 4, 104)) << t;
  EXPECT_THROW(learningRate(0, maxLr, 4, 104), std::invalid_argument);
  EXPECT_THROW(learningRate(1, maxLr, 10, 5), std::invalid_argument);
  EXPECT_THROW(learningRate(1, maxLr, 1, 5, 1.5), std::invalid_argument);
}

TEST(TrainValidate, DamagedUpdateAliasIsRejected) {
  Program p;
  buildMlpLoss(p, 2, {3, 2});
  TrainOptions o;
  o.optimizer = "sgd";
  CompileResult r = compileTrainStep(p.module(), o, testCompileOptions());
  ASSERT_TRUE(r.executable.has_value());
  const proto::Executable &good = r.executable->proto();
  int update = -1, other = -1;
  for (const proto::Buffer &b : good.buffers()) {
    if (b.has_updates() && update < 0)
      update = b.id();
    if (b.kind() == proto::INPUT && other < 0)
      other = b.id();
  }
  ASSERT_GE(update, 0);
  ASSERT_GE(other, 0);
  ASSERT_TRUE(rt::Executor::create(*r.executable).isOk());

  auto expectRejected = [&](auto damage, const std::string &mention) {
    proto::Executable bad = good;
    damage(*bad.mutable_buffers(update));
    auto created = rt::Executor::create(rt::Executable(bad));
    ASSERT_FALSE(created.isOk()) << mention;
    EXPECT_EQ(created.status().code(), rt::StatusCode::kInvalidArgument);
    EXPECT_NE(created.status().message().find(mention), std::string::npos)
        << created.status().message();
    EXPECT_NE(created.status().message().find(good.buffers(update).name()), std::string::npos)
        << created.status().message();
  };
  // The parameter's storage shared without declaring the update.
  expectRejected([](proto::Buffer &b) { b.clear_updates(); }, "without `updates`");
  // An update that does not alias what it updates.
  expectRejected([&](proto::Buffer &b) { b.set_updates(other); }, "only PARAMETER and STATE");
  expectRejected([](proto::Buffer &b) { b.clear_alias_of(); }, "has storage of its own");
}

/// Runs weft-optimizer with `options` on `source`; returns the diagnostics
/// ("" when it succeeded).
std::string runOptimizer(const std::string &source, const std::string &options) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<weft::WeftDialect, mlir::func::FuncDialect>();
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    diagnostics += d.str() + "\n";
    return mlir::success();
  });
  auto module = mlir::parseSourceString<mlir::ModuleOp>(source, &ctx, "opt.mlir");
  EXPECT_TRUE(module) << diagnostics;
  if (!module)
    return diagnostics;
  mlir::PassManager pm(&ctx);
  if (mlir::failed(mlir::parsePassPipeline("weft-optimizer{" + options + "}", pm)))
    return "bad pipeline";
  bool ok = mlir::succeeded(pm.run(*module));
  return ok ? std::string() : diagnostics;
}

const char *kWithGradient = R"mlir(
func.func @main(%w: tensor<4xf32> {weft.param = "w"}, %x: tensor<4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}, tensor<4xf32> {weft.output = "grad:w"}) {
  %0 = weft.mul %w, %x : tensor<4xf32>
  %1 = weft.reduce sum %0 dims = [0] : tensor<4xf32>
  return %1, %x : tensor<f32>, tensor<4xf32>
}
)mlir";

TEST(TrainOptimizerPass, Errors) {
  weft::registerWeftPasses();
  EXPECT_EQ(runOptimizer(kWithGradient, "optimizer=sgd"), "");
  std::string d = runOptimizer(kWithGradient, "optimizer=lion");
  EXPECT_NE(d.find("unknown optimizer 'lion'"), std::string::npos) << d;
  d = runOptimizer(kWithGradient, "beta1=1.5");
  EXPECT_NE(d.find("invalid hyperparameters"), std::string::npos) << d;
  std::string noGrad = kWithGradient;
  noGrad.replace(noGrad.find("grad:w"), 6, "other");
  d = runOptimizer(noGrad, "");
  EXPECT_NE(d.find("has no gradient outputs"), std::string::npos) << d;
  EXPECT_NE(d.find("run weft-autodiff before weft-optimizer"), std::string::npos) << d;
  std::string wrongName = kWithGradient;
  wrongName.replace(wrongName.find("grad:w"), 6, "grad:v");
  d = runOptimizer(wrongName, "");
  EXPECT_NE(d.find("no weft.param argument named 'v'"), std::string::npos) << d;
  std::string hasLr = kWithGradient;
  hasLr.replace(hasLr.find("weft.input = \"x\""), 16, "weft.input = \"lr\"");
  d = runOptimizer(hasLr, "");
  EXPECT_NE(d.find("already has an input named 'lr'"), std::string::npos) << d;
}

/// Compiles a hand-written training step and returns the compile error.
std::string compileError(const std::string &source) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<weft::WeftDialect, mlir::func::FuncDialect>();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(source, &ctx, "step.mlir");
  EXPECT_TRUE(module);
  if (!module)
    return "";
  try {
    compile(*module, testCompileOptions());
  } catch (const CompileError &e) {
    return e.what();
  }
  return "";
}

TEST(TrainInPlace, ReadingTheOldValueAfterTheUpdateIsAnError) {
  // %new overwrites w in place, then %late still reads the old w.
  std::string d = compileError(R"mlir(
func.func @main(%w: tensor<4xf32> {weft.param = "w"}, %g: tensor<4xf32> {weft.input = "g"})
    -> (tensor<4xf32> {weft.update = "w"}, tensor<4xf32> {weft.output = "y"}) {
  %new = weft.sub %w, %g : tensor<4xf32>
  %late = weft.mul %w, %g : tensor<4xf32>
  return %new, %late : tensor<4xf32>, tensor<4xf32>
}
)mlir");
  EXPECT_NE(d.find("'weft.mul' op reads the old value of 'w' after the op that updates it in "
                   "place"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("\"step.mlir\":5:"), std::string::npos) << d;
  EXPECT_NE(d.find("the in-place update of 'w' is computed here"), std::string::npos) << d;

  d = compileError(R"mlir(
func.func @main(%w: tensor<4xf32> {weft.param = "w"}, %g: tensor<4xf32> {weft.input = "g"})
    -> (tensor<4xf32> {weft.update = "w"}, tensor<4xf32> {weft.output = "old"}) {
  %new = weft.sub %w, %g : tensor<4xf32>
  return %new, %w : tensor<4xf32>, tensor<4xf32>
}
)mlir");
  EXPECT_NE(d.find("returns the old value of 'w' as result #1"), std::string::npos) << d;

  d = compileError(R"mlir(
func.func @main(%w: tensor<4xf32> {weft.param = "w"}, %g: tensor<4xf32> {weft.input = "g"})
    -> (tensor<4xf32> {weft.update = "nope"}) {
  %new = weft.sub %w, %g : tensor<4xf32>
  return %new : tensor<4xf32>
}
)mlir");
  EXPECT_NE(d.find("updates 'nope', but no argument is tagged weft.param or weft.state"),
            std::string::npos)
      << d;
}

TEST(TrainInPlace, ReadersBeforeTheUpdateAreFine) {
  // The same program with the reader first compiles, and the update output
  // aliases the parameter.
  mlir::MLIRContext ctx;
  ctx.loadDialect<weft::WeftDialect, mlir::func::FuncDialect>();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(R"mlir(
func.func @main(%w: tensor<4xf32> {weft.param = "w"}, %g: tensor<4xf32> {weft.input = "g"})
    -> (tensor<4xf32> {weft.update = "w"}, tensor<4xf32> {weft.output = "y"}) {
  %early = weft.mul %w, %g : tensor<4xf32>
  %new = weft.sub %w, %g : tensor<4xf32>
  return %new, %early : tensor<4xf32>, tensor<4xf32>
}
)mlir",
                                                        &ctx, "step.mlir");
  ASSERT_TRUE(module);
  CompileResult r = compile(*module, testCompileOptions());
  ASSERT_TRUE(r.executable.has_value());
  auto e = rt::Executor::create(*r.executable);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  rt::HostTensor w(proto::F32, {4}), g(proto::F32, {4});
  for (int i = 0; i < 4; ++i) {
    w.data<float>()[i] = float(i + 1);
    g.data<float>()[i] = 0.5f * float(i);
  }
  ASSERT_TRUE((*e)->setParameter("w", w).isOk());
  ASSERT_TRUE((*e)->setInput("g", g).isOk());
  ASSERT_TRUE((*e)->run().isOk());
  auto now = (*e)->parameter("w");
  auto y = (*e)->output("y");
  ASSERT_TRUE(now.isOk() && y.isOk());
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(now->data<float>()[i], float(i + 1) - 0.5f * float(i)) << i;
    EXPECT_EQ(y->data<float>()[i], float(i + 1) * 0.5f * float(i)) << i;
  }
}

} // namespace

//===- TiedGradientTest.cpp - a tied embedding's gradient in one table ----===//
//
// This file tests the training step's gradient of a tied embedding (GPT-2's
// wte: the lookup's table and the LM head's weight): weft-scatter-add-into
// builds it as the lookup's rows added into the LM head's gradient, in that
// gradient's own storage, and its values (and every other gradient) equal
// the double-precision reference evaluator's gradient of the forward program.
//
//===----------------------------------------------------------------------===//

#include "TrainTestUtil.h"
#include "tests/common/Gpt2TestModels.h"

#include "compiler/GraphReport.h"
#include "ir/AttrNames.h"
#include "ir/WeftTrainingOps.h"
#include "models/Gpt2.h"

using namespace weft;
using namespace weft::train::test;

namespace {

/// Two layers, vocabulary 97: more rows than the batch's 32 tokens, so some
/// rows keep the LM head's gradient alone.
constexpr int kBatch = 2, kSeq = 16;

/// The scatter_adds of a planned graph phase.
std::vector<ScatterAddOp> scatterAdds(mlir::ModuleOp graph) {
  std::vector<ScatterAddOp> out;
  mainOf(graph).walk([&](ScatterAddOp s) { out.push_back(s); });
  return out;
}

int64_t offsetOf(mlir::Value v) {
  if (auto def = v.getDefiningOp())
    if (auto a = def->getAttrOfType<mlir::IntegerAttr>(kOffsetAttr))
      return a.getInt();
  return -1;
}

TEST(TiedGradient, WteIsOneScatterAddIntoTheHeadGradientInItsStorage) {
  Program loss = models::buildGpt2TrainLoss(weft::test::twoLayerGpt2Config(), kBatch, kSeq);
  for (const char *precision : {"f32", "bf16"}) {
    CompileOptions options = testCompileOptions();
    options.train.emplace();
    options.train->precision = precision; // AdamW; the gradient dies in the update
    mlir::OwningOpRef<mlir::ModuleOp> graph = runGraphPhase(loss.module(), options);
    // wte's scatter_add adds into the head's gradient; wpe's (a table of its
    // own, not tied) still scatters into zeros.
    int into = 0, zeros = 0;
    for (ScatterAddOp s : scatterAdds(*graph)) {
      auto type = mlir::cast<mlir::RankedTensorType>(s.getType());
      if (!s.getInit()) {
        ++zeros;
        EXPECT_NE(type.getDimSize(0), weft::test::twoLayerGpt2Config().vocab_size) << precision << ": wte into zeros";
        continue;
      }
      ++into;
      EXPECT_EQ(type.getDimSize(0), weft::test::twoLayerGpt2Config().vocab_size) << precision;
      // The head's gradient dies here: the sum is written over it (one
      // table-sized buffer instead of the product, the zeros and the sum).
      EXPECT_GE(offsetOf(s.getInit()), 0) << precision;
      EXPECT_EQ(offsetOf(s.getResult()), offsetOf(s.getInit())) << precision;
    }
    EXPECT_EQ(into, 1) << precision;
    EXPECT_EQ(zeros, 1) << precision; // wpe
  }
}

TEST(TiedGradient, Gpt2GradientsEqualTheReference) {
  Program loss = models::buildGpt2TrainLoss(weft::test::twoLayerGpt2Config(), kBatch, kSeq);
  TrainOptions train;
  train.optimizer = "sgd";
  train.keepGradients = true; // the gradients are outputs
  CompileResult compiled = compileTrainStep(loss.module(), train, testCompileOptions());
  ASSERT_TRUE(compiled.executable);
  Named args = randomArguments(loss.module(), 23, /*tokenRange=*/weft::test::twoLayerGpt2Config().vocab_size);
  for (auto &[name, value] : args)
    if (name != "tokens" && name != "targets")
      for (double &x : value.data)
        x = double(float(0.1 * x)); // GPT-2-sized initial weights
  auto e = bindAll(*compiled.executable, loss.module(), args);
  ASSERT_TRUE(e);
  setSchedule(*e, 0.01, 1);
  rt::Status ran = e->run();
  ASSERT_TRUE(ran.isOk()) << ran.toString();
  Named ref = referenceGradients(loss.module(), args);
  ASSERT_TRUE(ref.count("grad:wte.weight"));
  int grads = 0;
  for (const auto &[name, want] : ref) {
    if (name.rfind("grad:", 0) != 0)
      continue;
    auto got = e->output(name);
    ASSERT_TRUE(got.isOk()) << name;
    // f32 kernels (polynomial exp/tanh, f32 sums over at most 32 tokens)
    // against double precision: the bounds of the other GPT-2 gradient tests.
    expectClose(toRef(got.value()), want, 2e-4, 2e-3, name);
    ++grads;
  }
  EXPECT_EQ(grads, 2 + 2 * 12 + 2); // wte, wpe, 12 per block, ln_f
}

} // namespace

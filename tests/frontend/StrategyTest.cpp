//===- StrategyTest.cpp - named parallel strategies of the models ---------===//
//
// Tests the strategies of models/catalog/Strategies.h (their plans, the
// default of a mesh, the errors for unknown names and missing axes), the
// model-fit errors of GPT-2 and the MLP on a mesh, and what a plan puts into
// the GPT-2 program: the mesh, the data-parallel inputs and the
// sequence-parallel constraints.
//
//===----------------------------------------------------------------------===//

#include "FrontendTestUtil.h"

#include "frontend/DslError.h"
#include "models/Gpt2.h"
#include "models/Mlp.h"
#include "models/catalog/Strategies.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace weft {
namespace {

using test::errorOf;

models::Gpt2Config tiny() {
  return {.n_layer = 1, .n_head = 2, .n_embd = 8, .vocab_size = 11, .n_positions = 8};
}

TEST(Strategies, Plans) {
  MeshSpec both = MeshSpec::parse("dp=2,tp=2");
  nn::ParallelPlan p = strategyPlan("dp,tp", both);
  EXPECT_EQ(p.dataAxis, "dp");
  EXPECT_EQ(p.tensorAxis, "tp");
  EXPECT_FALSE(p.sequenceParallel);
  p = strategyPlan("tp,dp", both);
  EXPECT_EQ(p.dataAxis, "dp");
  EXPECT_EQ(p.tensorAxis, "tp");
  p = strategyPlan("sp", both);
  EXPECT_EQ(p.dataAxis, "");
  EXPECT_EQ(p.tensorAxis, "tp");
  EXPECT_TRUE(p.sequenceParallel);
  EXPECT_TRUE(strategyPlan("none", both).empty());
  EXPECT_EQ(strategyPlan("dp", both).tensorAxis, "");
}

TEST(Strategies, Defaults) {
  EXPECT_EQ(defaultStrategy(MeshSpec::parse("dp=4")), "dp");
  EXPECT_EQ(defaultStrategy(MeshSpec::parse("tp=2")), "tp");
  EXPECT_EQ(defaultStrategy(MeshSpec::parse("dp=2,tp=2")), "dp,tp");
  EXPECT_EQ(defaultStrategy(MeshSpec()), "none");
  EXPECT_HAS(errorOf<std::invalid_argument>([] { defaultStrategy(MeshSpec::parse("x=2")); }),
             "the mesh x=2 has axes other than dp and tp");
}

TEST(Strategies, Errors) {
  MeshSpec dp = MeshSpec::parse("dp=2");
  EXPECT_HAS(errorOf<std::invalid_argument>([&] { strategyPlan("pp", dp); }),
             "unknown strategy 'pp'; strategies: none, dp, tp, sp, dp,tp (or tp,dp), dp,sp");
  EXPECT_HAS(errorOf<std::invalid_argument>([&] { strategyPlan("tp", dp); }),
             "strategy tp needs a mesh axis 'tp'; the mesh is dp=2");
  EXPECT_HAS(errorOf<std::invalid_argument>([&] { strategyPlan("dp,dp", dp); }), "unknown strategy");
}

TEST(Strategies, ModelFitErrors) {
  MeshSpec tp4 = MeshSpec::parse("tp=4"), dp2 = MeshSpec::parse("dp=2");
  EXPECT_HAS(errorOf<DslError>([&] {
               models::buildGpt2TrainLoss(tiny(), 2, 4, strategyPlan("tp", tp4), tp4);
             }),
             "buildGpt2TrainLoss: error: n_head (2) is not divisible by the tp size 4 of the mesh tp=4");
  models::Gpt2Config wide = tiny();
  wide.n_head = 4;
  wide.n_inner = 6;
  EXPECT_HAS(errorOf<DslError>([&] { models::buildGpt2Forward(wide, 2, 4, strategyPlan("tp", tp4), tp4); }),
             "the MLP width (n_inner, else 4 * n_embd) (6) is not divisible by the tp size 4");
  EXPECT_HAS(errorOf<DslError>([&] { models::buildGpt2Forward(tiny(), 3, 4, strategyPlan("dp", dp2), dp2); }),
             "buildGpt2Forward: error: the batch (3) is not divisible by the dp size 2");
  EXPECT_HAS(errorOf<DslError>([&] { models::buildMlp(3, {4, 4}, nn::Activation::Relu, strategyPlan("dp", dp2), dp2); }),
             "buildMlp: error: the batch (3) is not divisible by the dp size 2");
  // The vocabulary (11) need not divide.
  MeshSpec tp2 = MeshSpec::parse("tp=2");
  EXPECT_NO_THROW(models::buildGpt2TrainLoss(tiny(), 2, 4, strategyPlan("tp", tp2), tp2).str());
}

TEST(Strategies, Gpt2ProgramsCarryTheMeshAndHints) {
  MeshSpec mesh = MeshSpec::parse("dp=2,tp=2");
  std::string text = models::buildGpt2TrainLoss(tiny(), 2, 4, strategyPlan("dp,sp", mesh), mesh).str();
  EXPECT_HAS(text, "weft.mesh = #weft.mesh<dp = 2, tp = 2>");
  EXPECT_HAS(text, "weft.input = \"tokens\", weft.sharding = #weft.sharding<[{dp}, {}]>");
  EXPECT_HAS(text, "weft.input = \"targets\", weft.sharding = #weft.sharding<[{dp}, {}]>");
  EXPECT_HAS(text, "{sharding = #weft.sharding<[{dp}, {tp}, {}]>}");
  EXPECT_HAS(text, "{sharding = #weft.sharding<[{dp}, {}, {}]>}");
  // One device: the same model with no hints.
  std::string one = models::buildGpt2TrainLoss(tiny(), 2, 4).str();
  EXPECT_EQ(one.find("weft.sharding"), std::string::npos);
}

} // namespace
} // namespace weft

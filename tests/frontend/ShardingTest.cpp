//===- ShardingTest.cpp - meshes and shard hints in the DSL ---------------===//
//
// Tests MeshSpec parsing and its errors, Program::setMesh, shard() on
// parameters, inputs and intermediate values (argument attributes and
// weft.sharding_constraint), that a program without a mesh ignores hints,
// every error of shard() with its message at this file's line, and the nn
// modules' parallel styles (Linear column/row, fused qkv in 3 blocks,
// vocabulary-parallel Embedding; no-ops when the mesh lacks the axis).
//
//===----------------------------------------------------------------------===//

#include "FrontendTestUtil.h"

#include "frontend/DslError.h"
#include "frontend/Ops.h"
#include "frontend/Program.h"
#include "frontend/Sharding.h"
#include "frontend/nn/Attention.h"
#include "frontend/nn/Embedding.h"
#include "frontend/nn/Linear.h"

#include <gtest/gtest.h>

namespace weft {
namespace {

using test::errorOf;

std::string at(int line) { return std::string(__FILE__) + ":" + std::to_string(line) + ": error: "; }

TEST(MeshSpec, ParsesAndPrints) {
  MeshSpec m = MeshSpec::parse(" dp=2, tp = 4");
  ASSERT_EQ(m.axes.size(), 2u);
  EXPECT_EQ(m.str(), "dp=2,tp=4");
  EXPECT_EQ(m.size(), 8);
  EXPECT_EQ(m.axisSize("tp"), 4);
  EXPECT_FALSE(m.has("pp"));
  EXPECT_EQ(MeshSpec().size(), 1);
}

TEST(MeshSpec, Errors) {
  EXPECT_HAS(errorOf([] { MeshSpec::parse(""); }), "mesh '': error: the mesh is empty");
  EXPECT_HAS(errorOf([] { MeshSpec::parse("dp=2,tp"); }), "'tp' has no '=SIZE'");
  EXPECT_HAS(errorOf([] { MeshSpec::parse("dp=x"); }),
             "the size of axis 'dp' must be a whole number >= 1, got 'x'");
  EXPECT_HAS(errorOf([] { MeshSpec::parse("dp=0"); }), "must be a whole number >= 1, got '0'");
  EXPECT_HAS(errorOf([] { MeshSpec::parse("dp=2,dp=2"); }), "the axis 'dp' is given twice");
  EXPECT_HAS(errorOf([] { MeshSpec::parse("2d=2"); }), "'2d' is not an axis name");
  EXPECT_HAS(errorOf([] { MeshSpec::parse(",dp=2"); }), "has no '=SIZE'");
}

TEST(SetMesh, PutsTheMeshOnTheModule) {
  Program p;
  p.setMesh(MeshSpec::parse("dp=2,tp=2"));
  p.output("y", p.input("x", {4, 4}));
  EXPECT_HAS(p.str(), "weft.mesh = #weft.mesh<dp = 2, tp = 2>");
  EXPECT_EQ(p.mesh().str(), "dp=2,tp=2");
}

TEST(SetMesh, Errors) {
  Program p;
  p.setMesh(MeshSpec::parse("dp=2"));
  int line = __LINE__ + 1;
  std::string e = errorOf([&] { p.setMesh(MeshSpec::parse("tp=2")); });
  EXPECT_HAS(e, at(line) + "setMesh: the program already has the mesh 'dp=2'");
  Program q;
  q.input("x", {2});
  EXPECT_HAS(errorOf([&] { q.setMesh(MeshSpec::parse("dp=2")); }),
             "set the mesh before building anything");
  Program r;
  r.output("y", r.input("x", {2}));
  r.str();
  EXPECT_HAS(errorOf([&] { r.setMesh(MeshSpec::parse("dp=2")); }), "the program is finalized");
}

TEST(Shard, WithoutAMeshHintsAreIgnored) {
  Program p;
  Tensor x = p.input("x", {4, 8});
  Tensor y = shard(relu(x), {{{"dp"}}, {}});
  p.output("y", shard(x, {{{"tp"}}, {}}) + y);
  std::string text = p.str();
  EXPECT_EQ(text.find("weft.sharding"), std::string::npos) << text;
  EXPECT_EQ(text.find("sharding_constraint"), std::string::npos) << text;
}

TEST(Shard, ParametersAndInputsGetArgumentAttributes) {
  Program p;
  p.setMesh(MeshSpec::parse("dp=2,tp=2"));
  Tensor x = shard(p.input("x", {4, 6}), {{{"dp"}}, {}});
  Tensor w = shard(p.param("w", {6, 6}), {{}, {{"tp"}, 3}});
  shard(w, {{}, {{"tp"}, 3}}); // the same hint again is fine
  p.output("y", matmul(x, w));
  std::string text = p.str();
  EXPECT_HAS(text, "weft.input = \"x\", weft.sharding = #weft.sharding<[{dp}, {}]>");
  EXPECT_HAS(text, "weft.param = \"w\", weft.sharding = #weft.sharding<[{}, {tp} x 3]>");
  EXPECT_EQ(text.find("sharding_constraint"), std::string::npos) << text;
}

TEST(Shard, IntermediatesGetAConstraint) {
  Program p;
  p.setMesh(MeshSpec::parse("dp=2,tp=2"));
  Tensor x = p.input("x", {4, 6});
  Tensor y = shard(relu(x), {{{"dp", "tp"}}, {}});
  p.output("y", y);
  EXPECT_HAS(p.str(), "weft.sharding_constraint %0 {sharding = #weft.sharding<[{dp, tp}, {}]>}");
}

TEST(Shard, Errors) {
  Program p;
  p.setMesh(MeshSpec::parse("dp=2,tp=4"));
  Tensor x = p.input("x", {4, 6});
  Tensor w = p.param("w", {6, 3});
  int line = __LINE__ + 1;
  std::string e = errorOf([&] { shard(x, {{{"dp"}}}); });
  EXPECT_HAS(e, at(line) + "shard [{dp}] of a tensor [4, 6]: the spec has 1 dimensions but the "
                           "tensor has rank 2");
  line = __LINE__ + 1;
  e = errorOf([&] { shard(x, {{{"pp"}}, {}}); });
  EXPECT_HAS(e, at(line) + "shard [{pp}, {}] of a tensor [4, 6]: dimension 0 uses the axis 'pp' "
                           "that the mesh dp=2,tp=4 does not have; its axes are dp, tp");
  e = errorOf([&] { shard(x, {{{"tp"}}, {{"tp"}}}); });
  EXPECT_HAS(e, "the axis 'tp' is used twice (dimensions 0 and 1)");
  e = errorOf([&] { shard(w, {{}, {{"tp"}}}); });
  EXPECT_HAS(e, "dimension 1 of size 3 cannot be split 4 ways over {tp}");
  e = errorOf([&] { shard(x, {{}, {{"dp"}, 2}}); });
  EXPECT_HAS(e, "dimension 1 of size 6 in 2 blocks cannot be split 2 ways over {dp}");
  e = errorOf([&] { shard(x, {{}, {{"dp"}, 0}}); });
  EXPECT_HAS(e, "dimension 1 has 0 blocks; blocks must be >= 1");
  shard(x, {{{"dp"}}, {}});
  line = __LINE__ + 1;
  e = errorOf([&] { shard(x, {{{"tp"}}, {}}); });
  EXPECT_HAS(e, at(line) + "shard: input 'x' already has the hint #weft.sharding<[{dp}, {}]>; "
                           "this second hint #weft.sharding<[{tp}, {}]> differs");
}

TEST(ParallelModules, LinearColumnRowAndFusedQkv) {
  Program p;
  p.setMesh(MeshSpec::parse("tp=2"));
  nn::ParallelPlan plan{.tensorAxis = "tp"};
  nn::MultiHeadAttention attn(p, "attn", 8, 2, nn::WeightLayout::InOut, Init::normal(0.02), plan);
  nn::LinearOptions torch;
  torch.parallel = {nn::ParallelStyle::Row, "tp"};
  nn::Linear row(p, "row", 8, 4, torch); // [out, in]: the input features are dimension 1
  nn::Embedding wte(p, "wte", 11, 8, Init::normal(0.02), "tp");
  Tensor x = p.input("x", {1, 2, 8});
  p.output("y", row(attn(x)));
  std::string text = p.str();
  EXPECT_HAS(text, "weft.param = \"attn.c_attn.weight\", weft.sharding = #weft.sharding<[{}, {tp} x 3]>");
  EXPECT_HAS(text, "weft.param = \"attn.c_attn.bias\", weft.sharding = #weft.sharding<[{tp} x 3]>");
  EXPECT_HAS(text, "weft.param = \"attn.c_proj.weight\", weft.sharding = #weft.sharding<[{tp}, {}]>");
  EXPECT_HAS(text, "weft.param = \"attn.c_proj.bias\"}");
  EXPECT_HAS(text, "weft.param = \"row.weight\", weft.sharding = #weft.sharding<[{}, {tp}]>");
  EXPECT_HAS(text, "weft.param = \"wte.weight\", weft.sharding = #weft.sharding<[{tp}, {}]>");
}

TEST(ParallelModules, NoOpWhenTheMeshLacksTheAxis) {
  Program p;
  p.setMesh(MeshSpec::parse("dp=2"));
  nn::LinearOptions o;
  o.parallel = {nn::ParallelStyle::Column, "tp"};
  nn::Linear fc(p, "fc", 4, 4, o);
  p.output("y", fc(p.input("x", {2, 4})));
  EXPECT_EQ(p.str().find("weft.sharding"), std::string::npos);
}

} // namespace
} // namespace weft

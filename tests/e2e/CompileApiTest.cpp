//===- CompileApiTest.cpp - weft::compile: cache, dumps, phases -----------===//
//
// This file implements tests of the single-call compile API: a second compile
// of the same program is a cache hit with the same bytes, a different program
// misses, a corrupt cache entry is recompiled, --dump-ir writes one numbered
// file per pass (the training passes of a training step included),
// --compile-to stops at a phase, and the memory plan uses the target's
// arena alignment.
//
//===----------------------------------------------------------------------===//

#include "tests/e2e/E2ETestUtil.h"

#include "compiler/Phases.h"
#include "compiler/TrainStep.h"
#include "frontend/Ops.h"
#include "models/Mlp.h"

#include <filesystem>
#include <fstream>

namespace weft {
namespace {

namespace fs = std::filesystem;

TEST(CompileApi, SecondCompileIsACacheHit) {
  CompileOptions options;
  options.cacheDir = test::freshCacheDir("hit");
  Program a = models::buildMlp(4, {8, 16, 4});
  CompileResult first = compile(a.module(), options);
  ASSERT_TRUE(first.executable);
  EXPECT_FALSE(first.cacheHit);
  EXPECT_TRUE(fs::exists(first.cachePath));

  Program same = models::buildMlp(4, {8, 16, 4});
  CompileResult second = compile(same.module(), options);
  EXPECT_TRUE(second.cacheHit);
  EXPECT_EQ(second.cachePath, first.cachePath);
  EXPECT_EQ(second.executable->toBytes(), first.executable->toBytes());

  Program other = models::buildMlp(4, {8, 16, 5});
  CompileResult third = compile(other.module(), options);
  EXPECT_FALSE(third.cacheHit);
  EXPECT_NE(third.cachePath, first.cachePath);
}

TEST(CompileApi, CorruptCacheEntryIsRecompiled) {
  CompileOptions options;
  options.cacheDir = test::freshCacheDir("corrupt");
  Program a = models::buildMlp(2, {8, 4});
  CompileResult first = compile(a.module(), options);
  { std::ofstream(first.cachePath, std::ios::trunc) << "garbage"; }
  CompileResult second = compile(a.module(), options);
  EXPECT_FALSE(second.cacheHit);
  ASSERT_TRUE(second.executable);
  auto reloaded = rt::Executable::load(second.cachePath);
  EXPECT_TRUE(reloaded.isOk()) << reloaded.status().toString();
}

TEST(CompileApi, DumpIrWritesOneNumberedFilePerPass) {
  std::string dir = test::freshCacheDir("dump");
  CompileOptions options;
  options.useCache = false;
  options.dumpIrDir = dir;
  Program a = models::buildMlp(2, {8, 4});
  compile(a.module(), options);
  std::vector<std::string> names;
  for (auto &e : fs::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  ASSERT_GE(names.size(), 4u);
  EXPECT_EQ(names[0], "00-input.mlir");
  EXPECT_EQ(names[1], "01-canonicalize.mlir");
  EXPECT_EQ(names[2], "02-cse.mlir");
  for (size_t i = 0; i < names.size(); ++i) {
    char prefix[8];
    std::snprintf(prefix, sizeof(prefix), "%02zu-", i);
    EXPECT_EQ(names[i].substr(0, 3), prefix) << names[i];
  }
  EXPECT_TRUE(std::any_of(names.begin(), names.end(), [](const std::string &n) {
    return n.find("weft-convert-to-linalg") != std::string::npos;
  }));
}

TEST(CompileApi, CompileToStopsAtAPhase) {
  Program a = models::buildMlp(2, {8, 4});
  CompileOptions options;
  options.useCache = false;
  options.compileTo = "graph";
  CompileResult graph = compile(a.module(), options);
  EXPECT_FALSE(graph.executable);
  EXPECT_NE(graph.ir.find("matmul"), std::string::npos) << graph.ir;

  options.compileTo = "linalg";
  CompileResult linalg = compile(a.module(), options);
  EXPECT_NE(linalg.ir.find("linalg."), std::string::npos) << linalg.ir;

  options.compileTo = "nonsense";
  EXPECT_THROW(compile(a.module(), options), CompileError);
}

/// A linear model with a mean-squared loss: the smallest training step.
Program linearLoss() {
  Program p;
  Tensor x = p.input("x", {4, 8});
  Tensor w = p.param("w", {8, 2}, Init::normal(0.1));
  Tensor y = matmul(x, w);
  p.output("loss", reduce_mean(y * y, {0, 1}));
  return p;
}

TEST(CompileApi, DumpIrShowsTheTrainingPasses) {
  std::string dir = test::freshCacheDir("dump-train");
  CompileOptions options;
  options.useCache = false;
  options.dumpIrDir = dir;
  TrainOptions train;
  train.optimizer = "sgd";
  Program p = linearLoss();
  CompileResult r = compileTrainStep(p.module(), train, options);
  ASSERT_TRUE(r.executable);
  std::vector<std::string> names;
  for (auto &e : fs::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  ASSERT_GE(names.size(), 5u);
  EXPECT_EQ(names[0], "00-input.mlir");
  EXPECT_EQ(names[1], "01-weft-autodiff.mlir");
  EXPECT_EQ(names[2], "02-weft-optimizer.mlir");
  EXPECT_EQ(names[3], "03-canonicalize.mlir");
  std::ifstream optimizer(dir + "/" + names[2]);
  std::string text((std::istreambuf_iterator<char>(optimizer)), {});
  EXPECT_NE(text.find("weft.update"), std::string::npos) << text;
}

TEST(CompileApi, CompileToTrainShowsTheStepBeforeTheGraphPasses) {
  CompileOptions options;
  options.useCache = false;
  options.compileTo = "train";
  options.train = TrainOptions{};
  Program p = linearLoss();
  CompileResult r = compile(p.module(), options);
  EXPECT_FALSE(r.executable);
  EXPECT_NE(r.ir.find("weft.state = \"adamw.m:w\""), std::string::npos) << r.ir;
  EXPECT_NE(r.ir.find("weft.update"), std::string::npos) << r.ir;
  EXPECT_EQ(r.ir.find("weft.arena_size"), std::string::npos) << r.ir;
}

TEST(CompileApi, TrainOptionsAreInTheCacheKey) {
  CompileOptions options;
  options.cacheDir = test::freshCacheDir("train-key");
  options.train = TrainOptions{};
  Program p = linearLoss();
  CompileResult adamw = compile(p.module(), options);
  options.train->optimizer = "sgd";
  CompileResult sgd = compile(p.module(), options);
  EXPECT_FALSE(sgd.cacheHit);
  EXPECT_NE(sgd.cachePath, adamw.cachePath);
  options.train->optimizer = "adamw";
  EXPECT_TRUE(compile(p.module(), options).cacheHit);
}

TEST(CompileApi, MemoryPlanUsesTheTargetsAlignment) {
  Program a = models::buildMlp(2, {8, 4});
  CompileOptions options;
  options.useCache = false;
  options.compileTo = "graph";
  for (auto [target, alignment] : {std::pair{"cpu", "weft.arena_alignment = 64"},
                                   std::pair{"cuda", "weft.arena_alignment = 256"}}) {
    options.target = target;
    CompileResult graph = compile(a.module(), options);
    EXPECT_NE(graph.ir.find(alignment), std::string::npos) << target << ":\n" << graph.ir;
  }
}

TEST(CompileApi, PhasesComeFromOneList) {
  EXPECT_EQ(phaseNames("cpu"), "weft, train, parallel, graph, linalg, bufferized, llvm, executable");
  EXPECT_EQ(phaseNames("cuda"), "weft, train, parallel, graph, linalg, bufferized, loops, gpu, executable");
  CompileOptions options;
  options.compileTo = "gpu"; // a cuda phase, not a cpu one
  Program a = models::buildMlp(2, {8, 4});
  try {
    compile(a.module(), options);
    ADD_FAILURE() << "compiling to 'gpu' for the cpu should fail";
  } catch (const CompileError &e) {
    EXPECT_NE(std::string(e.what()).find(phaseNames("cpu")), std::string::npos) << e.what();
  }
}

} // namespace
} // namespace weft

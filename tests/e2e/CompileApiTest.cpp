//===- CompileApiTest.cpp - weft::compile: cache, dumps, phases -----------===//
//
// This file implements tests of the single-call compile API: a second compile
// of the same program is a cache hit with the same bytes, a different program
// misses, a corrupt cache entry is recompiled, --dump-ir writes one numbered
// file per pass, and --compile-to stops at a phase.
//
//===----------------------------------------------------------------------===//

#include "tests/e2e/E2ETestUtil.h"

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

} // namespace
} // namespace weft

//===- TrainRunTestUtil.h - helpers of the `weft train` tests ---*- C++ -*-===//
//
// This file implements what the tests of tools/weft/train share: a scratch
// directory per test, writing text files, the tiny byte-level GPT-2 they all
// train (so compiled programs are shared through one compile cache), and
// running the weft binary.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_TRAINRUN_TRAINRUNTESTUTIL_H
#define WEFT_TESTS_TRAINRUN_TRAINRUNTESTUTIL_H

#include "models/Gpt2.h"
#include "train/Trainer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace weft::trainrun::test {

/// This process's scratch folder (per process, so concurrent runs do not collide).
inline std::filesystem::path processScratch() {
  return std::filesystem::path(::testing::TempDir()) / ("weft-trainrun-" + std::to_string(::getpid()));
}

/// Removes processScratch() when the test program exits.
inline struct ScratchCleanup {
  ~ScratchCleanup() {
    std::error_code ignored;
    std::filesystem::remove_all(processScratch(), ignored);
  }
} scratchCleanup;

/// A fresh directory for the running test.
inline std::string scratchDir() {
  const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = processScratch() /
                              (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

/// The compile cache the tests share (programs of the same tiny model compile once).
inline std::string testCacheDir() {
  return (std::filesystem::path(::testing::TempDir()) / "weft-trainrun-cache").string();
}

/// Writes `bytes` to `path`.
inline void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

/// English-like text of about `n` bytes (sentences repeated with a counter).
inline std::string sampleText(size_t n) {
  std::string s;
  for (int i = 0; s.size() < n; ++i)
    s += "The quick brown fox " + std::to_string(i % 7) + " jumps over the lazy dog.\n";
  s.resize(n);
  return s;
}

/// The tiny byte-level GPT-2 of these tests: 1 layer, 2 heads, 16 wide,
/// vocab 256, 16 positions.
inline models::Gpt2Config tinyConfig() {
  return {.n_layer = 1, .n_head = 2, .n_embd = 16, .vocab_size = 256, .n_positions = 16};
}

/// The model flags of tinyConfig() for `weft train`.
inline std::string tinyFlags() {
  return "--preset tiny --n-layer 1 --n-head 2 --n-embd 16 --vocab-size 256 --n-positions 16";
}

/// A TrainConfig for tinyConfig() on `data`, batch 2 x seq 8, AdamW.
inline train::TrainConfig tinyTrainConfig(const std::string &data, int steps) {
  train::TrainConfig c;
  c.model = tinyConfig();
  c.dataPath = data;
  c.batch = 2;
  c.seq = 8;
  c.steps = steps;
  c.lr = 1e-2;
  c.warmup = 2;
  c.compile.cacheDir = testCacheDir();
  return c;
}

/// Runs the weft binary with `args` (a shell command line tail), output to
/// `log`; returns its exit code.
inline int runWeft(const std::string &args, const std::string &log) {
  std::string cmd = "WEFT_CACHE_DIR='" + testCacheDir() + "' '" WEFT_BINARY "' " + args + " > '" +
                    log + "' 2>&1";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/// The contents of `path`.
inline std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace weft::trainrun::test

#endif // WEFT_TESTS_TRAINRUN_TRAINRUNTESTUTIL_H

//===- RecomputeCliTest.cpp - `weft train --recompute blocks` -------------===//
//
// This file implements the end-to-end test of gradient checkpointing in the
// `weft train` command: on a 2-block byte-level GPT-2, four AdamW steps with
// `--recompute blocks` print the same losses, digit for digit, as without it
// (each step's weights depend on the previous gradients, so this checks the
// gradients too), and the run reports the activation memory saved against
// the FLOPs added; an unknown mode is refused.
//
//===----------------------------------------------------------------------===//

#include "TrainRunTestUtil.h"

#include <sstream>

using namespace weft::trainrun::test;

namespace {

/// The "step N/M  loss X" parts of a run's output, one per step.
std::vector<std::string> stepLosses(const std::string &out) {
  std::vector<std::string> losses;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("step ", 0) == 0 && line.find("  loss ") != std::string::npos)
      losses.push_back(line.substr(0, line.find("  loss ") + 14));
  return losses;
}

TEST(TrainRunCli, RecomputeBlocksRepeatsTheLossesAndReportsTheTrade) {
  std::string dir = scratchDir(), data = dir + "/data.txt", log = dir + "/log.txt";
  writeFile(data, sampleText(1200));
  const std::string flags = "train gpt2 --preset tiny --n-layer 2 --n-head 2 --n-embd 16 --vocab-size 256 "
                            "--n-positions 16 --data '" + data +
                            "' --steps 4 --batch 4 --seq 16 --lr 1e-2 --eval-every 0 --log-every 1 "
                            "--sample-tokens 0";
  ASSERT_EQ(runWeft(flags, log), 0) << readFile(log);
  std::string plain = readFile(log);
  ASSERT_EQ(runWeft(flags + " --recompute blocks", log), 0) << readFile(log);
  std::string recomputed = readFile(log);

  std::vector<std::string> a = stepLosses(plain), b = stepLosses(recomputed);
  ASSERT_EQ(a.size(), 4u) << plain;
  EXPECT_EQ(a, b) << plain << "\n---\n" << recomputed;
  EXPECT_EQ(plain.find("recompute:"), std::string::npos) << plain;
  EXPECT_NE(recomputed.find("recompute: 2 groups, activations kept for the backward"), std::string::npos)
      << recomputed;
  EXPECT_NE(recomputed.find("FLOP per step"), std::string::npos) << recomputed;
  EXPECT_NE(recomputed.find("memory: "), std::string::npos) << recomputed;

  EXPECT_EQ(runWeft("train gpt2 --data x --recompute layers", log), 2);
  EXPECT_NE(readFile(log).find("--recompute must be none or blocks, got 'layers'"), std::string::npos)
      << readFile(log);
}

} // namespace

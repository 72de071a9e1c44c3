//===- DecodeChecks.h - the checks every compiled decoder passes -*- C++ -*-===//
//
// This file implements the decoding checks the GPT-2 and LLaMA decoder tests
// share, each on a DecodePair (a decoder and its model's cache-free forward
// with the same weights): the prefill and every later step give the
// forward's logits at each row's last position for left-padded prompts;
// greedy decoding through the cache gives the tokens of greedy decoding that
// reruns the forward on the whole sequences, and those generations branch;
// reorderRows permutes the cache rows bit for bit and the steps after it
// continue the source rows; and the check of a refused call's status.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_DECODE_DECODECHECKS_H
#define WEFT_TESTS_DECODE_DECODECHECKS_H

#include "tests/decode/DecodeTestUtil.h"

#include <cstring>
#include <iostream>
#include <set>

namespace weft::test {

/// Prefills random prompts of `lengths` (left-padded), then feeds random
/// tokens up to the max length; every logit of the prefill and of each step
/// must be within expectLogitsClose's tolerance of the forward's. Returns
/// the largest difference and sets `largest` to the largest |logit| seen.
inline double expectStepsEqualTheForward(DecodePair &pair, const std::vector<int64_t> &lengths, uint64_t seed,
                                         double *largest = nullptr) {
  Prompts prompts = leftPadded(lengths, pair.vocab, seed);
  auto logits = pair.decoder->prefill(prompts.tokens, prompts.mask, pair.rows, prompts.length);
  EXPECT_TRUE(logits.isOk()) << logits.status().toString();
  if (!logits.isOk())
    return 0;
  double worst = expectLogitsClose(*logits, pair.forwardLogits(prompts.seqs), "prefill");
  if (largest) {
    *largest = 0;
    for (float v : *logits)
      *largest = std::max(*largest, double(std::fabs(v)));
  }
  std::mt19937_64 rng(3);
  for (int64_t step = 0; prompts.length + step < pair.maxLength; ++step) {
    std::vector<int64_t> next;
    for (int64_t r = 0; r < pair.rows; ++r) {
      next.push_back(int64_t(rng() % uint64_t(pair.vocab)));
      prompts.seqs[size_t(r)].push_back(next.back());
    }
    auto stepLogits = pair.decoder->step(next);
    EXPECT_TRUE(stepLogits.isOk()) << stepLogits.status().toString();
    if (!stepLogits.isOk())
      return worst;
    worst = std::max(worst, expectLogitsClose(*stepLogits, pair.forwardLogits(prompts.seqs),
                                              "step " + std::to_string(step)));
  }
  EXPECT_GT(worst, 0.0); // the two computations are really different programs
  std::cout << "largest logit difference to the forward: " << worst << "\n";
  return worst;
}

/// Greedy decoding of random prompts of `lengths` up to the max length,
/// through the cache and by rerunning the forward: the sequences must be
/// equal, each row must make at least `minDistinct` distinct tokens (else the
/// model repeats itself and the check is weak) and rows 0 and 1 must differ.
inline void expectGreedyEqualsRerunningTheForward(DecodePair &pair, const std::vector<int64_t> &lengths,
                                                  uint64_t seed, size_t minDistinct) {
  Prompts prompts = leftPadded(lengths, pair.vocab, seed);
  const int64_t V = pair.vocab, rows = pair.rows;

  // With the cache.
  std::vector<std::vector<int64_t>> cached = prompts.seqs;
  auto logits = pair.decoder->prefill(prompts.tokens, prompts.mask, rows, prompts.length);
  ASSERT_TRUE(logits.isOk()) << logits.status().toString();
  for (int64_t t = prompts.length; t < pair.maxLength; ++t) {
    std::vector<int64_t> next;
    for (int64_t r = 0; r < rows; ++r)
      next.push_back(argmax(logits->data() + r * V, V));
    for (int64_t r = 0; r < rows; ++r)
      cached[size_t(r)].push_back(next[size_t(r)]);
    if (t + 1 == pair.maxLength)
      break;
    logits = pair.decoder->step(next);
    ASSERT_TRUE(logits.isOk()) << logits.status().toString();
  }

  // Rerunning the whole forward on each row's sequence every step.
  std::vector<std::vector<int64_t>> rerun = prompts.seqs;
  for (int64_t t = prompts.length; t < pair.maxLength; ++t) {
    std::vector<std::vector<float>> last = pair.forwardLogits(rerun);
    for (int64_t r = 0; r < rows; ++r)
      rerun[size_t(r)].push_back(argmax(last[size_t(r)].data(), V));
  }

  EXPECT_EQ(cached, rerun);
  // The generations branch: many distinct tokens per row, and rows differ.
  for (int64_t r = 0; r < rows; ++r) {
    std::set<int64_t> distinct(rerun[size_t(r)].begin() + int64_t(prompts.seqs[size_t(r)].size()),
                               rerun[size_t(r)].end());
    EXPECT_GE(distinct.size(), minDistinct) << "row " << r << " repeats itself: the test would be weak";
  }
  EXPECT_NE(rerun[0], rerun[1]);
}

/// Expects row r of the cache `after` (any dtype; rows along dimension 0) to
/// be row source[r] of `before`, bit for bit.
inline void expectRowsPermuted(const rt::HostTensor &before, const rt::HostTensor &after,
                               const std::vector<int64_t> &source, const std::string &name) {
  ASSERT_EQ(after.bytes.size(), before.bytes.size()) << name;
  const size_t rows = source.size(), rowBytes = after.bytes.size() / rows;
  for (size_t r = 0; r < rows; ++r)
    EXPECT_EQ(0, std::memcmp(after.bytes.data() + r * rowBytes, before.bytes.data() + size_t(source[r]) * rowBytes,
                             rowBytes))
        << name << " row " << r << " is not row " << source[r] << " of before";
}

/// For a pair of 3 rows: prompts of 4, 2 and 3 tokens and one step, then
/// reorderRows({2, 0, 0}): the caches `names` (read from the decode step's
/// Executor) hold the source rows bit for bit, and three more steps match
/// the forward on the source rows' sequences (rows 1 and 2 then diverge).
inline void expectReorderContinuesTheSources(DecodePair &pair, const std::vector<std::string> &names) {
  ASSERT_EQ(pair.rows, 3);
  const int64_t rows = 3;
  std::vector<std::vector<int64_t>> seqs = {{1, 2, 3, 4}, {5, 6}, {7, 8, 9}};
  std::vector<int64_t> tokens = {1, 2, 3, 4, 0, 0, 5, 6, 0, 7, 8, 9};
  std::vector<int64_t> mask = {1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1};
  ASSERT_TRUE(pair.decoder->prefill(tokens, mask, rows, 4).isOk());
  ASSERT_TRUE(pair.decoder->step({10, 11, 12}).isOk());
  for (int64_t r = 0; r < rows; ++r)
    seqs[size_t(r)].push_back(10 + r);

  rt::Executor &exe = pair.decoder->decodeExecutor();
  std::vector<rt::HostTensor> before;
  for (const std::string &n : names)
    before.push_back(*exe.state(n));

  const std::vector<int64_t> source = {2, 0, 0};
  ASSERT_TRUE(pair.decoder->reorderRows(source).isOk());
  for (size_t i = 0; i < names.size(); ++i)
    expectRowsPermuted(before[i], *exe.state(names[i]), source, names[i]);

  std::vector<std::vector<int64_t>> reordered = {seqs[2], seqs[0], seqs[0]};
  for (int step = 0; step < 3; ++step) {
    std::vector<int64_t> next = {int64_t(20 + step), int64_t(30 + step), int64_t(40 + step)};
    for (int64_t r = 0; r < rows; ++r)
      reordered[size_t(r)].push_back(next[size_t(r)]);
    auto logits = pair.decoder->step(next);
    ASSERT_TRUE(logits.isOk()) << logits.status().toString();
    expectLogitsClose(*logits, pair.forwardLogits(reordered), "step " + std::to_string(step));
  }
}

/// Expects `st` to carry `code` and a message containing `words`.
inline void expectError(const rt::Status &st, rt::StatusCode code, const std::string &words) {
  EXPECT_EQ(st.code(), code) << st.toString();
  EXPECT_NE(st.message().find(words), std::string::npos) << st.toString();
}

} // namespace weft::test

#endif // WEFT_TESTS_DECODE_DECODECHECKS_H

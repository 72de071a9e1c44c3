//===- ProcessorsTest.cpp - logits processors, sampler, hypotheses --------===//
//
// This file implements unit tests of the pieces of generation on hand-made
// numbers: each logits processor against values worked out by hand, the
// splitmix64 stream against its published first outputs, draws by inversion,
// and BeamHypotheses' kept set and early-stopping rules.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/BeamHypotheses.h"
#include "runtime/generate/LogitsProcessors.h"
#include "runtime/generate/Sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace weft::gen {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(LogitsProcessors, RepetitionPenaltyOncePerDistinctToken) {
  std::vector<double> s = {2.0, -1.0, 0.5, 3.0};
  std::vector<int64_t> history = {0, 1, 0, 0};
  applyRepetitionPenalty(s, history, 2.0);
  EXPECT_EQ(s, (std::vector<double>{1.0, -2.0, 0.5, 3.0}));
  // A penalty below 1 rewards: positive scores grow, negative shrink.
  std::vector<double> r = {2.0, -1.0};
  std::vector<int64_t> both = {0, 1};
  applyRepetitionPenalty(r, both, 0.5);
  EXPECT_EQ(r, (std::vector<double>{4.0, -0.5}));
}

TEST(LogitsProcessors, NoRepeatNgramBansCompletions) {
  // history 1 2 3 1 2: the bigram prefix (2) was followed by 3; the trigram
  // prefix (1 2) was followed by 3 as well.
  std::vector<int64_t> history = {1, 2, 3, 1, 2};
  std::vector<double> s2(5, 0.0), s3(5, 0.0), s1(5, 0.0), s6(5, 0.0);
  applyNoRepeatNgram(s2, history, 2);
  EXPECT_EQ(s2, (std::vector<double>{0, 0, 0, -kInf, 0}));
  std::vector<int64_t> history2 = {1, 2, 4, 1, 2, 3, 1, 2};
  applyNoRepeatNgram(s3, history2, 3);
  EXPECT_EQ(s3, (std::vector<double>{0, 0, 0, -kInf, -kInf}));
  applyNoRepeatNgram(s1, history, 1); // every seen token
  EXPECT_EQ(s1, (std::vector<double>{0, -kInf, -kInf, -kInf, 0}));
  applyNoRepeatNgram(s6, history, 7); // history too short: nothing banned
  EXPECT_EQ(s6, std::vector<double>(5, 0.0));
}

TEST(LogitsProcessors, TopKKeepsTiesWithKth) {
  std::vector<double> s = {1.0, 2.0, 2.0, 3.0, 0.5};
  applyTopK(s, 2, 1);
  EXPECT_EQ(s, (std::vector<double>{-kInf, 2.0, 2.0, 3.0, -kInf}));
  std::vector<double> t = {1.0, 2.0, 2.0, 3.0, 0.5};
  applyTopK(t, 1, 3); // min_tokens_to_keep raises k to 3
  EXPECT_EQ(t, (std::vector<double>{-kInf, 2.0, 2.0, 3.0, -kInf}));
  std::vector<double> u = {1.0, 2.0};
  applyTopK(u, 50, 1); // k beyond the vocabulary keeps everything
  EXPECT_EQ(u, (std::vector<double>{1.0, 2.0}));
}

TEST(LogitsProcessors, TopPDropsTheLowMass) {
  // Probabilities 0.1, 0.2, 0.3, 0.4 (logs of them): ascending running sums
  // 0.1, 0.3, 0.6, 1.0. top_p = 0.75 drops sums <= 0.25 (token 0 only);
  // top_p = 0.5 drops sums <= 0.5 (tokens 0 and 1).
  const std::vector<double> logp = {std::log(0.1), std::log(0.2), std::log(0.3), std::log(0.4)};
  std::vector<double> a = logp, b = logp, c = logp;
  applyTopP(a, 0.75, 1);
  EXPECT_EQ(a[0], -kInf);
  EXPECT_EQ(a[1], logp[1]);
  applyTopP(b, 0.5, 1);
  EXPECT_EQ(b[0], -kInf);
  EXPECT_EQ(b[1], -kInf);
  EXPECT_EQ(b[2], logp[2]);
  applyTopP(c, 0.01, 3); // would keep one; min_tokens_to_keep keeps three
  EXPECT_EQ(c[0], -kInf);
  EXPECT_EQ(c[1], logp[1]);
  EXPECT_EQ(c[3], logp[3]);
}

TEST(LogitsProcessors, SoftmaxAndLogSoftmax) {
  std::vector<double> s = {0.0, std::log(3.0), -kInf};
  std::vector<double> p = softmax(s);
  EXPECT_NEAR(p[0], 0.25, 1e-15);
  EXPECT_NEAR(p[1], 0.75, 1e-15);
  EXPECT_EQ(p[2], 0.0);
  logSoftmax(s);
  EXPECT_NEAR(s[0], std::log(0.25), 1e-15);
  EXPECT_NEAR(s[1], std::log(0.75), 1e-15);
  EXPECT_EQ(s[2], -kInf);
}

TEST(Sampler, SplitMix64PublishedOutputs) {
  // The first outputs of splitmix64 seeded with 0 (Vigna's reference code).
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(rng.next(), 0x6E789E6AA1B965F4ull);
  SplitMix64 again(0);
  EXPECT_EQ(again.uniform(), static_cast<double>(0xE220A8397B1DCDAFull >> 11) * 0x1.0p-53);
}

TEST(Sampler, DrawInvertsTheRunningSum) {
  const std::vector<double> w = {0.0, 0.2, 0.0, 0.5, 0.3};
  EXPECT_EQ(drawIndex(w, 0.0), 1);
  EXPECT_EQ(drawIndex(w, 0.19), 1);
  EXPECT_EQ(drawIndex(w, 0.2), 3); // the running sum must exceed the target
  EXPECT_EQ(drawIndex(w, 0.69), 3);
  EXPECT_EQ(drawIndex(w, 0.71), 4);
  EXPECT_EQ(drawIndex(w, 0.999999), 4);
  EXPECT_EQ(drawIndex(std::vector<double>{0.0, 0.0}, 0.5), -1);
  // Unnormalized weights: the same draw at u * total.
  EXPECT_EQ(drawIndex(std::vector<double>{2.0, 6.0}, 0.26), 1);
}

TEST(Sampler, WithoutReplacementNeverRepeats) {
  SplitMix64 rng(42);
  std::vector<int64_t> drawn = drawWithoutReplacement({0.1, 0.0, 0.4, 0.2, 0.3}, 4, rng);
  ASSERT_EQ(drawn.size(), 4u);
  std::sort(drawn.begin(), drawn.end());
  EXPECT_EQ(drawn, (std::vector<int64_t>{0, 2, 3, 4}));
  SplitMix64 rng2(42);
  EXPECT_EQ(drawWithoutReplacement({0.5, 0.0, 0.5}, 3, rng2).size(), 2u); // only two have mass
}

TEST(BeamHypotheses, KeepsTheBestAndScoresByLength) {
  BeamHypotheses h(2, /*lengthPenalty=*/1.0, EarlyStopping::kHeuristic, 10);
  h.add({1}, -4.0, 2);  // -2
  h.add({2}, -3.0, 1);  // -3
  h.add({3}, -10.0, 4); // -2.5: beats -3, which is dropped
  ASSERT_EQ(h.hypotheses().size(), 2u);
  std::vector<Hypothesis> best = h.best(2);
  EXPECT_EQ(best[0].tokens, std::vector<int64_t>{1});
  EXPECT_DOUBLE_EQ(best[0].score, -2.0);
  EXPECT_EQ(best[1].tokens, std::vector<int64_t>{3});
  EXPECT_DOUBLE_EQ(best[1].score, -2.5);
  h.add({4}, -12.0, 4); // -3 does not beat the worst (-2.5)
  EXPECT_EQ(h.hypotheses().size(), 2u);
  // Length penalty 2: -8 / 2^2 = -2.
  BeamHypotheses p(1, 2.0, EarlyStopping::kHeuristic, 10);
  p.add({5}, -8.0, 2);
  EXPECT_DOUBLE_EQ(p.best(1)[0].score, -2.0);
}

TEST(BeamHypotheses, EarlyStoppingRules) {
  // One kept hypothesis with score -2 (worst = -2).
  BeamHypotheses never(1, 1.0, EarlyStopping::kNever, 10), heur(1, 1.0, EarlyStopping::kHeuristic, 10),
      asap(1, 1.0, EarlyStopping::kAsSoonAsFull, 10);
  for (BeamHypotheses *h : {&never, &heur, &asap})
    h->add({1}, -4.0, 2);
  EXPECT_TRUE(asap.isDone(-1.0, 3));
  // Heuristic: the best running sum -9 at length 3 scores -3 <= -2: done;
  // -3 at length 3 scores -1 > -2: not done.
  EXPECT_TRUE(heur.isDone(-9.0, 3));
  EXPECT_FALSE(heur.isDone(-3.0, 3));
  // Never, positive penalty: the running sum is judged at the longest length
  // (10): -15 / 10 = -1.5 > -2, so not done although the heuristic would be.
  EXPECT_TRUE(heur.isDone(-15.0, 3));
  EXPECT_FALSE(never.isDone(-15.0, 3));
  EXPECT_TRUE(never.isDone(-25.0, 3));
  // Not full yet: never done.
  BeamHypotheses empty(2, 1.0, EarlyStopping::kAsSoonAsFull, 10);
  empty.add({1}, -1.0, 1);
  EXPECT_FALSE(empty.isDone(-100.0, 5));
}

} // namespace
} // namespace weft::gen

//===- LogitsProcessors.cpp - Hugging Face's logits processors ------------===//
//
// This file implements the logits processors and warpers of generation on the
// scores of one row (double precision), and processRowScores, which applies
// them in Hugging Face transformers' order.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/LogitsProcessors.h"

#include "runtime/generate/GenerationConfig.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

namespace weft::gen {
namespace {

constexpr double kMinusInf = -std::numeric_limits<double>::infinity();

bool inVocab(int64_t token, size_t vocab) { return token >= 0 && static_cast<size_t>(token) < vocab; }

} // namespace

void applyRepetitionPenalty(std::span<double> scores, std::span<const int64_t> history, double penalty) {
  std::vector<char> seen(scores.size(), 0);
  for (int64_t token : history) {
    if (!inVocab(token, scores.size()) || seen[token])
      continue;
    seen[token] = 1;
    double &s = scores[token];
    s = s < 0 ? s * penalty : s / penalty;
  }
}

void applyNoRepeatNgram(std::span<double> scores, std::span<const int64_t> history, int64_t n) {
  const int64_t len = static_cast<int64_t>(history.size());
  if (n <= 0 || len + 1 < n)
    return;
  // The prefix is the last n-1 tokens; every earlier occurrence of it bans
  // the token that followed it.
  const int64_t prefixStart = len - (n - 1);
  for (int64_t i = 0; i + n <= len; ++i) {
    if (std::equal(history.begin() + i, history.begin() + i + (n - 1), history.begin() + prefixStart)) {
      int64_t banned = history[i + n - 1];
      if (inVocab(banned, scores.size()))
        scores[banned] = kMinusInf;
    }
  }
}

void applyTemperature(std::span<double> scores, double temperature) {
  for (double &s : scores)
    s /= temperature;
}

void applyTopK(std::span<double> scores, int64_t topK, int64_t minKeep) {
  const size_t k = std::min(static_cast<size_t>(std::max(topK, minKeep)), scores.size());
  if (k == 0 || k == scores.size())
    return;
  // The k-th largest: a min-heap of the k best so far (most scores fail one
  // comparison with its top).
  std::vector<double> heap(scores.begin(), scores.begin() + k);
  std::make_heap(heap.begin(), heap.end(), std::greater<double>());
  for (size_t i = k; i < scores.size(); ++i) {
    if (scores[i] <= heap.front())
      continue;
    std::pop_heap(heap.begin(), heap.end(), std::greater<double>());
    heap.back() = scores[i];
    std::push_heap(heap.begin(), heap.end(), std::greater<double>());
  }
  const double kth = heap.front();
  for (double &s : scores)
    if (s < kth)
      s = kMinusInf;
}

void applyTopP(std::span<double> scores, double topP, int64_t minKeep) {
  // Tokens already at -inf (after top-k) have probability 0: they come first
  // in ascending order with a running sum of 0 and stay removed, so only the
  // finite ones are sorted (the same result, without sorting the vocabulary).
  std::vector<size_t> order;
  for (size_t i = 0; i < scores.size(); ++i)
    if (scores[i] != kMinusInf)
      order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  std::vector<double> probs = softmax(scores);
  const size_t protectedFrom = order.size() - std::min(order.size(), static_cast<size_t>(minKeep));
  double cumulative = 0;
  std::vector<size_t> removed;
  for (size_t i = 0; i < order.size(); ++i) {
    cumulative += probs[order[i]];
    if (i < protectedFrom && cumulative <= 1 - topP)
      removed.push_back(order[i]);
  }
  for (size_t token : removed)
    scores[token] = kMinusInf;
}

std::vector<double> softmax(std::span<const double> scores) {
  std::vector<double> probs(scores.size(), 0.0);
  double max = kMinusInf;
  for (double s : scores)
    max = std::max(max, s);
  if (max == kMinusInf)
    return probs;
  double sum = 0;
  for (size_t i = 0; i < scores.size(); ++i)
    if (scores[i] != kMinusInf)
      sum += probs[i] = std::exp(scores[i] - max);
  for (double &p : probs)
    p /= sum;
  return probs;
}

void logSoftmax(std::span<double> scores) {
  double max = kMinusInf;
  for (double s : scores)
    max = std::max(max, s);
  if (max == kMinusInf)
    return;
  double sum = 0;
  for (double s : scores)
    if (s != kMinusInf)
      sum += std::exp(s - max);
  const double logSum = max + std::log(sum);
  for (double &s : scores)
    s -= logSum;
}

void processRowScores(const GenerationConfig &config, ScoreStage stage, std::span<const int64_t> history,
                      std::span<double> scores) {
  if (stage == ScoreStage::kBeamLogProbs)
    logSoftmax(scores);
  if (config.repetitionPenalty != 1.0)
    applyRepetitionPenalty(scores, history, config.repetitionPenalty);
  if (config.noRepeatNgramSize > 0)
    applyNoRepeatNgram(scores, history, config.noRepeatNgramSize);
  if (!config.doSample)
    return;
  int64_t minKeep = config.minTokensToKeep;
  if (stage == ScoreStage::kBeamLogProbs)
    minKeep = std::max<int64_t>(minKeep, std::max<int64_t>(2, static_cast<int64_t>(config.eosTokenIds.size()) + 1));
  if (config.temperature != 1.0)
    applyTemperature(scores, config.temperature);
  if (config.topK != 0)
    applyTopK(scores, config.topK, minKeep);
  if (config.topP < 1.0)
    applyTopP(scores, config.topP, minKeep);
}

} // namespace weft::gen

//===- LogitsProcessors.h - Hugging Face's logits processors ----*- C++ -*-===//
//
// This file implements the declaration of the logits processors and warpers
// of generation, each on the scores of one row, with Hugging Face
// transformers' semantics: repetition penalty, no-repeat n-grams,
// temperature, top-k and top-p, plus (log-)softmax and processRowScores,
// which applies them in Hugging Face's order for a search.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_GENERATE_LOGITSPROCESSORS_H
#define WEFT_RUNTIME_GENERATE_LOGITSPROCESSORS_H

#include <cstdint>
#include <span>
#include <vector>

namespace weft::gen {

struct GenerationConfig;

/// Every distinct token of `history` once: a negative score is multiplied by
/// `penalty`, a positive one divided by it (CTRL's penalty, as HF).
void applyRepetitionPenalty(std::span<double> scores, std::span<const int64_t> history, double penalty);

/// Bans (score -inf) every token that would complete an n-gram of size `n`
/// already present in `history` (fairseq's rule: the last n-1 tokens are the
/// prefix; nothing is banned while history.size() + 1 < n).
void applyNoRepeatNgram(std::span<double> scores, std::span<const int64_t> history, int64_t n);

/// Divides every score by `temperature`.
void applyTemperature(std::span<double> scores, double temperature);

/// Sets to -inf every score below the k-th largest, k = max(topK, minKeep)
/// clamped to the vocabulary; ties with the k-th value are kept.
void applyTopK(std::span<double> scores, int64_t topK, int64_t minKeep);

/// Sorts the scores ascending (ties: lower token id first), takes the softmax
/// and its running sum, and sets to -inf every token whose running sum is
/// <= 1 - topP, except the minKeep best.
void applyTopP(std::span<double> scores, double topP, int64_t minKeep);

/// Replaces the scores by their log-softmax (-inf stays -inf).
void logSoftmax(std::span<double> scores);

/// The softmax of `scores` (-inf gives 0).
std::vector<double> softmax(std::span<const double> scores);

/// What processRowScores does for a search.
enum class ScoreStage {
  /// Greedy or sampling: the model's logits, processed (and warped when
  /// sampling).
  kLogits,
  /// Beam search or beam sampling: log-softmax first, then as above; the
  /// warpers keep at least max(2, EOS ids + 1) tokens, as HF.
  kBeamLogProbs,
};

/// Applies the config's processors to one row in Hugging Face's order:
/// [log-softmax for beams] → repetition penalty → no-repeat n-grams → and
/// when sampling: temperature → top-k → top-p. `history` is the row's real
/// tokens (prompt without padding + generated).
void processRowScores(const GenerationConfig &config, ScoreStage stage, std::span<const int64_t> history,
                      std::span<double> scores);

} // namespace weft::gen

#endif // WEFT_RUNTIME_GENERATE_LOGITSPROCESSORS_H

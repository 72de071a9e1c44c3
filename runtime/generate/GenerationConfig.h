//===- GenerationConfig.h - the controls of text generation -----*- C++ -*-===//
//
// This file implements the declaration of GenerationConfig: the generation
// controls of Hugging Face transformers' GenerationConfig (4.38), with the
// same names, meanings and defaults, and its validation against a model's
// vocabulary. The search that uses it is in runtime/generate/Generate.h.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_GENERATE_GENERATIONCONFIG_H
#define WEFT_RUNTIME_GENERATE_GENERATIONCONFIG_H

#include "runtime/Status.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace weft::gen {

/// When beam search stops for one prompt (Hugging Face's `early_stopping`).
enum class EarlyStopping {
  /// `False`: stop when the best running beam, scored at the current length,
  /// cannot beat the worst kept hypothesis (a heuristic).
  kHeuristic,
  /// `True`: stop as soon as num_beams hypotheses have finished.
  kAsSoonAsFull,
  /// `"never"`: stop only when no running beam can beat the worst kept
  /// hypothesis at any length up to the maximum (canonical beam search).
  kNever,
};

/// The generation controls, named and defaulted as in Hugging Face's
/// GenerationConfig. The search is chosen as there: num_beams == 1 and not
/// do_sample: greedy; num_beams == 1 and do_sample: multinomial sampling;
/// num_beams > 1: beam search, or beam sampling with do_sample.
///
/// Where weft differs from Hugging Face, and why:
/// - Length: Hugging Face defaults to max_length = 20 counting the prompt,
///   so a long prompt leaves nothing to generate. weft defaults to
///   max_new_tokens = 20 when neither is set (a count that does not depend on
///   the prompt). Set, they mean what they mean there (max_new_tokens wins,
///   max_length counts the left-padded prompt).
/// - seed: Hugging Face draws from torch's global generator; weft's sampling
///   draws from a splitmix64 stream started at `seed` (Sampler.h), so a run
///   repeats exactly and the draws can be reproduced outside weft.
/// - Left padding: Hugging Face's repetition penalty and n-gram blocking see
///   the pad tokens of a left-padded prompt as tokens; weft sees the real
///   tokens only (the mask's), so a prompt generates the same text alone or
///   in a batch.
/// - Validation: weft refuses at once what Hugging Face refuses later or
///   warns about (top_p outside (0, 1] even when not sampling, a token id out
///   of the vocabulary, a generation longer than the model's context).
struct GenerationConfig {
  /// Tokens to generate after the prompt; wins over maxLength when both are
  /// set. Neither set: 20 new tokens (see above).
  std::optional<int64_t> maxNewTokens;
  /// The length of prompt (left-padded) + generated tokens.
  std::optional<int64_t> maxLength;

  /// Sample instead of choosing the best token(s).
  bool doSample = false;
  /// Divides the scores when sampling (> 0).
  double temperature = 1.0;
  /// When sampling, keep the k best tokens (and every token tied with the
  /// k-th); 0 disables.
  int64_t topK = 50;
  /// When sampling, keep the smallest set of best tokens whose probability
  /// reaches top_p; 1 disables. In (0, 1].
  double topP = 1.0;
  /// top-k and top-p keep at least this many tokens (beam sampling keeps at
  /// least one more than the number of EOS ids, at least 2, as Hugging Face).
  int64_t minTokensToKeep = 1;

  /// Beams of beam search; 1: no beam search.
  int64_t numBeams = 1;
  /// A finished hypothesis scores sum(log p) / generated_length^length_penalty.
  double lengthPenalty = 1.0;
  /// When beam search stops (Hugging Face's default: false, the heuristic).
  EarlyStopping earlyStopping = EarlyStopping::kHeuristic;
  /// Sequences returned per prompt: <= numBeams for beam search, 1 for
  /// greedy, any for sampling (each an independent sample).
  int64_t numReturnSequences = 1;

  /// > 0; 1 disables. The score of every distinct token of the prompt and
  /// the generated text is multiplied (negative) or divided (positive) by it.
  double repetitionPenalty = 1.0;
  /// > 0: no n-gram of this size occurs twice in prompt + generated text.
  int64_t noRepeatNgramSize = 0;

  /// Tokens that finish a sequence (none: run to the length limit).
  std::vector<int64_t> eosTokenIds;
  /// Fills finished sequences and left padding; unset: the first EOS id.
  std::optional<int64_t> padTokenId;

  /// Starts the sampling generator.
  uint64_t seed = 0;

  /// Keep every step's processed scores in GenerationOutput::scores
  /// (Hugging Face's output_scores; rows x vocabulary floats per step).
  bool outputScores = false;

  /// Checks every field, and every token id against `vocabSize`; the error
  /// names the field and its value.
  rt::Status validate(int64_t vocabSize) const;

  /// The pad token: padTokenId, else the first EOS id, else none.
  std::optional<int64_t> resolvedPadTokenId() const;

  /// How many tokens to generate after a (left-padded) prompt of
  /// `promptLength` tokens: maxNewTokens, else maxLength - promptLength, else
  /// 20. An error when that is not positive.
  rt::StatusOr<int64_t> newTokenBudget(int64_t promptLength) const;

  /// Whether `token` is one of the EOS ids.
  bool isEos(int64_t token) const;
};

} // namespace weft::gen

#endif // WEFT_RUNTIME_GENERATE_GENERATIONCONFIG_H

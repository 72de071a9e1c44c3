//===- Generate.h - text generation over a DecodeModel ----------*- C++ -*-===//
//
// This file implements the declaration of generate(): Hugging Face
// transformers' generate() on the host, over any DecodeModel (a compiled
// model with a key/value cache, or a toy in tests): greedy search,
// multinomial sampling, beam search and beam sampling, with the logits
// processors of GenerationConfig, batched prompts of different lengths (left
// padding), EOS and pad tokens, the per-step processed scores and the beam
// scores, and a callback per generated token.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_GENERATE_GENERATE_H
#define WEFT_RUNTIME_GENERATE_GENERATE_H

#include "runtime/Status.h"
#include "runtime/generate/DecodeModel.h"
#include "runtime/generate/GenerationConfig.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace weft::gen {

/// What generate() returns (Hugging Face's sequences, scores and
/// sequences_scores).
struct GenerationOutput {
  /// batch size * numReturnSequences; sequence p*numReturnSequences + j is
  /// prompt p's j-th (beam search: best first).
  int64_t numSequences = 0;
  /// Tokens per sequence: the left-padded prompt, then the generated tokens;
  /// shorter generations are filled with the pad token (after their EOS).
  int64_t length = 0;
  /// The left-padded prompt's length: the generated tokens start there.
  int64_t promptLength = 0;
  /// [numSequences, length] row-major.
  std::vector<int64_t> sequences;

  /// Rows of the model during the search (batch * numBeams for beam searches,
  /// batch * numReturnSequences for sampling, batch for greedy).
  int64_t rows = 0;
  int64_t vocabSize = 0;
  /// Decoding steps run (one generated token per row each).
  int64_t steps = 0;
  /// With config.outputScores, per step, the processed scores of every row,
  /// [rows, vocabSize]: what the
  /// search chose from (Hugging Face's output_scores). Greedy and sampling:
  /// the processed (and, sampling, warped) logits; beam searches: the
  /// processed log-probabilities before the beam's running score is added.
  /// A finished row's scores are those of the pad token fed to it; in beam
  /// searches the rows of a prompt that is done carry no meaning.
  std::vector<std::vector<float>> scores;
  /// Beam searches: each returned sequence's score (summed log-probabilities
  /// / generated length^length_penalty); empty otherwise.
  std::vector<double> sequenceScores;
};

/// Called with each generated token as it is decided: greedy and sampling
/// call it every step for every unfinished sequence (the EOS included);
/// beam searches, whose sequences are decided at the end, call it for the
/// returned sequences' generated tokens after the search.
using TokenCallback = std::function<void(int64_t sequence, int64_t token)>;

/// Generates continuations of `prompts` (token ids, of any lengths) with
/// `model`. Refuses an invalid config (GenerationConfig::validate), bad
/// prompts (DecodeRows::fromPrompts) and a generation that does not fit the
/// model's context (left-padded prompt + new tokens > model.maxLength()); a
/// model's failure is returned with the step it happened at.
rt::StatusOr<GenerationOutput> generate(DecodeModel &model, const std::vector<std::vector<int64_t>> &prompts,
                                        const GenerationConfig &config, const TokenCallback &onToken = {});

} // namespace weft::gen

#endif // WEFT_RUNTIME_GENERATE_GENERATE_H

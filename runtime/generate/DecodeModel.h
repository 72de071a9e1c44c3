//===- DecodeModel.h - a language model that decodes incrementally -*- C++ -*-===//
//
// This file implements the declaration of DecodeModel: the contract between
// the generation loop (runtime/generate/: logits processors, greedy,
// sampling, beam search) and whatever computes logits with a key/value cache
// (the compiled prefill and decode-step programs of a model, or a toy table in
// tests). The loop owns the tokens and the search; the model owns the cache.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_GENERATE_DECODEMODEL_H
#define WEFT_RUNTIME_GENERATE_DECODEMODEL_H

#include "runtime/Status.h"

#include <cstdint>
#include <vector>

namespace weft::gen {

/// A causal language model that decodes incrementally. A prefill over the
/// prompts fills its cache; each step then appends one token to every row.
/// The number of rows is fixed by prefill (finished rows keep being fed the
/// pad token, as Hugging Face does). Logits are float32, [rows, vocabSize()]
/// row-major, for the next position of each row.
class DecodeModel {
public:
  virtual ~DecodeModel() = default;

  /// The number of logits per row.
  virtual int64_t vocabSize() const = 0;
  /// The most positions one row can hold (prompt + generated tokens).
  virtual int64_t maxLength() const = 0;

  /// Starts `rows` sequences and forgets earlier ones. `tokens` and `mask` are
  /// [rows, length] row-major; prompts of different lengths are left-padded,
  /// mask 1 for a real token and 0 for padding (positions count real tokens
  /// only, as Hugging Face's position_ids = cumsum(mask) - 1). Returns the
  /// logits after the last position of every row.
  virtual rt::StatusOr<std::vector<float>>
  prefill(const std::vector<int64_t> &tokens, const std::vector<int64_t> &mask, int64_t rows,
          int64_t length) = 0;

  /// Appends tokens[r] to row r (tokens.size() == rows) and returns the
  /// logits after it.
  virtual rt::StatusOr<std::vector<float>> step(const std::vector<int64_t> &tokens) = 0;

  /// Reorders the rows for beam search: row r continues from what row
  /// source[r] held (its cache and padding), source.size() == rows. Beam
  /// search calls it before every step; a source may appear several times
  /// (a beam continued with two tokens) and most entries are often r itself.
  virtual rt::Status reorderRows(const std::vector<int64_t> &source) = 0;
};

} // namespace weft::gen

#endif // WEFT_RUNTIME_GENERATE_DECODEMODEL_H

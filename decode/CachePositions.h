//===- CachePositions.h - the host's view of the rows being decoded -*- C++ -*-===//
//
// This file implements the declaration of CachePositions, the bookkeeping of
// incremental decoding that stays on the host: per row, which cache positions
// hold a real token (the attention mask over the cache), the position id of
// its next token, and the cache position the next step writes (the same for
// every row, since prompts are left-padded). It checks what callers give
// (prompt shapes, padding, token ids, the length limit, beam sources) and
// names the offending row, position and value. The cache itself never
// leaves the device; these are a few integers per row.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DECODE_CACHEPOSITIONS_H
#define WEFT_DECODE_CACHEPOSITIONS_H

#include "runtime/Status.h"

#include <cstdint>
#include <vector>

namespace weft::decode {

/// The inputs of one decode step, for every row.
struct StepInputs {
  /// Position ids [rows] of the tokens appended.
  std::vector<int64_t> positions;
  /// The cache position written (rank-0 "start").
  int64_t start = 0;
};

/// Masks, position ids and the write position of `rows` sequences of at most
/// `maxLength` cache positions, over a vocabulary of `vocab` tokens.
class CachePositions {
public:
  CachePositions(int64_t rows, int64_t maxLength, int64_t vocab)
      : rows_(rows), maxLength_(maxLength), vocab_(vocab) {}

  /// Checks left-padded prompts [rows, length] (mask 1 for a token, 0 for
  /// padding; every row ends with a token) and, on success, forgets the
  /// earlier sequences and returns the position ids [rows, length]:
  /// cumsum(mask) - 1 at tokens, 0 at padding (Hugging Face's rule; padding
  /// positions are never attended). INVALID_ARGUMENT names the row and
  /// column of a bad token id or mask value, a row that ends with padding,
  /// a size that does not match, or a length above maxLength.
  rt::StatusOr<std::vector<int64_t>> startPrompts(const std::vector<int64_t> &tokens,
                                                  const std::vector<int64_t> &mask,
                                                  int64_t rows, int64_t length);

  /// Checks the tokens of the next step (one per row, ids in range) and that
  /// a cache position is left (FAILED_PRECONDITION past maxLength and
  /// before any prompt); then marks that position attended in every row and
  /// returns the step's inputs. Call finishStep after the step ran.
  rt::StatusOr<StepInputs> beginStep(const std::vector<int64_t> &tokens);
  /// Advances to the next cache position after a step that ran.
  void finishStep();
  /// Undoes beginStep after a step that failed.
  void abandonStep();

  /// Checks a beam reordering (rows entries in [0, rows)) and permutes the
  /// rows' masks and positions: row r takes what row source[r] held.
  rt::Status reorder(const std::vector<int64_t> &source);

  /// The attention mask over the cache [rows, maxLength] (1: attended).
  const std::vector<int64_t> &mask() const { return mask_; }
  /// The cache position the next step writes (the prompt length after a prefill).
  int64_t next() const { return next_; }
  /// True once prompts were started.
  bool started() const { return started_; }
  int64_t rows() const { return rows_; }
  int64_t maxLength() const { return maxLength_; }

private:
  /// INVALID_ARGUMENT naming the first id of `tokens` outside [0, vocab).
  rt::Status checkTokens(const char *call, const std::vector<int64_t> &tokens,
                         int64_t columns) const;

  int64_t rows_, maxLength_, vocab_;
  std::vector<int64_t> mask_;      // [rows, maxLength]
  std::vector<int64_t> position_;  // per row: the position id of its next token
  int64_t next_ = 0;               // the cache position the next step writes
  bool started_ = false;
};

} // namespace weft::decode

#endif // WEFT_DECODE_CACHEPOSITIONS_H

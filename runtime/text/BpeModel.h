//===- BpeModel.h - byte-pair encoding of one word ----------------*- C++ -*-===//
//
// This file implements the declaration of BpeModel, the `model` of a
// Hugging Face BPE tokenizer: a vocabulary (token string -> id), merges
// ranked by their order, the unknown token and byte fallback. It turns one
// pre-tokenized word into ids: the word's characters become symbols, then
// the adjacent pair of lowest rank (leftmost on ties) is merged until no pair
// has a merge. Results of short words are cached.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_BPEMODEL_H
#define WEFT_RUNTIME_TEXT_BPEMODEL_H

#include "runtime/Status.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::text {

/// The byte-fallback token of byte `b`: "<0x0A>" (two upper-case hex digits).
std::string byteFallbackToken(uint8_t b);

/// The settings of a BPE model besides its vocabulary and merges.
struct BpeOptions {
  /// The token for characters that are not in the vocabulary (and have no
  /// byte fallback); without one they are dropped, as Hugging Face does.
  std::optional<std::string> unkToken;
  /// Characters not in the vocabulary become their bytes' <0xNN> tokens.
  bool byteFallback = false;
  /// Consecutive unknown characters become one unknown token.
  bool fuseUnk = false;
  /// A word that is itself in the vocabulary is taken whole, unmerged.
  bool ignoreMerges = false;
};

/// Where a BPE model's parts come from, for error messages:
/// "tokenizer.json: model.vocab", "tokenizer.json: model.merges[12]".
struct BpeSource {
  /// The vocabulary ("tokenizer.json: model.vocab").
  std::string vocab;
  /// The unknown token's setting ("tokenizer.json: model.unk_token").
  std::string unkToken;
  /// Merge `index` ("tokenizer.json: model.merges[12]", "merges.txt:14").
  std::function<std::string(size_t index)> merge;
};

/// A BPE model. Thread-safe: encodeWord may be called concurrently.
class BpeModel {
public:
  /// Builds the model. Errors (INVALID_ARGUMENT, naming `source`): a negative
  /// or too large id (ids must be below 2^31), two tokens with one id, a merge
  /// naming a token that is not in the vocabulary, a merge whose result is not
  /// in the vocabulary, an unknown token that is not in the vocabulary. A pair
  /// merged twice keeps its later rank (as Hugging Face and GPT-2's encoder).
  static rt::StatusOr<std::unique_ptr<BpeModel>>
  create(std::vector<std::pair<std::string, int64_t>> vocab,
         const std::vector<std::pair<std::string, std::string>> &merges, BpeOptions options,
         const BpeSource &source);
  ~BpeModel();

  /// Appends the ids of `word` (any bytes; a byte of invalid UTF-8 is a
  /// character of its own) to `out`.
  void encodeWord(std::string_view word, std::vector<int64_t> &out) const;

  /// The id of `token`, if it is in the vocabulary.
  std::optional<int64_t> tokenToId(std::string_view token) const;
  /// The token of `id`, or nullptr.
  const std::string *idToToken(int64_t id) const;
  /// One more than the largest id.
  int64_t idLimit() const;
  /// The number of merges.
  size_t mergeCount() const;
  /// The settings it was built with.
  const BpeOptions &options() const;

private:
  struct Impl;
  explicit BpeModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace weft::text

#endif // WEFT_RUNTIME_TEXT_BPEMODEL_H

//===- AddedVocabulary.h - added and special tokens ---------------*- C++ -*-===//
//
// This file implements the declarations of the tokens a tokenizer knows
// besides its model's vocabulary (Hugging Face's `added_tokens`: <s>,
// <|endoftext|>, chat markers). Encoding first cuts the text at every
// occurrence of one of them (the longest one at the leftmost place); the
// pieces between go through normalization, pre-tokenization and the model.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_ADDEDVOCABULARY_H
#define WEFT_RUNTIME_TEXT_ADDEDVOCABULARY_H

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace weft::text {

/// A token matched in the raw text before the model sees it.
struct AddedToken {
  int64_t id = 0;
  std::string content;
  /// Special tokens (BOS, EOS, padding) are left out by decode when asked.
  bool special = true;
  /// The whitespace on its left (lstrip) or right (rstrip) belongs to it.
  bool lstrip = false, rstrip = false;
  /// It matches only where it is not part of a longer word.
  bool singleWord = false;
};

/// A piece of text: an added token (id >= 0) or text for the model (id < 0).
struct TextSegment {
  std::string_view text;
  int64_t id = -1;
  /// The byte offset of the piece in the text (0: it starts the text).
  size_t offset = 0;
};

/// The added tokens of a tokenizer, matched by content.
class AddedVocabulary {
public:
  AddedVocabulary() = default;
  /// Takes the tokens; contents must be non-empty (the loaders check).
  explicit AddedVocabulary(std::vector<AddedToken> tokens);

  /// `text` cut at the added tokens, in order; without any, one segment.
  /// Empty pieces between tokens are left out.
  std::vector<TextSegment> split(std::string_view text) const;

  /// The token with `id`, or nullptr.
  const AddedToken *findId(int64_t id) const;
  /// The token with `content`, or nullptr.
  const AddedToken *findContent(std::string_view content) const;
  /// All of them, in the order given.
  const std::vector<AddedToken> &tokens() const { return tokens_; }

private:
  /// The length of the token matched at text[pos] (0 if none) and its index.
  size_t matchAt(std::string_view text, size_t pos, size_t &index) const;

  std::vector<AddedToken> tokens_;
  /// Token indices by the first byte of their content, longest first.
  std::vector<std::vector<size_t>> byFirstByte_;
  std::unordered_map<int64_t, size_t> byId_;
};

} // namespace weft::text

#endif // WEFT_RUNTIME_TEXT_ADDEDVOCABULARY_H

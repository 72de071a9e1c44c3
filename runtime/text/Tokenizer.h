//===- Tokenizer.h - text to token ids and back -------------------*- C++ -*-===//
//
// This file implements the declaration of Tokenizer, the interface of every
// tokenizer weft reads (runtime/text/LoadTokenizer.h picks one from files):
// encode text to ids, decode ids to text, the vocabulary in both directions,
// the special tokens and the BOS/EOS/padding ids the files name. Encoding
// cuts the text at added tokens first (AddedVocabulary.h) and hands the
// pieces between to the tokenizer's own model; with special tokens asked for,
// the post processor's ids go around the result (LLaMA's <s>). Text is bytes:
// any byte string encodes, invalid UTF-8 included.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_TOKENIZER_H
#define WEFT_RUNTIME_TEXT_TOKENIZER_H

#include "runtime/Status.h"
#include "runtime/text/AddedVocabulary.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::text {

/// The ids the post processor puts around encoded text (Hugging Face's
/// TemplateProcessing "single", RobertaProcessing's cls and sep).
struct PostTemplate {
  std::vector<int64_t> prefix, suffix;
};

/// The ids of the roles special tokens play, where the files name them.
struct SpecialIds {
  std::optional<int64_t> bos, eos, pad, unk;
};

/// A tokenizer. Encoding and decoding are thread-safe.
class Tokenizer {
public:
  virtual ~Tokenizer();

  /// The ids of `text` (any bytes). With `addSpecialTokens` (Hugging Face's
  /// default), the post processor's ids are put around them.
  std::vector<int64_t> encode(std::string_view text, bool addSpecialTokens = true) const;
  /// The text of `ids`, leaving out special tokens when `skipSpecialTokens`.
  /// An id that names no token is INVALID_ARGUMENT (naming the id and the
  /// vocabulary size).
  rt::StatusOr<std::string> decode(const std::vector<int64_t> &ids,
                                   bool skipSpecialTokens = false) const;

  /// One more than the largest id (the size a model's embedding needs).
  int64_t vocabSize() const;
  /// The id of a token string (added tokens first, then the model's
  /// vocabulary), if there is one.
  std::optional<int64_t> tokenToId(std::string_view token) const;
  /// The token string of `id` as the files spell it (GPT-2: "Ġthe"), if any.
  std::optional<std::string> idToToken(int64_t id) const;
  /// Whether `id` is a special added token.
  bool isSpecial(int64_t id) const;
  /// The added tokens (special ones and others), in the files' order.
  const std::vector<AddedToken> &addedTokens() const { return added_.tokens(); }
  /// BOS, EOS, padding and unknown ids, where known.
  const SpecialIds &specialIds() const { return special_; }
  /// Replaces the special ids (the loaders set them from the files).
  void setSpecialIds(SpecialIds ids) { special_ = ids; }
  /// The ids encode() puts around text with special tokens.
  const PostTemplate &postTemplate() const { return post_; }
  /// One line for people: the kind and the sizes ("BPE (byte-level), 50257 ids, 50000 merges").
  virtual std::string description() const = 0;

protected:
  Tokenizer(AddedVocabulary added, PostTemplate post);

  /// Appends the ids of `text`, a piece between added tokens (non-empty);
  /// `atStart`: it starts the whole text.
  virtual void encodeText(std::string_view text, bool atStart, std::vector<int64_t> &out) const = 0;
  /// The text of the token strings (those of the model and of added tokens).
  virtual std::string decodeTokens(std::vector<std::string> tokens) const = 0;
  /// The model's token for `id`, or nullptr.
  virtual const std::string *modelToken(int64_t id) const = 0;
  /// The model's id for `token`.
  virtual std::optional<int64_t> modelId(std::string_view token) const = 0;
  /// One more than the model's largest id.
  virtual int64_t modelIdLimit() const = 0;

private:
  AddedVocabulary added_;
  PostTemplate post_;
  SpecialIds special_;
};

} // namespace weft::text

#endif // WEFT_RUNTIME_TEXT_TOKENIZER_H

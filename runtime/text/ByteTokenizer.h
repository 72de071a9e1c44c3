//===- ByteTokenizer.h - one token per byte ----------------------*- C++ -*-===//
//
// This file implements the declaration of ByteTokenizer, the tokenizer of the
// models `weft train` makes from text: ids 0..255 are the bytes themselves,
// optionally followed by special tokens (ids 256, 257, ...). It needs no file.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_BYTETOKENIZER_H
#define WEFT_RUNTIME_TEXT_BYTETOKENIZER_H

#include "runtime/text/Tokenizer.h"

#include <array>
#include <memory>

namespace weft::text {

/// Bytes as ids, plus special tokens after them.
class ByteTokenizer final : public Tokenizer {
public:
  /// The byte tokenizer with `specials` as ids 256, 257, ... Their texts must
  /// be non-empty and distinct (INVALID_ARGUMENT otherwise).
  static rt::StatusOr<std::unique_ptr<ByteTokenizer>> create(std::vector<std::string> specials = {});

  std::string description() const override;

protected:
  void encodeText(std::string_view text, bool atStart, std::vector<int64_t> &out) const override;
  std::string decodeTokens(std::vector<std::string> tokens) const override;
  const std::string *modelToken(int64_t id) const override;
  std::optional<int64_t> modelId(std::string_view token) const override;
  int64_t modelIdLimit() const override { return 256; }

private:
  explicit ByteTokenizer(AddedVocabulary added);
  std::array<std::string, 256> bytes_;
};

} // namespace weft::text

#endif // WEFT_RUNTIME_TEXT_BYTETOKENIZER_H

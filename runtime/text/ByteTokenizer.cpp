//===- ByteTokenizer.cpp - one token per byte -------------------------------===//
//
// This file implements ByteTokenizer: encoding copies bytes to ids, decoding
// concatenates the tokens (a byte each, or a special token's text).
//
//===----------------------------------------------------------------------===//

#include "runtime/text/ByteTokenizer.h"

#include <set>

namespace weft::text {

ByteTokenizer::ByteTokenizer(AddedVocabulary added) : Tokenizer(std::move(added), {}) {
  for (int b = 0; b < 256; ++b)
    bytes_[b] = std::string(1, char(b));
}

rt::StatusOr<std::unique_ptr<ByteTokenizer>> ByteTokenizer::create(std::vector<std::string> specials) {
  std::vector<AddedToken> tokens;
  std::set<std::string> seen;
  for (size_t i = 0; i < specials.size(); ++i) {
    if (specials[i].empty())
      return rt::invalidArgument("byte tokenizer: special token " + std::to_string(i) + " is empty");
    if (!seen.insert(specials[i]).second)
      return rt::invalidArgument("byte tokenizer: special token '" + specials[i] +
                                 "' is given twice");
    AddedToken t;
    t.id = 256 + int64_t(i);
    t.content = std::move(specials[i]);
    tokens.push_back(std::move(t));
  }
  return std::unique_ptr<ByteTokenizer>(new ByteTokenizer(AddedVocabulary(std::move(tokens))));
}

std::string ByteTokenizer::description() const {
  return "byte-level (ids 0-255 are bytes), " + std::to_string(vocabSize()) + " ids";
}

void ByteTokenizer::encodeText(std::string_view text, bool, std::vector<int64_t> &out) const {
  for (char c : text)
    out.push_back(uint8_t(c));
}

std::string ByteTokenizer::decodeTokens(std::vector<std::string> tokens) const {
  std::string text;
  for (const std::string &t : tokens)
    text += t;
  return text;
}

const std::string *ByteTokenizer::modelToken(int64_t id) const {
  return id >= 0 && id < 256 ? &bytes_[id] : nullptr;
}

std::optional<int64_t> ByteTokenizer::modelId(std::string_view token) const {
  if (token.size() != 1)
    return std::nullopt;
  return int64_t(uint8_t(token[0]));
}

} // namespace weft::text

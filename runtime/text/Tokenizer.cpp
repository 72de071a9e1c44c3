//===- Tokenizer.cpp - what every tokenizer does the same way ---------------===//
//
// This file implements the Tokenizer methods shared by all kinds: cutting the
// text at added tokens before the model, the post processor's ids, looking up
// added tokens before the model's vocabulary, and decode's checks of the ids
// and its skipping of special tokens.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/Tokenizer.h"

#include <algorithm>

namespace weft::text {

Tokenizer::Tokenizer(AddedVocabulary added, PostTemplate post)
    : added_(std::move(added)), post_(std::move(post)) {}

Tokenizer::~Tokenizer() = default;

std::vector<int64_t> Tokenizer::encode(std::string_view text, bool addSpecialTokens) const {
  std::vector<int64_t> ids;
  if (addSpecialTokens)
    ids = post_.prefix;
  for (const TextSegment &segment : added_.split(text)) {
    if (segment.id >= 0)
      ids.push_back(segment.id);
    else
      encodeText(segment.text, segment.offset == 0, ids);
  }
  if (addSpecialTokens)
    ids.insert(ids.end(), post_.suffix.begin(), post_.suffix.end());
  return ids;
}

rt::StatusOr<std::string> Tokenizer::decode(const std::vector<int64_t> &ids,
                                            bool skipSpecialTokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    int64_t id = ids[i];
    if (const AddedToken *t = added_.findId(id)) {
      if (!(skipSpecialTokens && t->special))
        tokens.push_back(t->content);
      continue;
    }
    const std::string *token = modelToken(id);
    if (!token)
      return rt::invalidArgument("decode: token id " + std::to_string(id) + " (position " +
                                 std::to_string(i) + ") " +
                                 (id < 0 || id >= vocabSize()
                                      ? "is outside the vocabulary [0, " +
                                            std::to_string(vocabSize()) + ")"
                                      : "names no token (a gap in the vocabulary)"));
    tokens.push_back(*token);
  }
  return decodeTokens(std::move(tokens));
}

int64_t Tokenizer::vocabSize() const {
  int64_t size = modelIdLimit();
  for (const AddedToken &t : added_.tokens())
    size = std::max(size, t.id + 1);
  return size;
}

std::optional<int64_t> Tokenizer::tokenToId(std::string_view token) const {
  if (const AddedToken *t = added_.findContent(token))
    return t->id;
  return modelId(token);
}

std::optional<std::string> Tokenizer::idToToken(int64_t id) const {
  if (const AddedToken *t = added_.findId(id))
    return t->content;
  if (const std::string *token = modelToken(id))
    return *token;
  return std::nullopt;
}

bool Tokenizer::isSpecial(int64_t id) const {
  const AddedToken *t = added_.findId(id);
  return t && t->special;
}

} // namespace weft::text

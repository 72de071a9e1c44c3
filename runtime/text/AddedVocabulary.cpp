//===- AddedVocabulary.cpp - cutting text at added tokens -------------------===//
//
// This file implements AddedVocabulary. split() scans the text left to
// right; at each byte it tries the tokens that start with that byte, longest
// first, and takes the first that matches (and, for a single_word token,
// has no word character right before or after it). A match widens over the
// whitespace on its left (lstrip) or right (rstrip); that whitespace is
// absorbed by the token, as in Hugging Face's AddedVocabulary.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/AddedVocabulary.h"

#include "runtime/text/CharClass.h"

#include <algorithm>

namespace weft::text {
namespace {

/// The character that ends right before text[pos] (pos > 0).
Utf8Char charBefore(std::string_view text, size_t pos) {
  size_t start = pos - 1;
  while (start > 0 && pos - start < 4 && (uint8_t(text[start]) & 0xC0) == 0x80)
    --start;
  Utf8Char c = readUtf8(text, start);
  if (start + c.length == pos)
    return c;
  return readUtf8(text, pos - 1); // a lone byte
}

bool isSpace(const Utf8Char &c) { return classify(c) == CharClass::Space; }

} // namespace

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens)
    : tokens_(std::move(tokens)), byFirstByte_(256) {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    byId_[tokens_[i].id] = i;
    if (!tokens_[i].content.empty())
      byFirstByte_[uint8_t(tokens_[i].content[0])].push_back(i);
  }
  for (auto &list : byFirstByte_)
    std::stable_sort(list.begin(), list.end(), [&](size_t a, size_t b) {
      return tokens_[a].content.size() > tokens_[b].content.size();
    });
}

size_t AddedVocabulary::matchAt(std::string_view text, size_t pos, size_t &index) const {
  for (size_t i : byFirstByte_[uint8_t(text[pos])]) {
    const AddedToken &t = tokens_[i];
    if (text.compare(pos, t.content.size(), t.content) != 0)
      continue;
    size_t end = pos + t.content.size();
    if (t.singleWord && ((pos > 0 && isWordChar(charBefore(text, pos))) ||
                         (end < text.size() && isWordChar(readUtf8(text, end)))))
      continue;
    index = i;
    return t.content.size();
  }
  return 0;
}

std::vector<TextSegment> AddedVocabulary::split(std::string_view text) const {
  std::vector<TextSegment> segments;
  if (tokens_.empty()) {
    if (!text.empty())
      segments.push_back({text, -1, 0});
    return segments;
  }
  size_t plainStart = 0; // where the text not yet emitted starts
  auto emitPlain = [&](size_t end) {
    if (end > plainStart)
      segments.push_back({text.substr(plainStart, end - plainStart), -1, plainStart});
  };
  for (size_t pos = 0; pos < text.size();) {
    size_t index = 0, length = matchAt(text, pos, index);
    if (!length) {
      ++pos;
      continue;
    }
    const AddedToken &t = tokens_[index];
    size_t start = pos, end = pos + length;
    if (t.lstrip)
      while (start > plainStart && isSpace(charBefore(text, start)))
        start -= charBefore(text, start).length;
    if (t.rstrip)
      while (end < text.size() && isSpace(readUtf8(text, end)))
        end += readUtf8(text, end).length;
    emitPlain(start);
    segments.push_back({text.substr(start, end - start), t.id, start});
    plainStart = pos = end;
  }
  emitPlain(text.size());
  return segments;
}

const AddedToken *AddedVocabulary::findId(int64_t id) const {
  auto it = byId_.find(id);
  return it == byId_.end() ? nullptr : &tokens_[it->second];
}

const AddedToken *AddedVocabulary::findContent(std::string_view content) const {
  if (content.empty())
    return nullptr;
  for (size_t i : byFirstByte_[uint8_t(content[0])])
    if (tokens_[i].content == content)
      return &tokens_[i];
  return nullptr;
}

} // namespace weft::text

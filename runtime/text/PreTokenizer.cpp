//===- PreTokenizer.cpp - ByteLevel and Metaspace ---------------------------===//
//
// This file implements PreTokenizer::apply. ByteLevel prepends a space when
// asked (and the word does not start with one), cuts the word with GPT-2's
// pattern (Gpt2Split.h) and maps each word's bytes to the byte-level
// alphabet (ByteLevel.h). Metaspace replaces every space by its replacement,
// prepends one (scheme Always, or First for the piece that starts the text)
// unless the word already starts with it, then cuts before every
// replacement: "▁a▁▁b" -> "▁a", "▁", "▁b" (Hugging Face's MergedWithNext).
//
//===----------------------------------------------------------------------===//

#include "runtime/text/PreTokenizer.h"

#include "runtime/text/ByteLevel.h"
#include "runtime/text/Gpt2Split.h"
#include "runtime/text/Normalizer.h"

namespace weft::text {
namespace {

void byteLevel(const PreTokenizerStep &step, std::string word, std::vector<std::string> &out) {
  if (step.addPrefixSpace && (word.empty() || word[0] != ' '))
    word.insert(0, " ");
  if (!step.useRegex) {
    out.push_back(toByteLevel(word));
    return;
  }
  for (std::string_view piece : splitGpt2(word))
    out.push_back(toByteLevel(piece));
}

void metaspace(const PreTokenizerStep &step, std::string_view word, bool atStart,
               std::vector<std::string> &out) {
  const std::string &r = step.replacement;
  std::string s = replaceAll(word, " ", r);
  bool prepend = step.prependScheme == PrependScheme::Always ||
                 (step.prependScheme == PrependScheme::First && atStart);
  if (prepend && s.compare(0, r.size(), r) != 0)
    s.insert(0, r);
  if (!step.split) {
    out.push_back(std::move(s));
    return;
  }
  size_t start = 0;
  for (size_t hit = s.find(r, r.size() > 0 ? 1 : 0); hit != std::string::npos;
       hit = s.find(r, hit + r.size())) {
    if (hit > start)
      out.push_back(s.substr(start, hit - start));
    start = hit;
  }
  if (start < s.size())
    out.push_back(s.substr(start));
}

} // namespace

std::vector<std::string> PreTokenizer::apply(std::string_view text, bool atStart) const {
  std::vector<std::string> words{std::string(text)};
  for (const PreTokenizerStep &step : steps) {
    std::vector<std::string> next;
    for (size_t i = 0; i < words.size(); ++i) {
      if (step.kind == PreTokenizerStep::Kind::ByteLevel)
        byteLevel(step, std::move(words[i]), next);
      else
        metaspace(step, words[i], atStart && i == 0, next);
    }
    words = std::move(next);
  }
  return words;
}

} // namespace weft::text

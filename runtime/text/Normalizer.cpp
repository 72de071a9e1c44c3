//===- Normalizer.cpp - Prepend and Replace ----------------------------------===//
//
// This file implements Normalizer::apply and replaceAll (left to right,
// non-overlapping occurrences, as Rust's str::replace).
//
//===----------------------------------------------------------------------===//

#include "runtime/text/Normalizer.h"

namespace weft::text {

std::string replaceAll(std::string_view text, std::string_view pattern, std::string_view content) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (size_t hit; (hit = text.find(pattern, pos)) != std::string_view::npos;
       pos = hit + pattern.size()) {
    out.append(text.substr(pos, hit - pos));
    out.append(content);
  }
  out.append(text.substr(pos));
  return out;
}

std::string Normalizer::apply(std::string_view text) const {
  std::string s(text);
  for (const NormalizerStep &step : steps) {
    if (step.kind == NormalizerStep::Kind::Prepend) {
      if (!s.empty())
        s.insert(0, step.content);
    } else {
      s = replaceAll(s, step.pattern, step.content);
    }
  }
  return s;
}

} // namespace weft::text

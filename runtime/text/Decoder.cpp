//===- Decoder.cpp - ByteLevel, Replace, ByteFallback, Fuse, Strip ----------===//
//
// This file implements Decoder::apply, one function per kind of step, after
// the behaviour of the Hugging Face tokenizers library's decode_chain:
// ByteLevel maps a token through the byte-level alphabet when every
// character belongs to it and keeps its bytes otherwise (added tokens such
// as "<|endoftext|>"); ByteFallback turns "<0xNN>" tokens (exactly six
// characters) into bytes; Strip removes at most `start` copies of its
// character from a token's front and `stop` from its back; Metaspace turns
// its replacement into spaces, except in the first token, where (unless the
// scheme is Never) it drops every one of them, as the library does.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/Decoder.h"

#include "runtime/text/ByteLevel.h"
#include "runtime/text/Normalizer.h"

#include <optional>

namespace weft::text {
namespace {

using Tokens = std::vector<std::string>;

std::string join(const Tokens &tokens, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i)
      out += separator;
    out += tokens[i];
  }
  return out;
}

Tokens byteLevel(const Tokens &tokens) {
  std::string bytes;
  for (const std::string &t : tokens) {
    std::optional<std::string> b = fromByteLevel(t);
    bytes += b ? *b : t;
  }
  return {bytes};
}

/// The byte of a "<0xNN>" token, or -1.
int fallbackByte(const std::string &t) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>')
    return -1;
  auto hex = [](char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    return -1;
  };
  int hi = hex(t[3]), lo = hex(t[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

Tokens byteFallback(const Tokens &tokens) {
  Tokens out;
  std::string run;
  bool inRun = false;
  for (const std::string &t : tokens) {
    int b = fallbackByte(t);
    if (b >= 0) {
      run += char(b);
      inRun = true;
      continue;
    }
    if (inRun)
      out.push_back(std::move(run));
    run.clear();
    inRun = false;
    out.push_back(t);
  }
  if (inRun)
    out.push_back(std::move(run));
  return out;
}

Tokens strip(const DecoderStep &step, Tokens tokens) {
  const std::string &c = step.content;
  for (std::string &t : tokens) {
    size_t from = 0, to = t.size();
    for (size_t i = 0; i < step.start && to - from >= c.size() && t.compare(from, c.size(), c) == 0; ++i)
      from += c.size();
    for (size_t i = 0; i < step.stop && to - from >= c.size() && t.compare(to - c.size(), c.size(), c) == 0; ++i)
      to -= c.size();
    t = t.substr(from, to - from);
  }
  return tokens;
}

Tokens metaspace(const DecoderStep &step, Tokens tokens) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    bool dropInFirst = i == 0 && step.prependScheme != PrependScheme::Never;
    tokens[i] = replaceAll(tokens[i], step.pattern, dropInFirst ? "" : " ");
  }
  return tokens;
}

} // namespace

std::string Decoder::apply(Tokens tokens) const {
  if (steps.empty())
    return join(tokens, " ");
  for (const DecoderStep &step : steps) {
    switch (step.kind) {
    case DecoderStep::Kind::ByteLevel:
      tokens = byteLevel(tokens);
      break;
    case DecoderStep::Kind::Replace:
      for (std::string &t : tokens)
        t = replaceAll(t, step.pattern, step.content);
      break;
    case DecoderStep::Kind::ByteFallback:
      tokens = byteFallback(tokens);
      break;
    case DecoderStep::Kind::Fuse:
      tokens = {join(tokens, "")};
      break;
    case DecoderStep::Kind::Strip:
      tokens = strip(step, std::move(tokens));
      break;
    case DecoderStep::Kind::Metaspace:
      tokens = metaspace(step, std::move(tokens));
      break;
    }
  }
  return join(tokens, "");
}

} // namespace weft::text

//===- TokenizeCommand.cpp - `weft tokenize` -------------------------------===//
//
// This file implements `weft tokenize [--tokenizer FILE|DIR] (--text T |
// --file F | --decode IDS) [--json]`: it loads a tokenizer
// (runtime/text/LoadTokenizer.h; without --tokenizer, the byte tokenizer of
// the models `weft train` makes) and prints
//   - the ids of the text, comma-separated, or with --json one object
//     {"ids": [...], "tokens": [...]} (tokens as the files spell them);
//     with --each-line, one such line per line of --file;
//   - with --decode, the text of the ids (with --json: {"text": ...}).
// Text that is not UTF-8 is printed as bytes, and as U+FFFD inside JSON.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Commands.h"

#include "tools/weft/Check.h"
#include "tools/weft/Flags.h"

#include "runtime/FileUtil.h"
#include "runtime/text/LoadTokenizer.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace weft::cli {
namespace {

struct TokenizeFlags {
  std::string tokenizer, text, file, decode;
  bool json = false, eachLine = false, noSpecial = false, skipSpecial = false, info = false;
  FlagSet flags{"tokenize", kTokenizeUsage,
                "Encodes text to token ids or decodes ids to text with a Hugging Face tokenizer "
                "(tokenizer.json, or GPT-2's vocab.json + merges.txt) or, without --tokenizer, the "
                "byte-level tokenizer of the models `weft train` makes (ids 0-255 are bytes)."};

  TokenizeFlags() {
    flags.section("Tokenizer");
    flags.addString("tokenizer", "FILE|DIR",
                    "tokenizer.json, vocab.json or merges.txt, or a directory holding them (default: bytes)",
                    &tokenizer);
    flags.addSwitch("info", "print the tokenizer's kind, size and special ids to stderr first", &info);
    flags.section("Input");
    flags.addString("text", "T", "the text to encode", &text);
    flags.addString("file", "F", "encode the bytes of this file", &file);
    flags.addSwitch("each-line", "with --file: encode each line on its own, one output line each",
                    &eachLine);
    flags.addString("decode", "IDS", "decode these comma-separated ids instead", &decode);
    flags.section("Output");
    flags.addSwitch("json", "print JSON: {\"ids\", \"tokens\"} or {\"text\"}", &json);
    flags.addSwitch("no-special-tokens",
                    "encode without the ids the tokenizer puts around text (LLaMA's <s>)", &noSpecial);
    flags.addSwitch("skip-special-tokens", "decode without special tokens", &skipSpecial);
  }
};

std::string dumpJson(const nlohmann::json &j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// One output line for the ids of `text`.
std::string encodeLine(const text::Tokenizer &t, std::string_view text, const TokenizeFlags &f) {
  std::vector<int64_t> ids = t.encode(text, !f.noSpecial);
  if (f.json) {
    nlohmann::json tokens = nlohmann::json::array();
    for (int64_t id : ids)
      tokens.push_back(t.idToToken(id).value_or(""));
    return dumpJson({{"ids", ids}, {"tokens", tokens}});
  }
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i)
    line += (i ? "," : "") + std::to_string(ids[i]);
  return line;
}

void printLine(const std::string &line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
}

std::string readInput(const std::string &path) {
  std::vector<uint8_t> bytes;
  check(rt::readWholeFile(path, bytes));
  return std::string(bytes.begin(), bytes.end());
}

std::string optionalId(const std::optional<int64_t> &id) { return id ? std::to_string(*id) : "none"; }

} // namespace

int runTokenize(int argc, char **argv) {
  TokenizeFlags f;
  if (!f.flags.parseOrHelp(argc, argv))
    return 0;
  bool decoding = f.flags.given("decode");
  int inputs = int(f.flags.given("text")) + int(f.flags.given("file")) + int(decoding);
  if (inputs != 1)
    throw FlagError("give exactly one of --text, --file and --decode");
  if (f.eachLine && !f.flags.given("file"))
    throw FlagError("--each-line needs --file");
  std::vector<int64_t> ids = decoding ? parseIdList("decode", f.decode) : std::vector<int64_t>{};

  std::unique_ptr<text::Tokenizer> tokenizer =
      f.tokenizer.empty() ? text::byteTokenizer() : check(text::loadTokenizer(f.tokenizer));
  if (f.info) {
    const text::SpecialIds &s = tokenizer->specialIds();
    std::fprintf(stderr, "tokenizer: %s; bos %s, eos %s, pad %s, unk %s\n",
                 tokenizer->description().c_str(), optionalId(s.bos).c_str(), optionalId(s.eos).c_str(),
                 optionalId(s.pad).c_str(), optionalId(s.unk).c_str());
  }

  if (decoding) {
    std::string text = check(tokenizer->decode(ids, f.skipSpecial));
    printLine(f.json ? dumpJson({{"text", text}}) : text);
    return 0;
  }
  std::string input = f.flags.given("file") ? readInput(f.file) : f.text;
  if (!f.eachLine) {
    printLine(encodeLine(*tokenizer, input, f));
    return 0;
  }
  std::string_view rest(input);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    printLine(encodeLine(*tokenizer, line, f));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  return 0;
}

} // namespace weft::cli

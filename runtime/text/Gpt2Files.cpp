//===- Gpt2Files.cpp - GPT-2's vocab.json + merges.txt ----------------------===//
//
// This file implements loadGpt2Files: the vocabulary is a JSON object token ->
// id; merges.txt holds one merge "a b" per line, ranked by line order, after
// an optional first "#version" line (blank lines and a trailing '\r' are
// ignored). The pipeline is GPT-2's: the byte-level pre-tokenizer without a
// prefix space, the BPE model, the byte-level decoder. Errors name the file
// and, in merges.txt, the line.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/LoadTokenizer.h"

#include "runtime/FileUtil.h"
#include "runtime/text/BpeTokenizer.h"
#include "runtime/text/JsonFields.h"
#include "runtime/text/SpecialTokens.h"

namespace weft::text {
namespace {

rt::StatusOr<std::vector<std::pair<std::string, int64_t>>> readVocab(const std::string &path) {
  WEFT_TEXT_ASSIGN(Json root, readJsonFile(path));
  JsonPlace place{path, ""};
  WEFT_RETURN_IF_ERROR(expectObject(root, place));
  std::vector<std::pair<std::string, int64_t>> vocab;
  vocab.reserve(root.size());
  for (auto it = root.begin(); it != root.end(); ++it) {
    WEFT_TEXT_ASSIGN(int64_t id, asInteger(it.value(), place.member("'" + it.key() + "'"), 0, INT32_MAX));
    vocab.emplace_back(it.key(), id);
  }
  return vocab;
}

/// The merges of merges.txt and, for each, its line number.
struct MergeLines {
  std::vector<std::pair<std::string, std::string>> merges;
  std::vector<size_t> lines;
};

rt::StatusOr<MergeLines> readMerges(const std::string &path) {
  std::vector<uint8_t> bytes;
  WEFT_RETURN_IF_ERROR(rt::readWholeFile(path, bytes));
  std::string_view text(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  MergeLines out;
  size_t lineNo = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos)
      end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++lineNo;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.empty() || (lineNo == 1 && line.rfind("#version", 0) == 0))
      continue;
    size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos)
      return rt::invalidArgument(path + ":" + std::to_string(lineNo) +
                                 ": a merge must be two tokens separated by one space, got '" +
                                 std::string(line) + "'");
    out.merges.emplace_back(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
    out.lines.push_back(lineNo);
  }
  return out;
}

} // namespace

rt::StatusOr<std::unique_ptr<Tokenizer>> loadGpt2Files(const std::string &vocabPath,
                                                       const std::string &mergesPath) {
  WEFT_TEXT_ASSIGN(auto vocab, readVocab(vocabPath));
  WEFT_TEXT_ASSIGN(MergeLines merges, readMerges(mergesPath));
  BpeSource source{vocabPath, vocabPath, [&](size_t i) {
                     return mergesPath + ":" + std::to_string(merges.lines[i]);
                   }};
  BpeParts parts;
  WEFT_TEXT_ASSIGN(parts.model, BpeModel::create(std::move(vocab), merges.merges, BpeOptions{}, source));
  if (std::optional<int64_t> eot = parts.model->tokenToId("<|endoftext|>")) {
    AddedToken t;
    t.id = *eot;
    t.content = "<|endoftext|>";
    parts.added = AddedVocabulary({t});
  }
  PreTokenizerStep byteLevel;
  byteLevel.kind = PreTokenizerStep::Kind::ByteLevel;
  byteLevel.addPrefixSpace = false;
  parts.preTokenizer.steps.push_back(byteLevel);
  parts.decoder.steps.push_back(DecoderStep{DecoderStep::Kind::ByteLevel, "", "", 0, 0, {}});
  parts.kind = "BPE (byte-level, GPT-2 vocab.json + merges.txt)";
  auto tokenizer = std::make_unique<BpeTokenizer>(std::move(parts));
  tokenizer->setSpecialIds(impliedSpecialIds(*tokenizer, std::nullopt));
  return std::unique_ptr<Tokenizer>(std::move(tokenizer));
}

} // namespace weft::text

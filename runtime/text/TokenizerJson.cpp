//===- TokenizerJson.cpp - Hugging Face tokenizer.json ----------------------===//
//
// This file implements loadTokenizerJson and parseTokenizerJson:
//   1. the file is parsed (malformed JSON: DATA_LOSS with the parser's
//      position);
//   2. "model" must be a BPE (type "BPE" or absent) without dropout, a
//      continuing-subword prefix or an end-of-word suffix; its "vocab" maps
//      token -> id and its "merges" are "a b" strings or [a, b] lists;
//   3. "added_tokens" become the AddedVocabulary; an added token's id may
//      repeat a vocabulary entry only with the same text;
//   4. "normalizer", "pre_tokenizer", "decoder", "post_processor" become step
//      lists (TokenizerJsonSteps.h); "padding.pad_id" is the pad id;
//      "truncation" and the rest of "padding" are not encode's business here;
//   5. the post processor's ids must name tokens.
// Every error names the file and the key.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/LoadTokenizer.h"

#include "runtime/FileUtil.h"
#include "runtime/text/BpeTokenizer.h"
#include "runtime/text/JsonFields.h"
#include "runtime/text/SpecialTokens.h"
#include "runtime/text/TokenizerJsonSteps.h"

#include <unordered_map>

namespace weft::text {
namespace {

/// What tokenizer.json's "model" holds.
struct ModelSection {
  std::vector<std::pair<std::string, int64_t>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;
  BpeOptions options;
};

/// Settings that must be null, absent or neutral: weft's BPE has no dropout,
/// prefix or suffix.
rt::Status checkNeutral(const Json &model, const JsonPlace &place) {
  if (const Json *d = optionalMember(model, "dropout"))
    if (!d->is_number() || d->get<double>() != 0.0)
      return unsupported(place.member("dropout"), d->dump(), "no dropout: null or 0");
  for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    WEFT_TEXT_ASSIGN(std::optional<std::string> v, optionalStringMember(model, place, key));
    if (v && !v->empty())
      return unsupported(place.member(key), *v, "null");
  }
  return rt::Status::ok();
}

rt::Status readMerge(const Json &m, const JsonPlace &place,
                     std::vector<std::pair<std::string, std::string>> &merges) {
  if (m.is_string()) {
    std::string s = m.get<std::string>();
    size_t space = s.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == s.size() ||
        s.find(' ', space + 1) != std::string::npos)
      return jsonError(place, "must be two tokens separated by one space, got '" + s + "'");
    merges.emplace_back(s.substr(0, space), s.substr(space + 1));
    return rt::Status::ok();
  }
  if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
    merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    return rt::Status::ok();
  }
  return jsonError(place, "must be a string \"a b\" or a list [\"a\", \"b\"], got " + m.dump());
}

rt::StatusOr<ModelSection> readModel(const Json &root, const JsonPlace &rootPlace) {
  WEFT_TEXT_ASSIGN(const Json *model, requiredMember(root, rootPlace, "model"));
  JsonPlace place = rootPlace.member("model");
  WEFT_RETURN_IF_ERROR(expectObject(*model, place));
  WEFT_TEXT_ASSIGN(std::optional<std::string> type, optionalStringMember(*model, place, "type"));
  if (type && *type != "BPE")
    return unsupported(place.member("type"), *type, "BPE");
  WEFT_RETURN_IF_ERROR(checkNeutral(*model, place));

  ModelSection out;
  WEFT_TEXT_ASSIGN(out.options.unkToken, optionalStringMember(*model, place, "unk_token"));
  WEFT_TEXT_ASSIGN(out.options.byteFallback, boolMember(*model, place, "byte_fallback", false));
  WEFT_TEXT_ASSIGN(out.options.fuseUnk, boolMember(*model, place, "fuse_unk", false));
  WEFT_TEXT_ASSIGN(out.options.ignoreMerges, boolMember(*model, place, "ignore_merges", false));

  WEFT_TEXT_ASSIGN(const Json *vocab, requiredMember(*model, place, "vocab"));
  JsonPlace vocabPlace = place.member("vocab");
  WEFT_RETURN_IF_ERROR(expectObject(*vocab, vocabPlace));
  out.vocab.reserve(vocab->size());
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    WEFT_TEXT_ASSIGN(int64_t id, asInteger(it.value(), vocabPlace.member("'" + it.key() + "'"), 0,
                                           INT32_MAX));
    out.vocab.emplace_back(it.key(), id);
  }

  WEFT_TEXT_ASSIGN(const Json *merges, requiredMember(*model, place, "merges"));
  JsonPlace mergesPlace = place.member("merges");
  WEFT_RETURN_IF_ERROR(expectList(*merges, mergesPlace));
  out.merges.reserve(merges->size());
  for (size_t i = 0; i < merges->size(); ++i)
    WEFT_RETURN_IF_ERROR(readMerge((*merges)[i], mergesPlace.element(i), out.merges));
  return out;
}

rt::StatusOr<std::vector<AddedToken>> readAddedTokens(const Json &root, const JsonPlace &rootPlace,
                                                      const BpeModel &model) {
  std::vector<AddedToken> tokens;
  const Json *list = optionalMember(root, "added_tokens");
  if (!list)
    return tokens;
  JsonPlace place = rootPlace.member("added_tokens");
  WEFT_RETURN_IF_ERROR(expectList(*list, place));
  std::unordered_map<int64_t, std::string> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json &entry = (*list)[i];
    JsonPlace p = place.element(i);
    WEFT_RETURN_IF_ERROR(expectObject(entry, p));
    AddedToken t;
    WEFT_TEXT_ASSIGN(const Json *id, requiredMember(entry, p, "id"));
    WEFT_TEXT_ASSIGN(t.id, asInteger(*id, p.member("id"), 0, INT32_MAX));
    WEFT_TEXT_ASSIGN(t.content, stringMember(entry, p, "content"));
    if (t.content.empty())
      return jsonError(p.member("content"), "must not be empty");
    WEFT_TEXT_ASSIGN(t.special, boolMember(entry, p, "special", false));
    WEFT_TEXT_ASSIGN(t.lstrip, boolMember(entry, p, "lstrip", false));
    WEFT_TEXT_ASSIGN(t.rstrip, boolMember(entry, p, "rstrip", false));
    WEFT_TEXT_ASSIGN(t.singleWord, boolMember(entry, p, "single_word", false));
    if (auto [it, fresh] = seen.emplace(t.id, t.content); !fresh)
      return jsonError(p.member("id"), "repeats the id " + std::to_string(t.id) + " of the added token '" +
                                           it->second + "'");
    if (const std::string *same = model.idToToken(t.id); same && *same != t.content)
      return jsonError(p.member("id"), "is " + std::to_string(t.id) + ", the id of '" + *same +
                                           "' in model.vocab, not of '" + t.content + "'");
    tokens.push_back(std::move(t));
  }
  return tokens;
}

/// "BPE (byte-level)", "BPE (byte fallback, metaspace)", ...
std::string kindOf(const BpeParts &parts) {
  std::string traits;
  auto add = [&](const char *t) { traits += traits.empty() ? t : std::string(", ") + t; };
  for (const PreTokenizerStep &s : parts.preTokenizer.steps)
    add(s.kind == PreTokenizerStep::Kind::ByteLevel ? "byte-level" : "metaspace");
  if (parts.model->options().byteFallback)
    add("byte fallback");
  for (const NormalizerStep &s : parts.normalizer.steps)
    if (s.kind == NormalizerStep::Kind::Replace && s.content == "\xE2\x96\x81")
      add("\xE2\x96\x81 for spaces");
  return traits.empty() ? "BPE" : "BPE (" + traits + ")";
}

rt::StatusOr<std::unique_ptr<Tokenizer>> build(const Json &root, const std::string &file) {
  JsonPlace rootPlace{file, ""};
  WEFT_RETURN_IF_ERROR(expectObject(root, rootPlace));
  WEFT_TEXT_ASSIGN(ModelSection section, readModel(root, rootPlace));
  std::optional<std::string> unkToken = section.options.unkToken;
  BpeSource source{file + ": model.vocab", file + ": model.unk_token",
                   [&](size_t i) { return file + ": model.merges[" + std::to_string(i) + "]"; }};
  BpeParts parts;
  WEFT_TEXT_ASSIGN(parts.model, BpeModel::create(std::move(section.vocab), section.merges,
                                                 section.options, source));
  WEFT_TEXT_ASSIGN(std::vector<AddedToken> added, readAddedTokens(root, rootPlace, *parts.model));
  parts.added = AddedVocabulary(std::move(added));
  if (const Json *v = optionalMember(root, "normalizer"))
    WEFT_RETURN_IF_ERROR(readNormalizer(*v, rootPlace.member("normalizer"), parts.normalizer));
  if (const Json *v = optionalMember(root, "pre_tokenizer"))
    WEFT_RETURN_IF_ERROR(readPreTokenizer(*v, rootPlace.member("pre_tokenizer"), parts.preTokenizer));
  if (const Json *v = optionalMember(root, "decoder"))
    WEFT_RETURN_IF_ERROR(readDecoder(*v, rootPlace.member("decoder"), parts.decoder));
  if (const Json *v = optionalMember(root, "post_processor"))
    WEFT_RETURN_IF_ERROR(readPostProcessor(*v, rootPlace.member("post_processor"), parts.post));
  std::optional<int64_t> padId;
  if (const Json *padding = optionalMember(root, "padding")) {
    WEFT_RETURN_IF_ERROR(expectObject(*padding, rootPlace.member("padding")));
    if (optionalMember(*padding, "pad_id")) {
      WEFT_TEXT_ASSIGN(padId, integerMember(*padding, rootPlace.member("padding"), "pad_id", 0, 0,
                                            INT32_MAX));
    }
  }
  parts.kind = kindOf(parts);
  auto tokenizer = std::make_unique<BpeTokenizer>(std::move(parts));
  for (const auto *ids : {&tokenizer->postTemplate().prefix, &tokenizer->postTemplate().suffix})
    for (int64_t id : *ids)
      if (!tokenizer->idToToken(id))
        return jsonError(rootPlace.member("post_processor"),
                         "puts the id " + std::to_string(id) + " around the text, which names no token");
  if (padId && !tokenizer->idToToken(*padId))
    return jsonError(rootPlace.member("padding").member("pad_id"),
                     "is " + std::to_string(*padId) + ", which names no token");
  SpecialIds ids = impliedSpecialIds(*tokenizer, unkToken);
  if (padId)
    ids.pad = padId;
  tokenizer->setSpecialIds(ids);
  return std::unique_ptr<Tokenizer>(std::move(tokenizer));
}

} // namespace

rt::StatusOr<std::unique_ptr<Tokenizer>> parseTokenizerJson(std::string_view json,
                                                            const std::string &name) {
  WEFT_TEXT_ASSIGN(Json root, parseJson(json, name));
  return build(root, name);
}

rt::StatusOr<std::unique_ptr<Tokenizer>> loadTokenizerJson(const std::string &path) {
  WEFT_TEXT_ASSIGN(Json root, readJsonFile(path));
  return build(root, path);
}

} // namespace weft::text

//===- TokenizerJsonSteps.cpp - tokenizer.json's pipeline sections ----------===//
//
// This file implements the readers of tokenizer.json's pipeline sections:
//   normalizer:     Prepend, Replace (string pattern), Sequence
//   pre_tokenizer:  ByteLevel, Metaspace, Sequence
//   decoder:        ByteLevel, Replace (string pattern), ByteFallback, Fuse,
//                   Strip, Metaspace, Sequence
//   post_processor: ByteLevel (no ids), TemplateProcessing (the "single"
//                   template), RobertaProcessing and BertProcessing (cls, sep),
//                   Sequence
// Defaults follow the tokenizers library where a key is absent (ByteLevel:
// add_prefix_space and use_regex true; Metaspace: "▁", always, split).
//
//===----------------------------------------------------------------------===//

#include "runtime/text/TokenizerJsonSteps.h"

#include "runtime/text/Utf8.h"

#include <functional>

namespace weft::text {
namespace {

/// The "type" of component `value`, which must be an object.
rt::StatusOr<std::string> componentType(const Json &value, const JsonPlace &place) {
  WEFT_RETURN_IF_ERROR(expectObject(value, place));
  return stringMember(value, place, "type");
}

/// Reads each component of the Sequence `value`'s list `listKey` with `readOne`.
rt::Status readSequence(const Json &value, const JsonPlace &place, const char *listKey,
                        const std::function<rt::Status(const Json &, const JsonPlace &)> &readOne) {
  WEFT_TEXT_ASSIGN(const Json *list, requiredMember(value, place, listKey));
  JsonPlace listPlace = place.member(listKey);
  WEFT_RETURN_IF_ERROR(expectList(*list, listPlace));
  for (size_t i = 0; i < list->size(); ++i)
    WEFT_RETURN_IF_ERROR(readOne((*list)[i], listPlace.element(i)));
  return rt::Status::ok();
}

/// A Replace's pattern ({"String": s}, s non-empty) and content.
rt::Status readReplace(const Json &value, const JsonPlace &place, std::string &pattern,
                       std::string &content) {
  WEFT_TEXT_ASSIGN(const Json *p, requiredMember(value, place, "pattern"));
  JsonPlace patternPlace = place.member("pattern");
  WEFT_RETURN_IF_ERROR(expectObject(*p, patternPlace));
  if (optionalMember(*p, "Regex"))
    return rt::unimplemented(patternPlace.member("Regex").str() +
                             " is not supported (weft reads string patterns: pattern.String)");
  WEFT_TEXT_ASSIGN(pattern, stringMember(*p, patternPlace, "String"));
  if (pattern.empty())
    return jsonError(patternPlace.member("String"), "must not be empty");
  WEFT_TEXT_ASSIGN(content, stringMember(value, place, "content"));
  return rt::Status::ok();
}

/// Metaspace's replacement (one character) and prepend scheme, from
/// prepend_scheme or the older add_prefix_space.
rt::Status readMetaspace(const Json &value, const JsonPlace &place, std::string &replacement,
                         PrependScheme &scheme) {
  WEFT_TEXT_ASSIGN(std::optional<std::string> r, optionalStringMember(value, place, "replacement"));
  replacement = r.value_or("\xE2\x96\x81");
  Utf8Char c = replacement.empty() ? Utf8Char{} : readUtf8(replacement, 0);
  if (replacement.empty() || !c.valid || c.length != replacement.size())
    return jsonError(place.member("replacement"), "must be one character, got '" + replacement + "'");
  WEFT_TEXT_ASSIGN(bool addPrefixSpace, boolMember(value, place, "add_prefix_space", true));
  scheme = addPrefixSpace ? PrependScheme::Always : PrependScheme::Never;
  WEFT_TEXT_ASSIGN(std::optional<std::string> s, optionalStringMember(value, place, "prepend_scheme"));
  if (!s)
    return rt::Status::ok();
  if (*s == "always")
    scheme = PrependScheme::Always;
  else if (*s == "first")
    scheme = PrependScheme::First;
  else if (*s == "never")
    scheme = PrependScheme::Never;
  else
    return jsonError(place.member("prepend_scheme"), "must be always, first or never, got '" + *s + "'");
  return rt::Status::ok();
}

/// The ids of a [token, id] pair (RobertaProcessing's cls and sep).
rt::StatusOr<int64_t> pairId(const Json &value, const JsonPlace &place, const char *name) {
  WEFT_TEXT_ASSIGN(const Json *pair, requiredMember(value, place, name));
  JsonPlace p = place.member(name);
  if (!pair->is_array() || pair->size() != 2)
    return jsonError(p, "must be a list [token, id], got " + pair->dump());
  return asInteger((*pair)[1], p.element(1), 0, INT32_MAX);
}

/// TemplateProcessing: the ids of the special tokens before and after $A.
rt::Status readTemplate(const Json &value, const JsonPlace &place, PostTemplate &out) {
  WEFT_TEXT_ASSIGN(const Json *single, requiredMember(value, place, "single"));
  JsonPlace singlePlace = place.member("single");
  WEFT_RETURN_IF_ERROR(expectList(*single, singlePlace));
  const Json *specials = optionalMember(value, "special_tokens");
  bool afterText = false;
  for (size_t i = 0; i < single->size(); ++i) {
    const Json &item = (*single)[i];
    JsonPlace itemPlace = singlePlace.element(i);
    WEFT_RETURN_IF_ERROR(expectObject(item, itemPlace));
    if (const Json *seq = optionalMember(item, "Sequence")) {
      WEFT_TEXT_ASSIGN(std::string id, stringMember(*seq, itemPlace.member("Sequence"), "id"));
      if (id != "A")
        return jsonError(itemPlace.member("Sequence").member("id"),
                         "must be 'A' in the single template, got '" + id + "'");
      afterText = true;
      continue;
    }
    WEFT_TEXT_ASSIGN(const Json *special, requiredMember(item, itemPlace, "SpecialToken"));
    WEFT_TEXT_ASSIGN(std::string name, stringMember(*special, itemPlace.member("SpecialToken"), "id"));
    JsonPlace specialsPlace = place.member("special_tokens");
    const Json *entry = specials && specials->is_object() ? optionalMember(*specials, name) : nullptr;
    if (!entry)
      return jsonError(specialsPlace, "has no entry '" + name + "' (named by " + itemPlace.str() + ")");
    JsonPlace entryPlace = specialsPlace.member(name);
    WEFT_RETURN_IF_ERROR(expectObject(*entry, entryPlace));
    WEFT_TEXT_ASSIGN(const Json *ids, requiredMember(*entry, entryPlace, "ids"));
    WEFT_RETURN_IF_ERROR(expectList(*ids, entryPlace.member("ids")));
    for (size_t k = 0; k < ids->size(); ++k) {
      WEFT_TEXT_ASSIGN(int64_t id, asInteger((*ids)[k], entryPlace.member("ids").element(k), 0, INT32_MAX));
      (afterText ? out.suffix : out.prefix).push_back(id);
    }
  }
  if (!afterText)
    return jsonError(singlePlace, "has no {\"Sequence\": {\"id\": \"A\"}} item for the text");
  return rt::Status::ok();
}

} // namespace

rt::Status readNormalizer(const Json &value, const JsonPlace &place, Normalizer &out) {
  WEFT_TEXT_ASSIGN(std::string type, componentType(value, place));
  if (type == "Sequence")
    return readSequence(value, place, "normalizers", [&](const Json &v, const JsonPlace &p) {
      return readNormalizer(v, p, out);
    });
  NormalizerStep step;
  if (type == "Prepend") {
    step.kind = NormalizerStep::Kind::Prepend;
    WEFT_TEXT_ASSIGN(step.content, stringMember(value, place, "prepend"));
  } else if (type == "Replace") {
    step.kind = NormalizerStep::Kind::Replace;
    WEFT_RETURN_IF_ERROR(readReplace(value, place, step.pattern, step.content));
  } else {
    return unsupported(place.member("type"), type, "Prepend, Replace and Sequence");
  }
  out.steps.push_back(std::move(step));
  return rt::Status::ok();
}

rt::Status readPreTokenizer(const Json &value, const JsonPlace &place, PreTokenizer &out) {
  WEFT_TEXT_ASSIGN(std::string type, componentType(value, place));
  if (type == "Sequence")
    return readSequence(value, place, "pretokenizers", [&](const Json &v, const JsonPlace &p) {
      return readPreTokenizer(v, p, out);
    });
  PreTokenizerStep step;
  if (type == "ByteLevel") {
    step.kind = PreTokenizerStep::Kind::ByteLevel;
    WEFT_TEXT_ASSIGN(step.addPrefixSpace, boolMember(value, place, "add_prefix_space", true));
    WEFT_TEXT_ASSIGN(step.useRegex, boolMember(value, place, "use_regex", true));
  } else if (type == "Metaspace") {
    step.kind = PreTokenizerStep::Kind::Metaspace;
    WEFT_RETURN_IF_ERROR(readMetaspace(value, place, step.replacement, step.prependScheme));
    WEFT_TEXT_ASSIGN(step.split, boolMember(value, place, "split", true));
  } else {
    return unsupported(place.member("type"), type, "ByteLevel, Metaspace and Sequence");
  }
  out.steps.push_back(std::move(step));
  return rt::Status::ok();
}

rt::Status readDecoder(const Json &value, const JsonPlace &place, Decoder &out) {
  WEFT_TEXT_ASSIGN(std::string type, componentType(value, place));
  if (type == "Sequence")
    return readSequence(value, place, "decoders", [&](const Json &v, const JsonPlace &p) {
      return readDecoder(v, p, out);
    });
  DecoderStep step;
  if (type == "ByteLevel") {
    step.kind = DecoderStep::Kind::ByteLevel;
  } else if (type == "Replace") {
    step.kind = DecoderStep::Kind::Replace;
    WEFT_RETURN_IF_ERROR(readReplace(value, place, step.pattern, step.content));
  } else if (type == "ByteFallback") {
    step.kind = DecoderStep::Kind::ByteFallback;
  } else if (type == "Fuse") {
    step.kind = DecoderStep::Kind::Fuse;
  } else if (type == "Strip") {
    step.kind = DecoderStep::Kind::Strip;
    WEFT_TEXT_ASSIGN(step.content, stringMember(value, place, "content"));
    if (step.content.empty())
      return jsonError(place.member("content"), "must not be empty");
    WEFT_TEXT_ASSIGN(int64_t start, integerMember(value, place, "start", 0, 0, INT32_MAX));
    WEFT_TEXT_ASSIGN(int64_t stop, integerMember(value, place, "stop", 0, 0, INT32_MAX));
    step.start = size_t(start);
    step.stop = size_t(stop);
  } else if (type == "Metaspace") {
    step.kind = DecoderStep::Kind::Metaspace;
    WEFT_RETURN_IF_ERROR(readMetaspace(value, place, step.pattern, step.prependScheme));
  } else {
    return unsupported(place.member("type"), type,
                       "ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace and Sequence");
  }
  out.steps.push_back(std::move(step));
  return rt::Status::ok();
}

rt::Status readPostProcessor(const Json &value, const JsonPlace &place, PostTemplate &out) {
  WEFT_TEXT_ASSIGN(std::string type, componentType(value, place));
  if (type == "Sequence")
    return readSequence(value, place, "processors", [&](const Json &v, const JsonPlace &p) {
      PostTemplate inner;
      WEFT_RETURN_IF_ERROR(readPostProcessor(v, p, inner));
      out.prefix.insert(out.prefix.begin(), inner.prefix.begin(), inner.prefix.end());
      out.suffix.insert(out.suffix.end(), inner.suffix.begin(), inner.suffix.end());
      return rt::Status::ok();
    });
  if (type == "ByteLevel")
    return rt::Status::ok(); // offsets only
  if (type == "TemplateProcessing")
    return readTemplate(value, place, out);
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    WEFT_TEXT_ASSIGN(int64_t cls, pairId(value, place, "cls"));
    WEFT_TEXT_ASSIGN(int64_t sep, pairId(value, place, "sep"));
    out.prefix.push_back(cls);
    out.suffix.push_back(sep);
    return rt::Status::ok();
  }
  return unsupported(place.member("type"), type,
                     "ByteLevel, TemplateProcessing, RobertaProcessing, BertProcessing and Sequence");
}

} // namespace weft::text

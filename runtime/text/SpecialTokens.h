//===- SpecialTokens.h - BOS, EOS, padding and unknown ids ---------*- C++ -*-===//
//
// This file implements the declarations of how a tokenizer's special ids are
// found: first from the tokenizer itself (its model's unknown token, its post
// processor's template, GPT-2's "<|endoftext|>"), then from the
// tokenizer_config.json and special_tokens_map.json that Hugging Face saves
// next to it, which take precedence.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_SPECIALTOKENS_H
#define WEFT_RUNTIME_TEXT_SPECIALTOKENS_H

#include "runtime/Status.h"
#include "runtime/text/Tokenizer.h"

#include <optional>
#include <string>

namespace weft::text {

/// The special ids `t` implies: unk = the id of `unkToken`; bos / eos = the
/// post template's only id before / after the text; where those are not
/// set and "<|endoftext|>" is a special token, bos = eos = its id (GPT-2).
SpecialIds impliedSpecialIds(const Tokenizer &t, const std::optional<std::string> &unkToken);

/// Sets the ids named by bos_token, eos_token, pad_token and unk_token in
/// `dir`/special_tokens_map.json, then `dir`/tokenizer_config.json (each
/// optional; a value is a token string or {"content": string}). A token the
/// tokenizer does not have is INVALID_ARGUMENT naming the file and the key.
rt::Status applyTokenizerConfig(Tokenizer &t, const std::string &dir);

} // namespace weft::text

#endif // WEFT_RUNTIME_TEXT_SPECIALTOKENS_H

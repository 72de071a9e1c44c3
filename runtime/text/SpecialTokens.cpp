//===- SpecialTokens.cpp - BOS, EOS, padding and unknown ids ----------------===//
//
// This file implements impliedSpecialIds and applyTokenizerConfig.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/SpecialTokens.h"

#include "runtime/text/JsonFields.h"

#include <filesystem>

namespace weft::text {

SpecialIds impliedSpecialIds(const Tokenizer &t, const std::optional<std::string> &unkToken) {
  SpecialIds ids;
  if (unkToken)
    ids.unk = t.tokenToId(*unkToken);
  const PostTemplate &post = t.postTemplate();
  if (post.prefix.size() == 1)
    ids.bos = post.prefix[0];
  if (post.suffix.size() == 1)
    ids.eos = post.suffix[0];
  for (const AddedToken &a : t.addedTokens())
    if (a.special && a.content == "<|endoftext|>") {
      if (!ids.bos)
        ids.bos = a.id;
      if (!ids.eos)
        ids.eos = a.id;
    }
  return ids;
}

namespace {

/// Sets the roles named in the JSON file `path` (which may be absent).
rt::Status applyFile(Tokenizer &t, const std::string &path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return rt::Status::ok();
  WEFT_TEXT_ASSIGN(Json root, readJsonFile(path));
  JsonPlace place{path, ""};
  WEFT_RETURN_IF_ERROR(expectObject(root, place));
  SpecialIds ids = t.specialIds();
  struct Role {
    const char *key;
    std::optional<int64_t> *id;
  };
  for (Role role : {Role{"bos_token", &ids.bos}, Role{"eos_token", &ids.eos},
                    Role{"pad_token", &ids.pad}, Role{"unk_token", &ids.unk}}) {
    const Json *v = optionalMember(root, role.key);
    if (!v)
      continue;
    JsonPlace p = place.member(role.key);
    std::string token;
    if (v->is_object()) {
      WEFT_TEXT_ASSIGN(token, stringMember(*v, p, "content"));
    } else {
      WEFT_TEXT_ASSIGN(token, asString(*v, p));
    }
    std::optional<int64_t> id = t.tokenToId(token);
    if (!id)
      return jsonError(p, "'" + token + "' is not a token of the tokenizer");
    *role.id = id;
  }
  t.setSpecialIds(ids);
  return rt::Status::ok();
}

} // namespace

rt::Status applyTokenizerConfig(Tokenizer &t, const std::string &dir) {
  std::filesystem::path d(dir.empty() ? "." : dir);
  WEFT_RETURN_IF_ERROR(applyFile(t, (d / "special_tokens_map.json").string()));
  return applyFile(t, (d / "tokenizer_config.json").string());
}

} // namespace weft::text

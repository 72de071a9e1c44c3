//===- JsonFields.h - reading tokenizer files' JSON with error places -*- C++ -*-===//
//
// This file implements the declarations the tokenizer loaders share to read
// JSON: parsing a file (unreadable: the file system's error; malformed: the
// parser's message), and typed access to members that names the file and the
// key path in every error ("tokenizer.json: model.merges[3] must be a
// string or a list of two strings"). Only the loaders' .cpp files include it
// (nlohmann/json.hpp is heavy).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_TEXT_JSONFIELDS_H
#define WEFT_RUNTIME_TEXT_JSONFIELDS_H

#include "runtime/Status.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::text {

using Json = nlohmann::json;

/// Where a JSON value is: the file and the key path inside it ("" for the root).
struct JsonPlace {
  std::string file, key;
  /// The place of member `name` of this object.
  JsonPlace member(std::string_view name) const;
  /// The place of element `i` of this list.
  JsonPlace element(size_t i) const;
  /// "FILE: KEY" (or "FILE" for the root).
  std::string str() const;
};

/// INVALID_ARGUMENT "FILE: KEY MESSAGE".
rt::Status jsonError(const JsonPlace &place, const std::string &message);
/// UNIMPLEMENTED "FILE: KEY 'VALUE' is not supported (weft reads ...)".
rt::Status unsupported(const JsonPlace &place, const std::string &value, const std::string &supported);

/// Reads and parses `path` (errors: the file system's, or DATA_LOSS "PATH:
/// malformed JSON: ...").
rt::StatusOr<Json> readJsonFile(const std::string &path);
/// Parses `text`, read from `name`.
rt::StatusOr<Json> parseJson(std::string_view text, const std::string &name);

/// "an object", "a list", "a string", ... for error messages.
std::string jsonTypeName(const Json &value);

/// Member `name` of object `object` at `place`, or nullptr when it is absent
/// or null (`object` must be an object).
const Json *optionalMember(const Json &object, std::string_view name);
/// Member `name`, which must be there and not null.
rt::StatusOr<const Json *> requiredMember(const Json &object, const JsonPlace &place,
                                          std::string_view name);

/// `value` (at `place`) as a string.
rt::StatusOr<std::string> asString(const Json &value, const JsonPlace &place);
/// `value` as a whole number in [min, max].
rt::StatusOr<int64_t> asInteger(const Json &value, const JsonPlace &place, int64_t min, int64_t max);
/// A required string member.
rt::StatusOr<std::string> stringMember(const Json &object, const JsonPlace &place, std::string_view name);
/// An optional boolean member (`fallback` when absent or null).
rt::StatusOr<bool> boolMember(const Json &object, const JsonPlace &place, std::string_view name,
                              bool fallback);
/// An optional whole-number member in [min, max] (`fallback` when absent or null).
rt::StatusOr<int64_t> integerMember(const Json &object, const JsonPlace &place, std::string_view name,
                                    int64_t fallback, int64_t min, int64_t max);
/// An optional string member (nullopt when absent or null).
rt::StatusOr<std::optional<std::string>> optionalStringMember(const Json &object, const JsonPlace &place,
                                                              std::string_view name);
/// Checks that `value` is an object.
rt::Status expectObject(const Json &value, const JsonPlace &place);
/// Checks that `value` is a list.
rt::Status expectList(const Json &value, const JsonPlace &place);

} // namespace weft::text

/// Assigns the value of a StatusOr expression to `lhs`, or returns its status.
#define WEFT_TEXT_ASSIGN(lhs, expr)                                                                \
  WEFT_TEXT_ASSIGN_IMPL(WEFT_TEXT_CONCAT(weft_text_or_, __LINE__), lhs, expr)
#define WEFT_TEXT_CONCAT_INNER(a, b) a##b
#define WEFT_TEXT_CONCAT(a, b) WEFT_TEXT_CONCAT_INNER(a, b)
#define WEFT_TEXT_ASSIGN_IMPL(tmp, lhs, expr)                                                      \
  auto tmp = (expr);                                                                               \
  if (!tmp.isOk())                                                                                 \
    return tmp.status();                                                                           \
  lhs = std::move(tmp).value()

#endif // WEFT_RUNTIME_TEXT_JSONFIELDS_H

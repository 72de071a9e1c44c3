//===- JsonFields.cpp - reading tokenizer files' JSON with error places -----===//
//
// This file implements the JSON access of the tokenizer loaders: file
// reading through runtime/FileUtil.h, parsing with nlohmann::json (its
// exceptions caught here and turned into a Status), and typed member access
// whose errors name the file and the key path.
//
//===----------------------------------------------------------------------===//

#include "runtime/text/JsonFields.h"

#include "runtime/FileUtil.h"

#include <vector>

namespace weft::text {

JsonPlace JsonPlace::member(std::string_view name) const {
  return {file, key.empty() ? std::string(name) : key + "." + std::string(name)};
}

JsonPlace JsonPlace::element(size_t i) const {
  return {file, key + "[" + std::to_string(i) + "]"};
}

std::string JsonPlace::str() const { return key.empty() ? file : file + ": " + key; }

rt::Status jsonError(const JsonPlace &place, const std::string &message) {
  return rt::invalidArgument(place.str() + " " + message);
}

rt::Status unsupported(const JsonPlace &place, const std::string &value, const std::string &supported) {
  return rt::unimplemented(place.str() + " '" + value + "' is not supported (weft reads " + supported +
                           ")");
}

rt::StatusOr<Json> parseJson(std::string_view text, const std::string &name) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception &e) {
    return rt::dataLoss(name + ": malformed JSON: " + e.what());
  }
}

rt::StatusOr<Json> readJsonFile(const std::string &path) {
  std::vector<uint8_t> bytes;
  WEFT_RETURN_IF_ERROR(rt::readWholeFile(path, bytes));
  return parseJson(std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size()), path);
}

std::string jsonTypeName(const Json &value) {
  switch (value.type()) {
  case Json::value_t::object: return "an object";
  case Json::value_t::array: return "a list";
  case Json::value_t::string: return "a string";
  case Json::value_t::boolean: return "a boolean";
  case Json::value_t::null: return "null";
  case Json::value_t::number_float: return "a fractional number";
  default: return "a number";
  }
}

const Json *optionalMember(const Json &object, std::string_view name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null())
    return nullptr;
  return &*it;
}

rt::StatusOr<const Json *> requiredMember(const Json &object, const JsonPlace &place,
                                          std::string_view name) {
  if (const Json *v = optionalMember(object, name))
    return v;
  return jsonError(place.member(name), "is missing");
}

rt::StatusOr<std::string> asString(const Json &value, const JsonPlace &place) {
  if (!value.is_string())
    return jsonError(place, "must be a string, got " + jsonTypeName(value));
  return value.get<std::string>();
}

rt::StatusOr<int64_t> asInteger(const Json &value, const JsonPlace &place, int64_t min, int64_t max) {
  bool whole = value.is_number_integer();
  if (whole && value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(INT64_MAX))
    whole = false;
  int64_t v = whole ? value.get<int64_t>() : 0;
  if (!whole || v < min || v > max)
    return jsonError(place, "must be a whole number from " + std::to_string(min) + " to " +
                                std::to_string(max) + ", got " + value.dump());
  return v;
}

rt::StatusOr<std::string> stringMember(const Json &object, const JsonPlace &place, std::string_view name) {
  WEFT_TEXT_ASSIGN(const Json *v, requiredMember(object, place, name));
  return asString(*v, place.member(name));
}

rt::StatusOr<bool> boolMember(const Json &object, const JsonPlace &place, std::string_view name,
                              bool fallback) {
  const Json *v = optionalMember(object, name);
  if (!v)
    return fallback;
  if (!v->is_boolean())
    return jsonError(place.member(name), "must be true or false, got " + v->dump());
  return v->get<bool>();
}

rt::StatusOr<int64_t> integerMember(const Json &object, const JsonPlace &place, std::string_view name,
                                    int64_t fallback, int64_t min, int64_t max) {
  const Json *v = optionalMember(object, name);
  if (!v)
    return fallback;
  return asInteger(*v, place.member(name), min, max);
}

rt::StatusOr<std::optional<std::string>> optionalStringMember(const Json &object, const JsonPlace &place,
                                                              std::string_view name) {
  const Json *v = optionalMember(object, name);
  if (!v)
    return std::optional<std::string>();
  WEFT_TEXT_ASSIGN(std::string s, asString(*v, place.member(name)));
  return std::optional<std::string>(std::move(s));
}

rt::Status expectObject(const Json &value, const JsonPlace &place) {
  if (value.is_object())
    return rt::Status::ok();
  return jsonError(place, "must be an object, got " + jsonTypeName(value));
}

rt::Status expectList(const Json &value, const JsonPlace &place) {
  if (value.is_array())
    return rt::Status::ok();
  return jsonError(place, "must be a list, got " + jsonTypeName(value));
}

} // namespace weft::text

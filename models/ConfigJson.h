//===- ConfigJson.h - reading Hugging Face config.json files ----*- C++ -*-===//
//
// This file implements the declaration of ConfigJson, the reader the model
// configurations (GPT-2, LLaMA) share for a Hugging Face config.json: the
// file read and parsed, each key checked for its type and range, and every
// error a DslError "<origin>: error: ..." naming the key. Only models/*.cpp
// include it (it brings nlohmann/json).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_MODELS_CONFIGJSON_H
#define WEFT_MODELS_CONFIGJSON_H

#include <nlohmann/json.hpp>

#include <string>

namespace weft::models {

/// A parsed config.json object and where it came from.
class ConfigJson {
public:
  /// Parses `text`; `origin` names it in errors, `model` the model whose
  /// config it is ("GPT-2", "LLaMA"). Throws DslError for invalid JSON or a
  /// top level that is not an object.
  ConfigJson(const std::string &text, const std::string &origin, const std::string &model);
  /// Reads and parses the file at `path`; a directory, a missing or an
  /// unreadable file is a DslError naming the path.
  static ConfigJson fromFile(const std::string &path, const std::string &model);

  /// Reads integer key `key` into `out` when present (null counts as absent
  /// when `nullIsAbsent`); it must lie in [min, max].
  void readInt(const char *key, int &out, int min, int max, bool nullIsAbsent = false) const;
  /// Reads a positive number into `out` when present.
  void readPositive(const char *key, double &out) const;
  /// Reads a boolean into `out` when present.
  void readBool(const char *key, bool &out) const;
  /// Whether the key is present (null included).
  bool has(const char *key) const { return json_.contains(key); }
  /// The key's value (`has` first).
  const nlohmann::json &at(const char *key) const { return json_.at(key); }
  /// Throws DslError("<origin>: error: <message>").
  [[noreturn]] void fail(const std::string &message) const;

  const std::string &origin() const { return origin_; }

private:
  nlohmann::json json_;
  std::string origin_;
};

/// Throws DslError("<origin>: error: <message>").
[[noreturn]] void configError(const std::string &origin, const std::string &message);

} // namespace weft::models

#endif // WEFT_MODELS_CONFIGJSON_H

//===- ConfigJson.cpp - reading Hugging Face config.json files ------------===//
//
// This file implements ConfigJson (see ConfigJson.h).
//
//===----------------------------------------------------------------------===//

#include "models/ConfigJson.h"

#include "frontend/DslError.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace weft::models {

void configError(const std::string &origin, const std::string &message) {
  throw DslError(origin + ": error: " + message);
}

ConfigJson::ConfigJson(const std::string &text, const std::string &origin, const std::string &model)
    : origin_(origin) {
  json_ = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json_.is_discarded())
    fail("not valid JSON; expected a Hugging Face " + model + " config.json object");
  if (!json_.is_object())
    fail("expected a JSON object at the top level, got " + std::string(json_.type_name()));
}

ConfigJson ConfigJson::fromFile(const std::string &path, const std::string &model) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status))
    configError(path, "cannot read the " + model + " config: it is " +
                          (std::filesystem::is_directory(status) ? "a directory" : "not a regular file") +
                          "; pass the path of a config.json file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    configError(path, "cannot open the " + model + " config file");
  std::ostringstream text;
  text << in.rdbuf();
  return ConfigJson(text.str(), path, model);
}

void ConfigJson::fail(const std::string &message) const { configError(origin_, message); }

void ConfigJson::readInt(const char *key, int &out, int min, int max, bool nullIsAbsent) const {
  auto it = json_.find(key);
  if (it == json_.end() || (nullIsAbsent && it->is_null()))
    return;
  bool inRange = it->is_number_unsigned()
                     ? it->get<uint64_t>() >= uint64_t(std::max(min, 0)) &&
                           it->get<uint64_t>() <= uint64_t(max)
                     : it->is_number_integer() && it->get<int64_t>() >= min &&
                           it->get<int64_t>() <= max;
  if (!inRange)
    fail(std::string("key '") + key + "' must be an integer from " + std::to_string(min) + " to " +
         std::to_string(max) + ", got " + it->dump());
  out = int(it->get<int64_t>());
}

void ConfigJson::readPositive(const char *key, double &out) const {
  auto it = json_.find(key);
  if (it == json_.end())
    return;
  if (!it->is_number() || !(it->get<double>() > 0))
    fail(std::string("key '") + key + "' must be a positive number, got " + it->dump());
  out = it->get<double>();
}

void ConfigJson::readBool(const char *key, bool &out) const {
  auto it = json_.find(key);
  if (it == json_.end())
    return;
  if (!it->is_boolean())
    fail(std::string("key '") + key + "' must be true or false, got " + it->dump());
  out = it->get<bool>();
}

} // namespace weft::models

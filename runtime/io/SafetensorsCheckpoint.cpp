//===- SafetensorsCheckpoint.cpp - weights in one or many safetensors -----===//
//
// This file implements SafetensorsCheckpoint (see SafetensorsCheckpoint.h):
// resolving the path, reading the index, opening each shard once.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/SafetensorsCheckpoint.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace weft::rt {

namespace fs = std::filesystem;

namespace {

constexpr const char *kIndexName = "model.safetensors.index.json";
constexpr const char *kSingleName = "model.safetensors";

/// The index's weight_map: tensor name -> shard file (as written).
StatusOr<std::map<std::string, std::string>> readIndex(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return notFound("cannot open the safetensors index '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return dataLoss("safetensors index '" + path + "' is not a JSON object");
  auto map = j.find("weight_map");
  if (map == j.end() || !map->is_object())
    return dataLoss("safetensors index '" + path +
                    "' has no \"weight_map\" object (tensor name -> shard file)");
  std::map<std::string, std::string> out;
  for (auto it = map->begin(); it != map->end(); ++it) {
    if (!it->is_string() || it->get<std::string>().empty())
      return dataLoss("safetensors index '" + path + "': the shard of tensor '" + it.key() +
                      "' must be a file name, got " + it->dump());
    out[it.key()] = it->get<std::string>();
  }
  if (out.empty())
    return dataLoss("safetensors index '" + path + "' maps no tensor");
  return out;
}

} // namespace

void SafetensorsCheckpoint::addFile(SafetensorsFile file) {
  for (const std::string &name : file.names())
    where_.emplace(name, files_.size());
  files_.push_back(std::move(file));
}

StatusOr<SafetensorsCheckpoint> SafetensorsCheckpoint::open(const std::string &path) {
  SafetensorsCheckpoint c;
  c.path_ = path;
  std::error_code ec;
  std::string target = path;
  if (fs::is_directory(path, ec)) {
    if (fs::exists(fs::path(path) / kIndexName, ec))
      target = (fs::path(path) / kIndexName).string();
    else if (fs::exists(fs::path(path) / kSingleName, ec))
      target = (fs::path(path) / kSingleName).string();
    else
      return notFound("weights directory '" + path + "' holds neither " + kIndexName + " nor " + kSingleName +
                      "; pass the .safetensors file or the index itself");
  }
  if (!fs::path(target).has_extension() || fs::path(target).extension() != ".json") {
    auto file = SafetensorsFile::open(target);
    if (!file.isOk())
      return file.status();
    c.addFile(std::move(file).value());
    return c;
  }
  auto index = readIndex(target);
  if (!index.isOk())
    return index.status();
  // Each shard opened once, in the order the index first names it.
  fs::path dir = fs::path(target).parent_path();
  std::map<std::string, size_t> shardOf;
  for (const auto &[name, shard] : *index) {
    if (shardOf.count(shard))
      continue;
    fs::path shardPath = dir / shard;
    if (!fs::exists(shardPath, ec))
      return notFound("safetensors index '" + target + "' names the shard '" + shard + "' (for tensor '" + name +
                      "'), but '" + shardPath.string() + "' does not exist");
    auto file = SafetensorsFile::open(shardPath.string());
    if (!file.isOk())
      return file.status();
    shardOf[shard] = c.files_.size();
    c.files_.push_back(std::move(file).value());
  }
  // The index is the authority on where each tensor lives; it must agree
  // with its shards.
  for (const auto &[name, shard] : *index) {
    size_t i = shardOf.at(shard);
    if (!c.files_[i].contains(name))
      return dataLoss("safetensors index '" + target + "' puts tensor '" + name + "' in '" + shard +
                      "', which does not hold it");
    c.where_[name] = i;
  }
  return c;
}

const SafetensorsFile *SafetensorsCheckpoint::fileOf(const std::string &name) const {
  auto it = where_.find(name);
  return it == where_.end() ? nullptr : &files_[it->second];
}

std::vector<std::string> SafetensorsCheckpoint::names() const {
  std::vector<std::string> out;
  for (const auto &[name, file] : where_)
    out.push_back(name);
  return out;
}

} // namespace weft::rt

//===- SafetensorsCheckpoint.h - weights in one or many safetensors -*- C++ -*-//
//
// This file implements the declaration of SafetensorsCheckpoint: Hugging
// Face weights held in one .safetensors file or sharded over several, with a
// model.safetensors.index.json whose "weight_map" names the shard file of
// every tensor (paths relative to the index). A checkpoint is opened from the
// file, the index, or a directory holding either; every shard is opened
// (and its header validated) up front, so a missing shard or an index that
// disagrees with its shards is reported before any weight is read.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_IO_SAFETENSORSCHECKPOINT_H
#define WEFT_RUNTIME_IO_SAFETENSORSCHECKPOINT_H

#include "runtime/Status.h"
#include "runtime/io/Safetensors.h"

#include <map>
#include <string>
#include <vector>

namespace weft::rt {

/// The tensors of one or more safetensors files, by name.
class SafetensorsCheckpoint {
public:
  /// Opens `path`: a .safetensors file; an index .json ({"weight_map":
  /// {tensor: shard file}}); or a directory holding
  /// model.safetensors.index.json (preferred) or model.safetensors.
  /// NOT_FOUND for a missing path, a directory with neither file, or an
  /// index naming a shard file that does not exist (both named);
  /// DATA_LOSS for an index that is not such JSON or names a tensor its
  /// shard does not hold; a shard's own errors as SafetensorsFile::open.
  static StatusOr<SafetensorsCheckpoint> open(const std::string &path);

  /// Whether some file holds tensor `name`.
  bool contains(const std::string &name) const { return where_.count(name) > 0; }
  /// The file holding tensor `name`; nullptr when none does.
  const SafetensorsFile *fileOf(const std::string &name) const;
  /// Every tensor name, sorted.
  std::vector<std::string> names() const;
  /// The number of files (1 unless sharded).
  size_t numFiles() const { return files_.size(); }
  /// The path the checkpoint was opened with.
  const std::string &path() const { return path_; }

private:
  /// Adds every tensor of `file` (the index, when given, is checked
  /// separately).
  void addFile(SafetensorsFile file);

  std::string path_;
  std::vector<SafetensorsFile> files_;
  std::map<std::string, size_t> where_;
};

} // namespace weft::rt

#endif // WEFT_RUNTIME_IO_SAFETENSORSCHECKPOINT_H

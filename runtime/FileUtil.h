//===- FileUtil.h - file system access of the runtime ------------*- C++ -*-===//
//
// This file implements the file system layer under the .npy and safetensors
// readers and writers: turning errno into a Status that names the file,
// reading a whole file, mapping a file read-only, and replacing a file
// atomically (temporary file in the same directory, fsync, rename), so that a
// crash mid-write never leaves a half-written checkpoint under the real name.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_FILEUTIL_H
#define WEFT_RUNTIME_FILEUTIL_H

#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace weft::rt {

/// Builds a Status for a failed system call: "<what> '<path>': <strerror>".
/// ENOENT/ENOTDIR give NOT_FOUND, ENOSPC/EDQUOT/ENOMEM RESOURCE_EXHAUSTED,
/// EACCES/EPERM/EROFS FAILED_PRECONDITION, anything else UNAVAILABLE.
Status errnoStatus(int err, const std::string &what, const std::string &path);

/// Reads the whole of `path` into `out`. Only a regular file is read: a FIFO,
/// device or directory is INVALID_ARGUMENT naming what it is (never a wait).
Status readWholeFile(const std::string &path, std::vector<uint8_t> &out);

/// A file mapped read-only into memory; unmapped when the last owner goes.
class MappedFile {
public:
  /// Maps all of `path` read-only. An empty file maps to size() == 0.
  static StatusOr<std::shared_ptr<const MappedFile>> open(const std::string &path);
  ~MappedFile();
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  /// The first byte of the file (nullptr when the file is empty).
  const uint8_t *data() const { return data_; }
  /// The file's size in bytes.
  size_t size() const { return size_; }
  /// The path it was opened with.
  const std::string &path() const { return path_; }

private:
  MappedFile(std::string path, const uint8_t *data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const uint8_t *data_;
  size_t size_;
};

/// Writes the concatenation of `pieces` to `path` atomically: the bytes go to a
/// temporary file in the same directory, which is fsynced and then renamed over
/// `path` (and the directory fsynced). On failure `path` is left as it was and
/// the temporary file is removed. Only regular files are replaced: an
/// existing character device or FIFO (/dev/null, /dev/stdout, a pipe with a
/// reader) is written directly, a directory or other special file is an
/// error, and a symbolic link is followed (the file it names is replaced).
Status writeFileAtomically(const std::string &path,
                           const std::vector<std::string_view> &pieces);

/// The names of the entries of directory `dir` (without "." and ".."); an
/// unreadable or missing directory gives none.
std::vector<std::string> listDirectory(const std::string &dir);

/// Removes every entry of `dir` whose name `match` accepts, as far as it can
/// (cleaning up: errors are ignored).
void removeFilesIf(const std::string &dir, const std::function<bool(std::string_view)> &match);

} // namespace weft::rt

#endif // WEFT_RUNTIME_FILEUTIL_H

//===- Safetensors.h - Hugging Face safetensors files ------------*- C++ -*-===//
//
// This file implements reading and writing the safetensors format used by
// Hugging Face checkpoints: an 8-byte little-endian header length N, N bytes of
// JSON mapping each tensor name to {"dtype", "shape", "data_offsets": [begin,
// end]} (offsets relative to the end of the header) plus an optional
// "__metadata__" string map, then the tensor bytes. The reader maps the file
// read-only and validates the whole header when the file is opened, so that a
// later read() can only fail for a name that is not there. readPiece() copies
// one rank's piece of a tensor split over a mesh, touching only its bytes.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_IO_SAFETENSORS_H
#define WEFT_RUNTIME_IO_SAFETENSORS_H

#include "runtime/HostTensor.h"
#include "runtime/ShardLayout.h"
#include "runtime/Status.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace weft::rt {

class MappedFile;

/// A safetensors file opened for reading. Cheap to copy: copies share the
/// read-only mapping, which lives as long as the last copy.
class SafetensorsFile {
public:
  /// The description of one tensor, known without reading its data.
  struct TensorInfo {
    DType dtype = weft::proto::DTYPE_INVALID;
    std::vector<int64_t> shape;
    /// Byte range of the data, relative to the start of the data section.
    uint64_t dataBegin = 0, dataEnd = 0;
  };

  /// Maps `path` and validates its header: the header length fits in the file,
  /// the header is a JSON object, every dtype is one of F32, F16, BF16, I32,
  /// I64, BOOL, every shape is a list of non-negative integers, every
  /// data_offsets pair lies inside the data section, spans exactly
  /// numel * dtype size bytes, the tensors tile the data section exactly (no
  /// overlap, gap or trailing byte), and __metadata__
  /// maps strings to strings. Errors name the file and the tensor: NOT_FOUND
  /// for a missing file, INVALID_ARGUMENT for a dtype weft cannot hold,
  /// DATA_LOSS for everything else.
  static StatusOr<SafetensorsFile> open(const std::string &path);

  /// Tensor names in the order of their data in the file.
  std::vector<std::string> names() const;
  /// Whether the file holds a tensor called `name`.
  bool contains(const std::string &name) const;
  /// Copies tensor `name` out of the file. NOT_FOUND names the file and, as a
  /// hint, a few of the names it does hold; DATA_LOSS for a BOOL byte that is
  /// neither 0 nor 1.
  StatusOr<HostTensor> read(const std::string &name) const;
  /// Copies one rank's piece of tensor `name` (one DimPiece per dimension,
  /// runtime/ShardLayout.h: uneven splits zero-padded, blocks) out of the
  /// mapped file, touching only the piece's bytes: what a rank of a mesh
  /// loads instead of the whole tensor. Equals extractShard of read(name).
  /// NOT_FOUND as read(); INVALID_ARGUMENT naming the tensor for pieces that
  /// do not fit its shape; DATA_LOSS as read() for a bad BOOL byte.
  StatusOr<HostTensor> readPiece(const std::string &name, const std::vector<DimPiece> &pieces) const;
  /// The dtype, shape and byte range of `name` without reading the data.
  StatusOr<TensorInfo> info(const std::string &name) const;
  /// The "__metadata__" map (empty when the file has none).
  const std::map<std::string, std::string> &metadata() const { return metadata_; }
  /// The path the file was opened with.
  const std::string &path() const { return path_; }

private:
  SafetensorsFile() = default;
  Status notFoundError(const std::string &name) const;
  /// DATA_LOSS naming the tensor when a BOOL tensor holds a byte other than 0 or 1.
  Status checkBools(const HostTensor &t, const std::string &name) const;

  std::string path_;
  std::shared_ptr<const MappedFile> file_;
  uint64_t dataStart_ = 0; // 8 + header length
  std::map<std::string, TensorInfo> tensors_;
  std::vector<std::string> order_;
  std::map<std::string, std::string> metadata_;
};

/// Writes `tensors` to `path` in the safetensors format, data in the given
/// order, header padded with spaces to a multiple of 8 bytes, `metadata` as
/// "__metadata__" when not empty; the file is replaced atomically.
/// INVALID_ARGUMENT for an empty, duplicate or reserved ("__metadata__") name
/// or a tensor whose byte count does not match its dtype and shape.
Status writeSafetensors(const std::string &path,
                        const std::vector<std::pair<std::string, HostTensor>> &tensors,
                        const std::map<std::string, std::string> &metadata = {});

} // namespace weft::rt

#endif // WEFT_RUNTIME_IO_SAFETENSORS_H

//===- Executable.h - the compiled program on disk --------------*- C++ -*-===//
//
// This file implements the Executable: the protobuf message that the compiler
// writes and the runtime runs, wrapped with its on-disk framing, atomic saving
// and the validation of everything the Executor relies on.
//
// On disk (all integers little-endian):
//   offset  0: 8-byte magic "WEFTEXE\0"
//   offset  8: u32 framing version (kFramingVersion)
//   offset 12: u32 reserved (0)
//   offset 16: u64 payload length in bytes
//   offset 24: u64 FNV-1a-64 checksum of the payload
//   offset 32: the payload, a serialized weft.proto.Executable
// A file is rejected, with a Status naming the file, when it is shorter than
// the header says, has the wrong magic, a newer framing version, a checksum
// mismatch, an unparseable payload, or contents that fail validate().
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_EXECUTABLE_H
#define WEFT_RUNTIME_EXECUTABLE_H

#include "runtime/Status.h"
#include "runtime/executable.pb.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace weft::rt {

/// The Executable.format_version this runtime reads and the compiler writes.
/// 2: a CudaLaunch may list the call arguments it passes (CudaLaunch.args).
/// 3: every Kernel lists its arguments' dtype and byte size (Kernel.args).
/// 4: a device mesh (Executable.mesh), collective steps (Step.collective) and
///    MESH_INDEX buffers.
inline constexpr uint32_t kFormatVersion = 4;
/// The version of the file framing (header layout) written by save().
inline constexpr uint32_t kFramingVersion = 1;
/// Size of the framing header that precedes the payload.
inline constexpr size_t kFrameHeaderSize = 32;
/// The first bytes of every Executable file.
inline constexpr char kExecutableMagic[8] = {'W', 'E', 'F', 'T', 'E', 'X', 'E', '\0'};
/// Arena alignment used when Executable.arena_alignment is 0, and the minimum.
inline constexpr uint64_t kMinArenaAlignment = 64;

/// FNV-1a 64-bit hash of `bytes` (the payload checksum of the framing).
uint64_t fnv1a64(std::string_view bytes);

/// A compiled program: the proto message plus where it came from.
class Executable {
public:
  Executable() = default;
  /// Wraps `proto`; `source` names it in error messages (a path, or "<memory>").
  explicit Executable(proto::Executable proto, std::string source = "<memory>")
      : proto_(std::move(proto)), source_(std::move(source)) {}

  /// Parses a framed file image and validates it. `source` names it in errors.
  static StatusOr<Executable> fromBytes(std::string_view bytes,
                                        std::string_view source = "<memory>");
  /// Reads, parses and validates the file at `path`.
  static StatusOr<Executable> load(const std::string &path);

  /// The framed file image (header + serialized proto).
  std::string toBytes() const;
  /// Writes toBytes() to `path` atomically: a temporary file in the same
  /// directory is written, fsync'ed and renamed over `path`.
  Status save(const std::string &path) const;

  /// Checks every invariant the Executor relies on (version, target, buffer
  /// ids, sizes, arena bounds, aliases, constants, kernels, steps, outputs).
  /// Errors name the buffer, kernel or step (index and name/label) and source().
  Status validate() const;

  const proto::Executable &proto() const { return proto_; }
  proto::Executable &mutableProto() { return proto_; }
  /// Where this executable came from: the path it was loaded from or "<memory>".
  const std::string &source() const { return source_; }

private:
  proto::Executable proto_;
  std::string source_ = "<memory>";
};

} // namespace weft::rt

#endif // WEFT_RUNTIME_EXECUTABLE_H

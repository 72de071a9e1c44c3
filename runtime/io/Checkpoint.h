//===- Checkpoint.h - training checkpoints on disk --------------*- C++ -*-===//
//
// This file implements the declarations of weft's training checkpoints: the
// weft.proto.Checkpoint message (runtime/checkpoint.proto) captured from and
// restored into a training-step Executor, and its file DIR/checkpoint.pb.
//
// On disk (integers little-endian), framed like the Executable:
//   offset  0: 8-byte magic "WEFTCKPT"
//   offset  8: u32 framing version (1)
//   offset 12: u32 reserved (0)
//   offset 16: u64 payload length in bytes
//   offset 24: u64 FNV-1a-64 checksum of the payload (rt::fnv1a64)
//   offset 32: the payload, a serialized weft.proto.Checkpoint
// The file is replaced atomically (temporary file, fsync, rename), so a crash
// while saving leaves the previous checkpoint intact.
//
// Payload format 1 holds every tensor whole (one rank). Format 2 is sharded
// (runtime/io/ShardedCheckpoint.h): checkpoint.pb is then a manifest naming
// per-rank shard files, each framed as above; loadCheckpoint returns the
// manifest and restoreCheckpoint there reads the pieces.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_IO_CHECKPOINT_H
#define WEFT_RUNTIME_IO_CHECKPOINT_H

#include "runtime/Executor.h"
#include "runtime/Status.h"
#include "runtime/checkpoint.pb.h"

#include <string>
#include <string_view>

namespace weft::rt {

/// The file name of the checkpoint (or of a sharded one's manifest) inside a
/// checkpoint directory.
inline constexpr const char *kCheckpointFile = "checkpoint.pb";
/// Checkpoint.format_version of a sharded checkpoint's manifest and shards.
inline constexpr uint32_t kShardedCheckpointFormat = 2;

/// Fills `out` with tensor `t` under `name`: dtype, shape, bytes, checksum.
void tensorToProto(const std::string &name, const rt::HostTensor &t, proto::CheckpointTensor &out);

/// The framed file image of `checkpoint`.
std::string checkpointToBytes(const proto::Checkpoint &checkpoint);
/// Parses a framed image. DATA_LOSS naming `source` for a short file, wrong
/// magic, checksum mismatch or unparseable payload; INVALID_ARGUMENT for a
/// newer framing or format version. Every tensor is checked against its own
/// checksum, its dtype and shape against its byte count, and no name may
/// appear twice in a kind (DATA_LOSS naming the tensor).
rt::StatusOr<proto::Checkpoint> checkpointFromBytes(std::string_view bytes,
                                                    const std::string &source);

/// Writes `checkpoint` to DIR/checkpoint.pb atomically, creating DIR, after
/// removing the temporary files of earlier saves that were interrupted. The
/// file gets format 1 unless `checkpoint` is a format-2 manifest.
rt::Status saveCheckpoint(const std::string &dir, const proto::Checkpoint &checkpoint);
/// Reads DIR/checkpoint.pb (NOT_FOUND when there is none).
rt::StatusOr<proto::Checkpoint> loadCheckpoint(const std::string &dir);

/// Copies every parameter and optimizer state buffer of `executor` into
/// `checkpoint` (replacing what it held there).
rt::Status captureTensors(const rt::Executor &executor, proto::Checkpoint &checkpoint);
/// Sets every parameter and state buffer of `executor` from a format-1
/// `checkpoint` (a manifest is INVALID_ARGUMENT: see restoreCheckpoint).
/// Errors name the tensor: a buffer the checkpoint lacks or one it has that
/// the executor does not (NOT_FOUND), a dtype or shape mismatch (both shapes),
/// or data whose size does not match its shape (DATA_LOSS).
rt::Status restoreTensors(const proto::Checkpoint &checkpoint, rt::Executor &executor);
/// Sets every parameter of `executor` from a format-1 `checkpoint`, ignoring
/// its optimizer state (a program that only runs the model, e.g. decoding);
/// errors as restoreTensors, a sharded checkpoint is INVALID_ARGUMENT.
rt::Status restoreParameters(const proto::Checkpoint &checkpoint, rt::Executor &executor);

} // namespace weft::rt

#endif // WEFT_RUNTIME_IO_CHECKPOINT_H

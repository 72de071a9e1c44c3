//===- ShardedCheckpoint.h - checkpoints written in per-rank pieces -*- C++ -*-===//
//
// This file implements the declarations of sharded checkpoints (payload format
// 2 of runtime/checkpoint.proto), which a training run on a mesh writes
// instead of gathering every tensor whole on rank 0:
//
//   DIR/shard-<step>-rank<r>-of-<n>.pb  rank r's pieces (a framed Checkpoint of
//                                       format 2: step, and each tensor piece it
//                                       owns under the tensor's name, shaped as
//                                       the piece with its zero padding);
//   DIR/checkpoint.pb                   the manifest (a framed Checkpoint of
//                                       format 2 without tensor data): step, data
//                                       position, configuration and ShardIndex:
//                                       the mesh, the shard files, and per tensor
//                                       its dtype, global shape, split (one
//                                       DimSplit per dimension, as the
//                                       Executable's Buffer.sharding, blocks and
//                                       uneven splits included) and each piece's
//                                       file, rank and FNV-1a-64 checksum.
//
// Owner rule: each distinct piece of a tensor (ranks whose coordinates on the
// tensor's split axes agree hold the same piece) is written once, by the
// lowest rank holding it: a replicated tensor by rank 0, a tensor split over
// tp only by the ranks with dp = 0. A rank that owns nothing writes no file.
//
// Saving (every rank, collective): each rank writes its shard file (temporary
// file, fsync, rename); one all_reduce then carries every piece's checksum
// and every rank's success to all ranks (it is also the barrier); rank 0 then
// writes the manifest last (temporary file, rename), and only once it is in
// place removes the shard files the new manifest does not name (earlier
// steps) and the temporaries of interrupted saves. A crash at any point leaves the previous manifest and its shard
// files intact. (A save at the very step of the manifest already there with
// as many ranks replaces the same names; training saves only after a step, so
// a run never does that.) A one-device save (a format-1 checkpoint.pb)
// removes the shard files of an earlier sharded save once it is in place.
//
// Restoring (resharding at load): each rank, on any mesh, strategy or ZeRO
// level, or one rank without a mesh, reads the shard files holding a piece
// that overlaps its own piece of some tensor (each such file read whole, once)
// and for each tensor assembles a whole-sized buffer from only the saved
// pieces that overlap its own piece, then keeps its piece
// (Executor::setLocalPiece). Each piece's checksum and shape are checked
// against the manifest.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_IO_SHARDEDCHECKPOINT_H
#define WEFT_RUNTIME_IO_SHARDEDCHECKPOINT_H

#include "runtime/Executor.h"
#include "runtime/Status.h"
#include "runtime/checkpoint.pb.h"
#include "runtime/comm/Communicator.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace weft::rt {

/// "shard-<step>-rank<rank>-of-<ranks>.pb".
std::string shardFileName(uint64_t step, int64_t rank, int64_t ranks);
/// Whether `name` is a shard file's name ("shard-*.pb", not a temporary).
bool isShardFileName(std::string_view name);

/// Saves `executor`'s parameters and optimizer state into `dir` as a sharded
/// checkpoint with the step, data state and configuration of `meta` (whose
/// tensors are ignored). Every rank of `world` (the executor's mesh, in rank
/// order) calls it. Errors name the file; a rank whose own write succeeded
/// but another's failed gets UNAVAILABLE naming that rank.
Status saveShardedCheckpoint(const std::string &dir, const proto::Checkpoint &meta,
                             const Executor &executor, Communicator &world);

/// Sets every parameter and optimizer state buffer of `executor` (this rank's
/// pieces) from the checkpoint `checkpoint` loaded from `dir` (loadCheckpoint):
/// a format-1 file through restoreTensors, a format-2 manifest from its
/// shard files. Errors name the tensor and the file: a shard file that is
/// missing (NOT_FOUND), corrupt, of another step, or whose piece does not
/// match the manifest's checksum or shape, and a manifest that is
/// inconsistent (DATA_LOSS); a tensor the model lacks or needs (NOT_FOUND);
/// a dtype or global shape of another model (INVALID_ARGUMENT).
Status restoreCheckpoint(const std::string &dir, const proto::Checkpoint &checkpoint,
                         Executor &executor);

} // namespace weft::rt

#endif // WEFT_RUNTIME_IO_SHARDEDCHECKPOINT_H

//===- ShardedBuffer.h - whole values of buffers split over a mesh -*- C++ -*-===//
//
// This file declares the runtime's view of a PARAMETER, STATE, INPUT or
// OUTPUT buffer that a partitioned program holds in pieces
// (Buffer.sharding): which piece a rank holds (runtime/ShardLayout.h), the
// piece of a whole value a rank stores when the caller sets it, and the whole
// value rebuilt from every rank's piece when the caller reads it (an
// all_gather over the world: every rank must read it, in the same order).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_COMM_SHARDEDBUFFER_H
#define WEFT_RUNTIME_COMM_SHARDEDBUFFER_H

#include "runtime/HostTensor.h"
#include "runtime/ShardLayout.h"
#include "runtime/comm/Communicator.h"
#include "runtime/comm/MeshShape.h"

#include <vector>

namespace weft::rt {

/// Rank `rank`'s piece of every dimension of `sharding` on `mesh`.
std::vector<DimPiece> piecesOf(const proto::BufferSharding &sharding, const MeshShape &mesh,
                               int64_t rank);

/// Rank `rank`'s piece of every dimension of buffer `b`: piecesOf its
/// sharding, or for a buffer that is not split one whole piece per dimension.
std::vector<DimPiece> piecesOfBuffer(const proto::Buffer &b, const MeshShape &mesh, int64_t rank);

/// The whole value's shape of a split buffer.
std::vector<int64_t> globalShapeOf(const proto::BufferSharding &sharding);

/// The shape of the value a caller sets and reads for buffer `b`: its global
/// shape when it is split over the mesh, else its shape.
std::vector<int64_t> wholeShapeOf(const proto::Buffer &b);

/// Rank `rank`'s piece of `whole` (shaped as the sharding's global shape).
HostTensor pieceOf(const HostTensor &whole, const proto::BufferSharding &sharding,
                   const MeshShape &mesh, int64_t rank);

/// The whole value of a buffer from this rank's `piece`: gathers every rank's
/// piece over `world` (whose ranks are the mesh's) and puts each in place.
StatusOr<HostTensor> wholeOf(const HostTensor &piece, const proto::BufferSharding &sharding,
                             const MeshShape &mesh, Communicator &world, const std::string &name);

} // namespace weft::rt

#endif // WEFT_RUNTIME_COMM_SHARDEDBUFFER_H

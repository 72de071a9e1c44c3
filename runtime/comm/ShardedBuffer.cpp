//===- ShardedBuffer.cpp - whole values of buffers split over a mesh ------===//
//
// This file implements ShardedBuffer.h.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/ShardedBuffer.h"

namespace weft::rt {

std::vector<DimPiece> piecesOf(const proto::BufferSharding &sharding, const MeshShape &mesh,
                               int64_t rank) {
  std::vector<int64_t> coords = mesh.coordinates(rank);
  std::vector<DimPiece> pieces;
  for (const proto::DimSplit &d : sharding.dims()) {
    DimPiece p;
    p.blocks = d.blocks() < 1 ? 1 : d.blocks();
    for (uint32_t a : d.axes()) {
      int64_t size = mesh.axes()[a].size;
      p.ways *= size;
      p.index = p.index * size + coords[a];
    }
    pieces.push_back(p);
  }
  return pieces;
}

std::vector<DimPiece> piecesOfBuffer(const proto::Buffer &b, const MeshShape &mesh, int64_t rank) {
  if (b.has_sharding())
    return piecesOf(b.sharding(), mesh, rank);
  return std::vector<DimPiece>(size_t(b.shape_size()));
}

std::vector<int64_t> globalShapeOf(const proto::BufferSharding &sharding) {
  return {sharding.global_shape().begin(), sharding.global_shape().end()};
}

std::vector<int64_t> wholeShapeOf(const proto::Buffer &b) {
  if (b.has_sharding())
    return globalShapeOf(b.sharding());
  return {b.shape().begin(), b.shape().end()};
}

HostTensor pieceOf(const HostTensor &whole, const proto::BufferSharding &sharding,
                   const MeshShape &mesh, int64_t rank) {
  std::vector<DimPiece> pieces = piecesOf(sharding, mesh, rank);
  HostTensor piece(whole.dtype, localShape(whole.shape, pieces));
  extractShard(whole.bytes.data(), whole.shape, dtypeSize(whole.dtype), pieces, piece.bytes.data());
  return piece;
}

StatusOr<HostTensor> wholeOf(const HostTensor &piece, const proto::BufferSharding &sharding,
                             const MeshShape &mesh, Communicator &world, const std::string &name) {
  const int64_t ranks = mesh.numRanks();
  std::vector<uint8_t> all(piece.bytes.size() * size_t(ranks));
  WEFT_RETURN_IF_ERROR(world.allGather(piece.bytes.data(), all.data(), uint64_t(piece.numElements()),
                                       piece.dtype, "gather '" + name + "'"));
  HostTensor whole(piece.dtype, globalShapeOf(sharding));
  for (int64_t r = 0; r < ranks; ++r)
    insertShard(all.data() + size_t(r) * piece.bytes.size(), whole.shape, dtypeSize(piece.dtype),
                piecesOf(sharding, mesh, r), whole.bytes.data());
  return whole;
}

} // namespace weft::rt

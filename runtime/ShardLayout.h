//===- ShardLayout.h - which elements of a tensor one rank holds -*- C++ -*-===//
//
// This file declares how a tensor split over a device mesh is laid out on one
// rank, the runtime's side of weft's sharding attributes (ir/Sharding.h):
// each dimension is split `ways` ways and the rank holds piece `index`; with
// `blocks` > 1 the dimension is viewed as [blocks, n / blocks] and the rank
// holds its piece of every block, blocks one after another (a fused QKV
// projection split per head group). A dimension that does not divide evenly
// holds ceil(n / ways) elements per rank, the missing ones zero padding at
// the end of the last pieces. extractShard copies a rank's piece out of the
// whole tensor (padding zeroed), insertShard writes it back (padding
// dropped); both work on raw elements of any size, so parameters, inputs and
// checkpoints of any dtype use them.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SHARDLAYOUT_H
#define WEFT_RUNTIME_SHARDLAYOUT_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace weft::rt {

/// How one dimension is split, as seen from one rank.
struct DimPiece {
  int64_t ways = 1;   // number of pieces (the product of the mesh axes' sizes)
  int64_t index = 0;  // the rank's piece, in [0, ways)
  int64_t blocks = 1; // split within each of `blocks` equal blocks
};

/// Elements of a dimension of `size` one rank holds: blocks * ceil(size / blocks / ways).
int64_t localDimSize(int64_t size, const DimPiece &piece);

/// The local shape of a tensor of `globalShape` split as `pieces` (one per dimension).
std::vector<int64_t> localShape(const std::vector<int64_t> &globalShape,
                                const std::vector<DimPiece> &pieces);

/// Whether pieces `a` and `b` of a tensor of `globalShape` (each split its
/// own way, e.g. by two meshes) share at least one element; padding shares
/// nothing.
bool piecesOverlap(const std::vector<int64_t> &globalShape, const std::vector<DimPiece> &a,
                   const std::vector<DimPiece> &b);

/// Copies the rank's piece of `global` (row-major, `globalShape`, elements of
/// `elementSize` bytes) to `local` (row-major, localShape()); padding is zero.
void extractShard(const void *global, const std::vector<int64_t> &globalShape, size_t elementSize,
                  const std::vector<DimPiece> &pieces, void *local);

/// Writes the rank's piece `local` into its place in `global`; padding is dropped.
void insertShard(const void *local, const std::vector<int64_t> &globalShape, size_t elementSize,
                 const std::vector<DimPiece> &pieces, void *global);

} // namespace weft::rt

#endif // WEFT_RUNTIME_SHARDLAYOUT_H

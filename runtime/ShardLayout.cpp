//===- ShardLayout.cpp - which elements of a tensor one rank holds --------===//
//
// This file implements the shard copies of ShardLayout.h. Both walk the
// local tensor row by row (all dimensions but the last), map the row to its
// global row (or to padding), and copy the last dimension in contiguous runs
// (one per block).
//
//===----------------------------------------------------------------------===//

#include "runtime/ShardLayout.h"

#include <algorithm>
#include <cstring>

namespace weft::rt {

namespace {

/// The global index of local index `j` of a dimension of `size`, or -1 for padding.
int64_t globalIndex(int64_t j, int64_t size, const DimPiece &p) {
  int64_t perBlock = size / p.blocks;
  int64_t inner = (perBlock + p.ways - 1) / p.ways;
  int64_t block = j / inner, within = j % inner;
  int64_t g = p.index * inner + within;
  return g < perBlock ? block * perBlock + g : -1;
}

/// Calls copy(localOffset, globalOffset, count) in elements for every
/// contiguous run of the rank's piece; padding runs have globalOffset -1.
template <typename Fn>
void forEachRun(const std::vector<int64_t> &globalShape, const std::vector<DimPiece> &pieces, Fn copy) {
  size_t rank = globalShape.size();
  if (rank == 0) {
    copy(0, 0, 1);
    return;
  }
  std::vector<int64_t> local = localShape(globalShape, pieces);
  for (int64_t n : local)
    if (n == 0)
      return;
  int64_t last = globalShape[rank - 1], localLast = local[rank - 1];
  const DimPiece &lastPiece = pieces[rank - 1];
  int64_t inner = localLast / lastPiece.blocks;
  std::vector<int64_t> idx(rank - 1, 0);
  int64_t localRow = 0;
  while (true) {
    int64_t globalRow = 0;
    bool padding = false;
    for (size_t d = 0; d + 1 < rank; ++d) {
      int64_t g = globalIndex(idx[d], globalShape[d], pieces[d]);
      padding |= g < 0;
      globalRow = globalRow * globalShape[d] + (g < 0 ? 0 : g);
    }
    for (int64_t block = 0; block < lastPiece.blocks; ++block) {
      int64_t first = globalIndex(block * inner, last, lastPiece);
      int64_t count = first < 0 ? 0 : std::min(inner, (block + 1) * (last / lastPiece.blocks) - first);
      int64_t localOffset = localRow * localLast + block * inner;
      if (!padding && count > 0)
        copy(localOffset, globalRow * last + first, count);
      if (padding || count < inner)
        copy(localOffset + (padding ? 0 : count), -1, padding ? inner : inner - count);
    }
    ++localRow;
    size_t d = rank - 1;
    while (d > 0) {
      if (++idx[d - 1] < local[d - 1])
        break;
      idx[d - 1] = 0;
      --d;
    }
    if (d == 0)
      return;
  }
}

/// Calls visit(begin, end) for each run of global indices [begin, end) of a
/// dimension of `size` that piece `p` holds (one per block, none for padding).
template <typename Fn> void forEachRange(int64_t size, const DimPiece &p, Fn visit) {
  int64_t perBlock = size / p.blocks;
  int64_t inner = (perBlock + p.ways - 1) / p.ways;
  int64_t begin = std::min(p.index * inner, perBlock), end = std::min(begin + inner, perBlock);
  if (begin < end)
    for (int64_t block = 0; block < p.blocks; ++block)
      visit(block * perBlock + begin, block * perBlock + end);
}

} // namespace

bool piecesOverlap(const std::vector<int64_t> &globalShape, const std::vector<DimPiece> &a,
                   const std::vector<DimPiece> &b) {
  for (size_t d = 0; d < globalShape.size(); ++d) {
    bool shared = false;
    forEachRange(globalShape[d], a[d], [&](int64_t aBegin, int64_t aEnd) {
      forEachRange(globalShape[d], b[d], [&](int64_t bBegin, int64_t bEnd) {
        shared |= aBegin < bEnd && bBegin < aEnd;
      });
    });
    if (!shared)
      return false;
  }
  return true;
}

int64_t localDimSize(int64_t size, const DimPiece &piece) {
  int64_t perBlock = size / piece.blocks;
  return piece.blocks * ((perBlock + piece.ways - 1) / piece.ways);
}

std::vector<int64_t> localShape(const std::vector<int64_t> &globalShape,
                                const std::vector<DimPiece> &pieces) {
  std::vector<int64_t> shape;
  for (size_t d = 0; d < globalShape.size(); ++d)
    shape.push_back(localDimSize(globalShape[d], pieces[d]));
  return shape;
}

void extractShard(const void *global, const std::vector<int64_t> &globalShape, size_t elementSize,
                  const std::vector<DimPiece> &pieces, void *local) {
  auto *in = static_cast<const uint8_t *>(global);
  auto *out = static_cast<uint8_t *>(local);
  forEachRun(globalShape, pieces, [&](int64_t localOffset, int64_t globalOffset, int64_t count) {
    if (globalOffset < 0)
      std::memset(out + localOffset * elementSize, 0, count * elementSize);
    else
      std::memcpy(out + localOffset * elementSize, in + globalOffset * elementSize, count * elementSize);
  });
}

void insertShard(const void *local, const std::vector<int64_t> &globalShape, size_t elementSize,
                 const std::vector<DimPiece> &pieces, void *global) {
  auto *in = static_cast<const uint8_t *>(local);
  auto *out = static_cast<uint8_t *>(global);
  forEachRun(globalShape, pieces, [&](int64_t localOffset, int64_t globalOffset, int64_t count) {
    if (globalOffset >= 0)
      std::memcpy(out + globalOffset * elementSize, in + localOffset * elementSize, count * elementSize);
  });
}

} // namespace weft::rt

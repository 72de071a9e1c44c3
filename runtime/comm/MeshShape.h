//===- MeshShape.h - named device-mesh axes and rank groups ------*- C++ -*-===//
//
// This file implements the declaration of MeshShape: the logical device mesh
// of an SPMD program (named axes with sizes, e.g. dp=2,tp=4 → 8 ranks), the
// row-major order of its ranks (the last axis varies fastest), each rank's
// coordinates, and the groups of ranks a collective over some axes runs in:
// the ranks that share a rank's coordinates on every other axis.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_COMM_MESHSHAPE_H
#define WEFT_RUNTIME_COMM_MESHSHAPE_H

#include "runtime/Status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weft::proto {
class Mesh;
} // namespace weft::proto

namespace weft::rt {

/// One named axis of a mesh.
struct MeshAxis {
  std::string name; ///< [A-Za-z_][A-Za-z0-9_]*, unique in its mesh
  int64_t size = 1; ///< >= 1
};

/// A device mesh; no axes = one device. Ranks are numbered row-major over the
/// axes (last axis fastest): rank = sum_i coord_i * prod_{j>i} size_j.
class MeshShape {
public:
  /// One device (no axes).
  MeshShape() = default;

  /// Checks the axes (names valid and unique, sizes >= 1, at most 2^31-1
  /// ranks in all); INVALID_ARGUMENT naming the axis otherwise.
  static StatusOr<MeshShape> create(std::vector<MeshAxis> axes);
  /// Parses "dp=2,tp=4" (whitespace around names and numbers is ignored);
  /// the errors name the offending part: empty text, a missing '=', a bad
  /// name or number, a size < 1, a repeated axis.
  static StatusOr<MeshShape> parse(std::string_view text);
  /// The mesh of an Executable (runtime/executable.proto), checked as create().
  static StatusOr<MeshShape> fromProto(const proto::Mesh &mesh);

  const std::vector<MeshAxis> &axes() const { return axes_; }
  /// The number of ranks: the product of the axis sizes (1 without axes).
  int64_t numRanks() const { return numRanks_; }
  /// The index of axis `name`, or -1.
  int findAxis(std::string_view name) const;

  /// The coordinate of `rank` on each axis. `rank` must be in [0, numRanks).
  std::vector<int64_t> coordinates(int64_t rank) const;
  /// The rank at `coords` (one per axis, each within its axis).
  int64_t rankAt(const std::vector<int64_t> &coords) const;

  /// The number of ranks in a group over `axes`: the product of their sizes.
  int64_t groupSize(const std::vector<int> &axes) const;
  /// The world ranks that share `rank`'s coordinates on every axis not in
  /// `axes`, ordered row-major over `axes` in the order given (the first
  /// listed axis slowest). `axes` must be valid, distinct axis indices.
  std::vector<int64_t> groupOf(int64_t rank, const std::vector<int> &axes) const;
  /// The position of `rank` in groupOf(rank, axes).
  int64_t indexInGroup(int64_t rank, const std::vector<int> &axes) const;
  /// Which group over `axes` `rank` is in: its coordinates on the other axes,
  /// row-major (0 .. numRanks/groupSize - 1). Ranks of one group share it.
  int64_t groupColor(int64_t rank, const std::vector<int> &axes) const;
  /// "dp: ranks 0,2,4,6" (axes joined by '+'; "world" when `axes` is empty).
  std::string groupName(int64_t rank, const std::vector<int> &axes) const;

  /// "dp=2,tp=4"; "one device" without axes.
  std::string toString() const;

private:
  explicit MeshShape(std::vector<MeshAxis> axes, int64_t numRanks)
      : axes_(std::move(axes)), numRanks_(numRanks) {}

  std::vector<MeshAxis> axes_;
  int64_t numRanks_ = 1;
};

/// "0,1,2,3": the ranks of a group, as errors print them.
std::string rankList(const std::vector<int64_t> &ranks);

} // namespace weft::rt

#endif // WEFT_RUNTIME_COMM_MESHSHAPE_H

//===- Sharding.h - mesh and shard hints of the weft DSL --------*- C++ -*-===//
//
// This file implements the declarations of the DSL's parallel vocabulary,
// free of MLIR types: MeshSpec (the named axes of a device mesh, parsed from
// "dp=2,tp=2"), DimSplit / ShardSpec (how each dimension of a tensor is split
// over mesh axes, optionally per block for fused projections), and shard(),
// the hint that puts a layout on a tensor. Program::setMesh gives a program
// its mesh; a program without one runs on one device and ignores hints.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_SHARDING_H
#define WEFT_FRONTEND_SHARDING_H

#include "frontend/Types.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace weft {

class Tensor;

/// A logical mesh of devices: named axes with sizes, major to minor. Empty
/// (no axes) means one device.
struct MeshSpec {
  std::vector<std::pair<std::string, int64_t>> axes;

  /// Parses "dp=2,tp=2" (spaces around the parts are allowed). Throws
  /// DslError("mesh 'TEXT': error: ...") for empty text, a part without '=',
  /// a size that is not a whole number >= 1, a duplicate axis or a name
  /// that is not an identifier ([A-Za-z_][A-Za-z0-9_]*).
  static MeshSpec parse(const std::string &text);
  /// "dp=2,tp=2" ("" for one device).
  std::string str() const;
  /// The number of devices: the product of the sizes (1 when empty).
  int64_t size() const;
  /// True for one device (no axes).
  bool empty() const { return axes.empty(); }
  /// The size of axis `name`, 0 when the mesh has no such axis.
  int64_t axisSize(const std::string &name) const;
  /// True if the mesh has an axis `name`.
  bool has(const std::string &name) const { return axisSize(name) > 0; }
  /// The axis names joined by ", " (for messages).
  std::string axisNames() const;
};

/// How one tensor dimension is split: over `axes` (major to minor; none =
/// not split), within each of `blocks` equal blocks of the dimension (a
/// fused qkv projection [3C] split per block is `{{"tp"}, 3}`).
struct DimSplit {
  std::vector<std::string> axes;
  int64_t blocks = 1;
};

/// One DimSplit per tensor dimension.
using ShardSpec = std::vector<DimSplit>;

/// "[{dp}, {}, {tp} x 3]", the #weft.sharding spelling of `spec`.
std::string shardSpecStr(const ShardSpec &spec);

/// Requires the layout `spec` for `t` and returns the tensor to use from
/// here on. Without a mesh on the program it returns `t` unchanged. On a
/// parameter or input it sets the argument's `weft.sharding` (a second,
/// different hint on it throws) and returns `t`; on any other value it
/// emits weft.sharding_constraint and returns its result. Throws DslError
/// at `loc` for a rank mismatch, an axis the mesh lacks, an axis used
/// twice, blocks < 1, a dimension split more ways than it has elements or
/// blocks that do not divide it.
Tensor shard(const Tensor &t, const ShardSpec &spec, Loc loc = Loc::current());

} // namespace weft

#endif // WEFT_FRONTEND_SHARDING_H

//===- Reshard.h - collectives that move a value between shardings -*- C++ -*-===//
//
// This file declares the building blocks of weft-spmd-partition that change
// how a local value is split, each emitting weft ops at one location:
//   - resolving a pending partial sum (all_reduce, or reduce_scatter into a
//     split dimension);
//   - moving a split from one dimension to another over the same axes with
//     one all_to_all (the sequence <-> heads transition);
//   - all-gathering a split dimension back to whole (blocked splits gather
//     within each block; padding is cut off);
//   - cutting a whole dimension down to the rank's piece (padding first when
//     the dimension does not divide), using the rank's weft.axis_index;
//   - masking the padding of a split dimension with a reduction's identity;
//   - the rank's offset into a split dimension.
// Collectives are emitted along the leading dimension (transposes around
// them when a dimension before it is larger than one), as the runtime's
// collective steps work on contiguous blocks.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PARALLEL_RESHARD_H
#define WEFT_PASSES_PARALLEL_RESHARD_H

#include "ir/Sharding.h"
#include "ir/WeftDialect.h"
#include "ir/gradients/GradientUtils.h"

namespace weft::sharding {

class Resharder {
public:
  Resharder(grad::Emitter &e, MeshAttr mesh) : e_(e), mesh_(mesh) {}

  /// `local` (a local value split as `from`, which may hold a partial sum)
  /// as the local value split as `to` (no partial); `globalShape` is the
  /// value's shape in the global program.
  mlir::Value reshard(mlir::Value local, ShardingAttr from, ShardingAttr to,
                      llvm::ArrayRef<int64_t> globalShape);

  /// Sums a partial value over `axes` on every rank.
  mlir::Value allReduce(mlir::Value local, llvm::ArrayRef<mlir::StringAttr> axes, ReduceKind kind);

  /// Dimension `dim` (global size `size`, split as `split`) gathered whole.
  mlir::Value gatherDim(mlir::Value local, int64_t dim, DimShardingAttr split, int64_t size);
  /// The split of dimension `src` (over `split`, one block; global size
  /// `srcSize`) moved to dimension `dst` (whole) with one all_to_all: `src`
  /// comes back whole, `dst` as this rank's piece of `split`.
  mlir::Value moveSplit(mlir::Value local, int64_t src, int64_t dst, DimShardingAttr split,
                        int64_t srcSize);
  /// Dimension `dim` (whole) cut to this rank's piece of `split`.
  mlir::Value sliceDim(mlir::Value local, int64_t dim, DimShardingAttr split);

  /// The rank's index in the group of `axes` (a tensor<i64> scalar).
  mlir::Value axisIndex(llvm::ArrayRef<mlir::StringAttr> axes);
  /// A tensor like `local` holding, along `dim`, each element's global index
  /// (i64) under `split` (global size `size`).
  mlir::Value globalIndices(mlir::Value local, int64_t dim, DimShardingAttr split, int64_t size);
  /// `local` with the padding of dimension `dim` (split unevenly as `split`,
  /// global size `size`) replaced by `identity`; unchanged when not padded.
  mlir::Value maskPadding(mlir::Value local, int64_t dim, DimShardingAttr split, int64_t size,
                          double identity);

private:
  /// Runs `collective` on `v` with dimension `dim` moved to the front when a
  /// dimension before it is larger than one, and moves it back.
  mlir::Value alongLeading(mlir::Value v, int64_t dim,
                           llvm::function_ref<mlir::Value(mlir::Value, int64_t)> collective);
  /// `v` with dimension `dim` viewed as [blocks, n / blocks] (when blocks > 1)
  /// while `fn` transforms the inner one, then merged back.
  mlir::Value withinBlocks(mlir::Value v, int64_t dim, int64_t blocks,
                           llvm::function_ref<mlir::Value(mlir::Value, int64_t)> fn);
  mlir::Value reduceScatter(mlir::Value local, int64_t dim, llvm::ArrayRef<mlir::StringAttr> axes);

  grad::Emitter &e_;
  MeshAttr mesh_;
};

} // namespace weft::sharding

#endif // WEFT_PASSES_PARALLEL_RESHARD_H

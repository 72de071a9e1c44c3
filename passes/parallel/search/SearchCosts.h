//===- SearchCosts.h - seconds of a local op and of a resharding -*- C++ -*-===//
//
// This file declares the two costs the strategy search adds up, both from a
// cost::ClusterSpec:
//   - an op under a strategy: its local FLOPs (the global count of
//     passes/analysis/CostModel.h divided by the strategy's ways) and local
//     bytes priced by cost/KernelCost.h (the longer of compute and memory
//     time, plus one launch; a GEMM's rate at its local shape where the
//     device has a measured grid); ops that move no data (reshape,
//     constants) cost nothing;
//   - a value moved from one sharding to another: the collectives the
//     partitioner emits for it (Reshard.h), each costed by cost/
//     CollectiveCost.h on its mesh axes: a pending sum is reduce-scattered
//     into a dimension the target splits over the same axes, else
//     all-reduced; then, axis by axis, a split that moves to another
//     dimension is an all_to_all, a split the target lacks an all_gather,
//     and a split only the target has a local slice (a copy of the piece).
//     Slices are taken before gathers, so each collective moves the fewest
//     bytes.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PARALLEL_SEARCH_SEARCHCOSTS_H
#define WEFT_PASSES_PARALLEL_SEARCH_SEARCHCOSTS_H

#include "cost/ClusterSpec.h"
#include "cost/CollectiveCost.h"
#include "ir/Sharding.h"
#include "passes/parallel/search/StrategySpace.h"

#include <string>
#include <vector>

namespace weft::search {

/// The cost::MeshAxes of `mesh`.
cost::MeshAxes meshAxesOf(MeshAttr mesh);

/// Seconds `op` takes on one device under `strategy`.
double opSeconds(mlir::Operation *op, const OpStrategy &strategy, MeshAttr mesh,
                 const cost::ClusterSpec &cluster);

/// Seconds `op` takes as it stands (its own shapes, nothing split): what an
/// op of an already partitioned program costs; `coldBytes` of what it reads
/// come from DRAM (cost::KernelWork::coldBytes).
double localOpSeconds(mlir::Operation *op, const cost::ClusterSpec &cluster, double coldBytes = 0);

/// Bytes one device holds of a tensor of `type` laid out as `s`.
double localBytes(mlir::RankedTensorType type, ShardingAttr s, MeshAttr mesh);

/// What turning a value from one layout into another costs.
struct ReshardCost {
  double seconds = 0;
  double wireBytes = 0;           // bytes one device sends (ring formulas)
  std::vector<std::string> steps; // "all_reduce over {tp}", "local slice", ...
};

/// The collectives that turn a tensor of `type` held as `from` (possibly
/// partial) into `to` (not partial), and their cost.
ReshardCost reshardCost(mlir::RankedTensorType type, ShardingAttr from, ShardingAttr to, MeshAttr mesh,
                        const cost::ClusterSpec &cluster);
/// reshardCost(...).seconds.
double reshardSeconds(mlir::RankedTensorType type, ShardingAttr from, ShardingAttr to, MeshAttr mesh,
                      const cost::ClusterSpec &cluster);

} // namespace weft::search

#endif // WEFT_PASSES_PARALLEL_SEARCH_SEARCHCOSTS_H

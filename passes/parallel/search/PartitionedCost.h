//===- PartitionedCost.h - what one rank's program costs ---------*- C++ -*-===//
//
// This file declares the cost model applied to the program weft-spmd-
// partition produced (one rank's, local shapes): every op at its local size
// (the same max(FLOPs / rate, bytes / bandwidth) + launch as the search's
// ops, SearchCosts.h) and every collective by the alpha-beta formulas on its
// mesh axes' link. Since it sees the program in order, it knows which
// operands were touched long ago (a reuse distance beyond the caches,
// cost::cacheBytes): those bytes move at the DRAM rate (AdamW's moments,
// activations saved for the backward pass), the rest at the bandwidth
// curve's rate. Unlike the search's prediction, it sees what the
// partitioner actually emitted — including the backward pass and optimizer
// as propagation laid them out — so plans can be compared by the programs
// they become. Its memory is the compiler's own memory plan of that program
// (weft-schedule's order, weft-plan-memory's arena), so a plan's predicted
// peak is the one the compiled step will need.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PARALLEL_SEARCH_PARTITIONEDCOST_H
#define WEFT_PASSES_PARALLEL_SEARCH_PARTITIONEDCOST_H

#include "cost/ClusterSpec.h"
#include "ir/Sharding.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <functional>
#include <optional>

namespace weft::search {

struct PartitionedCost {
  double computeSeconds = 0, communicationSeconds = 0;
  double wireBytes = 0;   // what one rank sends
  int64_t collectives = 0;
  double seconds() const { return computeSeconds + communicationSeconds; }
};

/// What one op of the program costs: its seconds, and for a collective the
/// bytes one rank sends (0 for compute).
using OpCostVisitor = std::function<void(mlir::Operation *op, double seconds, double wireBytes)>;

/// The cost of the partitioned function `local` on `mesh` (null: a program
/// for one device, which has no collectives); `visit`, when set, sees every
/// op's share.
PartitionedCost partitionedCost(mlir::func::FuncOp local, MeshAttr mesh, const cost::ClusterSpec &cluster,
                                const OpCostVisitor &visit = nullptr);

/// One rank's device memory under the compiler's memory plan, in bytes:
/// parameters and optimizer state (their own storage) and the arena
/// (activations, gradients, temporaries, inputs and outputs at the peak of
/// the op order, packed as weft-plan-memory packs them).
struct PlannedMemory {
  double parameters = 0, state = 0, arena = 0;
  double total() const { return parameters + state + arena; }
};

/// The memory plan of the partitioned, scheduled function `local` with
/// buffers aligned to `alignment`; nullopt (with a diagnostic at the
/// offending value) when a buffer's size is unknown.
std::optional<PlannedMemory> plannedMemory(mlir::func::FuncOp local, int64_t alignment);

} // namespace weft::search

#endif // WEFT_PASSES_PARALLEL_SEARCH_PARTITIONEDCOST_H

//===- ZeroSharding.h - how ZeRO splits a parameter's optimizer data -*- C++ -*-===//
//
// This file declares the split ZeRO (optimizer parallelism) gives a
// parameter's optimizer state, and at levels 2 and 3 its gradient and the
// parameter itself: the parameter's own sharding with the data-parallel axis
// added to the first dimension that can take it, so the state of a
// tensor-parallel parameter is split over both axes.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PARALLEL_ZEROSHARDING_H
#define WEFT_PASSES_PARALLEL_ZEROSHARDING_H

#include "ir/Sharding.h"

namespace weft::sharding {

/// `param` (the parameter's sharding, rank of `type`) with `axis` appended to
/// the axes of the first dimension that is not split in blocks, does not use
/// the axis already, and has at least as many elements as ways; `param`
/// itself when no dimension can take it (scalars, small vectors).
ShardingAttr zeroSharding(ShardingAttr param, mlir::RankedTensorType type, MeshAttr mesh,
                          mlir::StringAttr axis);

} // namespace weft::sharding

#endif // WEFT_PASSES_PARALLEL_ZEROSHARDING_H

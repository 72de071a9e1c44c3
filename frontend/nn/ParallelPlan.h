//===- ParallelPlan.h - how nn modules split over a mesh --------*- C++ -*-===//
//
// This file implements the declarations of the parallel styles of the nn
// modules, in the Megatron / MindSpore way: a Linear is column-parallel
// (its output features split), row-parallel (its input features split, the
// product a partial sum) or not split, over a named mesh axis; an Embedding
// is vocabulary-parallel; a ParallelPlan says which axis carries data
// parallelism, which one tensor parallelism, and whether the residual stream
// is split along the sequence between sublayers (Megatron's sequence
// parallelism). A style whose axis the program's mesh lacks is a no-op, so
// one model definition runs on one device and on any mesh.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_NN_PARALLELPLAN_H
#define WEFT_FRONTEND_NN_PARALLELPLAN_H

#include "frontend/Program.h"
#include "frontend/Sharding.h"

#include <string>

namespace weft::nn {

/// How a Linear layer splits over a mesh axis.
enum class ParallelStyle {
  None,   ///< replicated
  Column, ///< output features split (weight's out dimension, bias)
  Row,    ///< input features split (weight's in dimension); a partial sum
};

/// A Linear's parallel style over `axis`; `blocks` > 1 splits the output
/// within each of that many blocks (a fused qkv projection: Column, 3).
struct LinearParallel {
  ParallelStyle style = ParallelStyle::None;
  std::string axis;
  int64_t blocks = 1;
};

/// How the transformer modules split: data parallelism over `dataAxis`
/// (the batch), Megatron tensor parallelism over `tensorAxis` (qkv and fc
/// column-parallel, the projections row-parallel, the embedding
/// vocabulary-parallel) and, with `sequenceParallel`, the residual stream
/// split along the sequence over `tensorAxis` at the LayerNorms. "" = none.
struct ParallelPlan {
  std::string dataAxis;
  std::string tensorAxis;
  bool sequenceParallel = false;

  /// True when the plan splits nothing.
  bool empty() const { return dataAxis.empty() && tensorAxis.empty(); }
};

/// True if the program's mesh has axis `axis` ("" never).
bool meshHas(const Program &p, const std::string &axis);

/// The spec of a rank-`rank` tensor with dimension `dim` split over `axis`
/// in `blocks` blocks and every other dimension whole.
ShardSpec splitDim(int64_t rank, int64_t dim, const std::string &axis, int64_t blocks = 1);

/// Hints `t` with splitDim(t.rank(), dim, axis, blocks) when the program's
/// mesh has `axis`; returns the tensor to use (unchanged otherwise).
Tensor shardDimIfMesh(Program &p, const Tensor &t, int64_t dim, const std::string &axis,
                      int64_t blocks = 1, Loc loc = Loc::current());

/// The sequence-parallel layout of a residual stream [B, T, C] under `plan`
/// on `p`'s mesh: [{dataAxis}, {tensorAxis}, {}] (axes the mesh lacks left
/// out); empty when the plan is not sequence parallel or the mesh has no
/// tensorAxis.
ShardSpec sequenceSplit(const Program &p, const ParallelPlan &plan);

} // namespace weft::nn

#endif // WEFT_FRONTEND_NN_PARALLELPLAN_H

//===- Strategies.h - named parallel strategies -----------------*- C++ -*-===//
//
// This file declares the parallel strategies the command line names
// (`--strategy dp,tp`) and the ParallelPlan each stands for on a mesh:
//   none   one device's program on every rank (nothing split)
//   dp     data parallelism over the mesh axis "dp" (the batch split)
//   tp     Megatron tensor parallelism over "tp" (column/row-parallel layers,
//          vocabulary-parallel embedding)
//   sp     tp plus Megatron sequence parallelism over "tp"
//   dp,tp  both (also "tp,dp"); "dp,sp" likewise
// and the default strategy of a mesh from its axis names.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_MODELS_CATALOG_STRATEGIES_H
#define WEFT_MODELS_CATALOG_STRATEGIES_H

#include "frontend/Sharding.h"
#include "frontend/nn/ParallelPlan.h"

#include <string>

namespace weft {

/// The strategy names, for help texts and errors.
const char *strategyNames();

/// The plan of strategy `name` on `mesh`. Throws std::invalid_argument for
/// an unknown name (listing the known ones) or a strategy whose axis the mesh
/// lacks ("strategy tp needs a mesh axis 'tp'; the mesh is dp=2").
nn::ParallelPlan strategyPlan(const std::string &name, const MeshSpec &mesh);

/// The strategy a mesh implies when none is named: "dp" for an axis dp,
/// "tp" for tp, "dp,tp" for both, "none" for one device. Throws
/// std::invalid_argument for a mesh with other axes.
std::string defaultStrategy(const MeshSpec &mesh);

} // namespace weft

#endif // WEFT_MODELS_CATALOG_STRATEGIES_H

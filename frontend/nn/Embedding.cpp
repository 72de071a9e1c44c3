//===- Embedding.cpp - lookup table ---------------------------------------===//
//
// This file implements nn::Embedding as one weft.gather of the table, the
// table hinted vocabulary-parallel when asked.
//
//===----------------------------------------------------------------------===//

#include "frontend/nn/Embedding.h"
#include "frontend/Ops.h"
#include "frontend/nn/Module.h"
#include "frontend/nn/ParallelPlan.h"

namespace weft::nn {

Embedding::Embedding(Program &p, const std::string &name, int64_t num,
                     int64_t dim, Init init, const std::string &vocabAxis, Loc loc)
    : num(num), dim(dim), program_(&p) {
  ModuleCall call(p, loc);
  auto scope = openScope(p, name);
  weight = shardDimIfMesh(p, p.param("weight", {num, dim}, init), 0, vocabAxis);
}

Tensor Embedding::operator()(const Tensor &ids, Loc loc) const {
  ModuleCall call(*program_, loc);
  return gather(weight, ids);
}

} // namespace weft::nn

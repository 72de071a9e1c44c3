//===- Embedding.cpp - lookup table ---------------------------------------===//
//
// This file implements nn::Embedding as one weft.gather of the table.
//
//===----------------------------------------------------------------------===//

#include "frontend/nn/Embedding.h"
#include "frontend/Ops.h"
#include "frontend/nn/Module.h"

namespace weft::nn {

Embedding::Embedding(Program &p, const std::string &name, int64_t num,
                     int64_t dim, Init init, Loc loc)
    : num(num), dim(dim), program_(&p) {
  ModuleCall call(p, loc);
  auto scope = openScope(p, name);
  weight = p.param("weight", {num, dim}, init);
}

Tensor Embedding::operator()(const Tensor &ids, Loc loc) const {
  ModuleCall call(*program_, loc);
  return gather(weight, ids);
}

} // namespace weft::nn

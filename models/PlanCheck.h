//===- PlanCheck.h - does a parallel plan fit a model -----------*- C++ -*-===//
//
// This file implements the declaration of the check the transformer models
// (GPT-2, LLaMA) share before splitting a program over a mesh: the plan's
// axes exist on the mesh and each split size divides what it splits.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_MODELS_PLANCHECK_H
#define WEFT_MODELS_PLANCHECK_H

#include "frontend/Sharding.h"
#include "frontend/nn/ParallelPlan.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace weft::models {

/// Throws DslError("<who>: error: ...") naming the numbers when `plan` does
/// not fit `mesh`: an axis of the plan the mesh lacks, a data-parallel size
/// that does not divide `batch`, a tensor-parallel size that does not divide
/// one of `tensorSplit` ({size, "what it is"}), sequence parallelism whose
/// size does not divide `seq`. Nothing with an empty mesh.
void checkPlanFits(const char *who, int batch, int seq,
                   const std::vector<std::pair<int64_t, std::string>> &tensorSplit,
                   const nn::ParallelPlan &plan, const MeshSpec &mesh);

} // namespace weft::models

#endif // WEFT_MODELS_PLANCHECK_H

//===- PlanCheck.cpp - does a parallel plan fit a model -------------------===//
//
// This file implements checkPlanFits (see PlanCheck.h).
//
//===----------------------------------------------------------------------===//

#include "models/PlanCheck.h"

#include "frontend/DslError.h"

namespace weft::models {

void checkPlanFits(const char *who, int batch, int seq,
                   const std::vector<std::pair<int64_t, std::string>> &tensorSplit,
                   const nn::ParallelPlan &plan, const MeshSpec &mesh) {
  if (mesh.empty())
    return;
  auto fail = [&](const std::string &message) {
    throw DslError(std::string(who) + ": error: " + message);
  };
  auto need = [&](const std::string &axis, const char *role) {
    if (!axis.empty() && !mesh.has(axis))
      fail(std::string(role) + " parallelism is over the axis '" + axis + "' but the mesh " +
           mesh.str() + " has none; its axes are " + mesh.axisNames());
    return axis.empty() ? int64_t(1) : mesh.axisSize(axis);
  };
  int64_t dp = need(plan.dataAxis, "data"), tp = need(plan.tensorAxis, "tensor");
  auto divides = [&](int64_t ways, const std::string &axis, int64_t n, const std::string &what) {
    if (n % ways != 0)
      fail(what + " (" + std::to_string(n) + ") is not divisible by the " + axis + " size " +
           std::to_string(ways) + " of the mesh " + mesh.str() + "; choose a mesh whose " +
           axis + " divides it");
  };
  divides(dp, plan.dataAxis, batch, "the batch");
  for (const auto &[n, what] : tensorSplit)
    divides(tp, plan.tensorAxis, n, what);
  if (plan.sequenceParallel)
    divides(tp, plan.tensorAxis, seq, "the sequence length");
}

} // namespace weft::models

//===- Mlp.cpp - a multi-layer perceptron in the weft DSL -----------------===//
//
// This file implements the MLP model builder with nn::Linear layers and its
// parallel plan.
//
//===----------------------------------------------------------------------===//

#include "models/Mlp.h"

#include "frontend/DslError.h"
#include "frontend/nn/Linear.h"

namespace weft::models {

Program buildMlp(int batch, std::vector<int> widths, nn::Activation act,
                 const nn::ParallelPlan &plan, const MeshSpec &mesh) {
  if (batch < 1 || widths.size() < 2)
    throw DslError("buildMlp: error: need batch >= 1 and at least two widths "
                   "(input and output), got batch " + std::to_string(batch) +
                   " and " + std::to_string(widths.size()) + " widths");
  for (int w : widths)
    if (w < 1)
      throw DslError("buildMlp: error: every width must be positive, got " +
                     std::to_string(w));
  for (const std::string &axis : {plan.dataAxis, plan.tensorAxis})
    if (!mesh.empty() && !axis.empty() && !mesh.has(axis))
      throw DslError("buildMlp: error: the plan splits over the axis '" + axis +
                     "' but the mesh " + mesh.str() + " has none; its axes are " +
                     mesh.axisNames());
  if (int64_t dp = mesh.axisSize(plan.dataAxis); dp > 1 && batch % dp != 0)
    throw DslError("buildMlp: error: the batch (" + std::to_string(batch) +
                   ") is not divisible by the " + plan.dataAxis + " size " +
                   std::to_string(dp) + " of the mesh " + mesh.str());
  Program p;
  p.setMesh(mesh);
  Tensor x = nn::shardDimIfMesh(p, p.input("x", {batch, widths.front()}), 0, plan.dataAxis);
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    nn::LinearOptions options;
    options.parallel = {i % 2 ? nn::ParallelStyle::Row : nn::ParallelStyle::Column,
                        plan.tensorAxis};
    nn::Linear fc(p, "fc" + std::to_string(i), widths[i], widths[i + 1], options);
    x = fc(x);
    if (i + 2 < widths.size())
      x = nn::activate(x, act);
  }
  p.output("y", x);
  return p;
}

} // namespace weft::models

//===- Mlp.h - a multi-layer perceptron in the weft DSL ---------*- C++ -*-===//
//
// This file implements the declaration of the MLP model builder: a stack of
// Linear layers with an activation between them, optionally on a mesh:
// the batch over the plan's data axis, the layers in Megatron pairs
// (column-parallel, then row-parallel) over its tensor axis.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_MODELS_MLP_H
#define WEFT_MODELS_MLP_H

#include "frontend/Program.h"
#include "frontend/nn/Activation.h"
#include "frontend/nn/ParallelPlan.h"

#include <vector>

namespace weft::models {

/// Input "x" [batch, widths[0]], output "y" [batch, widths.back()]; layer i
/// is Linear "fc<i>" (weight [widths[i+1], widths[i]], torch layout, bias)
/// followed by `act` except after the last layer. Needs >= 2 widths. With a
/// non-empty `mesh`: x split over `plan.dataAxis` (which must divide the
/// batch), even layers column-parallel and odd ones row-parallel over
/// `plan.tensorAxis`.
Program buildMlp(int batch, std::vector<int> widths,
                 nn::Activation act = nn::Activation::Relu,
                 const nn::ParallelPlan &plan = {}, const MeshSpec &mesh = {});

} // namespace weft::models

#endif // WEFT_MODELS_MLP_H

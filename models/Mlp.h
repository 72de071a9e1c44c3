//===- Mlp.h - a multi-layer perceptron in the weft DSL ---------*- C++ -*-===//
//
// This file implements the declaration of the MLP model builder: a stack of
// Linear layers with an activation between them.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_MODELS_MLP_H
#define WEFT_MODELS_MLP_H

#include "frontend/Program.h"
#include "frontend/nn/Activation.h"

#include <vector>

namespace weft::models {

/// Input "x" [batch, widths[0]], output "y" [batch, widths.back()]; layer i
/// is Linear "fc<i>" (weight [widths[i+1], widths[i]], torch layout, bias)
/// followed by `act` except after the last layer. Needs >= 2 widths.
Program buildMlp(int batch, std::vector<int> widths,
                 nn::Activation act = nn::Activation::Relu);

} // namespace weft::models

#endif // WEFT_MODELS_MLP_H

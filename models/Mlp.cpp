//===- Mlp.cpp - a multi-layer perceptron in the weft DSL -----------------===//
//
// This file implements the MLP model builder with nn::Linear layers.
//
//===----------------------------------------------------------------------===//

#include "models/Mlp.h"

#include "frontend/DslError.h"
#include "frontend/nn/Linear.h"

namespace weft::models {

Program buildMlp(int batch, std::vector<int> widths, nn::Activation act) {
  if (batch < 1 || widths.size() < 2)
    throw DslError("buildMlp: error: need batch >= 1 and at least two widths "
                   "(input and output), got batch " + std::to_string(batch) +
                   " and " + std::to_string(widths.size()) + " widths");
  for (int w : widths)
    if (w < 1)
      throw DslError("buildMlp: error: every width must be positive, got " +
                     std::to_string(w));
  Program p;
  Tensor x = p.input("x", {batch, widths.front()});
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    nn::Linear fc(p, "fc" + std::to_string(i), widths[i], widths[i + 1]);
    x = fc(x);
    if (i + 2 < widths.size())
      x = nn::activate(x, act);
  }
  p.output("y", x);
  return p;
}

} // namespace weft::models

//===- Activation.h - selectable activation functions -----------*- C++ -*-===//
//
// This file implements the activation choice used by the MLP modules and
// models: one enum and a function applying it with the DSL's unary ops.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_NN_ACTIVATION_H
#define WEFT_FRONTEND_NN_ACTIVATION_H

#include "frontend/Tensor.h"

#include <string>

namespace weft::nn {

/// An elementwise activation.
enum class Activation {
  Relu,     ///< max(x, 0)
  Gelu,     ///< exact GELU (erf); Hugging Face "gelu"
  GeluTanh, ///< tanh approximation; Hugging Face "gelu_new" (GPT-2)
  FastGelu, ///< x * sigmoid(1.702 x)
  Silu,     ///< x * sigmoid(x); Hugging Face "silu" (LLaMA's SwiGLU gate)
};

/// Applies `act` to `x` (one weft op; Silu: sigmoid then mul).
Tensor activate(const Tensor &x, Activation act, Loc loc = Loc::current());

/// Parses a Hugging Face activation_function name ("relu", "gelu",
/// "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "quick_gelu", "silu"); returns false
/// for an unknown name.
bool parseActivation(const std::string &name, Activation &out);

} // namespace weft::nn

#endif // WEFT_FRONTEND_NN_ACTIVATION_H

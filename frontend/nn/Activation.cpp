//===- Activation.cpp - selectable activation functions -------------------===//
//
// This file implements applying and parsing the activation choice.
//
//===----------------------------------------------------------------------===//

#include "frontend/nn/Activation.h"
#include "frontend/Ops.h"

namespace weft::nn {

Tensor activate(const Tensor &x, Activation act, Loc loc) {
  switch (act) {
  case Activation::Relu: return relu(x, loc);
  case Activation::Gelu: return gelu(x, loc);
  case Activation::GeluTanh: return gelu_tanh(x, loc);
  case Activation::FastGelu: return fast_gelu(x, loc);
  case Activation::Silu: return mul(x, sigmoid(x, loc), loc);
  }
  return gelu_tanh(x, loc);
}

bool parseActivation(const std::string &name, Activation &out) {
  if (name == "relu")
    out = Activation::Relu;
  else if (name == "gelu")
    out = Activation::Gelu;
  else if (name == "gelu_new" || name == "gelu_pytorch_tanh" ||
           name == "gelu_fast")
    out = Activation::GeluTanh;
  else if (name == "quick_gelu")
    out = Activation::FastGelu;
  else if (name == "silu")
    out = Activation::Silu;
  else
    return false;
  return true;
}

} // namespace weft::nn

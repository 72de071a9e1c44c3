//===- Linear.h - affine layer ----------------------------------*- C++ -*-===//
//
// This file implements nn::Linear, y = x W (+ b), with either weight layout:
// Hugging Face Conv1D's [in, out] (GPT-2) or torch.nn.Linear's [out, in]
// (applied as a matmul with the weight transposed), column- or row-parallel
// over a mesh axis (LinearOptions::parallel), and with LoRA adapters when
// the program's LoRA config (Program::setLora) names it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_NN_LINEAR_H
#define WEFT_FRONTEND_NN_LINEAR_H

#include "frontend/Program.h"
#include "frontend/nn/ParallelPlan.h"

#include <string>

namespace weft::nn {

/// How the weight matrix is stored.
enum class WeightLayout {
  InOut, ///< [in, out], y = x W + b (Hugging Face Conv1D, GPT-2)
  OutIn, ///< [out, in], y = x W^T + b (torch.nn.Linear)
};

/// Options of a Linear layer.
struct LinearOptions {
  WeightLayout layout = WeightLayout::OutIn;
  bool bias = true;
  Init weightInit = Init::normal(0.02);
  Init biasInit = Init::zeros();
  /// Column- or row-parallel over a mesh axis (shard hints on the weight and
  /// bias when the program's mesh has the axis; nothing otherwise).
  LinearParallel parallel;
};

/// The options of a transformer projection: `layout`, weights drawn from
/// `init`, a bias, parallel style `parallel`.
LinearOptions projectionOptions(WeightLayout layout, Init init, LinearParallel parallel = {});

/// An affine layer over the last dimension; parameters "<name>.weight" and
/// "<name>.bias".
class Linear {
public:
  /// Creates the parameters under scope `name` (may be dotted or empty).
  Linear(Program &p, const std::string &name, int64_t in, int64_t out,
         LinearOptions options = {}, Loc loc = Loc::current());

  /// x [..., in] -> [..., out]. Inputs of rank > 2 are flattened to
  /// [N, in] for the matmul and reshaped back.
  Tensor operator()(const Tensor &x, Loc loc = Loc::current()) const;

  Tensor weight;
  /// Empty when options.bias is false.
  Tensor bias;
  /// The LoRA adapter's A [r, in] and B [out, r] (PEFT's shapes in either
  /// weight layout); empty unless the program's LoRA config targets `path`.
  Tensor loraA, loraB;
  int64_t in, out;
  /// The full scoped name, e.g. "h.0.attn.c_attn".
  std::string path;

private:
  Program *program_;
  LinearOptions options_;
  /// The random stream of this adapter's dropout.
  int64_t dropoutStream_ = 0;
};

} // namespace weft::nn

#endif // WEFT_FRONTEND_NN_LINEAR_H

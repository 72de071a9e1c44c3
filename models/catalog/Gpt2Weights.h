//===- Gpt2Weights.h - Hugging Face GPT-2 weights into an Executor -*- C++ -*-//
//
// This file declares the binding of a Hugging Face GPT-2 safetensors file to
// the parameters of a compiled weft GPT-2: names with or without the
// "transformer." prefix, Conv1D weights as stored ([in, out]), buffers such as
// h.N.attn.bias ignored, lm_head tied to wte.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_MODELS_CATALOG_GPT2WEIGHTS_H
#define WEFT_MODELS_CATALOG_GPT2WEIGHTS_H

#include "frontend/Types.h"
#include "runtime/Executor.h"

#include <string>
#include <vector>

namespace weft {

/// Sets every parameter in `params` on `executor` from the safetensors file at
/// `path` (by name; any program's weights load this way, GPT-2's with HF's
/// quirks). f16/bf16 tensors are widened to f32. On a mesh each rank copies
/// only its own piece of a split weight out of the mapped file (no
/// collective). A missing tensor or a shape mismatch is an error naming the
/// tensor (and both shapes).
rt::Status loadGpt2Weights(const std::string &path,
                           const std::vector<ParamSpec> &params,
                           rt::Executor &executor);

/// Widens an f16 or bf16 tensor to f32 (f32 passes through);
/// INVALID_ARGUMENT naming tensor `name` for any other dtype.
rt::StatusOr<rt::HostTensor> widenToF32(rt::HostTensor t, const std::string &name);

} // namespace weft

#endif // WEFT_MODELS_CATALOG_GPT2WEIGHTS_H

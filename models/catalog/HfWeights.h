//===- HfWeights.h - Hugging Face weights into an Executor ------*- C++ -*-===//
//
// This file declares the binding of Hugging Face safetensors weights (one
// file, or a sharded checkpoint with its model.safetensors.index.json) to the
// parameters of a compiled weft program by name: GPT-2's names with or
// without the "transformer." prefix, Conv1D weights as stored ([in, out]),
// buffers such as h.N.attn.bias ignored, lm_head tied to wte; LLaMA's names
// as they are (model.layers.N.self_attn.q_proj.weight [out, in], ...).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_MODELS_CATALOG_HFWEIGHTS_H
#define WEFT_MODELS_CATALOG_HFWEIGHTS_H

#include "frontend/Types.h"
#include "runtime/Executor.h"

#include <string>
#include <vector>

namespace weft {

/// Sets every parameter in `params` on `executor` from the weights at `path`
/// (rt::SafetensorsCheckpoint::open: a .safetensors file, an index .json, or
/// a directory holding either), by name; any program's weights load this
/// way, GPT-2's with HF's quirks. Tensors the program does not use are
/// ignored. f16/bf16 tensors are widened to f32. On a mesh each rank copies
/// only its own piece of a split weight out of the mapped file (no
/// collective). A tensor missing from every file or a shape mismatch is an
/// error naming the tensor (and both shapes).
rt::Status loadHfWeights(const std::string &path,
                         const std::vector<ParamSpec> &params,
                         rt::Executor &executor);

/// Widens an f16 or bf16 tensor to f32 (f32 passes through);
/// INVALID_ARGUMENT naming tensor `name` for any other dtype.
rt::StatusOr<rt::HostTensor> widenToF32(rt::HostTensor t, const std::string &name);

} // namespace weft

#endif // WEFT_MODELS_CATALOG_HFWEIGHTS_H

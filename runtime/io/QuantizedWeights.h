//===- QuantizedWeights.h - int8 weights: bind, save, load ------*- C++ -*-===//
//
// This file declares how weight-only int8 parameters meet the files. A
// program compiled with --quantize int8-weight (weft-quantize-weights) has,
// for each quantized f32 weight NAME, the parameters NAME.q8 (i8, NAME's
// shape and layout) and NAME.scale (f32 [N], one per output channel). Then:
//   - an f32 weight set by its original NAME is quantized on the host
//     (runtime/cpu/Quantize.h), its output channels read off the program's
//     Gemm that uses NAME.q8 (b [k, n]: columns; transposed b [n, k]: rows;
//     a tied embedding table under an int8 LM head is held only so, its
//     lookup gathering NAME.q8's rows and NAME.scale's entries);
//   - saveParameters writes every parameter of the program (the quantized
//     pairs and the f32 rest) to a safetensors file with the metadata
//     weft.quantize = int8-weight and weft.model = a description of the model
//     (its config), and loadQuantizedParameters reads such a file back,
//     refusing one written for another model or another quantization.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_IO_QUANTIZEDWEIGHTS_H
#define WEFT_RUNTIME_IO_QUANTIZEDWEIGHTS_H

#include "runtime/Executor.h"
#include "runtime/io/Safetensors.h"

#include <string>

namespace weft::rt {

/// The metadata key that names a file's quantization ("int8-weight").
inline constexpr const char *kQuantizeMetadataKey = "weft.quantize";
/// The metadata key that describes the model a file's weights belong to.
inline constexpr const char *kModelMetadataKey = "weft.model";

/// Whether `executor` holds NAME as an int8 pair (NAME.q8 and NAME.scale).
bool isInt8Weight(const Executor &executor, const std::string &name);

/// Quantizes the f32 `value` of weight `name` (its original shape) into
/// NAME.q8 and NAME.scale. INVALID_ARGUMENT for another dtype or shape,
/// NOT_FOUND when `name` is not an int8 weight of the program.
Status setInt8Weight(Executor &executor, const std::string &name, const HostTensor &value);

/// Sets weight `name` from its f32 `value` in the form the program holds it:
/// an int8 pair (quantized, setInt8Weight), bf16 or f16 (rounded to nearest
/// even: a program compiled with --precision bf16/f16), or f32 as it is.
Status setWeightFromF32(Executor &executor, const std::string &name, const HostTensor &value);

/// Writes every parameter of `executor` to `path` (atomically) with the
/// metadata weft.quantize = `quantize` (when not empty) and weft.model =
/// `model`.
Status saveParameters(const Executor &executor, const std::string &path,
                      const std::string &quantize, const std::string &model);

/// Sets every parameter of `executor` from `file`, a file saveParameters
/// wrote: its weft.quantize must be `quantize` and its weft.model `model`
/// (else INVALID_ARGUMENT naming both), and each parameter must be there with
/// the program's dtype and shape (else NOT_FOUND / INVALID_ARGUMENT naming
/// the tensor).
Status loadQuantizedParameters(const SafetensorsFile &file, Executor &executor,
                               const std::string &quantize, const std::string &model);

} // namespace weft::rt

#endif // WEFT_RUNTIME_IO_QUANTIZEDWEIGHTS_H

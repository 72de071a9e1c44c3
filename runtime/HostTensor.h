//===- HostTensor.h - dense tensors in host memory --------------*- C++ -*-===//
//
// This file implements HostTensor: a dtype, a row-major shape and the bytes,
// owned. It is what callers hand to the runtime (inputs, parameters) and get
// back (outputs), and what the .npy and safetensors readers produce.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_HOSTTENSOR_H
#define WEFT_RUNTIME_HOSTTENSOR_H

#include "runtime/executable.pb.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace weft::rt {

using DType = weft::proto::DType;

/// Bytes per element of `dtype` (I1 is stored as one byte); 0 for invalid.
size_t dtypeSize(DType dtype);
/// "f32", "bf16", "i64", ...
const char *dtypeName(DType dtype);
/// "[2, 3]"
std::string shapeString(const std::vector<int64_t> &shape);
/// Product of the dimensions (1 for a scalar).
int64_t numElements(const std::vector<int64_t> &shape);

/// A dense row-major tensor that owns its bytes.
struct HostTensor {
  DType dtype = weft::proto::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  HostTensor() = default;
  HostTensor(DType dtype, std::vector<int64_t> shape)
      : dtype(dtype), shape(std::move(shape)),
        bytes(rt::numElements(this->shape) * dtypeSize(dtype)) {}

  int64_t numElements() const { return rt::numElements(shape); }
  template <typename T> T *data() { return reinterpret_cast<T *>(bytes.data()); }
  template <typename T> const T *data() const {
    return reinterpret_cast<const T *>(bytes.data());
  }
};

/// True for f32, bf16 and f16.
bool isFloatType(DType dtype);

/// `t` (f32, bf16 or f16) in float type `to`: widened exactly, or rounded to
/// nearest even. `t` itself when it already has that type.
HostTensor castFloats(const HostTensor &t, DType to);

} // namespace weft::rt

#endif // WEFT_RUNTIME_HOSTTENSOR_H

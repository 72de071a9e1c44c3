//===- HostTensor.cpp - dense tensors in host memory ----------------------===//
//
// This file implements the dtype and shape helpers declared in HostTensor.h:
// element sizes and names of the Executable's dtypes, printing a shape and
// counting its elements.
//
//===----------------------------------------------------------------------===//

#include "runtime/HostTensor.h"
#include "runtime/comm/ReduceMath.h"

namespace weft::rt {

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case weft::proto::F32:
  case weft::proto::I32:
    return 4;
  case weft::proto::F16:
  case weft::proto::BF16:
    return 2;
  case weft::proto::I64:
    return 8;
  case weft::proto::I1:
  case weft::proto::I8:
    return 1;
  default:
    return 0;
  }
}

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case weft::proto::F32:
    return "f32";
  case weft::proto::F16:
    return "f16";
  case weft::proto::BF16:
    return "bf16";
  case weft::proto::I32:
    return "i32";
  case weft::proto::I64:
    return "i64";
  case weft::proto::I1:
    return "i1";
  case weft::proto::I8:
    return "i8";
  default:
    return "invalid";
  }
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

int64_t numElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

bool isFloatType(DType dtype) {
  return dtype == weft::proto::F32 || dtype == weft::proto::BF16 || dtype == weft::proto::F16;
}

HostTensor castFloats(const HostTensor &t, DType to) {
  if (t.dtype == to)
    return t;
  HostTensor out(to, t.shape);
  for (int64_t i = 0; i < t.numElements(); ++i) {
    float v = t.dtype == weft::proto::F32    ? t.data<float>()[i]
              : t.dtype == weft::proto::BF16 ? bf16ToFloat(t.data<uint16_t>()[i])
                                             : f16ToFloat(t.data<uint16_t>()[i]);
    if (to == weft::proto::F32)
      out.data<float>()[i] = v;
    else
      out.data<uint16_t>()[i] = to == weft::proto::BF16 ? floatToBf16(v) : floatToF16(v);
  }
  return out;
}

} // namespace weft::rt

//===- ParamInit.cpp - initial parameter values from ParamSpecs -----------===//
//
// This file implements initialValue (see ParamInit.h).
//
//===----------------------------------------------------------------------===//

#include "models/catalog/ParamInit.h"

#include <functional>
#include <random>
#include <stdexcept>

namespace weft {

rt::DType toRuntimeDType(DType dtype) {
  switch (dtype) {
  case DType::F32: return weft::proto::F32;
  case DType::F16: return weft::proto::F16;
  case DType::BF16: return weft::proto::BF16;
  case DType::I32: return weft::proto::I32;
  case DType::I64: return weft::proto::I64;
  case DType::I1: return weft::proto::I1;
  case DType::I8: return weft::proto::I8;
  }
  return weft::proto::DTYPE_INVALID;
}

rt::HostTensor initialValue(const ParamSpec &spec, uint64_t seed) {
  if (spec.dtype != DType::F32)
    throw std::runtime_error("parameter '" + spec.name + "' has dtype " +
                             dtypeName(spec.dtype) +
                             "; only f32 parameters can be initialised");
  rt::HostTensor t(weft::proto::F32, spec.shape);
  float *data = t.data<float>();
  int64_t n = t.numElements();
  if (spec.init.kind == Init::Kind::Constant) {
    std::fill(data, data + n, static_cast<float>(spec.init.value));
    return t;
  }
  std::mt19937_64 rng(seed ^ std::hash<std::string>()(spec.name));
  if (spec.init.kind == Init::Kind::Uniform) {
    float bound = static_cast<float>(spec.init.value);
    std::uniform_real_distribution<float> uniform(-bound, bound);
    for (int64_t i = 0; i < n; ++i)
      data[i] = uniform(rng);
    return t;
  }
  std::normal_distribution<float> normal(0.0f, static_cast<float>(spec.init.value));
  for (int64_t i = 0; i < n; ++i)
    data[i] = normal(rng);
  return t;
}

} // namespace weft

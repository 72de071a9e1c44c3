//===- ParamInit.h - initial parameter values from ParamSpecs ---*- C++ -*-===//
//
// This file declares how the tools draw a program's parameters from their
// DSL initializers (normal or constant), reproducibly from a seed.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_MODELS_CATALOG_PARAMINIT_H
#define WEFT_MODELS_CATALOG_PARAMINIT_H

#include "frontend/Types.h"
#include "runtime/HostTensor.h"

#include <cstdint>

namespace weft {

/// The runtime dtype of a DSL dtype.
rt::DType toRuntimeDType(DType dtype);

/// Draws `spec`'s initial value; the stream depends on `seed` and the name, so
/// adding a parameter does not change the others.
rt::HostTensor initialValue(const ParamSpec &spec, uint64_t seed);

} // namespace weft

#endif // WEFT_MODELS_CATALOG_PARAMINIT_H

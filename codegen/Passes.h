//===- Passes.h - the code generator's passes -------------------*- C++ -*-===//
//
// This file declares the passes of weft's code generator (generated from
// codegen/Passes.td): weft-convert-to-linalg and the CPU pipeline passes, with
// their create functions and registerWeftCodegenPasses().
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_PASSES_H
#define WEFT_CODEGEN_PASSES_H

#include "mlir/Pass/Pass.h"

#include <cstdint>
#include <memory>

namespace weft::codegen {

#define GEN_PASS_DECL
#include "codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"

} // namespace weft::codegen

#endif // WEFT_CODEGEN_PASSES_H

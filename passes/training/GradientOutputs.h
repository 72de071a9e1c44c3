//===- GradientOutputs.h - the gradient results of a training function -*- C++ -*-===//
//
// This file declares what the passes after weft-autodiff share: finding the
// results tagged `weft.output = "grad:<param>"` and the parameter argument
// each belongs to (weft-optimizer, weft-accumulate-gradients).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_TRAINING_GRADIENTOUTPUTS_H
#define WEFT_PASSES_TRAINING_GRADIENTOUTPUTS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace weft {

/// The prefix of a gradient output's name: "grad:<param>".
inline constexpr llvm::StringLiteral kGradOutputPrefix = "grad:";

/// One gradient result of a training function.
struct GradientOutput {
  unsigned result;          // the result's index
  mlir::BlockArgument param; // the weft.param argument it belongs to
  std::string name;         // the parameter's name
};

/// Appends the gradient results of `main` (one block) to `out`, in result
/// order. Fails, with an error at `main`, on a gradient output that names no
/// weft.param argument, or whose type is not its parameter's float type.
mlir::LogicalResult collectGradientOutputs(mlir::func::FuncOp main,
                                           llvm::SmallVectorImpl<GradientOutput> &out);

} // namespace weft

#endif // WEFT_PASSES_TRAINING_GRADIENTOUTPUTS_H

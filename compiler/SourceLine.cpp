//===- SourceLine.cpp - the model line an op comes from -------------------===//
//
// This file implements sourceLine (SourceLine.h).
//
//===----------------------------------------------------------------------===//

#include "compiler/SourceLine.h"

#include "mlir/IR/BuiltinAttributes.h"

namespace weft {

std::string sourceLine(mlir::Location loc) {
  if (auto call = mlir::dyn_cast<mlir::CallSiteLoc>(loc))
    return sourceLine(call.getCallee());
  if (auto file = mlir::dyn_cast<mlir::FileLineColLoc>(loc))
    return file.getFilename().str() + ":" + std::to_string(file.getLine());
  if (auto fused = mlir::dyn_cast<mlir::FusedLoc>(loc))
    return fused.getLocations().empty() ? "?" : sourceLine(fused.getLocations().front());
  if (auto name = mlir::dyn_cast<mlir::NameLoc>(loc))
    return sourceLine(name.getChildLoc());
  return "?";
}

} // namespace weft

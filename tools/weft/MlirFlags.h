//===- MlirFlags.h - MLIR's debugging options on the weft CLI ---*- C++ -*-===//
//
// This file declares how `weft compile` and `weft run` take MLIR's own
// command-line options (--mlir-print-ir-after-all, --mlir-timing, ...):
// weft's FlagSet collects every `--mlir-*` argument and hands them to
// llvm::cl, where MLIR registered them; the compile's pass managers then
// apply them.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_MLIRFLAGS_H
#define WEFT_TOOLS_WEFT_MLIRFLAGS_H

namespace mlir {
class PassManager;
} // namespace mlir

namespace weft::cli {

class FlagSet;

/// Registers MLIR's pass-manager, timing, asm-printer and context options
/// with llvm::cl and has `flags` forward the `--mlir-*` arguments to them
/// when it parses (an unknown one or a bad value is a FlagError), listing
/// the common ones in a "Debugging" section.
void declareMlirFlags(FlagSet &flags);

/// Applies the parsed options (IR printing, timing) to a pass manager of the
/// compile: a CompileOptions::configurePassManager.
void configureMlirPassManager(mlir::PassManager &pm);

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_MLIRFLAGS_H

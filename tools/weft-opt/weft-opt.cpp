//===- weft-opt.cpp - the weft pass driver ---------------------------------===//
//
// This file implements weft-opt: MLIR's opt driver (MlirOptMain) with the weft
// dialect, weft's graph and code-generation passes, and only the upstream
// dialects and passes those need. lit tests run every pass through it.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/cpu/CpuCodegen.h"
#include "passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  // weft, func and every dialect and interface of the code generator's
  // intermediate IR (linalg, bufferization, scf, memref, OpenMP, LLVM, ...),
  // so each phase of --compile-to / --dump-ir output parses again.
  weft::codegen::registerCpuCodegenDialects(registry);
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  weft::registerWeftPasses();
  weft::codegen::registerWeftCodegenPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "weft pass driver\n", registry));
}

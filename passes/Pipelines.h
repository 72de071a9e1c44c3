//===- Pipelines.h - weft's named compilation phases ------------*- C++ -*-===//
//
// This file declares the graph-level pipeline and the names of the phases a
// compile goes through, which `--compile-to=PHASE` and `--dump-ir` use.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PIPELINES_H
#define WEFT_PASSES_PIPELINES_H

#include <string>
#include <vector>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace weft {

/// The phases of a compile for `target`, in order: "weft" (as built by the
/// DSL), "graph" (after the graph passes), then the code generator's
/// "linalg", "bufferized" and "llvm" (cpu) or "loops" and "gpu" (cuda), and
/// finally "executable".
const std::vector<std::string> &compilePhases(const std::string &target = "cpu");

/// Adds the graph-level passes (on the weft dialect) to `pm`, which runs on
/// the module: canonicalize and CSE, then (with `fuse`) the fusion passes.
void buildGraphPipeline(mlir::OpPassManager &pm, bool fuse = true);

} // namespace weft

#endif // WEFT_PASSES_PIPELINES_H

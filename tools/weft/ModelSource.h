//===- ModelSource.h - the program `weft compile`/`run` compile -*- C++ -*-===//
//
// This file declares ModelSource, the program a `weft compile` or `weft run`
// works on: built by the DSL from the model flags (the forward program, or
// with --train the language model's training loss whose step the compile builds), or
// parsed from a .mlir file; and the compile options for it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_MODELSOURCE_H
#define WEFT_TOOLS_WEFT_MODELSOURCE_H

#include "tools/weft/ModelFlags.h"

#include "frontend/Program.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <optional>

namespace weft::cli {

/// A program to compile: built by the DSL, or parsed from .mlir.
struct ModelSource {
  /// The DSL's program (a catalog model), unless the source is a file.
  std::optional<Program> program;
  /// The context and module of a parsed .mlir file.
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> parsed;
  /// With --train: the training options (the compile builds the step).
  std::optional<TrainOptions> train;
  /// With --mesh auto: how the parallel phase searches the mesh and shardings.
  std::optional<AutoShardOptions> autoShard;
  /// With --plan: the saved plan the parallel phase applies.
  std::optional<SavedPlan> plan;

  /// The module to compile.
  mlir::ModuleOp module() { return program ? program->module() : *parsed; }
  /// The compile options `flags` select for this program.
  CompileOptions compileOptions(const CompileFlags &flags) const {
    CompileOptions o = flags.options(train);
    o.autoShard = autoShard;
    o.plan = plan;
    return o;
  }
};

/// Whether `model` names a file of kind `suffix` (".mlir", ".wexe").
bool isFile(const std::string &model, const char *suffix);

/// Loads `model.model`: parses a .mlir file, else builds the catalog model on
/// `parallel`'s mesh and plan; with `trainStep` (gpt2, llama) the training
/// loss, whose step the compile builds at `compile.precision` with
/// `parallel.zero` (and `lora`'s adapters, the base frozen, when enabled).
/// Throws FlagError for flags that do not go together, std::runtime_error
/// when the file does not parse or the catalog rejects the model.
std::unique_ptr<ModelSource> loadModelSource(const ModelFlags &model, const CompileFlags &compile,
                                             const ParallelFlags &parallel, bool trainStep,
                                             const LoraConfig &lora = {});

/// Prints "compile: S s (compiled|cache hit), cache: PATH".
void printCompileLine(const CompileResult &result);

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_MODELSOURCE_H

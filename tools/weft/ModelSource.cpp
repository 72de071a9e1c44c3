//===- ModelSource.cpp - the program `weft compile`/`run` compile ---------===//
//
// This file implements loadModelSource and printCompileLine (see ModelSource.h).
//
//===----------------------------------------------------------------------===//

#include "tools/weft/ModelSource.h"

#include "tools/weft/Flags.h"

#include "ir/WeftDialect.h"
#include "models/catalog/ModelCatalog.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdio>
#include <stdexcept>

namespace weft::cli {

bool isFile(const std::string &model, const char *suffix) {
  return llvm::StringRef(model).ends_with(suffix);
}

std::unique_ptr<ModelSource> loadModelSource(const ModelFlags &model, const CompileFlags &compile,
                                             const ParallelFlags &parallel, bool trainStep,
                                             const LoraConfig &lora) {
  auto src = std::make_unique<ModelSource>();
  src->autoShard = parallel.autoShard();
  src->plan = parallel.savedPlan;
  if (isFile(model.model, ".mlir")) {
    if (!parallel.mesh.empty())
      throw FlagError("--mesh applies to catalog models; a .mlir file carries its own weft.mesh");
    src->context.loadDialect<weft::WeftDialect, mlir::func::FuncDialect>();
    llvm::SourceMgr sm;
    mlir::SourceMgrDiagnosticHandler handler(sm, &src->context);
    src->parsed = mlir::parseSourceFile<mlir::ModuleOp>(model.model, sm, &src->context);
    if (!src->parsed)
      throw std::runtime_error("cannot parse '" + model.model + "' (see above)");
    return src;
  }
  if (!trainStep && compile.precision != "f32" && compile.quantize != "none")
    throw FlagError("--precision " + compile.precision + " and --quantize " + compile.quantize +
                    " do not combine: int8 weights keep f32 activations");
  if (!trainStep && compile.recompute != "none")
    throw FlagError("--recompute applies to --train (the training step)");
  ModelRequest r = model.request();
  parallel.apply(r);
  if (!trainStep) {
    src->program.emplace(buildModel(r));
    return src;
  }
  if (!isLanguageModel(model.model))
    throw FlagError("--train is supported for gpt2 and llama");
  r.recompute = compile.recompute != "none";
  r.lora = lora;
  src->program.emplace(buildTrainLoss(r));
  src->train.emplace();
  src->train->precision = compile.precision;
  src->train->recompute = compile.recompute;
  src->train->zero = int(parallel.zero);
  return src;
}

void printCompileLine(const CompileResult &r) {
  std::printf("compile: %.2f s (%s)%s%s\n", r.seconds, r.cacheHit ? "cache hit" : "compiled",
              r.cachePath.empty() ? "" : ", cache: ", r.cachePath.c_str());
}

} // namespace weft::cli

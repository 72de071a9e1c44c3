//===- MemoryEstimate.cpp - one device's memory before anything runs ------===//
//
// This file implements estimateMemory (MemoryEstimate.h): for inference in a
// low precision, weft-mixed-precision and then the parameters stored in it;
// the compile's graph phases (runGraphPhase); the breakdown of the planned
// function.
//
//===----------------------------------------------------------------------===//

#include "compiler/MemoryEstimate.h"

#include "codegen/common/CodegenOptions.h"
#include "compiler/Diagnostics.h"
#include "compiler/GraphReport.h"
#include "compiler/SourceLine.h"
#include "ir/AttrNames.h"
#include "ir/WeftOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/STLExtras.h"

namespace weft {
namespace {

/// Every parameter whose uses are all casts to one low-precision type
/// becomes an argument of that type (the cast's result): the weights a
/// served model holds in bf16/f16.
void storeParametersInLowPrecision(mlir::func::FuncOp main) {
  mlir::Block &body = main.getBody().front();
  for (mlir::BlockArgument arg : body.getArguments()) {
    if (!main.getArgAttr(arg.getArgNumber(), kParamAttr) || arg.use_empty())
      continue;
    mlir::Type low;
    bool allCasts = llvm::all_of(arg.getUsers(), [&](mlir::Operation *user) {
      auto cast = mlir::dyn_cast<CastOp>(user);
      if (!cast || (low && cast.getType() != low))
        return false;
      low = cast.getType();
      return true;
    });
    if (!allCasts)
      continue;
    arg.setType(low);
    for (mlir::Operation *user : llvm::make_early_inc_range(arg.getUsers())) {
      user->getResult(0).replaceAllUsesWith(arg);
      user->erase();
    }
  }
  main.setFunctionType(mlir::FunctionType::get(main.getContext(), body.getArgumentTypes(),
                                               main.getFunctionType().getResults()));
}

} // namespace

MemoryEstimate estimateMemory(mlir::ModuleOp module, const EstimateOptions &options, int64_t top) {
  if (options.target != "cpu" && options.target != "cuda")
    throw CompileError("unknown target '" + options.target + "' (cpu or cuda)");
  const std::string &low = options.inferencePrecision;
  if (low != "f32" && low != "bf16" && low != "f16")
    throw CompileError("unknown precision '" + low + "' (f32, bf16 or f16)");
  mlir::OwningOpRef<mlir::ModuleOp> work(module.clone());
  DiagnosticCollector diagnostics(module->getContext());
  if (!options.train && low != "f32") {
    mlir::PassManager pm(work->getContext());
    MixedPrecisionPassOptions amp;
    amp.precision = low;
    pm.addPass(createMixedPrecisionPass(amp));
    if (mlir::failed(pm.run(*work)))
      diagnostics.fail("weft-mixed-precision");
    for (auto f : work->getOps<mlir::func::FuncOp>())
      if (!f.isExternal())
        storeParametersInLowPrecision(f);
  }
  CompileOptions compile;
  compile.target = options.target;
  compile.fuse = options.fuse;
  compile.train = options.train;
  compile.quantize = options.quantize;
  compile.useCache = false;
  mlir::OwningOpRef<mlir::ModuleOp> planned = runGraphPhase(*work, compile);
  auto main = planned->lookupSymbol<mlir::func::FuncOp>("main");
  if (!main)
    throw CompileError("the program has no function @main");
  MemoryPlanOptions plan;
  plan.alignment = static_cast<int64_t>(codegen::arenaAlignment(options.target));
  mlir::FailureOr<MemoryBreakdown> b =
      computeMemoryBreakdown(main, plan, options.train ? options.train->loss : std::string("loss"));
  if (mlir::failed(b))
    diagnostics.fail("the memory breakdown");
  MemoryEstimate e;
  for (const PeakBuffer &p : b->peakBuffers) {
    if (int64_t(e.largest.size()) >= top)
      break;
    mlir::Operation *op = p.value.getDefiningOp();
    e.largest.push_back({p.bytes, p.role, op ? op->getName().getStringRef().str() : std::string("argument"),
                         sourceLine(p.value.getLoc())});
  }
  e.memory = std::move(*b);
  e.memory.peakBuffers.clear();
  return e;
}

} // namespace weft

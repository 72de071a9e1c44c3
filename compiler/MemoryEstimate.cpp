//===- MemoryEstimate.cpp - one device's memory before anything runs ------===//
//
// This file implements estimateMemory (MemoryEstimate.h): the compile's graph
// phases (runGraphPhase; inference in bf16/f16 holds its weights low there,
// CompileOptions::precision); the breakdown of the planned function.
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

MemoryEstimate estimateMemory(mlir::ModuleOp module, const EstimateOptions &options, int64_t top) {
  if (options.target != "cpu" && options.target != "cuda")
    throw CompileError("unknown target '" + options.target + "' (cpu or cuda)");
  const std::string &low = options.inferencePrecision;
  if (low != "f32" && low != "bf16" && low != "f16")
    throw CompileError("unknown precision '" + low + "' (f32, bf16 or f16)");
  DiagnosticCollector diagnostics(module->getContext());
  CompileOptions compile;
  compile.precision = options.train ? "f32" : low; // a forward program's weights held low
  compile.target = options.target;
  compile.fuse = options.fuse;
  compile.train = options.train;
  compile.quantize = options.quantize;
  compile.lmHead = options.lmHead;
  compile.useCache = false;
  mlir::OwningOpRef<mlir::ModuleOp> planned = runGraphPhase(module, compile);
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

//===- LowerToLLVM.cpp - the weft-cpu-lower-to-llvm pass ------------------===//
//
// This file implements weft-cpu-lower-to-llvm: one full conversion of a
// bufferized kernel module (arith, math, cf, func, memref, index, ub and
// OpenMP ops) to the LLVM dialect. Functions use the bare-pointer calling
// convention: every kernel argument is a memref of static shape, so it is
// passed as its base address, which is what the runtime hands a kernel.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/LLVMCommon/ConversionTarget.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace weft::codegen {

#define GEN_PASS_DEF_LOWERTOLLVMPASS
#include "codegen/Passes.h.inc"

namespace {

struct LowerToLLVM : impl::LowerToLLVMPassBase<LowerToLLVM> {
  /// 1. bf16 extf/truncf become integer bit manipulation (round to nearest
  ///    even): LLVM would call __truncsfbf2, which older libgcc lacks.
  /// 2. One LLVM type converter with the bare-pointer memref convention.
  /// 3. The conversion patterns of every dialect a lowered kernel contains.
  /// 4. A full conversion: an op left in another dialect is an error at it.
  void runOnOperation() override {
    mlir::MLIRContext *ctx = &getContext();
    mlir::RewritePatternSet bf16(ctx);
    mlir::arith::populateExpandBFloat16Patterns(bf16);
    if (mlir::failed(mlir::applyPatternsAndFoldGreedily(getOperation(), std::move(bf16))))
      return signalPassFailure();

    mlir::LowerToLLVMOptions options(ctx);
    options.useBarePtrCallConv = true;
    mlir::LLVMTypeConverter converter(ctx, options);

    mlir::RewritePatternSet patterns(ctx);
    mlir::arith::populateArithToLLVMConversionPatterns(converter, patterns);
    mlir::populateMathToLLVMConversionPatterns(converter, patterns);
    mlir::cf::populateControlFlowToLLVMConversionPatterns(converter, patterns);
    mlir::populateFuncToLLVMConversionPatterns(converter, patterns);
    mlir::populateFinalizeMemRefToLLVMConversionPatterns(converter, patterns);
    mlir::index::populateIndexToLLVMConversionPatterns(converter, patterns);
    mlir::ub::populateUBToLLVMConversionPatterns(converter, patterns);
    mlir::populateOpenMPToLLVMConversionPatterns(converter, patterns);

    mlir::LLVMConversionTarget target(*ctx);
    target.addLegalOp<mlir::omp::BarrierOp, mlir::omp::FlushOp, mlir::omp::TaskwaitOp,
                      mlir::omp::TaskyieldOp, mlir::omp::TerminatorOp>();
    mlir::configureOpenMPToLLVMConversionLegality(target, converter);
    target.addLegalOp<mlir::ModuleOp>();
    if (mlir::failed(mlir::applyFullConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace weft::codegen

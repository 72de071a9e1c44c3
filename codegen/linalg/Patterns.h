//===- Patterns.h - weft to linalg patterns by op family --------*- C++ -*-===//
//
// This file declares the pattern sets that lower the weft dialect to linalg,
// tensor, arith and math on tensors, one per op family, and the small
// builders they share (element-type conversion, elementwise linalg.generic).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CODEGEN_LINALG_PATTERNS_H
#define WEFT_CODEGEN_LINALG_PATTERNS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"

namespace weft::codegen {

/// Unary/binary math, compare, select and cast → one linalg.generic each.
void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
/// weft.reduce → linalg.fill + linalg.generic (and a finishing generic).
void populateReductionPatterns(mlir::RewritePatternSet &patterns);
/// reshape, transpose, broadcast, slice, concat, gather, iota, constant.
void populateDataMovementPatterns(mlir::RewritePatternSet &patterns);
/// matmul, batch_matmul, fused_matmul, fused_batch_matmul → linalg.matmul /
/// batch_matmul or a linalg.generic, plus an epilogue generic for the fused
/// ops.
void populateContractionPatterns(mlir::RewritePatternSet &patterns);

/// Inlines the body of every weft.fusion under `root` in place of the op, so
/// that the pattern families lower its inner ops (linalg/FusionPatterns.cpp).
/// Returns whether there was a weft.fusion.
bool inlineFusionBodies(mlir::Operation *root);
/// Fuses the linalg.generic ops under `root` producer into consumer, into as
/// few loop nests as their iteration spaces allow, without recomputing a
/// transcendental per broadcast element (linalg/FusionPatterns.cpp).
void fuseKernelLoops(mlir::Operation *root);

/// A unit attribute on a kernel function whose output may be the storage of
/// one of its inputs (an in-place update, an Elementwise op run in place):
/// its loop nests must not read an input again after a nest has written the
/// outputs, so fuseKernelLoops recomputes nothing there.
inline constexpr llvm::StringLiteral kArgsMayAliasAttr = "kernel_args_may_alias";

/// gelu(x) = 0.5 x (1 + erf(x / sqrt 2)) of an f32 scalar.
mlir::Value buildGelu(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);
/// gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) of an f32
/// scalar.
mlir::Value buildGeluTanh(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);
/// fast_gelu(x) = x sigmoid(1.702 x) of an f32 scalar.
mlir::Value buildFastGelu(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);
/// weft.fused_matmul's epilogue activation `activation` (an
/// EpilogueActivation: 0 none, 1 gelu, 2 gelu_tanh, 3 fast_gelu) of an f32
/// scalar.
mlir::Value buildEpilogueActivation(mlir::OpBuilder &b, mlir::Location loc,
                                    uint32_t activation, mlir::Value x);
/// `v` * silu(`gate`) = v * (gate * sigmoid(gate)): weft.fused_matmul's gate
/// epilogue, in the order of the unfused ops (the SiLU first), so fused and
/// unfused programs round alike.
mlir::Value buildSiluGate(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v, mlir::Value gate);

/// The type arithmetic on `elementType` runs in: f32 for f16 and bf16, the
/// type itself otherwise (f32, integers, i1).
mlir::Type computeElementType(mlir::Type elementType);

/// Converts the scalar `value` to element type `to` with weft.cast's rules:
/// floats round to nearest even, floats to integers truncate toward zero and
/// saturate (NaN gives 0), integers wrap, i1 is 0/1, anything to i1 is != 0.
mlir::Value convertScalar(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value value, mlir::Type to);

/// A scalar constant of `type` (float or integer) with value `v`.
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type, double v);

/// tensor.empty() of `type`.
mlir::Value createEmpty(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type);

/// Builds the body of an elementwise generic: receives the scalars of the
/// inputs followed by the current output element (all in their storage
/// types) and returns the result scalar (in the result's storage type).
using ScalarBodyFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// A linalg.generic with identity maps and parallel iterators over the shape
/// of `resultType`, reading `inputs` (all of that shape) and writing a fresh
/// tensor.empty (or `init`, when given, which it then updates in place).
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType resultType,
                             mlir::ValueRange inputs, ScalarBodyFn body,
                             mlir::Value init = {});

} // namespace weft::codegen

#endif // WEFT_CODEGEN_LINALG_PATTERNS_H

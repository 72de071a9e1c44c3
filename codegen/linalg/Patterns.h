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
/// matmul, batch_matmul → linalg.matmul/batch_matmul or a linalg.generic.
void populateContractionPatterns(mlir::RewritePatternSet &patterns);

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

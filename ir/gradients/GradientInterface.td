//===- GradientInterface.td - the vector-Jacobian product of an op ---------===//
//
// This file defines Weft_GradientOpInterface, through which every weft op
// declares its reverse-mode derivative (its vector-Jacobian product) as weft
// ops. The weft-autodiff pass walks a function backwards and asks each op on
// a path from a parameter to the loss for the cotangents of its operands.
// The models are attached from outside the op definitions
// (ir/gradients/Gradients*.cpp, registered by
// weft::registerGradientInterfaces).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_GRADIENT_INTERFACE_TD
#define WEFT_GRADIENT_INTERFACE_TD

include "mlir/IR/OpBase.td"

def Weft_GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let cppNamespace = "::weft";
  let description = [{
    An op that knows its vector-Jacobian product (VJP): given the cotangent
    of each result (dL/dresult, same type as the result), it builds weft ops
    computing the cotangent of each operand (dL/doperand, same type as the
    operand) at the builder's insertion point, which lies after the op, so
    that the op's operands and results may be reused.

    Only float tensors carry cotangents: integer and i1 values never receive
    one and never pass one on. A null result cotangent means zero. An op
    builds a cotangent only for the operands whose `needsGradient` entry is
    true, and leaves the others null; a null entry for a wanted operand
    means "zero". When the derivative does not exist, the op reports
    "... is not differentiable" at its location with emitOpError and returns
    failure.

    Conventions at non-differentiable points (documented per op in
    ir/gradients/Gradients*.cpp): relu and abs take 0 at 0, max/min (elementwise and
    reductions) split the cotangent evenly between ties.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the cotangents of the operands from `resultCotangents` (one
        per result, null = zero) with `builder`, for the operands whose
        `needsGradient` flag is set. Appends exactly one entry per operand to
        `operandCotangents` (null: no gradient). Returns failure after
        emitting an error when the op is not differentiable.
      }],
      "::mlir::LogicalResult", "buildVjp",
      (ins "::mlir::OpBuilder &":$builder,
           "::llvm::ArrayRef<::mlir::Value>":$resultCotangents,
           "::llvm::ArrayRef<bool>":$needsGradient,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandCotangents)>
  ];
}

#endif // WEFT_GRADIENT_INTERFACE_TD

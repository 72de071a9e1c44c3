//===- GradientUtils.h - helpers shared by the gradient models --*- C++ -*-===//
//
// This file declares what the gradient (vector-Jacobian product) models of
// ir/gradients/Gradients*.cpp share: a small op builder for the weft ops the
// models emit (splat constants, elementwise arithmetic, broadcasting back and
// summing down), and the template that turns one VJP function per op into an
// external model of GradientOpInterface. The training passes that build weft
// ops the same way (weft-mixed-precision, weft-optimizer, weft-loss-scaling
// in passes/training/) use the op builder too.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_GRADIENTS_GRADIENTUTILS_H
#define WEFT_IR_GRADIENTS_GRADIENTUTILS_H

#include "ir/gradients/GradientInterface.h"
#include "ir/WeftOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace weft::grad {

/// The ranked tensor type of `v`.
mlir::RankedTensorType typeOf(mlir::Value v);
/// True for a ranked tensor of f32, f16 or bf16 (the types that carry
/// gradients).
bool isFloatTensor(mlir::Type t);

/// Builds the weft ops of a gradient at one location.
class Emitter {
public:
  Emitter(mlir::OpBuilder &b, mlir::Location loc) : b(b), loc(loc) {}

  /// A splat constant of `type` (any element type) holding `value`.
  mlir::Value splat(mlir::RankedTensorType type, double value);
  /// A splat constant shaped and typed like `like`.
  mlir::Value splatLike(mlir::Value like, double value) {
    return splat(typeOf(like), value);
  }

  mlir::Value add(mlir::Value x, mlir::Value y);
  mlir::Value sub(mlir::Value x, mlir::Value y);
  mlir::Value mul(mlir::Value x, mlir::Value y);
  mlir::Value div(mlir::Value x, mlir::Value y);
  mlir::Value neg(mlir::Value x);
  mlir::Value exp(mlir::Value x);
  mlir::Value log(mlir::Value x);
  mlir::Value tanh(mlir::Value x);
  mlir::Value sigmoid(mlir::Value x);
  mlir::Value pow(mlir::Value x, mlir::Value y);
  /// x * c for a scalar c.
  mlir::Value scale(mlir::Value x, double c);
  /// An i1 tensor: x <dir> y.
  mlir::Value compare(CompareDirection dir, mlir::Value x, mlir::Value y);
  /// x <dir> c for a scalar c.
  mlir::Value compareScalar(CompareDirection dir, mlir::Value x, double c);
  mlir::Value select(mlir::Value cond, mlir::Value onTrue, mlir::Value onFalse);
  /// cond ? x : 0.
  mlir::Value selectOrZero(mlir::Value cond, mlir::Value x);

  /// Broadcasts `v` to `type`, v's dimension i becoming dims[i].
  mlir::Value broadcast(mlir::Value v, mlir::RankedTensorType type,
                        llvm::ArrayRef<int64_t> dims);
  /// Broadcasts `reduced` (the result of reducing `dims` away from `full`'s
  /// shape) back to `full`'s shape.
  mlir::Value unreduce(mlir::Value reduced, mlir::RankedTensorType full,
                       llvm::ArrayRef<int64_t> reducedDims);
  /// Sums `v` over `dims` (no-op when empty).
  mlir::Value reduceSum(mlir::Value v, llvm::ArrayRef<int64_t> dims);
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<int64_t> shape);
  mlir::Value transpose(mlir::Value v, llvm::ArrayRef<int64_t> permutation);
  mlir::Value slice(mlir::Value v, llvm::ArrayRef<int64_t> start,
                    llvm::ArrayRef<int64_t> limit,
                    llvm::ArrayRef<int64_t> strides);
  mlir::Value concat(mlir::ValueRange inputs, int64_t dim);
  mlir::Value cast(mlir::Value v, mlir::Type elementType);
  /// op(x) * op(y) of weft.matmul (batched: weft.batch_matmul).
  mlir::Value matmul(mlir::Value x, mlir::Value y, bool transX, bool transY,
                     bool batched);

  mlir::OpBuilder &builder() { return b; }
  mlir::Location location() const { return loc; }

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
};

/// The VJP of a single-result op: `g` is the (non-null) cotangent of its
/// result, `needs[i]` says whether operand i wants a cotangent, `out` has one
/// null entry per operand to fill.
template <typename OpT>
using VjpFn = mlir::LogicalResult (*)(OpT op, Emitter &e, mlir::Value g,
                                      llvm::ArrayRef<bool> needs,
                                      llvm::MutableArrayRef<mlir::Value> out);

/// An external model of GradientOpInterface for the single-result op OpT
/// that calls `Fn`. Handles the common cases: a null (zero) result cotangent
/// gives no operand cotangents, and only float operands are offered to Fn.
template <typename OpT, VjpFn<OpT> Fn>
struct VjpModel : GradientOpInterface::ExternalModel<VjpModel<OpT, Fn>, OpT> {
  mlir::LogicalResult
  buildVjp(mlir::Operation *op, mlir::OpBuilder &builder,
           llvm::ArrayRef<mlir::Value> resultCotangents,
           llvm::ArrayRef<bool> needsGradient,
           llvm::SmallVectorImpl<mlir::Value> &operandCotangents) const {
    unsigned n = op->getNumOperands();
    llvm::SmallVector<mlir::Value> out(n);
    llvm::SmallVector<bool> needs(n, false);
    bool any = false;
    for (unsigned i = 0; i < n && i < needsGradient.size(); ++i) {
      needs[i] = needsGradient[i] && isFloatTensor(op->getOperand(i).getType());
      any |= needs[i];
    }
    mlir::Value g =
        resultCotangents.empty() ? mlir::Value() : resultCotangents.front();
    if (g && !isFloatTensor(op->getResult(0).getType()))
      return op->emitOpError("is not differentiable: its result of type ")
             << op->getResult(0).getType()
             << " cannot carry a gradient (only f32, f16 and bf16 tensors do)";
    if (g && any) {
      Emitter e(builder, op->getLoc());
      if (mlir::failed(Fn(mlir::cast<OpT>(op), e, g, needs, out)))
        return mlir::failure();
    }
    llvm::append_range(operandCotangents, out);
    return mlir::success();
  }
};

/// Attaches VjpModel<OpT, Fn> to OpT in `ctx`.
template <typename OpT, VjpFn<OpT> Fn> void attachVjp(mlir::MLIRContext *ctx) {
  OpT::template attachInterface<VjpModel<OpT, Fn>>(*ctx);
}

/// Attach the models of one op family (defined in the
/// ir/gradients/Gradients*.cpp file of the same name) to the weft ops of `ctx`.
void attachElementwiseGradients(mlir::MLIRContext *ctx);
void attachContractionGradients(mlir::MLIRContext *ctx);
void attachMovementGradients(mlir::MLIRContext *ctx);
void attachCollectiveGradients(mlir::MLIRContext *ctx);

} // namespace weft::grad

#endif // WEFT_IR_GRADIENTS_GRADIENTUTILS_H

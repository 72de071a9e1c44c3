//===- KernelBuilder.cpp - one func per kernel, destination-passing -------===//
//
// This file implements the kernel function builders: memref arguments turned
// into tensors with bufferization.to_tensor (restrict: nothing else aliases
// them inside the kernel), the op cloned on those tensors, and its result
// materialized into the output argument. After weft-convert-to-linalg,
// eliminate-empty-tensors replaces the tensor.empty the result was computed
// into by the output buffer, and one-shot-bufferize then writes in place: no
// kernel allocates its output. Normalizations, scatter_add and
// dynamic_update_slice instead get
// loop kernels on memrefs (codegen/common/LoopKernels.h).
//
//===----------------------------------------------------------------------===//

#include "codegen/common/KernelBuilder.h"
#include "codegen/common/LoopKernels.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

using namespace mlir;

namespace weft::codegen {
namespace {

/// The argument type for a tensor. Tensors without elements become
/// memref<0xT>: their bytes are never touched, and the bare-pointer
/// convention rejects shapes like 3x0.
MemRefType memrefOf(Type tensorType) {
  auto t = cast<RankedTensorType>(tensorType);
  if (t.getNumElements() == 0)
    return MemRefType::get({0}, t.getElementType());
  return MemRefType::get(t.getShape(), t.getElementType());
}

bool isEmpty(Type tensorType) { return cast<RankedTensorType>(tensorType).getNumElements() == 0; }

/// The kernel's view of argument `arg` as a tensor of `type`.
Value asTensor(OpBuilder &b, Location loc, Type type, Value arg) {
  auto t = cast<RankedTensorType>(type);
  if (isEmpty(t))
    return b.create<tensor::EmptyOp>(loc, t.getShape(), t.getElementType());
  return b.create<bufferization::ToTensorOp>(loc, t, arg, /*restrict=*/true);
}

/// Creates the function and returns a builder at the start of its body.
func::FuncOp createKernelFunc(ModuleOp kernels, Location loc, StringRef name,
                              TypeRange tensorTypes, OpBuilder &b) {
  SmallVector<Type> args;
  for (Type t : tensorTypes)
    args.push_back(memrefOf(t));
  b.setInsertionPointToEnd(kernels.getBody());
  auto fn = b.create<func::FuncOp>(loc, name, b.getFunctionType(args, {}));
  b.setInsertionPointToStart(fn.addEntryBlock());
  return fn;
}

void materializeInto(OpBuilder &b, Location loc, ValueRange results, ValueRange outs) {
  for (auto [result, out] : llvm::zip(results, outs)) {
    if (isEmpty(result.getType()))
      continue; // nothing to write
    auto m = b.create<bufferization::MaterializeInDestinationOp>(loc, result, out);
    m.setRestrict(true);
    m.setWritable(true);
  }
  b.create<func::ReturnOp>(loc);
}

} // namespace

func::FuncOp createMemrefKernel(ModuleOp kernels, Location loc, StringRef name,
                                ArrayRef<Type> memrefTypes, OpBuilder &b) {
  b.setInsertionPointToEnd(kernels.getBody());
  auto fn = b.create<func::FuncOp>(loc, name, b.getFunctionType(memrefTypes, {}));
  b.setInsertionPointToStart(fn.addEntryBlock());
  b.create<func::ReturnOp>(loc);
  b.setInsertionPointToStart(&fn.front());
  return fn;
}

FailureOr<func::FuncOp> buildOpKernel(ModuleOp kernels, Operation *op, StringRef name,
                                      int64_t scatterColumnBlock) {
  // Ops whose kernels are loops on memrefs rather than linalg on tensors.
  if (auto ln = dyn_cast<LayerNormOp>(op))
    return buildLayerNormKernel(kernels, ln, name);
  if (auto rms = dyn_cast<RmsNormOp>(op))
    return buildRmsNormKernel(kernels, rms, name);
  if (auto scatter = dyn_cast<ScatterAddOp>(op))
    return buildScatterAddKernel(kernels, scatter, name, scatterColumnBlock);
  if (auto dus = dyn_cast<DynamicUpdateSliceOp>(op))
    return buildDynamicUpdateSliceKernel(kernels, dus, name, /*inPlace=*/false);
  SmallVector<Type> types(op->getOperandTypes());
  llvm::append_range(types, op->getResultTypes());
  OpBuilder b(kernels.getContext());
  Location loc = op->getLoc();
  func::FuncOp fn = createKernelFunc(kernels, loc, name, types, b);
  // Operand i reads argument i, always: the kernel is shared by every op with
  // the same name, attributes and types, whatever values those ops read, so
  // an op that reads one value twice (mul %x, %x) must still build a kernel
  // that reads both of its arguments.
  SmallVector<Value> operands;
  for (auto [operand, arg] : llvm::zip(op->getOperands(), fn.getArguments()))
    operands.push_back(asTensor(b, loc, operand.getType(), arg));
  Operation *clone = b.clone(*op);
  clone->setOperands(operands);
  materializeInto(b, loc, clone->getResults(),
                  fn.getArguments().drop_front(op->getNumOperands()));
  return fn;
}

func::FuncOp buildCopyKernel(ModuleOp kernels, RankedTensorType type, Location loc,
                             StringRef name) {
  OpBuilder b(kernels.getContext());
  func::FuncOp fn = createKernelFunc(kernels, loc, name, {type, type}, b);
  Value in = asTensor(b, loc, type, fn.getArgument(0));
  materializeInto(b, loc, in, fn.getArgument(1));
  return fn;
}

} // namespace weft::codegen

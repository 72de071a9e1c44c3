//===- StateKernels.cpp - the weft.dynamic_update_slice kernel ------------===//
//
// This file implements the kernel of weft.dynamic_update_slice, built as loops
// on memrefs so that an in-place update touches only its block:
//   1. unless the kernel is built in place (the result is the operand's own
//      storage: a weft.update of the argument it reads, e.g. a key/value
//      cache), linalg.copy of the operand into the result;
//   2. one parallel loop nest over the update's elements; each iteration
//      reads the offset, clamps it into [0, size - block] along `dim` and
//      stores its element at the offset position of the result.
// The offset is read inside the loop (one scalar load per element, from
// cache) so that the nest is the kernel's only top-level work besides the
// copy, which the CUDA mapping turns into a grid-stride loop like any other.
//
//===----------------------------------------------------------------------===//

#include "codegen/common/KernelBuilder.h"
#include "codegen/common/LoopKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace weft::codegen {
namespace {

/// The kernel argument of a tensor: memref of its shape, memref<0xT> when it
/// holds no element.
MemRefType argumentType(RankedTensorType t) {
  if (t.getNumElements() == 0)
    return MemRefType::get({0}, t.getElementType());
  return MemRefType::get(t.getShape(), t.getElementType());
}

} // namespace

func::FuncOp buildDynamicUpdateSliceKernel(ModuleOp kernels, DynamicUpdateSliceOp op,
                                           StringRef name, bool inPlace) {
  auto operand = cast<RankedTensorType>(op.getInput().getType());
  auto update = cast<RankedTensorType>(op.getUpdate().getType());
  auto start = cast<RankedTensorType>(op.getStart().getType());
  Location loc = op.getLoc();
  OpBuilder b(kernels.getContext());
  func::FuncOp fn = createMemrefKernel(
      kernels, loc, name,
      {argumentType(operand), argumentType(update), MemRefType::get({}, start.getElementType()),
       argumentType(operand)},
      b);
  if (operand.getNumElements() == 0)
    return fn; // nothing to write
  Value in = fn.getArgument(0), block = fn.getArgument(1), offset = fn.getArgument(2),
        out = fn.getArgument(3);
  if (!inPlace)
    b.create<linalg::CopyOp>(loc, in, out);
  if (update.getNumElements() == 0)
    return fn;
  const int64_t dim = op.getDim();
  Value c0 = b.create<arith::ConstantIndexOp>(loc, 0);
  Value c1 = b.create<arith::ConstantIndexOp>(loc, 1);
  Value last = b.create<arith::ConstantIndexOp>(
      loc, operand.getDimSize(dim) - update.getDimSize(dim));
  SmallVector<Value> lower, upper, steps;
  for (int64_t size : update.getShape()) {
    lower.push_back(c0);
    upper.push_back(b.create<arith::ConstantIndexOp>(loc, size));
    steps.push_back(c1);
  }
  b.create<scf::ParallelOp>(
      loc, lower, upper, steps, [&](OpBuilder &pb, Location pl, ValueRange ivs) {
        Value raw = pb.create<memref::LoadOp>(pl, offset, ValueRange{});
        Value s = pb.create<arith::IndexCastOp>(pl, pb.getIndexType(), raw);
        s = pb.create<arith::MaxSIOp>(pl, s, c0);
        s = pb.create<arith::MinSIOp>(pl, s, last);
        SmallVector<Value> at(ivs.begin(), ivs.end());
        at[dim] = pb.create<arith::AddIOp>(pl, at[dim], s);
        Value v = pb.create<memref::LoadOp>(pl, block, ivs);
        pb.create<memref::StoreOp>(pl, v, out, at);
      });
  return fn;
}

} // namespace weft::codegen

//===- ScatterKernels.cpp - the weft.scatter_add kernel -------------------===//
//
// This file implements the CPU kernel of weft.scatter_add (the gradient of a
// gather). The result is viewed as V rows of D elements, the updates as I
// rows of D elements and the indices as I integers:
//   1. linalg.fill of zero over the result, or with an init a linalg.copy
//      of it into the result (a parallel loop reading each element before
//      writing it at the same place, so the result may be the init's own
//      storage: the memory plan lets it take an init that dies here);
//   2. in parallel over blocks of B columns (PartitionOptions::
//      scatterColumnBlock: 64 on the CPU, so the inner loop vectorizes; 1 on
//      a GPU, a thread per column), for each i in order:
//      v = clamp(indices[i], 0, V - 1), then result[v, block] +=
//      updates[i, block].
// Several indices may name the same row, so the accumulation stays
// sequential over i within a column, and every column adds its updates in
// index order whatever B: the sums are deterministic and the same on every
// target. f16/bf16 rows are added in f32 and rounded after each update.
//
//===----------------------------------------------------------------------===//

#include "codegen/common/KernelBuilder.h"
#include "codegen/common/LoopKernels.h"
#include "codegen/linalg/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <algorithm>

using namespace mlir;

namespace weft::codegen {
namespace {

/// memref<rows x cols x T>, or memref<0xT> when it holds no element.
MemRefType matrixType(int64_t rows, int64_t cols, Type t) {
  if (rows * cols == 0)
    return MemRefType::get({0}, t);
  return MemRefType::get({rows, cols}, t);
}

} // namespace

FailureOr<func::FuncOp> buildScatterAddKernel(ModuleOp kernels, ScatterAddOp op,
                                              StringRef name, int64_t columnBlock) {
  auto result = cast<RankedTensorType>(op.getType());
  auto indices = cast<RankedTensorType>(op.getIndices().getType());
  Type et = result.getElementType(), it = indices.getElementType();
  int64_t v = result.getDimSize(0);
  int64_t d = 1;
  for (int64_t s : result.getShape().drop_front())
    d *= s;
  int64_t n = indices.getNumElements();
  if (v == 0 && n * d > 0)
    return op.emitOpError("cannot scatter ")
           << n << " rows into an empty result of shape " << result
           << "; give the result at least one row";
  Location loc = op.getLoc();
  OpBuilder b(kernels.getContext());
  SmallVector<Type> args{matrixType(n, d, et), MemRefType::get({n == 0 ? 0 : n}, it)};
  if (op.getInit())
    args.push_back(matrixType(v, d, et));
  args.push_back(matrixType(v, d, et));
  func::FuncOp fn = createMemrefKernel(kernels, loc, name, args, b);
  if (v * d == 0)
    return fn; // nothing to write
  Value updates = fn.getArgument(0), idx = fn.getArgument(1), out = fn.getArguments().back();
  if (op.getInit()) {
    b.create<linalg::CopyOp>(loc, fn.getArgument(2), out);
  } else {
    Value zero = scalarConstant(b, loc, et, 0.0);
    b.create<linalg::FillOp>(loc, ValueRange{zero}, ValueRange{out});
  }
  if (n == 0)
    return fn;
  Type f32 = b.getF32Type();
  Value c0 = b.create<arith::ConstantIndexOp>(loc, 0);
  Value c1 = b.create<arith::ConstantIndexOp>(loc, 1);
  Value rows = b.create<arith::ConstantIndexOp>(loc, n);
  Value cols = b.create<arith::ConstantIndexOp>(loc, d);
  Value last = b.create<arith::ConstantIndexOp>(loc, v - 1);
  int64_t block = std::clamp<int64_t>(columnBlock, 1, d);
  Value blockSize = b.create<arith::ConstantIndexOp>(loc, block);
  Value blocks = b.create<arith::ConstantIndexOp>(loc, (d + block - 1) / block);
  b.create<scf::ParallelOp>(
      loc, ValueRange{c0}, ValueRange{blocks}, ValueRange{c1},
      [&](OpBuilder &pb, Location pl, ValueRange block) {
        Value first = pb.create<arith::MulIOp>(pl, block[0], blockSize);
        Value end = pb.create<arith::MinSIOp>(
            pl, pb.create<arith::AddIOp>(pl, first, blockSize), cols);
        pb.create<scf::ForOp>(
            pl, c0, rows, c1, ValueRange{}, [&](OpBuilder &nb, Location l, Value i, ValueRange) {
              Value raw = nb.create<memref::LoadOp>(l, idx, i);
              Value row = nb.create<arith::IndexCastOp>(l, nb.getIndexType(), raw);
              row = nb.create<arith::MaxSIOp>(l, row, c0);
              row = nb.create<arith::MinSIOp>(l, row, last);
              nb.create<scf::ForOp>(
                  l, first, end, c1, ValueRange{},
                  [&](OpBuilder &bb, Location ll, Value j, ValueRange) {
                    Value u = convertScalar(
                        bb, ll, bb.create<memref::LoadOp>(ll, updates, ValueRange{i, j}), f32);
                    Value o = convertScalar(
                        bb, ll, bb.create<memref::LoadOp>(ll, out, ValueRange{row, j}), f32);
                    Value sum = bb.create<arith::AddFOp>(ll, o, u);
                    bb.create<memref::StoreOp>(ll, convertScalar(bb, ll, sum, et), out,
                                               ValueRange{row, j});
                    bb.create<scf::YieldOp>(ll);
                  });
              nb.create<scf::YieldOp>(l);
            });
      });
  return fn;
}

} // namespace weft::codegen

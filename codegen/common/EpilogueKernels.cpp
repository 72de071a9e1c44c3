//===- EpilogueKernels.cpp - the kernels around BLAS GEMM steps -----------===//
//
// This file implements the kernels that turn an f32 BLAS GEMM step into a
// fused contraction, as linalg.generic ops on memrefs (the rest of the CPU
// pipeline makes them parallel loops):
//   - weft.fused_matmul: GEMM (beta = 0) into C, then c = act(c + bias) *
//     silu(gate) in place, one read and one write of C (and one read of the
//     gate), no temporary.
//   - weft.fused_batch_matmul with an addend: c = beta * addend (repeated over
//     the leading dimensions) first, then GEMM with alpha and beta = 1. This
//     moves fewer bytes than GEMM then an add kernel: OpenBLAS runs a separate
//     pass over C for any beta != 1 (zeroing it for beta = 0) before
//     accumulating, so GEMM(beta 0) + add costs 5 passes over C (zero, GEMM
//     read + write, add read + write) and fill + GEMM(beta 1) only 3 (fill
//     write, GEMM read + write); the addend itself is usually small (a
//     [T, T] mask) and stays in cache.
//
//===----------------------------------------------------------------------===//

#include "codegen/common/KernelBuilder.h"
#include "codegen/common/LoopKernels.h"
#include "codegen/linalg/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;

namespace weft::codegen {

func::FuncOp buildMatmulEpilogueKernel(ModuleOp kernels, FusedMatmulOp op, StringRef name) {
  MLIRContext *ctx = kernels.getContext();
  Location loc = op.getLoc();
  auto out = cast<RankedTensorType>(op.getType());
  Type et = out.getElementType();
  auto cType = MemRefType::get(out.getShape(), et);
  // Arguments: [bias [N]] [gate [M, N]] c [M, N], updated in place.
  SmallVector<Type> types;
  SmallVector<AffineMap> maps;
  if (op.getBias()) {
    types.push_back(MemRefType::get({out.getDimSize(1)}, et));
    maps.push_back(AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx));
  }
  if (op.getGate()) {
    types.push_back(cType);
    maps.push_back(AffineMap::getMultiDimIdentityMap(2, ctx));
  }
  types.push_back(cType);
  maps.push_back(AffineMap::getMultiDimIdentityMap(2, ctx));
  OpBuilder b(ctx);
  func::FuncOp fn = createMemrefKernel(kernels, loc, name, types, b);
  Value c = fn.getArguments().back();
  SmallVector<Value, 2> inputs(fn.getArguments().drop_back());
  SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
  uint32_t activation = static_cast<uint32_t>(op.getActivation());
  bool hasBias = static_cast<bool>(op.getBias()), hasGate = static_cast<bool>(op.getGate());
  Type compute = computeElementType(et);
  b.create<linalg::GenericOp>(loc, TypeRange{}, inputs, ValueRange{c}, maps, iterators,
                              [&](OpBuilder &nb, Location l, ValueRange args) {
                                Value v = convertScalar(nb, l, args.back(), compute);
                                if (hasBias)
                                  v = nb.create<arith::AddFOp>(l, v, convertScalar(nb, l, args[0], compute));
                                v = buildEpilogueActivation(nb, l, activation, v);
                                if (hasGate)
                                  v = buildSiluGate(nb, l, v, convertScalar(nb, l, args[hasBias ? 1 : 0], compute));
                                nb.create<linalg::YieldOp>(l, convertScalar(nb, l, v, et));
                              });
  return fn;
}

func::FuncOp buildAddendFillKernel(ModuleOp kernels, FusedBatchMatmulOp op, StringRef name) {
  MLIRContext *ctx = kernels.getContext();
  Location loc = op.getLoc();
  auto out = cast<RankedTensorType>(op.getType());
  auto addend = cast<RankedTensorType>(op.getAddend().getType());
  Type et = out.getElementType();
  OpBuilder b(ctx);
  func::FuncOp fn =
      createMemrefKernel(kernels, loc, name,
                         {MemRefType::get(addend.getShape(), et),
                          MemRefType::get(out.getShape(), et)},
                         b);
  int64_t rank = out.getRank(), suffix = addend.getRank();
  SmallVector<AffineExpr> dims;
  for (int64_t d = rank - suffix; d < rank; ++d)
    dims.push_back(getAffineDimExpr(d, ctx));
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, dims, ctx),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  double beta = op.getBeta().convertToDouble();
  b.create<linalg::GenericOp>(loc, TypeRange{}, ValueRange{fn.getArgument(0)},
                              ValueRange{fn.getArgument(1)}, maps, iterators,
                              [&](OpBuilder &nb, Location l, ValueRange args) {
                                Value v = args[0];
                                if (beta != 1.0)
                                  v = nb.create<arith::MulFOp>(
                                      l, scalarConstant(nb, l, v.getType(), beta), v);
                                nb.create<linalg::YieldOp>(l, v);
                              });
  return fn;
}

} // namespace weft::codegen

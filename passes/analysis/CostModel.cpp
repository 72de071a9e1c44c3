//===- CostModel.cpp - FLOPs and bytes of weft ops ------------------------===//
//
// This file implements the cost model declared in CostModel.h: the cost of
// one op, and the summary of a function's top-level ops.
//
//===----------------------------------------------------------------------===//

#include "passes/analysis/CostModel.h"

#include "ir/WeftOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;

namespace weft {
namespace {

/// Counts saturate at INT64_MAX instead of wrapping (a verified program's
/// tensors each fit 2^62 bytes, but a product of dimensions need not).
int64_t mul(int64_t a, int64_t b) {
  int64_t r;
  return llvm::MulOverflow(a, b, r) ? std::numeric_limits<int64_t>::max() : r;
}
int64_t add(int64_t a, int64_t b) {
  int64_t r;
  return llvm::AddOverflow(a, b, r) ? std::numeric_limits<int64_t>::max() : r;
}

int64_t elementsOf(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t)
    return 0;
  int64_t n = 1;
  for (int64_t d : t.getShape())
    n = mul(n, d);
  return n;
}

int64_t bytesOf(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t)
    return 0;
  int64_t bits = t.getElementType().getIntOrFloatBitWidth();
  return mul(elementsOf(t), std::max<int64_t>(1, bits / 8));
}

/// 2*M*N*K for each batch (any op with lhs, transpose_lhs and one result): the result has batch*M*N elements, each a K-long
/// dot product.
template <typename ContractionOp>
int64_t contractionFlops(ContractionOp op) {
  auto lhs = cast<RankedTensorType>(op.getLhs().getType());
  int64_t k = op.getTransposeLhs() ? lhs.getDimSize(lhs.getRank() - 2)
                                   : lhs.getDimSize(lhs.getRank() - 1);
  return mul(mul(2, elementsOf(op.getType())), k);
}

/// The element function `op` evaluates per element of its result, if any.
std::optional<cost::ElementFunction> elementFunctionOf(Operation *op) {
  using F = cost::ElementFunction;
  if (isa<ExpOp>(op))
    return F::Exp;
  if (isa<LogOp>(op))
    return F::Log;
  if (isa<TanhOp>(op))
    return F::Tanh;
  if (isa<SigmoidOp>(op))
    return F::Sigmoid;
  if (isa<GeluOp>(op))
    return F::Gelu;
  if (isa<GeluTanhOp>(op))
    return F::GeluTanh;
  if (isa<FastGeluOp>(op))
    return F::FastGelu;
  if (auto fmm = dyn_cast<FusedMatmulOp>(op)) {
    switch (fmm.getActivation()) {
    case EpilogueActivation::None:
      return std::nullopt;
    case EpilogueActivation::Gelu:
      return F::Gelu;
    case EpilogueActivation::GeluTanh:
      return F::GeluTanh;
    case EpilogueActivation::FastGelu:
      return F::FastGelu;
    }
  }
  return std::nullopt;
}

} // namespace

OpCost estimateCost(Operation *op) {
  OpCost cost;
  if (isa<ReshapeOp, ConstantOp>(op) || op->getDialect() == nullptr ||
      op->getDialect()->getNamespace() != "weft")
    return cost;
  if (isa<GatherOp, SliceOp>(op)) {
    // They read only what they return from their source (a gather's rows of
    // an embedding table, a slice's window), plus a gather's indices.
    for (Value v : op->getOperands().drop_front())
      cost.bytes = add(cost.bytes, bytesOf(v.getType()));
    cost.bytes = add(cost.bytes, mul(2, bytesOf(op->getResult(0).getType())));
  } else {
    for (Value v : op->getOperands())
      cost.bytes = add(cost.bytes, bytesOf(v.getType()));
    for (Value v : op->getResults())
      cost.bytes = add(cost.bytes, bytesOf(v.getType()));
  }
  if (auto mm = dyn_cast<MatmulOp>(op))
    cost.flops = contractionFlops(mm);
  else if (auto bmm = dyn_cast<BatchMatmulOp>(op))
    cost.flops = contractionFlops(bmm);
  else if (auto fmm = dyn_cast<FusedMatmulOp>(op)) // + bias and activation
    cost.flops = add(contractionFlops(fmm), mul(2, elementsOf(fmm.getType())));
  else if (auto fbmm = dyn_cast<FusedBatchMatmulOp>(op)) // + alpha, beta*addend
    cost.flops = add(contractionFlops(fbmm), mul(3, elementsOf(fbmm.getType())));
  else if (isa<LayerNormOp>(op)) // mean, centre, square, mean, scale, shift
    cost.flops = mul(8, elementsOf(op->getOperand(0).getType()));
  else if (isa<RmsNormOp>(op)) // square, mean, scale, gain
    cost.flops = mul(4, elementsOf(op->getOperand(0).getType()));
  else if (auto fusion = dyn_cast<FusionOp>(op)) // the work of its body
    for (Operation &inner : fusion.getBody().front().without_terminator()) {
      OpCost body = estimateCost(&inner);
      cost.flops = add(cost.flops, body.flops);
      for (size_t f = 0; f < cost.functionElements.size(); ++f)
        cost.functionElements[f] = add(cost.functionElements[f], body.functionElements[f]);
      // The kernel is a loop nest per reduction and one for the elementwise
      // results (codegen/linalg/FusionPatterns.cpp): each reduction passes
      // over its input once more (recomputed from the operands, or written
      // once by an earlier nest and read back). A fused cross-entropy over
      // [512, 50257] logits has four such passes beside the operands' and
      // results' one.
      if (isa<ReduceOp>(inner)) {
        cost.bytes = add(cost.bytes, bytesOf(inner.getOperand(0).getType()));
        ++cost.passes;
      }
    }
  else if (isa<GatherOp, SliceOp, ConcatOp, TransposeOp, BroadcastOp, IotaOp,
               CastOp>(op))
    cost.flops = 0;
  else if (isa<RandomUniformOp>(op)) // ~12 integer ops per element
    cost.flops = mul(12, elementsOf(op->getResult(0).getType()));
  else if (op->getNumOperands() > 0)
    cost.flops = elementsOf(op->getOperand(0).getType());
  if (std::optional<cost::ElementFunction> f = elementFunctionOf(op))
    cost.functionElements[size_t(*f)] = elementsOf(op->getResult(0).getType());
  return cost;
}

namespace {

/// The shape from the operands' shapes (rank >= 2, batch dims leading) and
/// the transpose flags.
ContractionShape shapeOf(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs, bool transposeLhs, bool transposeRhs) {
  ContractionShape s;
  size_t r = lhs.size();
  s.m = transposeLhs ? lhs[r - 1] : lhs[r - 2];
  s.k = transposeLhs ? lhs[r - 2] : lhs[r - 1];
  s.n = transposeRhs ? rhs[rhs.size() - 2] : rhs[rhs.size() - 1];
  for (size_t d = 0; d + 2 < r; ++d)
    s.batch = mul(s.batch, lhs[d]);
  return s;
}

template <typename ContractionOp>
ContractionShape shapeOf(ContractionOp op, ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
  if (lhs.empty())
    lhs = cast<RankedTensorType>(op.getLhs().getType()).getShape();
  if (rhs.empty())
    rhs = cast<RankedTensorType>(op.getRhs().getType()).getShape();
  return shapeOf(lhs, rhs, op.getTransposeLhs(), op.getTransposeRhs());
}

} // namespace

std::optional<ContractionShape> contractionShape(Operation *op, ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
  if (auto mm = dyn_cast<MatmulOp>(op))
    return shapeOf(mm, lhs, rhs);
  if (auto bmm = dyn_cast<BatchMatmulOp>(op))
    return shapeOf(bmm, lhs, rhs);
  if (auto fmm = dyn_cast<FusedMatmulOp>(op))
    return shapeOf(fmm, lhs, rhs);
  if (auto fbmm = dyn_cast<FusedBatchMatmulOp>(op))
    return shapeOf(fbmm, lhs, rhs);
  return std::nullopt;
}

ProgramCost summarizeCost(func::FuncOp func) {
  ProgramCost program;
  for (Operation &op : func.getBody().getOps()) {
    if (!isa_and_nonnull<WeftDialect>(op.getDialect()))
      continue;
    OpCost cost = estimateCost(&op);
    CostRow &row = program.byKind[op.getName().getStringRef().str()];
    for (CostRow *r : {&row, &program.total}) {
      r->count += 1;
      r->flops = add(r->flops, cost.flops);
      r->bytes = add(r->bytes, cost.bytes);
    }
    if (isa<ReshapeOp, ConstantOp>(op))
      continue;
    program.kernels += 1;
    program.gemms +=
        isa<MatmulOp, BatchMatmulOp, FusedMatmulOp, FusedBatchMatmulOp>(op);
  }
  return program;
}

} // namespace weft

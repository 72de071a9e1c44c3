//===- ShardingRules.cpp - the sharding rule of every splittable weft op --===//
//
// This file implements the ShardingRuleOpInterface models (ShardingRule.h
// explains factors) and their registration:
//   - elementwise ops, compare, select, cast, stop_gradient and
//     sharding_constraint: one pass-through factor per dimension, shared by
//     every operand and the result;
//   - matmul and batch_matmul: batch, M and N pass through, K is a reduction
//     (a split K leaves a partial sum);
//   - reduce: kept dimensions pass through, reduced ones are reductions;
//   - transpose permutes the factors; broadcast shares the operand's factors
//     with the dimensions it maps to (a stretched size-1 dimension is new);
//   - reshape: the common refinement of the two shapes (a dimension that
//     splits into several gets one factor per piece); where the shapes do
//     not nest, the dimensions involved need replication;
//   - slice: untouched dimensions pass through; a slice that takes whole
//     equal blocks of a dimension keeps the block's inner part splittable
//     (q, k and v cut out of a fused qkv projection); any other sliced
//     dimension needs replication. concat: the same for joined equal parts;
//   - gather: index dimensions pass through to the result, the table's rows
//     are a reduction (a vocabulary-parallel lookup leaves a partial sum),
//     its feature dimensions pass through; scatter_add the reverse;
//   - dynamic_update_slice: every dimension but the written one passes
//     through operand, update and result; the written one needs replication
//     (the run-time offset addresses the whole dimension);
//   - iota and splat constants: one pass-through factor per dimension (the
//     partitioner offsets a split iota); other constants need replication.
// Partial sums flow through the linear ops: add, sub and concat (all
// operands alike), neg, mul (either operand), div (numerator), movement,
// reduce sum/mean, matmuls (either operand), gather (table), scatter_add
// (updates).
//
//===----------------------------------------------------------------------===//

#include "ir/sharding/ShardingInterface.h"

#include "ir/Sharding.h"
#include "ir/WeftCollectiveOps.h"
#include "ir/WeftDialect.h"
#include "ir/WeftOps.h"
#include "ir/WeftStateOps.h"
#include "ir/WeftTrainingOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <numeric>

#include "ir/sharding/ShardingInterface.cpp.inc"

using namespace mlir;

namespace weft::sharding {

bool OpShardingRule::isConsistent(ArrayRef<ArrayRef<int64_t>> operandShapes,
                                  ArrayRef<ArrayRef<int64_t>> resultShapes) const {
  auto check = [&](ArrayRef<TensorFactors> tensors, ArrayRef<ArrayRef<int64_t>> shapes) {
    if (tensors.size() != shapes.size())
      return false;
    for (auto [t, shape] : llvm::zip(tensors, shapes)) {
      if (t.size() != shape.size())
        return false;
      for (auto [dim, size] : llvm::zip(t, shape)) {
        int64_t product = 1;
        for (unsigned f : dim)
          product *= factors[f].size;
        if (product != size)
          return false;
      }
    }
    return true;
  };
  return check(operands, operandShapes) && check(results, resultShapes);
}

namespace {

ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

/// One pass-through factor per dimension of `shape`, as a tensor's factors.
TensorFactors passThroughDims(OpShardingRule &rule, ArrayRef<int64_t> shape) {
  TensorFactors t;
  for (int64_t size : shape)
    t.push_back({rule.addFactor(size, FactorKind::PassThrough)});
  return t;
}

/// Every operand and the result share one factor per dimension.
OpShardingRule sameShapeRule(Operation *op, PartialRule partial, ArrayRef<bool> linearIn = {}) {
  OpShardingRule rule;
  TensorFactors t = passThroughDims(rule, shapeOf(op->getResult(0)));
  for (Value operand : op->getOperands()) {
    (void)operand;
    rule.operands.push_back(t);
  }
  rule.results.push_back(t);
  rule.partial = partial;
  rule.linearIn.assign(linearIn.begin(), linearIn.end());
  return rule;
}

OpShardingRule elementwiseRule(Operation *op) {
  unsigned n = op->getNumOperands();
  if (isa<AddOp, SubOp>(op))
    return sameShapeRule(op, PartialRule::AllAlike);
  if (isa<MulOp>(op))
    return sameShapeRule(op, PartialRule::OneLinear, {true, true});
  if (isa<DivOp>(op))
    return sameShapeRule(op, PartialRule::OneLinear, {true, false});
  if (isa<NegOp, StopGradientOp>(op))
    return sameShapeRule(op, PartialRule::OneLinear, {true});
  return sameShapeRule(op, PartialRule::None, SmallVector<bool>(n, false));
}

/// [batch..., M, K] x [batch..., K, N] with transpose flags.
OpShardingRule contractionRule(Value lhs, Value rhs, bool transLhs, bool transRhs) {
  OpShardingRule rule;
  ArrayRef<int64_t> ls = shapeOf(lhs), rs = shapeOf(rhs);
  size_t batch = ls.size() - 2;
  TensorFactors l(ls.size()), r(rs.size()), out(ls.size());
  for (size_t b = 0; b < batch; ++b) {
    unsigned f = rule.addFactor(ls[b], FactorKind::PassThrough);
    l[b] = r[b] = out[b] = {f};
  }
  unsigned m = rule.addFactor(ls[transLhs ? batch + 1 : batch], FactorKind::PassThrough);
  unsigned k = rule.addFactor(ls[transLhs ? batch : batch + 1], FactorKind::Reduction);
  unsigned n = rule.addFactor(rs[transRhs ? batch : batch + 1], FactorKind::PassThrough);
  l[batch + (transLhs ? 1 : 0)] = {m};
  l[batch + (transLhs ? 0 : 1)] = {k};
  r[batch + (transRhs ? 1 : 0)] = {k};
  r[batch + (transRhs ? 0 : 1)] = {n};
  out[batch] = {m};
  out[batch + 1] = {n};
  rule.operands = {l, r};
  rule.results = {out};
  rule.partial = PartialRule::OneLinear;
  rule.linearIn = {true, true};
  return rule;
}

OpShardingRule reduceRule(ReduceOp op) {
  OpShardingRule rule;
  ArrayRef<int64_t> shape = shapeOf(op.getInput());
  ArrayRef<int64_t> reduced = op.getDims();
  TensorFactors in, out;
  for (auto [d, size] : llvm::enumerate(shape)) {
    bool isReduced = llvm::is_contained(reduced, int64_t(d));
    unsigned f = rule.addFactor(size, isReduced ? FactorKind::Reduction : FactorKind::PassThrough);
    in.push_back({f});
    if (!isReduced)
      out.push_back({f});
  }
  rule.operands = {in};
  rule.results = {out};
  bool linear = op.getKind() == ReduceKind::Sum || op.getKind() == ReduceKind::Mean;
  rule.partial = linear ? PartialRule::OneLinear : PartialRule::None;
  rule.linearIn = {linear};
  return rule;
}

OpShardingRule transposeRule(TransposeOp op) {
  OpShardingRule rule;
  TensorFactors in = passThroughDims(rule, shapeOf(op.getInput()));
  TensorFactors out;
  for (int64_t p : op.getPermutation())
    out.push_back(in[p]);
  rule.operands = {in};
  rule.results = {out};
  rule.partial = PartialRule::OneLinear;
  rule.linearIn = {true};
  return rule;
}

OpShardingRule broadcastRule(BroadcastOp op) {
  OpShardingRule rule;
  ArrayRef<int64_t> in = shapeOf(op.getInput()), out = shapeOf(op.getResult());
  ArrayRef<int64_t> dims = op.getDims();
  TensorFactors inF(in.size()), outF(out.size());
  for (auto [i, d] : llvm::enumerate(dims)) {
    if (in[i] == out[d]) {
      unsigned f = rule.addFactor(in[i], FactorKind::PassThrough);
      inF[i] = outF[d] = {f};
    } else { // a stretched size-1 dimension
      inF[i] = {rule.addFactor(1, FactorKind::PassThrough)};
    }
  }
  for (auto [d, size] : llvm::enumerate(out))
    if (outF[d].empty())
      outF[d] = {rule.addFactor(size, FactorKind::PassThrough)};
  rule.operands = {inF};
  rule.results = {outF};
  rule.partial = PartialRule::OneLinear;
  rule.linearIn = {true};
  return rule;
}

OpShardingRule reshapeRule(ReshapeOp op) {
  OpShardingRule rule;
  ArrayRef<int64_t> in = shapeOf(op.getInput()), out = shapeOf(op.getResult());
  TensorFactors inF(in.size()), outF(out.size());
  size_t i = 0, o = 0;
  int64_t remIn = in.empty() ? 1 : in[0], remOut = out.empty() ? 1 : out[0];
  // Size-1 dimensions get their own factor; the others are refined in order.
  auto skipOnes = [&]() {
    while (i < in.size() && in[i] == 1 && inF[i].empty()) {
      inF[i++] = {rule.addFactor(1, FactorKind::PassThrough)};
      remIn = i < in.size() ? in[i] : 1;
    }
    while (o < out.size() && out[o] == 1 && outF[o].empty()) {
      outF[o++] = {rule.addFactor(1, FactorKind::PassThrough)};
      remOut = o < out.size() ? out[o] : 1;
    }
  };
  skipOnes();
  bool nested = true;
  while (i < in.size() && o < out.size()) {
    int64_t piece = std::min(remIn, remOut);
    if (remIn % piece != 0 || remOut % piece != 0) {
      nested = false;
      break;
    }
    unsigned f = rule.addFactor(piece, FactorKind::PassThrough);
    inF[i].push_back(f);
    outF[o].push_back(f);
    remIn /= piece;
    remOut /= piece;
    if (remIn == 1) {
      ++i;
      remIn = i < in.size() ? in[i] : 1;
    }
    if (remOut == 1) {
      ++o;
      remOut = o < out.size() ? out[o] : 1;
    }
    skipOnes();
  }
  if (!nested) {
    // From the first dimension that does not nest on, nothing may be split:
    // the dimensions are whole factors of their own.
    for (; i < in.size(); ++i)
      inF[i] = {rule.addFactor(in[i], FactorKind::NeedReplication)};
    for (; o < out.size(); ++o)
      outF[o] = {rule.addFactor(out[o], FactorKind::NeedReplication)};
  }
  rule.operands = {inF};
  rule.results = {outF};
  rule.partial = PartialRule::OneLinear;
  rule.linearIn = {true};
  return rule;
}

/// For a dimension of size `whole` of which a part of size `part` is taken
/// at `start`: the inner block size when the part is whole equal blocks
/// (start and part multiples of it, whole divisible by it), else 0.
int64_t blockOf(int64_t whole, int64_t start, int64_t part) {
  if (part <= 0 || whole % part != 0 || start % part != 0 || part == whole)
    return 0;
  return part;
}

OpShardingRule sliceRule(SliceOp op) {
  OpShardingRule rule;
  ArrayRef<int64_t> in = shapeOf(op.getInput());
  ArrayRef<int64_t> start = op.getStart(), limit = op.getLimit(), strides = op.getStrides();
  TensorFactors inF, outF;
  for (size_t d = 0; d < in.size(); ++d) {
    int64_t part = limit[d] - start[d];
    if (strides[d] == 1 && start[d] == 0 && limit[d] == in[d]) {
      unsigned f = rule.addFactor(in[d], FactorKind::PassThrough);
      inF.push_back({f});
      outF.push_back({f});
    } else if (int64_t block = strides[d] == 1 ? blockOf(in[d], start[d], part) : 0) {
      unsigned outer = rule.addFactor(in[d] / block, FactorKind::NeedReplication);
      unsigned inner = rule.addFactor(block, FactorKind::PassThrough);
      inF.push_back({outer, inner});
      outF.push_back({inner});
    } else {
      int64_t taken = (part + strides[d] - 1) / strides[d];
      inF.push_back({rule.addFactor(in[d], FactorKind::NeedReplication)});
      outF.push_back({rule.addFactor(taken, FactorKind::NeedReplication)});
    }
  }
  rule.operands = {inF};
  rule.results = {outF};
  rule.partial = PartialRule::OneLinear;
  rule.linearIn = {true};
  return rule;
}

OpShardingRule concatRule(ConcatOp op) {
  OpShardingRule rule;
  ArrayRef<int64_t> out = shapeOf(op.getResult());
  int64_t dim = op.getDim();
  TensorFactors outF;
  for (auto [d, size] : llvm::enumerate(out))
    outF.push_back(int64_t(d) == dim ? DimFactors{}
                                     : DimFactors{rule.addFactor(size, FactorKind::PassThrough)});
  int64_t part = shapeOf(op.getInputs()[0])[dim];
  bool equalParts = llvm::all_of(op.getInputs(), [&](Value v) { return shapeOf(v)[dim] == part; });
  SmallVector<DimFactors> inDim;
  if (equalParts && op.getInputs().size() > 1) {
    unsigned outer = rule.addFactor(int64_t(op.getInputs().size()), FactorKind::NeedReplication);
    unsigned inner = rule.addFactor(part, FactorKind::PassThrough);
    outF[dim] = {outer, inner};
    inDim.assign(op.getInputs().size(), DimFactors{inner});
  } else {
    outF[dim] = {rule.addFactor(out[dim], FactorKind::NeedReplication)};
    for (Value v : op.getInputs())
      inDim.push_back({rule.addFactor(shapeOf(v)[dim], FactorKind::NeedReplication)});
  }
  for (auto [k, v] : llvm::enumerate(op.getInputs())) {
    TensorFactors t = outF;
    t[dim] = inDim[k];
    rule.operands.push_back(t);
  }
  rule.results = {outF};
  rule.partial = PartialRule::AllAlike;
  return rule;
}

OpShardingRule gatherRule(GatherOp op) {
  OpShardingRule rule;
  ArrayRef<int64_t> table = shapeOf(op.getTable()), indices = shapeOf(op.getIndices());
  TensorFactors t, idx, out;
  t.push_back({rule.addFactor(table[0], FactorKind::Reduction)});
  for (int64_t size : indices) {
    unsigned f = rule.addFactor(size, FactorKind::PassThrough);
    idx.push_back({f});
    out.push_back({f});
  }
  for (int64_t size : table.drop_front()) {
    unsigned f = rule.addFactor(size, FactorKind::PassThrough);
    t.push_back({f});
    out.push_back({f});
  }
  rule.operands = {t, idx};
  rule.results = {out};
  rule.partial = PartialRule::OneLinear;
  rule.linearIn = {true, false};
  return rule;
}

OpShardingRule scatterAddRule(ScatterAddOp op) {
  OpShardingRule rule;
  ArrayRef<int64_t> indices = shapeOf(op.getIndices()), out = shapeOf(op.getResult());
  TensorFactors upd, idx, res;
  for (int64_t size : indices) {
    unsigned f = rule.addFactor(size, FactorKind::Reduction);
    upd.push_back({f});
    idx.push_back({f});
  }
  res.push_back({rule.addFactor(out[0], FactorKind::PassThrough)});
  for (int64_t size : out.drop_front()) {
    unsigned f = rule.addFactor(size, FactorKind::PassThrough);
    upd.push_back({f});
    res.push_back({f});
  }
  rule.operands = {upd, idx};
  rule.results = {res};
  rule.partial = PartialRule::OneLinear;
  rule.linearIn = {true, false};
  if (op.getInit()) {
    // The table added into is split like the result. A pending sum in the
    // updates alone would add the table once per rank: both full.
    rule.operands.push_back(res);
    rule.partial = PartialRule::None;
    rule.linearIn.push_back(false);
  }
  return rule;
}

OpShardingRule dynamicUpdateSliceRule(DynamicUpdateSliceOp op) {
  OpShardingRule rule;
  ArrayRef<int64_t> operand = shapeOf(op.getInput()), update = shapeOf(op.getUpdate());
  TensorFactors whole, block;
  for (auto [d, size] : llvm::enumerate(operand)) {
    if (int64_t(d) == op.getDim()) {
      whole.push_back({rule.addFactor(size, FactorKind::NeedReplication)});
      block.push_back({rule.addFactor(update[d], FactorKind::NeedReplication)});
      continue;
    }
    unsigned f = rule.addFactor(size, FactorKind::PassThrough);
    whole.push_back({f});
    block.push_back({f});
  }
  rule.operands = {whole, block, TensorFactors{}};
  rule.results = {whole};
  return rule;
}

OpShardingRule producerRule(Operation *op, bool splittable) {
  OpShardingRule rule;
  TensorFactors out;
  for (int64_t size : shapeOf(op->getResult(0)))
    out.push_back({rule.addFactor(size, splittable ? FactorKind::PassThrough
                                                   : FactorKind::NeedReplication)});
  rule.results = {out};
  return rule;
}

template <typename OpT, OpShardingRule (*Fn)(OpT)>
struct RuleModel : public ShardingRuleOpInterface::ExternalModel<RuleModel<OpT, Fn>, OpT> {
  OpShardingRule getShardingRule(Operation *op) const { return Fn(cast<OpT>(op)); }
};

template <typename OpT, OpShardingRule (*Fn)(OpT)> void attachRule(MLIRContext *ctx) {
  OpT::template attachInterface<RuleModel<OpT, Fn>>(*ctx);
}

template <typename OpT> OpShardingRule elementwiseOf(OpT op) { return elementwiseRule(op); }
template <typename... OpTs> void attachElementwise(MLIRContext *ctx) {
  (attachRule<OpTs, elementwiseOf<OpTs>>(ctx), ...);
}

OpShardingRule matmulRule(MatmulOp op) {
  return contractionRule(op.getLhs(), op.getRhs(), op.getTransposeLhs(), op.getTransposeRhs());
}
OpShardingRule batchMatmulRule(BatchMatmulOp op) {
  return contractionRule(op.getLhs(), op.getRhs(), op.getTransposeLhs(), op.getTransposeRhs());
}
OpShardingRule iotaRule(IotaOp op) { return producerRule(op, /*splittable=*/true); }
/// Replicated: a piece would have to offset its element indices to draw the
/// whole tensor's numbers. The seed is a rank-0 operand.
OpShardingRule randomUniformRule(RandomUniformOp op) {
  OpShardingRule rule = producerRule(op, /*splittable=*/false);
  rule.operands = {TensorFactors{}};
  return rule;
}
OpShardingRule constantRule(ConstantOp op) {
  auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
  return producerRule(op, /*splittable=*/dense && dense.isSplat());
}
OpShardingRule constraintRule(ShardingConstraintOp op) {
  return sameShapeRule(op, PartialRule::None, {false});
}

} // namespace
} // namespace weft::sharding

namespace weft {

void registerShardingInterfaces(mlir::DialectRegistry &registry) {
  using namespace sharding;
  registry.addExtension(+[](MLIRContext *ctx, WeftDialect *) {
    attachElementwise<NegOp, AbsOp, ExpOp, LogOp, SqrtOp, RsqrtOp, TanhOp, ReluOp, SigmoidOp,
                      GeluOp, GeluTanhOp, FastGeluOp, AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp,
                      PowOp, CompareOp, SelectOp, CastOp, StopGradientOp>(ctx);
    attachRule<MatmulOp, matmulRule>(ctx);
    attachRule<BatchMatmulOp, batchMatmulRule>(ctx);
    attachRule<ReduceOp, reduceRule>(ctx);
    attachRule<TransposeOp, transposeRule>(ctx);
    attachRule<BroadcastOp, broadcastRule>(ctx);
    attachRule<ReshapeOp, reshapeRule>(ctx);
    attachRule<SliceOp, sliceRule>(ctx);
    attachRule<ConcatOp, concatRule>(ctx);
    attachRule<GatherOp, gatherRule>(ctx);
    attachRule<ScatterAddOp, scatterAddRule>(ctx);
    attachRule<DynamicUpdateSliceOp, dynamicUpdateSliceRule>(ctx);
    attachRule<IotaOp, iotaRule>(ctx);
    attachRule<RandomUniformOp, randomUniformRule>(ctx);
    attachRule<ConstantOp, constantRule>(ctx);
    attachRule<ShardingConstraintOp, constraintRule>(ctx);
  });
}

} // namespace weft

//===- SplitReductions.cpp - weft-split-reductions ------------------------===//
//
// This file implements the weft-split-reductions pass (see Passes.td): a
// linalg.generic on memrefs whose reduction has far more work than its
// parallel dimensions becomes a partial reduction (more parallel
// iterations, short sequential loops) followed by a final reduction of the
// partials into the original outputs.
//
// Iteration domains. The partial generic's dimensions are the original
// ones, in their original order, with (a) the innermost reduction dimensions
// chosen by choosePlan turned into parallel "partial" dimensions and (b) at
// most one reduction dimension d of size n split into d_in (reduction, n/S)
// and d_part (parallel, S), with element index i = d_in * S + d_part. The
// parallel dimensions come first (in original order), then the reduction
// ones: linalg's loop lowering then gives one scf.parallel around scf.for
// loops. Keeping the original order among the parallel dimensions keeps the
// fastest-varying thread index on the dimension that was innermost, so
// neighbouring threads still read neighbouring elements. Operands indexed by
// d are viewed through memref.expand_shape [.., n/S, S, ..] (identity
// layouts only: the view is free).
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/SetVector.h"

#include <optional>

namespace weft::codegen {

#define GEN_PASS_DEF_SPLITREDUCTIONSPASS
#include "codegen/Passes.h.inc"

namespace {

using namespace mlir;

/// Thresholds (the pass options).
struct SplitLimits {
  int64_t minParallel;
  int64_t targetParallel;
  int64_t minChunk;
  int64_t minReduction;
};

/// What becomes of each original loop dimension in the partial generic.
enum class DimRole { Parallel, Reduction, Partial, Split };

struct SplitPlan {
  SmallVector<DimRole> roles;
  int64_t splitFactor = 1; // S, for the DimRole::Split dimension
};

/// One output of the generic: a reduction combined by `combiner`, or an
/// element written once per iteration.
struct OutputInfo {
  Operation *combiner = nullptr; // null: written once per iteration
  unsigned accumulatorOperand = 0; // which combiner operand is the accumulator
};

bool isCombiner(Operation *op) {
  return isa<arith::AddFOp, arith::MulFOp, arith::MaximumFOp, arith::MinimumFOp, arith::MaxNumFOp,
             arith::MinNumFOp, arith::AddIOp, arith::MulIOp, arith::MaxSIOp, arith::MinSIOp,
             arith::MaxUIOp, arith::MinUIOp, arith::AndIOp, arith::OrIOp, arith::XOrIOp>(op);
}

/// Whether `v` depends, inside the generic's body, on one of `args`.
bool dependsOn(Value v, const llvm::SmallPtrSetImpl<Value> &args, Block *body) {
  SmallVector<Value> work{v};
  llvm::SmallPtrSet<Value, 16> seen;
  while (!work.empty()) {
    Value x = work.pop_back_val();
    if (!seen.insert(x).second)
      continue;
    if (args.contains(x))
      return true;
    Operation *def = x.getDefiningOp();
    if (!def || def->getBlock() != body)
      continue;
    for (Value o : def->getOperands())
      work.push_back(o);
  }
  return false;
}

/// The outputs of `op` when every output is a reduction combined with one
/// commutative, associative op (its accumulator read nowhere else) or an
/// element written once per iteration; std::nullopt otherwise.
std::optional<SmallVector<OutputInfo>> classifyOutputs(linalg::GenericOp op) {
  Block *body = op.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  llvm::SmallPtrSet<Value, 8> accumulators;
  SmallVector<OutputInfo> outs;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    BlockArgument acc = op.getMatchingBlockArgument(&init);
    Value yielded = yield.getOperand(init.getOperandNumber() - op.getNumDpsInputs());
    bool usesReduction = llvm::any_of(map.getResults(), [&](AffineExpr e) {
      auto d = dyn_cast<AffineDimExpr>(e);
      return d && iters[d.getPosition()] == utils::IteratorType::reduction;
    });
    if (!map.isProjectedPermutation())
      return std::nullopt;
    OutputInfo info;
    if (usesReduction) {
      // Written once per iteration: every dimension indexes it.
      if (map.getNumResults() != map.getNumDims() || !acc.use_empty())
        return std::nullopt;
    } else {
      // A reduction: every parallel dimension indexes it, and it is
      // combine(acc, contribution) with acc used only there.
      int64_t parallel = llvm::count(iters, utils::IteratorType::parallel);
      Operation *comb = yielded.getDefiningOp();
      if (map.getNumResults() != parallel || !comb || comb->getBlock() != body ||
          !isCombiner(comb) || !acc.hasOneUse() || acc.getUses().begin()->getOwner() != comb ||
          !arith::getNeutralElement(comb))
        return std::nullopt;
      info.combiner = comb;
      info.accumulatorOperand = comb->getOperand(0) == acc ? 0 : 1;
      accumulators.insert(acc);
    }
    outs.push_back(info);
  }
  // No contribution or written element may depend on a running reduction.
  for (auto [i, info] : llvm::enumerate(outs)) {
    Value yielded = yield.getOperand(i);
    if (!info.combiner) {
      if (dependsOn(yielded, accumulators, body))
        return std::nullopt;
      continue;
    }
    for (Value operand : info.combiner->getOperands())
      if (!accumulators.contains(operand) && dependsOn(operand, accumulators, body))
        return std::nullopt;
  }
  return outs;
}

/// Whether every operand of `op` that dimension `d` indexes has an identity
/// layout (its view [.., n/S, S, ..] is then free).
bool splittable(linalg::GenericOp op, unsigned d) {
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isFunctionOfDim(d))
      continue;
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !type.getLayout().isIdentity())
      return false;
  }
  return true;
}

/// Which reduction dimensions become partial: from the innermost outwards,
/// whole dimensions while they fit in the parallelism still needed, then one
/// split by the smallest divisor reaching it (else the largest one that
/// keeps `minChunk` elements per partial).
std::optional<SplitPlan> choosePlan(linalg::GenericOp op, const SplitLimits &limits) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  int64_t parallel = 1, reduction = 1;
  for (auto [n, it] : llvm::zip(ranges, iters)) {
    if (ShapedType::isDynamic(n) || n <= 0)
      return std::nullopt;
    (it == utils::IteratorType::parallel ? parallel : reduction) *= n;
  }
  if (reduction == 1 || parallel >= limits.minParallel || reduction < limits.minReduction)
    return std::nullopt;

  SplitPlan plan;
  for (utils::IteratorType it : iters)
    plan.roles.push_back(it == utils::IteratorType::parallel ? DimRole::Parallel
                                                             : DimRole::Reduction);
  int64_t need = (limits.targetParallel + parallel - 1) / parallel;
  int64_t factor = 1;
  for (int64_t d = static_cast<int64_t>(ranges.size()) - 1; d >= 0 && need > 1; --d) {
    if (plan.roles[d] != DimRole::Reduction)
      continue;
    int64_t n = ranges[d];
    if (n <= need && reduction / (factor * n) >= limits.minChunk) {
      plan.roles[d] = DimRole::Partial;
      factor *= n;
      need = (need + n - 1) / n;
      continue;
    }
    if (!splittable(op, static_cast<unsigned>(d)))
      continue;
    int64_t best = 1;
    for (int64_t s = 2; s < n; ++s) {
      if (n % s || reduction / (factor * s) < limits.minChunk)
        continue;
      best = s;
      if (s >= need)
        break;
    }
    if (best > 1) {
      plan.roles[d] = DimRole::Split;
      plan.splitFactor = best;
      factor *= best;
    }
    break;
  }
  if (factor == 1)
    return std::nullopt;
  return plan;
}

/// Builds the two generics of `plan` in place of `op`.
class Splitter {
public:
  Splitter(linalg::GenericOp op, const SplitPlan &plan, ArrayRef<OutputInfo> outputs)
      : op(op), plan(plan), outputs(outputs), b(op), loc(op.getLoc()) {
    for (auto [d, role] : llvm::enumerate(plan.roles))
      if (role == DimRole::Split)
        split = static_cast<unsigned>(d);
  }

  /// Returns the final-reduction generic (which may be split again).
  linalg::GenericOp run() {
    numberDims();
    linalg::GenericOp partial = buildPartial();
    linalg::GenericOp final = buildFinal(partial);
    b.setInsertionPointAfter(final);
    for (Value buffer : partialBuffers)
      b.create<memref::DeallocOp>(loc, buffer);
    op.erase();
    return final;
  }

private:
  /// Positions of the partial generic's dimensions: parallel ones (original
  /// parallel, partial, split-part) first in original order, then the
  /// reduction ones (original reduction, split-inner) in original order.
  void numberDims() {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    unsigned next = 0;
    position.assign(ranges.size(), 0);
    SmallVector<unsigned> parallelDims;
    for (auto [d, role] : llvm::enumerate(plan.roles))
      if (role != DimRole::Reduction)
        parallelDims.push_back(static_cast<unsigned>(d));
    // The thread index varies fastest along the last parallel dimension: put
    // last the ones the largest input stores most contiguously.
    SmallVector<int64_t> rank = memoryRank();
    llvm::stable_sort(parallelDims, [&](unsigned x, unsigned y) { return rank[x] < rank[y]; });
    for (unsigned d : parallelDims) {
      DimRole role = plan.roles[d];
      position[d] = next++;
      sizes.push_back(role == DimRole::Split ? plan.splitFactor : ranges[d]);
      iterators.push_back(utils::IteratorType::parallel);
    }
    numParallel = next;
    for (auto [d, role] : llvm::enumerate(plan.roles)) {
      if (role == DimRole::Reduction) {
        position[d] = next++;
      } else if (role == DimRole::Split) {
        splitInner = next++;
      } else {
        continue;
      }
      sizes.push_back(role == DimRole::Split ? ranges[d] / plan.splitFactor : ranges[d]);
      iterators.push_back(utils::IteratorType::reduction);
    }
  }

  /// Per original dimension: where the largest input (by elements) has it
  /// among its memory dimensions, counting the split dimension's part (its
  /// innermost half) as one past its own; -1 when that input does not have
  /// it.
  SmallVector<int64_t> memoryRank() {
    SmallVector<int64_t> rank(plan.roles.size(), -1);
    OpOperand *largest = nullptr;
    int64_t most = -1;
    for (OpOperand *in : op.getDpsInputOperands()) {
      auto type = dyn_cast<MemRefType>(in->get().getType());
      if (type && type.hasStaticShape() && type.getNumElements() > most) {
        most = type.getNumElements();
        largest = in;
      }
    }
    if (!largest)
      return rank;
    for (auto [i, e] : llvm::enumerate(op.getMatchingIndexingMap(largest).getResults())) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      rank[d] = 2 * static_cast<int64_t>(i) + (split && d == *split ? 1 : 0);
    }
    return rank;
  }

  /// An operand indexed by `map`, as seen by the partial generic: viewed as
  /// [.., n/S, S, ..] when the split dimension indexes it, with its map.
  std::pair<Value, AffineMap> remap(Value operand, AffineMap map) {
    MLIRContext *ctx = op.getContext();
    SmallVector<AffineExpr> results;
    SmallVector<ReassociationIndices> groups;
    bool expand = false;
    for (AffineExpr e : map.getResults()) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      unsigned at = static_cast<unsigned>(results.size());
      if (split && d == *split) {
        results.push_back(getAffineDimExpr(splitInner, ctx));
        results.push_back(getAffineDimExpr(position[d], ctx));
        groups.push_back({at, at + 1});
        expand = true;
      } else {
        results.push_back(getAffineDimExpr(position[d], ctx));
        groups.push_back({at});
      }
    }
    AffineMap newMap = AffineMap::get(static_cast<unsigned>(sizes.size()), 0, results, ctx);
    if (!expand)
      return {operand, newMap};
    auto type = cast<MemRefType>(operand.getType());
    SmallVector<int64_t> shape;
    for (auto [i, group] : llvm::enumerate(groups)) {
      if (group.size() == 1) {
        shape.push_back(type.getDimSize(static_cast<unsigned>(i)));
        continue;
      }
      shape.push_back(type.getDimSize(static_cast<unsigned>(i)) / plan.splitFactor);
      shape.push_back(plan.splitFactor);
    }
    MemRefType viewType = *memref::ExpandShapeOp::computeExpandedType(type, shape, groups);
    Value view = b.create<memref::ExpandShapeOp>(loc, viewType, operand, groups);
    return {view, newMap};
  }

  linalg::GenericOp buildPartial() {
    MLIRContext *ctx = op.getContext();
    SmallVector<Value> inputs, inits;
    SmallVector<AffineMap> maps;
    for (OpOperand *in : op.getDpsInputOperands()) {
      auto [v, map] = remap(in->get(), op.getMatchingIndexingMap(in));
      inputs.push_back(v);
      maps.push_back(map);
    }
    SmallVector<AffineExpr> parallelDims;
    SmallVector<int64_t> partialShape;
    for (unsigned i = 0; i < numParallel; ++i) {
      parallelDims.push_back(getAffineDimExpr(i, ctx));
      partialShape.push_back(sizes[i]);
    }
    for (auto [init, info] : llvm::zip(op.getDpsInitsMutable(), outputs)) {
      if (!info.combiner) {
        auto [v, map] = remap(init.get(), op.getMatchingIndexingMap(&init));
        inits.push_back(v);
        maps.push_back(map);
        continue;
      }
      Type element = cast<MemRefType>(init.get().getType()).getElementType();
      auto type = MemRefType::get(partialShape, element);
      Value buffer = b.create<memref::AllocOp>(loc, type, b.getI64IntegerAttr(64));
      Value identity =
          b.create<arith::ConstantOp>(loc, *arith::getNeutralElement(info.combiner));
      b.create<linalg::FillOp>(loc, identity, buffer);
      partialBuffers.push_back(buffer);
      inits.push_back(buffer);
      maps.push_back(AffineMap::get(static_cast<unsigned>(sizes.size()), 0, parallelDims, ctx));
    }
    auto partial = b.create<linalg::GenericOp>(loc, TypeRange{}, inputs, inits, maps, iterators);
    IRMapping mapping;
    op.getRegion().cloneInto(&partial.getRegion(), mapping);
    rebuildIndices(partial);
    return partial;
  }

  /// linalg.index of original dimension d → its new position (d_in * S +
  /// d_part for the split dimension).
  void rebuildIndices(linalg::GenericOp partial) {
    for (auto index : llvm::make_early_inc_range(partial.getBody()->getOps<linalg::IndexOp>())) {
      unsigned d = static_cast<unsigned>(index.getDim());
      OpBuilder ib(index);
      Value replacement;
      if (split && d == *split) {
        Value inner = ib.create<linalg::IndexOp>(loc, splitInner);
        Value part = ib.create<linalg::IndexOp>(loc, position[d]);
        Value s = ib.create<arith::ConstantIndexOp>(loc, plan.splitFactor);
        replacement = ib.create<arith::AddIOp>(loc, ib.create<arith::MulIOp>(loc, inner, s), part);
      } else {
        replacement = ib.create<linalg::IndexOp>(loc, position[d]);
      }
      index.replaceAllUsesWith(replacement);
      index.erase();
    }
  }

  /// Combines the partials into the original reduction outputs: original
  /// parallel dimensions first (parallel), then the partial ones (reduction).
  linalg::GenericOp buildFinal(linalg::GenericOp partial) {
    MLIRContext *ctx = op.getContext();
    // Final domain: the partial generic's parallel dimensions reordered.
    SmallVector<unsigned> finalPos(numParallel);
    SmallVector<utils::IteratorType> finalIters;
    unsigned next = 0;
    for (auto [d, role] : llvm::enumerate(plan.roles))
      if (role == DimRole::Parallel) {
        finalPos[position[d]] = next++;
        finalIters.push_back(utils::IteratorType::parallel);
      }
    for (auto [d, role] : llvm::enumerate(plan.roles))
      if (role == DimRole::Partial || role == DimRole::Split) {
        finalPos[position[d]] = next++;
        finalIters.push_back(utils::IteratorType::reduction);
      }
    SmallVector<AffineExpr> partialResults;
    for (unsigned i = 0; i < numParallel; ++i)
      partialResults.push_back(getAffineDimExpr(finalPos[i], ctx));
    AffineMap partialMap = AffineMap::get(numParallel, 0, partialResults, ctx);

    SmallVector<Value> inputs, inits;
    SmallVector<AffineMap> maps;
    SmallVector<Operation *> combiners;
    SmallVector<unsigned> accumulatorOperands;
    for (Value buffer : partialBuffers) {
      inputs.push_back(buffer);
      maps.push_back(partialMap);
    }
    for (auto [init, info] : llvm::zip(op.getDpsInitsMutable(), outputs)) {
      if (!info.combiner)
        continue;
      SmallVector<AffineExpr> results;
      for (AffineExpr e : op.getMatchingIndexingMap(&init).getResults())
        results.push_back(
            getAffineDimExpr(finalPos[position[cast<AffineDimExpr>(e).getPosition()]], ctx));
      inits.push_back(init.get());
      maps.push_back(AffineMap::get(numParallel, 0, results, ctx));
      combiners.push_back(info.combiner);
      accumulatorOperands.push_back(info.accumulatorOperand);
    }
    b.setInsertionPointAfter(partial);
    return b.create<linalg::GenericOp>(
        loc, TypeRange{}, inputs, inits, maps, finalIters,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          SmallVector<Value> results;
          size_t n = combiners.size();
          for (size_t i = 0; i < n; ++i) {
            IRMapping m;
            Operation *comb = combiners[i];
            // combine(accumulator, partial), operands in the original order.
            unsigned accAt = accumulatorOperands[i];
            m.map(comb->getOperand(accAt), args[n + i]);
            m.map(comb->getOperand(1 - accAt), args[i]);
            results.push_back(nb.clone(*comb, m)->getResult(0));
          }
          nb.create<linalg::YieldOp>(nloc, results);
        });
  }

  linalg::GenericOp op;
  const SplitPlan &plan;
  ArrayRef<OutputInfo> outputs;
  OpBuilder b;
  Location loc;
  SmallVector<unsigned> position; // original dimension → partial-generic dimension
  SmallVector<int64_t> sizes;     // partial-generic dimension sizes
  SmallVector<utils::IteratorType> iterators;
  unsigned numParallel = 0;
  unsigned splitInner = 0;
  std::optional<unsigned> split; // the DimRole::Split dimension, if any
  SmallVector<Value> partialBuffers;
};

/// Splits `op` when it qualifies; returns the final generic, or null.
linalg::GenericOp trySplit(linalg::GenericOp op, const SplitLimits &limits) {
  if (!op.hasPureBufferSemantics() || !isa<func::FuncOp>(op->getParentOp()))
    return nullptr;
  for (AffineMap map : op.getIndexingMapsArray())
    if (!map.isProjectedPermutation())
      return nullptr;
  std::optional<SmallVector<OutputInfo>> outputs = classifyOutputs(op);
  if (!outputs || llvm::none_of(*outputs, [](const OutputInfo &o) { return o.combiner; }))
    return nullptr;
  std::optional<SplitPlan> plan = choosePlan(op, limits);
  if (!plan)
    return nullptr;
  return Splitter(op, *plan, *outputs).run();
}

/// Moves the parallel dimensions of `op` ahead of its reduction dimensions
/// (each group keeps its order), so the loops become one scf.parallel
/// around the sequential reduction loops instead of a sequential loop
/// around a parallel one (which a GPU would run on one thread).
void parallelDimsFirst(linalg::GenericOp op) {
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  SmallVector<unsigned> order;
  for (auto kind : {utils::IteratorType::parallel, utils::IteratorType::reduction})
    for (auto [d, it] : llvm::enumerate(iters))
      if (it == kind)
        order.push_back(static_cast<unsigned>(d));
  bool identity = llvm::all_of(llvm::enumerate(order),
                               [](auto p) { return p.value() == p.index(); });
  if (identity || !op.hasPureBufferSemantics())
    return;
  IRRewriter rewriter(op.getContext());
  rewriter.setInsertionPoint(op);
  (void)linalg::interchangeGenericOp(rewriter, op, order);
}

struct SplitReductions : impl::SplitReductionsPassBase<SplitReductions> {
  using SplitReductionsPassBase::SplitReductionsPassBase;

  void runOnOperation() override {
    if (minChunk < 1 || targetParallel < 1 || minParallel < 1) {
      getOperation().emitError() << "weft-split-reductions: min-chunk, target-parallel and "
                                    "min-parallel must be at least 1";
      return signalPassFailure();
    }
    SplitLimits limits{minParallel, targetParallel, minChunk, std::max<int64_t>(minReduction, 2)};
    SmallVector<linalg::GenericOp> work;
    getOperation().walk([&](linalg::GenericOp g) { work.push_back(g); });
    while (!work.empty()) {
      linalg::GenericOp g = work.pop_back_val();
      if (linalg::GenericOp final = trySplit(g, limits))
        work.push_back(final);
      else
        parallelDimsFirst(g);
    }
  }
};

} // namespace
} // namespace weft::codegen

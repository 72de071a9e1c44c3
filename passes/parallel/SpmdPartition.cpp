//===- SpmdPartition.cpp - the per-rank program of a sharded function -----===//
//
// This file implements weft-spmd-partition (Passes.td describes it). Ops are
// rewritten in order; each global value maps to its local value and how that
// local value is actually split (which may hold a pending partial sum or
// differ from the value's propagated sharding). For each op:
//   1. its factors get the mesh axes of its tensors' recorded shardings
//      (FactorAssignment.h), larger tensors first and an operand that
//      another reader needs whole last, as far as they fit together;
//   2. each operand is resharded to what the assignment needs (Reshard.h),
//      except a partial sum the op is linear in, which flows through;
//   3. padding of a split reduction dimension is masked with the
//      reduction's identity;
//   4. the local op is built: a clone with local types, or an op-specific
//      form (vocabulary-parallel gather, scatter_add into owned rows, an
//      offset iota, a reduction over split dimensions, local slice bounds);
//   5. its results are split as the assignment says, partial over the axes
//      of split reduction factors; a partial sum read by several ops is
//      resolved at once (reduce-scattered into its recorded sharding when
//      that splits it by the partial axes, else all-reduced).
// A sharding_constraint reshards its operand to its sharding (a partial sum
// already split so passes through when read once). Results are resharded to
// their recorded shardings at the return (one recorded as a pending sum,
// a gradient accumulator's update, stays one or is made one).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/AttrNames.h"
#include "ir/WeftCollectiveOps.h"
#include "ir/WeftDialect.h"
#include "ir/WeftOps.h"
#include "ir/WeftTrainingOps.h"
#include "ir/gradients/GradientUtils.h"
#include "ir/sharding/ShardingInterface.h"
#include "passes/PassUtils.h"
#include "passes/parallel/FactorAssignment.h"
#include "passes/parallel/Reshard.h"
#include "passes/parallel/ShardingState.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/IRMapping.h"

#include <limits>

namespace weft {
#define GEN_PASS_DEF_SPMDPARTITIONPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;
using namespace weft::sharding;

namespace weft {
namespace {

/// The shape of `v` as its type says (before the partitioner changes it).
ArrayRef<int64_t> typeShape(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

class Partitioner {
public:
  Partitioner(func::FuncOp func, MeshAttr mesh)
      : func_(func), mesh_(mesh), ctx_(func.getContext()), b_(func.getContext()) {}

  /// Builds the local program in a new block (the old ops keep their global
  /// types while their rules are read), then swaps the bodies.
  LogicalResult run() {
    Block &body = func_.getBody().front();
    auto *local = new Block();
    for (BlockArgument arg : func_.getArguments()) {
      ShardingAttr s = shardingOf(arg);
      auto global = cast<RankedTensorType>(arg.getType());
      globalShapes_[arg] = llvm::to_vector(global.getShape());
      func_.setArgAttr(arg.getArgNumber(), kShardingAttr, s);
      func_.setArgAttr(arg.getArgNumber(), kGlobalShapeAttr, DenseI64ArrayAttr::get(ctx_, global.getShape()));
      locals_[arg] = {local->addArgument(localType(global, s, mesh_), arg.getLoc()), s};
    }
    b_.setInsertionPointToEnd(local);
    for (Operation &op : body.without_terminator()) {
      for (Value r : op.getResults())
        globalShapes_[r] = llvm::to_vector(typeShape(r));
      if (failed(partition(&op))) {
        delete local;
        return failure();
      }
    }
    Operation *ret = body.getTerminator();
    SmallVector<Value> results;
    for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
      ShardingAttr to = resultSharding(func_, i);
      if (!to)
        to = ShardingAttr::replicated(ctx_, unsigned(globalShapes_[v].size()));
      func_.setResultAttr(i, kShardingAttr, to);
      func_.setResultAttr(i, kGlobalShapeAttr, DenseI64ArrayAttr::get(ctx_, globalShapes_[v]));
      grad::Emitter e(b_, ret->getLoc());
      results.push_back(to.getPartial().empty() ? localAs(v, to, e) : localAsPartial(v, to, e));
    }
    b_.create<func::ReturnOp>(ret->getLoc(), results);
    body.dropAllDefinedValueUses();
    body.dropAllReferences();
    func_.getBody().getBlocks().clear();
    func_.getBody().push_back(local);
    func_.setType(FunctionType::get(ctx_, local->getArgumentTypes(), ValueRange(results).getTypes()));
    return success();
  }

private:
  /// The shape of `v` in the global program.
  ArrayRef<int64_t> global(Value v) const { return globalShapes_.at(v); }

  struct Local {
    Value value;
    ShardingAttr actual; // how `value` is split, possibly a partial sum
  };

  ShardingAttr shardingOf(Value global) {
    ShardingAttr s = recordedSharding(global);
    return s ? s : ShardingAttr::replicated(ctx_, unsigned(cast<RankedTensorType>(global.getType()).getRank()));
  }

  /// The local value of `global` split as `to` (no partial), resharded once.
  Value localAs(Value global, ShardingAttr to, grad::Emitter &e) {
    const Local &l = locals_.at(global);
    if (l.actual == to)
      return l.value;
    auto key = std::make_pair(global, Attribute(to));
    if (auto it = cache_.find(key); it != cache_.end())
      return it->second;
    Resharder rs(e, mesh_);
    Value v = rs.reshard(l.value, l.actual, to, globalShapes_.at(global));
    cache_[key] = v;
    return v;
  }

  /// The local value of `global` as a pending sum split as `to` (the update
  /// of an argument held partial, a gradient accumulator): passed through
  /// when it already is one; otherwise resolved to `to`'s split and kept on
  /// the first rank of each group over the partial axes (zeros on the
  /// others), so that the group's sum is the value.
  Value localAsPartial(Value global, ShardingAttr to, grad::Emitter &e) {
    const Local &l = locals_.at(global);
    if (l.actual == to)
      return l.value;
    Value whole = localAs(global, to.withPartial({}), e);
    Resharder rs(e, mesh_);
    Value first = e.compareScalar(CompareDirection::EQ, rs.axisIndex(to.getPartial()), 0.0);
    auto type = grad::typeOf(whole);
    Value mask = e.broadcast(first, RankedTensorType::get(type.getShape(), b_.getI1Type()), {});
    return e.select(mask, whole, e.splatLike(whole, 0.0));
  }

  /// The local value of a sharding constraint's result. A pending partial
  /// sum split as the constraint says passes through when one op reads it:
  /// the sum is resolved where the layout changes next. The gradient of
  /// sequence parallelism's all-gathered activation (a partial sum from the
  /// column-parallel layer, constrained whole as the activation was) is then
  /// reduce-scattered into the sequence split its next constraint asks for,
  /// the transpose of the forward all_gather, instead of all-reduced.
  Local constrained(ShardingConstraintOp c, grad::Emitter &e) {
    const Local &in = locals_.at(c.getInput());
    ShardingAttr to = c.getSharding();
    if (c.getResult().hasOneUse() && !in.actual.getPartial().empty() && in.actual.getDims() == to.getDims())
      return in;
    return {localAs(c.getInput(), to, e), to};
  }

  /// True when a reader of `v` other than `op` needs it whole, by that
  /// reader's own assignment (not looking further ahead): gathering `v` for
  /// `op` as well costs nothing, as the gathered value is reused.
  bool readWholeElsewhere(Value v, Operation *op) {
    auto whole = [](ShardingAttr s) {
      return llvm::all_of(s.getDims(), [](DimShardingAttr d) { return d.getAxes().empty(); });
    };
    for (OpOperand &use : v.getUses()) {
      Operation *reader = use.getOwner();
      if (reader == op || reader->hasTrait<OpTrait::IsTerminator>())
        continue;
      if (auto c = dyn_cast<ShardingConstraintOp>(reader)) {
        if (whole(c.getSharding()))
          return true;
        continue;
      }
      std::optional<OpShardingRule> rule = ruleOf(reader);
      if (!rule) // never split: read whole
        return true;
      FactorAssignment a = assign(reader, *rule, /*lookAhead=*/false);
      if (whole(tensorShardingOf(ctx_, *rule, rule->operands[use.getOperandNumber()], a)))
        return true;
    }
    return false;
  }

  FactorAssignment assign(Operation *op, const OpShardingRule &rule, bool lookAhead = true) {
    FactorAssignment a(rule.factors.size());
    auto take = [&](Value v, const TensorFactors &t) {
      ShardingAttr s = shardingOf(v);
      for (auto [d, dim] : llvm::enumerate(t)) {
        auto sf = splitFactorOf(rule, dim, s.getDims()[d]);
        if (sf && !a[sf->first].isSplit() && whyNotAssignable(rule, a, sf->first, sf->second, mesh_).empty())
          a[sf->first] = sf->second;
      }
    };
    // Larger tensors first, operands before results of the same size: an op
    // computes where its data already is, and its result is moved if its
    // readers want it elsewhere (a row-parallel matmul whose reader wants it
    // split along the sequence leaves a partial sum that is reduce-scattered,
    // not a weight that is gathered). When two splits collide, the larger
    // tensor keeps its split and the smaller one moves: an LM head keeps its
    // vocabulary split and gathers the sequence-split activations, as
    // Megatron's sequence parallelism does, and the embedding's gradient
    // (a scatter_add into vocabulary-split rows) gathers the sequence-split
    // updates rather than reduce-scattering the whole table. An operand that
    // another reader needs whole claims last, as its gather is shared: the
    // input gradient of a row-parallel layer gathers the sequence-split
    // output gradient that its weight gradient gathers anyway, rather than
    // gathering the weight and moving the result's split.
    struct Claim {
      Value value;
      const TensorFactors *factors;
      int64_t elements;
      bool yields;
    };
    SmallVector<Claim> claims;
    auto add = [&](Value v, const TensorFactors &t, bool operand) {
      // The old ops keep their global types while the program is rewritten.
      int64_t n = cast<RankedTensorType>(v.getType()).getNumElements();
      bool yields = operand && lookAhead && !shardingOf(v).usedAxes().empty() && readWholeElsewhere(v, op);
      claims.push_back({v, &t, n, yields});
    };
    for (auto [i, v] : llvm::enumerate(op->getOperands()))
      add(v, rule.operands[i], true);
    for (auto [j, r] : llvm::enumerate(op->getResults()))
      add(r, rule.results[j], false);
    llvm::stable_sort(claims, [](const Claim &a, const Claim &b) {
      return std::make_pair(a.yields, -a.elements) < std::make_pair(b.yields, -b.elements);
    });
    for (const Claim &c : claims)
      take(c.value, *c.factors);
    // A split table (gather) or scatter target must be split by whole rows.
    if (isa<GatherOp>(op) && a[rule.operands[0][0][0]].blocks != 1)
      a[rule.operands[0][0][0]] = {};
    if (isa<ScatterAddOp>(op) && a[rule.results[0][0][0]].blocks != 1)
      a[rule.results[0][0][0]] = {};
    return a;
  }

  /// Which operands keep their pending partial sum (the op is linear in
  /// them); returns the partial axes that flow to the results.
  SmallVector<StringAttr> flowingPartial(Operation *op, const OpShardingRule &rule,
                                         const FactorAssignment &a, ArrayRef<ShardingAttr> need,
                                         SmallVectorImpl<bool> &keep) {
    keep.assign(op->getNumOperands(), false);
    SmallVector<StringAttr> used;
    for (const FactorSplit &s : a)
      used.append(s.axes.begin(), s.axes.end());
    auto usable = [&](unsigned i) {
      const Local &l = locals_.at(op->getOperand(i));
      ArrayRef<StringAttr> p = l.actual.getPartial();
      return !p.empty() && l.actual.getDims() == need[i].getDims() &&
             llvm::none_of(p, [&](StringAttr x) { return llvm::is_contained(used, x); });
    };
    SmallVector<unsigned> partialOperands;
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      if (!locals_.at(op->getOperand(i)).actual.getPartial().empty())
        partialOperands.push_back(i);
    if (partialOperands.empty())
      return {};
    if (rule.partial == PartialRule::OneLinear && partialOperands.size() == 1) {
      unsigned i = partialOperands[0];
      if (i < rule.linearIn.size() && rule.linearIn[i] && usable(i)) {
        keep[i] = true;
        ArrayRef<StringAttr> p = locals_.at(op->getOperand(i)).actual.getPartial();
        return SmallVector<StringAttr>(p.begin(), p.end());
      }
    }
    if (rule.partial == PartialRule::AllAlike && partialOperands.size() == op->getNumOperands()) {
      ArrayRef<StringAttr> p = locals_.at(op->getOperand(0)).actual.getPartial();
      bool alike = true;
      for (unsigned i = 0; i < op->getNumOperands(); ++i)
        alike &= usable(i) && locals_.at(op->getOperand(i)).actual.getPartial() == p;
      if (alike) {
        keep.assign(op->getNumOperands(), true);
        return SmallVector<StringAttr>(p.begin(), p.end());
      }
    }
    return {};
  }

  LogicalResult partition(Operation *op) {
    grad::Emitter e(b_, op->getLoc());
    Resharder rs(e, mesh_);
    if (auto c = dyn_cast<ShardingConstraintOp>(op)) {
      locals_[c.getResult()] = constrained(c, e);
      return success();
    }
    std::optional<OpShardingRule> rule = ruleOf(op);
    if (!rule) { // never split: everything replicated
      SmallVector<Value> ins;
      for (Value v : op->getOperands())
        ins.push_back(localAs(v, ShardingAttr::replicated(ctx_, unsigned(global(v).size())), e));
      Operation *local = cloneWith(op, ins, {});
      for (auto [j, r] : llvm::enumerate(op->getResults()))
        locals_[r] = {local->getResult(j), ShardingAttr::replicated(ctx_, unsigned(global(r).size()))};
      return success();
    }
    FactorAssignment a = assign(op, *rule);
    SmallVector<ShardingAttr> need;
    for (const TensorFactors &t : rule->operands)
      need.push_back(tensorShardingOf(ctx_, *rule, t, a));
    SmallVector<bool> keep;
    SmallVector<StringAttr> partial = flowingPartial(op, *rule, a, need, keep);
    SmallVector<Value> ins;
    for (auto [i, v] : llvm::enumerate(op->getOperands()))
      ins.push_back(keep[i] ? locals_.at(v).value : localAs(v, need[i], e));
    if (!isa<GatherOp>(op))
      maskReductionPadding(op, *rule, a, need, rs, ins);

    SmallVector<ShardingAttr> out;
    for (const TensorFactors &t : rule->results)
      out.push_back(tensorShardingOf(ctx_, *rule, t, a));
    SmallVector<StringAttr> reduced = reductionAxes(*rule, a);
    partial.append(reduced.begin(), reduced.end());

    SmallVector<Value> results;
    if (failed(buildLocal(op, *rule, a, ins, out, rs, e, partial, results)))
      return failure();
    for (auto [j, r] : llvm::enumerate(op->getResults())) {
      // A partial sum read by several ops is resolved once, here, rather
      // than in each reader's chain: reduce-scattered when the value's
      // sharding splits it further over the partial axes (the gradient of a
      // sequence-parallel LayerNorm's input, read by its three branches, as
      // Megatron's sequence parallelism does), else all-reduced.
      if (partial.empty() || r.hasOneUse()) {
        locals_[r] = {results[j], out[j].withPartial(partial)};
        continue;
      }
      ShardingAttr to = scatteredSharding(r, out[j], partial);
      locals_[r] = {rs.reshard(results[j], out[j].withPartial(partial), to, global(r)), to};
    }
    return success();
  }

  /// How a partial sum `r` (split as `out`, partial over `partial`) is
  /// resolved: its recorded sharding when that splits one dimension of
  /// `out` further by exactly the partial axes (a reduce_scatter, half an
  /// all_reduce's bytes), else `out` (an all_reduce).
  ShardingAttr scatteredSharding(Value r, ShardingAttr out, ArrayRef<StringAttr> partial) {
    ShardingAttr recorded = shardingOf(r);
    if (!recorded.getPartial().empty())
      return out;
    int scattered = 0;
    for (auto [have, want] : llvm::zip(out.getDims(), recorded.getDims())) {
      if (have == want)
        continue;
      SmallVector<StringAttr> axes(have.getAxes().begin(), have.getAxes().end());
      axes.append(partial.begin(), partial.end());
      if (ArrayRef(axes) != want.getAxes())
        return out;
      ++scattered;
    }
    return scattered == 1 ? recorded : out;
  }

  /// Padding of a split reduction dimension holds garbage: replace it with
  /// the reduction's identity before the op sums (or maxes) over it.
  void maskReductionPadding(Operation *op, const OpShardingRule &rule, const FactorAssignment &a,
                            ArrayRef<ShardingAttr> need, Resharder &rs, SmallVectorImpl<Value> &ins) {
    double identity = 0.0;
    if (auto r = dyn_cast<ReduceOp>(op)) {
      if (r.getKind() == ReduceKind::Max)
        identity = -std::numeric_limits<double>::infinity();
      if (r.getKind() == ReduceKind::Min)
        identity = std::numeric_limits<double>::infinity();
    }
    for (auto [i, t] : llvm::enumerate(rule.operands))
      for (auto [d, dim] : llvm::enumerate(t))
        for (unsigned f : dim)
          if (rule.factors[f].kind == FactorKind::Reduction && a[f].isSplit())
            ins[i] = rs.maskPadding(ins[i], int64_t(d), need[i].getDims()[d],
                                    global(op->getOperand(i))[d], identity);
  }

  Operation *cloneWith(Operation *op, ArrayRef<Value> ins, ArrayRef<ShardingAttr> out) {
    IRMapping map;
    for (auto [v, l] : llvm::zip(op->getOperands(), ins))
      map.map(v, l);
    Operation *local = b_.clone(*op, map);
    local->removeAttr(kShardingsAttr);
    for (auto [j, s] : llvm::enumerate(out))
      local->getResult(j).setType(localType(cast<RankedTensorType>(op->getResult(j).getType()), s, mesh_));
    return local;
  }

  RankedTensorType localResultType(Operation *op, unsigned j, ShardingAttr s) {
    return localType(cast<RankedTensorType>(op->getResult(j).getType()), s, mesh_);
  }

  /// indices - (rank's first row), clamped into [0, rows), and whether it was in range.
  std::pair<Value, Value> ownedRows(Value indices, int64_t rows, DimShardingAttr split, Resharder &rs,
                                    grad::Emitter &e) {
    Type it = grad::typeOf(indices).getElementType();
    Value first = e.scale(rs.axisIndex(split.getAxes()), double(rows));
    if (it != b_.getI64Type())
      first = e.cast(first, it);
    Value local = e.sub(indices, e.broadcast(first, grad::typeOf(indices), {}));
    Value clamped = b_.create<MaxOp>(e.location(), b_.create<MinOp>(e.location(), local, e.splatLike(local, double(rows - 1))),
                                     e.splatLike(local, 0.0));
    return {clamped, e.compare(CompareDirection::EQ, clamped, local)};
  }

  /// Broadcasts an i1 mask over the index dims [I...] to [I..., D...] of `like`.
  Value maskOver(Value valid, Value like, grad::Emitter &e) {
    unsigned n = unsigned(grad::typeOf(valid).getRank());
    SmallVector<int64_t> dims;
    for (unsigned i = 0; i < n; ++i)
      dims.push_back(i);
    auto type = RankedTensorType::get(grad::typeOf(like).getShape(), b_.getI1Type());
    return e.broadcast(valid, type, dims);
  }

  LogicalResult buildLocal(Operation *op, const OpShardingRule &rule, const FactorAssignment &a,
                           ArrayRef<Value> ins, ArrayRef<ShardingAttr> out, Resharder &rs,
                           grad::Emitter &e, SmallVectorImpl<StringAttr> &partial,
                           SmallVectorImpl<Value> &results) {
    if (auto g = dyn_cast<GatherOp>(op); g && a[rule.operands[0][0][0]].isSplit()) {
      // Vocabulary-parallel lookup: rows other ranks own read as zeros.
      DimShardingAttr split = tensorShardingOf(ctx_, rule, rule.operands[0], a).getDims()[0];
      int64_t rows = grad::typeOf(ins[0]).getDimSize(0);
      auto [clamped, valid] = ownedRows(ins[1], rows, split, rs, e);
      Value found = b_.create<GatherOp>(op->getLoc(), ins[0], clamped);
      results.push_back(e.select(maskOver(valid, found, e), found, e.splatLike(found, 0.0)));
      return success();
    }
    if (auto s = dyn_cast<ScatterAddOp>(op); s && a[rule.results[0][0][0]].isSplit()) {
      // Only the rows this rank owns are written.
      DimShardingAttr split = out[0].getDims()[0];
      RankedTensorType type = localResultType(op, 0, out[0]);
      auto [clamped, valid] = ownedRows(ins[1], type.getDimSize(0), split, rs, e);
      Value updates = e.select(maskOver(valid, ins[0], e), ins[0], e.splatLike(ins[0], 0.0));
      // An init is split like the result: this rank's rows of it.
      results.push_back(b_.create<ScatterAddOp>(op->getLoc(), type, updates, clamped,
                                                s.getInit() ? ins[2] : Value()));
      return success();
    }
    if (auto iota = dyn_cast<IotaOp>(op)) {
      DimShardingAttr split = out[0].getDims()[iota.getDim()];
      if (!split.getAxes().empty()) {
        RankedTensorType type = localResultType(op, 0, out[0]);
        Value like = e.splat(RankedTensorType::get(type.getShape(), b_.getI64Type()), 0.0);
        Value index = rs.globalIndices(like, iota.getDim(), split, global(op->getResult(0))[iota.getDim()]);
        results.push_back(type.getElementType() == b_.getI64Type() ? index : e.cast(index, type.getElementType()));
        return success();
      }
    }
    if (auto c = dyn_cast<ConstantOp>(op)) {
      if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue()); dense && dense.isSplat()) {
        RankedTensorType type = localResultType(op, 0, out[0]);
        results.push_back(b_.create<ConstantOp>(op->getLoc(), cast<ElementsAttr>(dense.resizeSplat(type))));
        return success();
      }
    }
    if (auto r = dyn_cast<ReduceOp>(op); r && !reductionAxes(rule, a).empty()) {
      SmallVector<StringAttr> reduced = reductionAxes(rule, a);
      RankedTensorType type = localResultType(op, 0, out[0]);
      ReduceKind kind = r.getKind();
      ReduceKind localKind = kind == ReduceKind::Mean ? ReduceKind::Sum : kind;
      Value local = b_.create<ReduceOp>(op->getLoc(), type, ReduceKindAttr::get(ctx_, localKind), ins[0],
                                        r.getDimsAttr());
      if (kind == ReduceKind::Mean) {
        int64_t count = 1;
        for (int64_t d : r.getDims())
          count *= global(r.getInput())[d];
        local = e.scale(local, 1.0 / double(count));
      }
      if (kind == ReduceKind::Max || kind == ReduceKind::Min) {
        local = rs.allReduce(local, reduced, kind);
        partial.clear(); // max/min are never left pending
      }
      results.push_back(local);
      return success();
    }
    if (auto s = dyn_cast<SliceOp>(op)) {
      ArrayRef<int64_t> in = global(s.getInput());
      ArrayRef<int64_t> localIn = grad::typeOf(ins[0]).getShape();
      SmallVector<int64_t> start(s.getStart()), limit(s.getLimit());
      for (size_t d = 0; d < in.size(); ++d) {
        if (localIn[d] == in[d])
          continue;
        if (start[d] == 0 && limit[d] == in[d]) {
          limit[d] = localIn[d];
          continue;
        }
        int64_t block = limit[d] - start[d], blocks = in[d] / block, inner = localIn[d] / blocks;
        start[d] = start[d] / block * inner;
        limit[d] = start[d] + inner;
      }
      results.push_back(e.slice(ins[0], start, limit, s.getStrides()));
      return success();
    }
    Operation *local = cloneWith(op, ins, out);
    results.append(local->getResults().begin(), local->getResults().end());
    return success();
  }

  func::FuncOp func_;
  MeshAttr mesh_;
  MLIRContext *ctx_;
  OpBuilder b_;
  DenseMap<Value, Local> locals_;
  DenseMap<Value, SmallVector<int64_t, 4>> globalShapes_;
  DenseMap<std::pair<Value, Attribute>, Value> cache_;
};

struct SpmdPartitionPass : impl::SpmdPartitionPassBase<SpmdPartitionPass> {
  using SpmdPartitionPassBase::SpmdPartitionPassBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    SpmdPartitionPassBase::getDependentDialects(registry);
    registerShardingInterfaces(registry);
  }

  void runOnOperation() override {
    if (failed(onFunctionWithMesh(getOperation(), getArgument(), function,
                                  [](func::FuncOp func, MeshAttr mesh) { return Partitioner(func, mesh).run(); })))
      signalPassFailure();
  }
};

} // namespace
} // namespace weft

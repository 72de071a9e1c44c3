//===- PropagateSharding.cpp - every value's sharding from the hints ------===//
//
// This file implements weft-propagate-sharding (Passes.td describes it).
// The state is one DimShardingAttr per dimension of every value, null while
// open; hints (sharded arguments, sharding_constraint results, op results
// that already carry weft.shardings) are fixed.
// Each visit of an op reads the splits its tensors already have, assigns
// them to the op's factors (fixed tensors first, then operands before
// results going forward, results first going backward), and fills the open
// dimensions of every tensor holding an assigned factor. Forward and
// backward sweeps repeat until a sweep changes nothing.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/AttrNames.h"
#include "ir/WeftCollectiveOps.h"
#include "ir/WeftDialect.h"
#include "ir/sharding/ShardingInterface.h"
#include "passes/PassUtils.h"
#include "passes/parallel/FactorAssignment.h"
#include "passes/parallel/ShardingState.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"

namespace weft {
#define GEN_PASS_DEF_PROPAGATESHARDINGPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;
using namespace weft::sharding;

namespace weft {
namespace {

constexpr int kMaxSweeps = 16;

class Propagator {
public:
  Propagator(func::FuncOp func, MeshAttr mesh) : func_(func), mesh_(mesh), ctx_(func.getContext()) {}

  LogicalResult run() {
    seed();
    for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
      bool changed = false;
      for (Operation &op : func_.getBody().front())
        if (failed(visit(&op, /*forward=*/true, changed)))
          return failure();
      for (Operation &op : llvm::reverse(func_.getBody().front()))
        if (failed(visit(&op, /*forward=*/false, changed)))
          return failure();
      changed |= linkUpdates();
      if (!changed)
        break;
    }
    record();
    return success();
  }

private:
  struct State {
    SmallVector<DimShardingAttr, 4> dims; // null: open
    bool fixed = false;
  };

  State &stateOf(Value v) {
    auto [it, inserted] = states_.try_emplace(v);
    if (inserted)
      it->second.dims.assign(cast<RankedTensorType>(v.getType()).getRank(), DimShardingAttr());
    return it->second;
  }

  void fix(Value v, ShardingAttr s) {
    State &st = stateOf(v);
    st.dims.assign(s.getDims().begin(), s.getDims().end());
    st.fixed = true;
  }

  /// Fills the open dims of `v` from `s` (not fixed).
  bool fillFrom(Value v, ArrayRef<DimShardingAttr> s) {
    State &st = stateOf(v);
    bool changed = false;
    for (auto [d, dim] : llvm::enumerate(s))
      if (!st.fixed && !st.dims[d] && dim && !dim.getAxes().empty() && axesFree(st, d, dim)) {
        st.dims[d] = dim;
        changed = true;
      }
    return changed;
  }

  /// True when no other dim of `st` uses an axis of `dim`.
  static bool axesFree(const State &st, size_t d, DimShardingAttr dim) {
    for (auto [e, other] : llvm::enumerate(st.dims))
      if (e != d && other)
        for (StringAttr axis : dim.getAxes())
          if (llvm::is_contained(other.getAxes(), axis))
            return false;
    return true;
  }

  void seed() {
    for (BlockArgument arg : func_.getArguments())
      if (auto s = func_.getArgAttrOfType<ShardingAttr>(arg.getArgNumber(), kShardingAttr)) {
        fix(arg, s);
        // An argument held as a pending sum (a gradient accumulator) stays one.
        if (!s.getPartial().empty())
          partialArgs_[arg] = SmallVector<StringAttr>(s.getPartial().begin(), s.getPartial().end());
      }
    func_.walk([&](ShardingConstraintOp c) { fix(c.getResult(), c.getSharding()); });
    // Shardings already on an op (weft-auto-shard's choice) are hints too.
    for (Operation &op : func_.getBody().front())
      if (auto given = op.getAttrOfType<ArrayAttr>(kShardingsAttr))
        for (auto [r, s] : llvm::zip(op.getResults(), given))
          if (auto sharding = dyn_cast<ShardingAttr>(s))
            fix(r, sharding);
    linkUpdates();
  }

  /// A parameter's (or state's) update result and the parameter share a
  /// sharding: open dims of either are filled from the other.
  bool linkUpdates() {
    bool changed = false;
    Operation *ret = func_.getBody().front().getTerminator();
    for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
      auto name = func_.getResultAttrOfType<StringAttr>(i, kUpdateAttr);
      BlockArgument arg = name ? argumentNamed(func_, name.getValue()) : BlockArgument();
      if (!arg || v == Value(arg))
        continue;
      SmallVector<DimShardingAttr, 4> a(stateOf(arg).dims), r(stateOf(v).dims);
      changed |= fillFrom(v, a);
      changed |= fillFrom(arg, r);
    }
    return changed;
  }

  ShardingAttr currentSharding(Value v) {
    SmallVector<DimShardingAttr> dims;
    for (DimShardingAttr d : stateOf(v).dims)
      dims.push_back(d ? d : DimShardingAttr::get(ctx_, {}, 1));
    auto partial = partialArgs_.find(v);
    return ShardingAttr::get(ctx_, dims, partial == partialArgs_.end() ? ArrayRef<StringAttr>() : partial->second);
  }

  struct Tensor {
    Value value;
    const TensorFactors *factors;
    std::string role; // "operand 1", "result 0"
  };

  LogicalResult visit(Operation *op, bool forward, bool &changed) {
    if (op->hasTrait<OpTrait::IsTerminator>())
      return success();
    std::optional<OpShardingRule> rule = ruleOf(op);
    if (!rule)
      return success();
    // A constraint is where a value changes layout: its operand may be held
    // otherwise (a hint of its own), and then nothing flows across it.
    if (isa<ShardingConstraintOp>(op) && stateOf(op->getOperand(0)).fixed)
      return success();
    SmallVector<Tensor> tensors;
    auto addOperands = [&]() {
      for (auto [i, v] : llvm::enumerate(op->getOperands()))
        tensors.push_back({v, &rule->operands[i], "operand " + std::to_string(i)});
    };
    auto addResults = [&]() {
      for (auto [i, v] : llvm::enumerate(op->getResults()))
        tensors.push_back({v, &rule->results[i], "result " + std::to_string(i)});
    };
    if (forward) {
      addOperands();
      addResults();
    } else {
      addResults();
      addOperands();
    }
    std::stable_partition(tensors.begin(), tensors.end(),
                          [&](const Tensor &t) { return stateOf(t.value).fixed; });

    FactorAssignment assignment(rule->factors.size());
    SmallVector<int> source(rule->factors.size(), -1); // index into tensors
    for (auto [ti, t] : llvm::enumerate(tensors)) {
      const State &st = stateOf(t.value);
      for (auto [d, dim] : llvm::enumerate(*t.factors)) {
        auto sf = splitFactorOf(*rule, dim, st.dims[d]);
        if (!sf)
          continue;
        auto [f, split] = *sf;
        if (assignment[f].isSplit()) {
          if (!(assignment[f] == split) && st.fixed && stateOf(tensors[source[f]].value).fixed)
            return conflict(op, tensors[source[f]], t);
          continue;
        }
        std::string why = whyNotAssignable(*rule, assignment, f, split, mesh_);
        if (!why.empty()) {
          if (st.fixed)
            for (auto [g, other] : llvm::enumerate(assignment))
              if (source[g] >= 0 && stateOf(tensors[source[g]].value).fixed &&
                  llvm::any_of(split.axes, [&](StringAttr a) { return llvm::is_contained(other.axes, a); }))
                return conflict(op, tensors[source[g]], t);
          continue;
        }
        assignment[f] = split;
        source[f] = int(ti);
      }
    }

    for (const Tensor &t : tensors) {
      SmallVector<DimShardingAttr> dims;
      for (const DimFactors &dim : *t.factors)
        dims.push_back(dimShardingOf(ctx_, *rule, dim, assignment));
      changed |= fillFrom(t.value, dims);
    }
    return success();
  }

  LogicalResult conflict(Operation *op, const Tensor &a, const Tensor &b) {
    return op->emitError() << "conflicting sharding hints: " << a.role << " is "
                           << currentSharding(a.value) << " but " << b.role << " is "
                           << currentSharding(b.value)
                           << ", which split the op's dimensions differently; change one hint";
  }

  void record() {
    for (BlockArgument arg : func_.getArguments())
      func_.setArgAttr(arg.getArgNumber(), kShardingAttr, currentSharding(arg));
    for (Operation &op : func_.getBody().front()) {
      if (op.hasTrait<OpTrait::IsTerminator>() || op.getNumResults() == 0)
        continue;
      SmallVector<Attribute> all;
      for (Value r : op.getResults())
        all.push_back(currentSharding(r));
      op.setAttr(kShardingsAttr, ArrayAttr::get(ctx_, all));
    }
    Operation *ret = func_.getBody().front().getTerminator();
    for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
      if (resultSharding(func_, i))
        continue; // a hint: the partitioner reshards to it
      auto name = func_.getResultAttrOfType<StringAttr>(i, kUpdateAttr);
      BlockArgument arg = name ? argumentNamed(func_, name.getValue()) : BlockArgument();
      func_.setResultAttr(i, kShardingAttr,
                          arg ? currentSharding(arg)
                              : ShardingAttr::replicated(ctx_, unsigned(cast<RankedTensorType>(v.getType()).getRank())));
    }
  }

  func::FuncOp func_;
  MeshAttr mesh_;
  MLIRContext *ctx_;
  DenseMap<Value, State> states_;
  DenseMap<Value, SmallVector<StringAttr>> partialArgs_; // hinted partial arguments
};

struct PropagateShardingPass : impl::PropagateShardingPassBase<PropagateShardingPass> {
  using PropagateShardingPassBase::PropagateShardingPassBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    PropagateShardingPassBase::getDependentDialects(registry);
    registerShardingInterfaces(registry);
  }

  void runOnOperation() override {
    if (failed(onFunctionWithMesh(getOperation(), getArgument(), function,
                                  [](func::FuncOp func, MeshAttr mesh) { return Propagator(func, mesh).run(); })))
      signalPassFailure();
  }
};

} // namespace
} // namespace weft
